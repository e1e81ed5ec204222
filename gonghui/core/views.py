"""Platform pages: the front door, the console home, the worker's inbox and messages, the
access log."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core import inbox, modules, notification_kinds, selectors, services, views_calendar
from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.forms import NotificationSettingsForm
from gonghui.core.permissions import Perm, require
from gonghui.core.web import apply_errors, paginate, staff_required, worker_required


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico where a page names no icon (the API, error pages)."""
    return redirect(static("gonghui/favicon.svg"), permanent=True)


@require_GET
def front_door(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_authenticated and getattr(user, "is_staff_account", False):
        return redirect("console:home")
    if user.is_authenticated and getattr(user, "is_enterprise_account", False):
        return redirect("enterprise:home")
    return redirect("portal:home")


@staff_required
@require_GET
def console_home(request: HttpRequest) -> HttpResponse:
    tiles = modules.home_tiles(request.user)
    return render(
        request,
        "console/home.html",
        {
            "org": request.user.organization,  # type: ignore[union-attr]
            # Only for those who keep the calendar: see console/_workcalendar_missing.html.
            "workcalendar_missing": views_calendar.missing_schedules(request.user),
            # What waits for this person, from every module's home tiles.
            "home_tiles": tiles,
            "todo_total": sum(tile.count for tile in tiles),
        },
    )


@staff_required
@require_GET
def home_activity(request: HttpRequest) -> HttpResponse:
    """HTMX: the subtree's figures on the staff home (this month against last, the year so
    far, the twelve-month trend), loaded after the page so the to-do list shows at once."""
    actor: Any = request.user
    today = timezone.localdate()
    activity = selectors.home_activity(actor=actor, today=today)
    chart = {
        "months": [label for label, _n in activity[0].months] if activity else [],
        "series": [{"name": a.label, "values": [n for _m, n in a.months]} for a in activity],
    }
    return render(
        request,
        "console/_home_activity.html",
        {
            "activity": activity,
            "stocks": selectors.home_stocks(actor=actor, year=today.year),
            "chart": json.dumps(chart, ensure_ascii=False),
            "year": today.year,
        },
    )


ACCESS_COLUMNS = [
    Column("时间", lambda a: a.at, 20),
    Column("查看人", lambda a: str(a.actor), 12),
    Column("所属组织", lambda a: a.actor_organization.name, 30),
    Column("被查看人", lambda a: a.subject_label, 12),
    Column("内容", lambda a: a.field_label, 12),
    Column("原因", lambda a: a.get_reason_display(), 10),
    Column("说明", lambda a: a.reason_note, 30),
    Column("方式", lambda a: a.channel, 8),
    Column("IP", lambda a: a.ip_address or "", 16),
]


@staff_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    require(actor, Perm.AUDIT)
    subject = request.GET.get("subject", "").strip()
    qs = selectors.access_log(actor=actor, subject=subject)
    if wants_export(request):
        return export_list(request, "个人信息访问日志", ACCESS_COLUMNS, qs)
    return render(
        request, "console/access_log.html", {"page_obj": paginate(request, qs), "subject": subject}
    )


@worker_required
@require_GET
def portal_inbox(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    kind = request.GET.get("kind") or None
    return render(
        request,
        "portal/inbox.html",
        {"items": inbox.inbox_for(user.person_id, kind=kind), "kinds": inbox.kinds(), "kind": kind},
    )


@worker_required
@require_GET
def portal_messages(request: HttpRequest) -> HttpResponse:
    """The worker's messages, newest first. Opening the page reads the messages it shows."""
    page = paginate(request, selectors.notification_list(actor=request.user))
    unread = {n.pk for n in page.object_list if n.read_at is None}
    services.notifications_mark_read(actor=request.user, ids=unread)
    return render(request, "portal/messages.html", {"page_obj": page, "unread": unread})


@worker_required
@require_POST
def portal_messages_read(request: HttpRequest) -> HttpResponse:
    """全部标为已读: every unread message of the worker."""
    unread = selectors.notification_list(actor=request.user).filter(read_at__isnull=True)
    services.notifications_mark_read(actor=request.user, ids=unread.values_list("pk", flat=True))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("portal:messages")
    return redirect(target)


@worker_required
def portal_message_settings(request: HttpRequest) -> HttpResponse:
    current = selectors.notification_settings_get(actor=request.user)
    optional = [(k.code, k.label) for k in notification_kinds.kinds() if k.optional]
    fixed = [k for k in notification_kinds.kinds() if not k.optional]
    initial = {
        "sms_on": [code for code, _label in optional if code not in (current.sms_off or [])],
        "quiet_from": current.quiet_from,
        "quiet_until": current.quiet_until,
    }
    form = NotificationSettingsForm(request.POST or None, initial=initial, optional=optional)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_settings_save(
                actor=request.user,
                sms_off=form.sms_off(),
                quiet_from=form.cleaned_data["quiet_from"],
                quiet_until=form.cleaned_data["quiet_until"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("消息设置已保存。"))
            return redirect("portal:message_settings")
    return render(request, "portal/message_settings.html", {"form": form, "fixed": fixed})
