"""Culture in the worker's inbox: bookings, sign-ups, waiting-list places, offers and lottery
results (menu orders are a unit's, not a worker's, and live in the console)."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import inbox
from gonghui.culture.models import ACTIVE_STATES, Booking, BookingState
from gonghui.culture.services.booking import waiting_place

TONES = {
    BookingState.ENTERED: "warning",
    BookingState.BOOKED: "success",
    BookingState.WAITING: "warning",
    BookingState.OFFERED: "danger",
    BookingState.ATTENDED: "success",
    BookingState.NO_SHOW: "danger",
    BookingState.CANCELLED: "secondary",
    BookingState.LAPSED: "secondary",
    BookingState.UNREACHED: "secondary",
    BookingState.SESSION_CANCELLED: "secondary",
}


def _detail(booking: Booking) -> str:
    session = booking.session
    when = timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")
    if booking.state == BookingState.OFFERED and booking.offered_until:
        until = timezone.localtime(booking.offered_until).strftime("%m-%d %H:%M")
        return _("有名额递补给您，请在%(u)s前确认。") % {"u": until}
    if booking.state == BookingState.ENTERED:
        return _("%(t)s开奖（抽签）。") % {
            "t": timezone.localtime(session.closes_at).strftime("%m-%d %H:%M")
        }
    if booking.state == BookingState.WAITING and session.drawn_at is not None:
        return _("未中签，候补第 %(n)s 位。") % {"n": waiting_place(booking)}
    if booking.state == BookingState.WAITING:
        return _("候补中，有名额时会通知您。")
    if booking.state == BookingState.BOOKED and session.drawn_at is not None:
        return _("已中签。上课时间 %(t)s，%(p)s。") % {"t": when, "p": session.place}
    return _("上课时间 %(t)s，%(p)s。") % {"t": when, "p": session.place}


def booking_items(person_id: int) -> Iterable[inbox.InboxItem]:
    bookings = Booking.unscoped.filter(person_id=person_id).select_related(
        "session", "session__course", "session__organization"
    )
    for booking in bookings:
        session = booking.session
        yield inbox.InboxItem(
            kind="booking",
            kind_label=_("课程预约"),
            id=booking.pk,
            title=session.course.title,
            status=booking.state,
            status_label=str(booking.get_state_display()),
            tone=TONES[BookingState(booking.state)],
            created_at=booking.created_at,
            updated_at=booking.updated_at,
            detail=_detail(booking),
            handler=session.organization.name,
            deadline=booking.offered_until if booking.state == BookingState.OFFERED else None,
            url=reverse("portal:culture_session", args=[session.pk]),
            extra={"code": booking.code, "session": session.pk},
            open=booking.state in ACTIVE_STATES and session.ends_at > timezone.now(),
        )
