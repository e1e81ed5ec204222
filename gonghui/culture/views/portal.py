"""The worker's class pages: the sessions, one session (the rule and the worker's standing
shown before they book, the lottery's commitment and then its published draw), booking,
cancelling, confirming an offered seat, and the booking's QR code for the door."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core.scoping import NotFound
from gonghui.core.web import error_text, worker_required
from gonghui.culture import draw
from gonghui.culture.forms import RatingForm
from gonghui.culture.models import BookingRules, BookingState
from gonghui.culture.selectors import booking as booking_selectors
from gonghui.culture.selectors import catalogue as catalogue_selectors
from gonghui.culture.services import booking as booking_services
from gonghui.culture.services import lottery as lottery_services
from gonghui.culture.services import rules as rules_services
from gonghui.members.card import qr_svg


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


# How many upcoming sessions the list weighs at once (who may book each is decided in a few
# queries for all of them; the filters narrow it to far fewer).
LIST_LIMIT = 500
PAGE_SIZE = 10


def _day(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@worker_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    """The classes: by default only those the worker may book (now, or when their window
    opens); with "全部" the others too, each saying why not before the click. Filtered by
    day, venue and series, ten to a page."""
    series = _int(request.GET.get("series"))
    venue = _int(request.GET.get("venue"))
    day = _day(request.GET.get("date"))
    show_all = request.GET.get("all") == "1"
    upcoming = booking_selectors.session_list(actor=request.user)
    sessions = list(
        booking_selectors.session_list(actor=request.user, series=series, venue=venue, day=day)[
            :LIST_LIMIT
        ]
    )
    bookable = booking_services.bookable_for(actor=request.user, sessions=sessions)
    shown = (
        sessions
        if show_all
        else [s for s in sessions if bookable[s.pk].now or bookable[s.pk].later]
    )
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "culture/portal/session_list.html",
        {
            "page_obj": page,
            "bookable": bookable,
            "hidden": len(sessions) - len(shown),
            "show_all": show_all,
            "series": catalogue_selectors.series_list(),
            "venues": booking_selectors.venues_of(upcoming),
            "series_id": series,
            "venue_id": venue,
            "day": day,
            "today": timezone.localdate(),
            "my_count": booking_selectors.my_bookings(actor=request.user, current=True).count(),
        },
    )


@worker_required
@require_GET
def my_bookings(request: HttpRequest) -> HttpResponse:
    """我的预约: the worker's current bookings, each held seat with its check-in QR code, and
    the past ones below (a class attended and not yet rated offers its stars)."""
    # A class attended is history (to rate), even before it ends.
    current = [
        b
        for b in booking_selectors.my_bookings(actor=request.user, current=True)
        if b.state != BookingState.ATTENDED
    ]
    current.sort(key=lambda b: b.session.starts_at)
    past = booking_selectors.my_bookings(actor=request.user).exclude(pk__in=[b.pk for b in current])
    page = Paginator(past, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for booking in page.object_list:
        if booking.state == BookingState.ATTENDED and booking.rating is None:
            # Ids of its own, so each class's stars are labels of its own radios.
            booking.rating_form = RatingForm(auto_id=f"id_rate{booking.pk}_%s")  # type: ignore[attr-defined]
    return render(
        request, "culture/portal/my_bookings.html", {"current": current, "page_obj": page}
    )


@worker_required
@require_GET
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    user: Any = request.user
    session = booking_selectors.session_get(actor=user, id=session_id)
    booking = booking_selectors.my_booking_for(actor=user, session=session)
    return render(
        request,
        "culture/portal/session_detail.html",
        {
            "session": session,
            "booking": booking,
            "waiting_place": booking_services.waiting_place(booking) if booking else None,
            "rules": BookingRules.current(),
            "standing": rules_services.standing_of(person_id=user.person_id),
            "record": lottery_services.draw_record(session),
            "window": session.window_state(),
            "counts": booking_selectors.session_counts(session) if session.is_lottery else None,
            # Why not, before the click (the booking decides again).
            "bookable": booking_services.bookable_for(actor=user, sessions=[session])[session.pk],
            "algorithm": draw.ALGORITHM_TEXT,
            "states": BookingState,
        },
    )


@worker_required
@require_POST
def book(request: HttpRequest, session_id: int) -> HttpResponse:
    session = booking_selectors.session_get(actor=request.user, id=session_id)
    try:
        booking = booking_services.booking_create(actor=request.user, session=session)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        texts = {
            BookingState.BOOKED: _("预约成功，请按时参加，凭二维码签到。"),
            BookingState.WAITING: _("名额已满，已为您排入候补名单，有名额时会短信通知您。"),
            BookingState.ENTERED: _("已报名抽签，截止后开奖，结果会通知您。"),
        }
        messages.success(request, texts[BookingState(booking.state)])
    return redirect("portal:culture_session", session.pk)


@worker_required
@require_POST
def booking_act(request: HttpRequest, booking_id: int, op: str) -> HttpResponse:
    booking = booking_selectors.booking_get(actor=request.user, id=booking_id)
    actions: dict[str, tuple[Callable[..., Any], str]] = {
        "cancel": (booking_services.booking_cancel, _("已取消。")),
        "confirm": (booking_services.offer_confirm, _("已确认，预约成功。")),
        "decline": (booking_services.offer_decline, _("已放弃，名额顺延给下一位。")),
    }
    if op not in actions:
        raise NotFound
    act, text = actions[op]
    try:
        act(actor=request.user, booking=booking)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, text)
    return redirect("portal:culture_session", booking.session_id)


@worker_required
@require_POST
def booking_rate(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = booking_selectors.booking_get(actor=request.user, id=booking_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请给出 1 到 5 星的评价。"))
        return redirect("portal:culture_bookings")
    try:
        booking_services.booking_rate(
            actor=request.user,
            booking=booking,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("感谢您的评价。"))
    return redirect("portal:culture_bookings")


@worker_required
@require_GET
def booking_qr(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The door pass: the booking's secret token as a QR code, only while it holds a seat."""
    booking = booking_selectors.booking_get(actor=request.user, id=booking_id)
    if booking.state != BookingState.BOOKED:
        raise NotFound
    response = HttpResponse(qr_svg(booking.token), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@worker_required
@require_GET
def draw_json(request: HttpRequest, session_id: int) -> JsonResponse:
    """The published record of a lottery, to re-run with ``draw.py``."""
    session = booking_selectors.session_get(actor=request.user, id=session_id)
    published = session.draw_record if session.drawn_at else lottery_services.draw_record(session)
    response = JsonResponse(published, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="draw-{session.pk}.json"'
    return response


@require_GET
def draw_script(request: HttpRequest) -> FileResponse:
    """The checking script itself (standard library only), for anyone to download and read."""
    path = Path(draw.__file__)
    return FileResponse(
        path.open("rb"), as_attachment=True, filename="draw.py", content_type="text/x-python"
    )


def home_card(user: Any) -> dict[str, Any] | None:
    """The portal home's card (``module.portal_cards``): the next classes this worker may book
    now, and how many bookings they hold; None when there is neither."""
    upcoming = list(booking_selectors.session_list(actor=user)[:50])
    bookable = booking_services.bookable_for(actor=user, sessions=upcoming)
    sessions = [s for s in upcoming if bookable[s.pk].now][:3]
    held = booking_selectors.my_bookings(actor=user, current=True).count()
    if not sessions and not held:
        return None
    return {"sessions": sessions, "held": held}
