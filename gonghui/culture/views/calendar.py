"""The calendar of shows, contests, training days and classes (CUL-5, "季季有汇演, 月月有赛事,
周周有培训"): a month view for staff and for workers, and the worker's iCal feed, which a
phone's calendar app subscribes to without signing in (the secret address is the key)."""

from __future__ import annotations

import calendar as pycalendar
import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import icalendar
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST, require_safe

from gonghui.core.web import staff_required, worker_required
from gonghui.culture.models import EventKind
from gonghui.culture.selectors import catalogue as catalogue_selectors
from gonghui.culture.selectors.catalogue import CalendarEntry
from gonghui.culture.services import catalogue as catalogue_services
from gonghui.culture.views.catalogue import KIND_TONES, int_param
from gonghui.organizations import selectors as org_selectors

# "2026-12": ASCII digits only (re.ASCII: "²" and full-width digits are not \d), and a year
# whose month the date arithmetic can hold (year 9999's December would end in year 10000).
_MONTH = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)
YEARS = range(2000, 2100)
# Monday first, as ``datetime.date.weekday()`` counts.
WEEKDAYS = (
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
)
FEED_PAST = datetime.timedelta(days=30)
FEED_AHEAD = datetime.timedelta(days=90)


def parse_month(text: str) -> tuple[int, int] | None:
    """``YYYY-MM`` within ``YEARS``, else None."""
    found = _MONTH.fullmatch(text.strip())
    if not found:
        return None
    year, month = int(found[1]), int(found[2])
    return (year, month) if year in YEARS and 1 <= month <= 12 else None


@dataclass
class DayItem:
    entry: CalendarEntry
    tone: str
    link: str
    continued: bool  # began on an earlier day (a two-day contest)


@dataclass
class Day:
    date: datetime.date
    in_month: bool
    is_today: bool
    items: list[DayItem] = field(default_factory=list)

    @property
    def weekday(self) -> str:
        return str(WEEKDAYS[self.date.weekday()])


@dataclass
class Filters:
    year: int
    month: int
    series: int | None
    organization: int | None

    @property
    def month_value(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> str:
        index = self.year * 12 + self.month - 1 + months
        year, month = divmod(index, 12)
        return f"{year:04d}-{month + 1:02d}" if year in YEARS else ""


def _filters(request: HttpRequest, series_ids: set[int], org_ids: set[int]) -> Filters:
    """The month, series and organisation asked for. A month that is not one (``9999-99``,
    ``²``) shows this month with a message instead of failing; a series or organisation
    that is not on offer is ignored."""
    today = timezone.localdate()
    year, month = today.year, today.month
    text = request.GET.get("month", "")
    if text:
        parsed = parse_month(text)
        if parsed is None:
            messages.warning(
                request,
                _("月份“%(m)s”无法识别，已显示本月。月份格式如 2026-12。") % {"m": text[:20]},
            )
        else:
            year, month = parsed
    series = int_param(request.GET.get("series"))
    organization = int_param(request.GET.get("organization"))
    return Filters(
        year=year,
        month=month,
        series=series if series in series_ids else None,
        organization=organization if organization in org_ids else None,
    )


def _weeks(entries: list[CalendarEntry], filters: Filters, links: bool) -> list[list[Day]]:
    """The month as weeks of days, Monday first; an entry is listed on every day of the month
    it spans. ``links``: console pages link an event to its edit page too."""
    first = datetime.date(filters.year, filters.month, 1)
    last = first + datetime.timedelta(
        days=pycalendar.monthrange(filters.year, filters.month)[1] - 1
    )
    by_day: dict[datetime.date, list[DayItem]] = defaultdict(list)
    for entry in entries:
        start = timezone.localtime(entry.starts_at).date()
        end = timezone.localtime(entry.ends_at - datetime.timedelta(microseconds=1)).date()
        link = entry.url
        if links and not link and entry.uid.startswith("event-"):
            link = reverse("console:culture_event", args=[int(entry.uid.removeprefix("event-"))])
        day = max(start, first)
        while day <= min(end, last):
            by_day[day].append(
                DayItem(entry, KIND_TONES.get(entry.kind, "secondary"), link, day > start)
            )
            day += datetime.timedelta(days=1)
    today = timezone.localdate()
    return [
        [Day(d, d.month == filters.month, d == today, by_day.get(d, [])) for d in week]
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(
            filters.year, filters.month
        )
    ]


def _month_context(
    request: HttpRequest, actor: Any, organizations: list[tuple[int, str]], portal: bool
) -> dict[str, Any]:
    series = list(catalogue_selectors.series_list())
    filters = _filters(request, {s.pk for s in series}, {pk for pk, _label in organizations})
    start, end = catalogue_selectors.month_bounds(filters.year, filters.month)
    entries = catalogue_selectors.calendar_entries(
        actor=actor,
        start=start,
        end=end,
        series=filters.series,
        organization=filters.organization,
        portal=portal,
    )
    weeks = _weeks(entries, filters, links=not portal)
    return {
        "filters": filters,
        "series": series,
        "organizations": organizations,
        "weeks": weeks,
        "days": [day for week in weeks for day in week if day.in_month and day.items],
        "weekdays": WEEKDAYS,
        "entry_count": len(entries),
        "kinds": [(label, KIND_TONES[value]) for value, label in EventKind.choices],
        "prev_month": filters.shifted(-1),
        "next_month": filters.shifted(1),
        "this_month": f"{timezone.localdate():%Y-%m}",
    }


def _labelled(orgs: Any, base_depth: int) -> list[tuple[int, str]]:
    return [(o.pk, f"{'　' * max(o.depth - base_depth, 0)}{o.name}") for o in orgs]


@staff_required
@require_GET
def console_month(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    # The filter offers the actor's subtree above the grassroots unions (a city has thousands
    # of those; their town's entry covers them).
    orgs = list(
        org_selectors.organization_list(actor=actor).exclude(
            kind="grassroots", depth__gt=actor.organization.depth
        )
    )
    # An organisation named in the address is looked up in the actor's scope: one of another
    # branch is "not found", as everywhere in the console; a grassroots union of the subtree
    # (not offered, but visible) is added to the choices.
    asked = request.GET.get("organization", "")
    if asked:
        chosen = org_selectors.organization_get(actor=actor, id=int_param(asked) or 0)
        if chosen not in orgs:
            orgs.append(chosen)
    context = _month_context(
        request, actor, _labelled(orgs, actor.organization.depth), portal=False
    )
    return render(request, "culture/calendar/month.html", context)


@worker_required
@require_GET
def portal_month(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    context = _month_context(
        request, actor, _labelled(catalogue_selectors.calendar_organizations(), 1), portal=True
    )
    filters: Filters = context["filters"]
    token = catalogue_services.calendar_feed_token(actor=actor)
    # The address carries the page's series and organisation, so a worker who wants only
    # the 才艺美 classes of their town subscribes to just those.
    query = {
        key: value
        for key, value in (("series", filters.series), ("organization", filters.organization))
        if value
    }
    feed = request.build_absolute_uri(reverse("portal:culture_ical", args=[token]))
    if query:
        feed += "?" + urlencode(query)
    context.update(feed_url=feed, webcal_url=re.sub(r"^https?://", "webcal://", feed))
    return render(request, "culture/calendar/portal_month.html", context)


@worker_required
@require_POST
def feed_renew(request: HttpRequest) -> HttpResponse:
    catalogue_services.calendar_feed_renew(actor=request.user)
    messages.success(
        request, _("已生成新的订阅地址，旧地址已停止使用。请在手机日历中删除旧订阅，再添加新地址。")
    )
    return redirect("portal:culture_calendar")


@require_safe
def ical(request: HttpRequest, token: str) -> HttpResponse:
    """The feed of the account whose secret address this is: no session (calendar apps
    cannot sign in), so an unknown or renewed token is "not found" like any missing page.
    What it lists is what that worker sees on the portal calendar, from 30 days back to 90
    days ahead, their own bookings marked."""
    owner = catalogue_selectors.calendar_feed_owner(token=token)
    if owner is None:
        raise Http404
    now = timezone.now()
    entries = catalogue_selectors.calendar_entries(
        actor=owner,
        start=now - FEED_PAST,
        end=now + FEED_AHEAD,
        series=int_param(request.GET.get("series")),
        organization=int_param(request.GET.get("organization")),
        portal=True,
    )
    response = HttpResponse(
        _feed(request, entries, now), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="gonghui-culture.ics"'
    # The address is a secret: no shared cache keeps a copy, and search engines stay out.
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response


def _feed(request: HttpRequest, entries: list[CalendarEntry], now: datetime.datetime) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Gonghui//Culture Calendar//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("网上工会文化活动"))
    cal.add("x-wr-caldesc", _("季季有汇演，月月有赛事，周周有培训"))
    cal.add("x-wr-timezone", "Asia/Shanghai")
    # How often a subscribing app should fetch again (Apple and Google read one or the other).
    cal.add("refresh-interval", datetime.timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    booked = _("【已预约】")
    for entry in entries:
        event = icalendar.Event()
        event.add("uid", f"{entry.uid}@gonghui")
        event.add("dtstamp", now)
        event.add("dtstart", timezone.localtime(entry.starts_at))
        event.add("dtend", timezone.localtime(entry.ends_at))
        event.add("summary", f"{booked if entry.mine else ''}{entry.title}")
        event.add("location", entry.place)
        event.add("categories", [entry.kind_label])
        lines = [f"{entry.kind_label} · {_('主办单位')}：{entry.organization}"]
        if entry.series:
            lines.append(f"{_('系列')}：{entry.series}")
        if entry.url:
            url = request.build_absolute_uri(entry.url)
            event.add("url", url)
            lines.append(url)
        event.add("description", "\n".join(lines))
        cal.add_component(event)
    # One VTIMEZONE for Asia/Shanghai, so DTSTART;TZID=Asia/Shanghai means the same to every
    # client.
    cal.add_missing_timezones()
    return cal.to_ical()
