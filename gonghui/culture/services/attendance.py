"""Check-in at the door by the booking's QR code, and the no-shows it leaves."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core.locks import LockSpace, lock_first
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import require_within
from gonghui.culture.models import (
    Booking,
    BookingState,
    ClassSession,
)
from gonghui.culture.services.booking import CHECK_IN_OPENS, local_time

# --- check-in and no-shows ------------------------------------------------------------------


@transaction.atomic
def booking_check_in(
    *, actor: Any, session: ClassSession, token: str, at: datetime.datetime | None = None
) -> Booking:
    """Staff scan a booking's QR code at the door."""
    require(actor, Perm.EDIT_RECORDS)
    require_within(actor, session.organization)
    now = at or timezone.now()
    if session.is_cancelled:
        raise ValidationError({"token": [_("该课程已取消。")]})
    if now < session.starts_at - CHECK_IN_OPENS or now > session.ends_at:
        raise ValidationError({"token": [_("签到时间为开课前 2 小时至下课，当前不在签到时间内。")]})
    booking = lock_first(
        LockSpace.BOOKING,
        Booking.unscoped.select_related("person").filter(
            session=session, token=(token or "").strip()[-32:]
        ),
        of=("self", "person"),
    )
    if booking is None:
        raise ValidationError({"token": [_("二维码不是本节课程的预约凭证。")]})
    if booking.state == BookingState.ATTENDED:
        raise ValidationError(
            {
                "token": [
                    _("%(n)s已于%(t)s签到。")
                    % {"n": booking.person.name, "t": local_time(booking.checked_in_at or now)}
                ]
            }
        )
    if booking.state != BookingState.BOOKED:
        raise ValidationError(
            {"token": [_("该预约为“%(s)s”，不能签到。") % {"s": booking.get_state_display()}]}
        )
    booking.state = BookingState.ATTENDED
    booking.checked_in_at = now
    booking.checked_in_by = actor
    booking.updated_at = now
    booking.save(update_fields=["state", "checked_in_at", "checked_in_by", "updated_at"])
    return booking


def noshows_mark(*, session: ClassSession, now: datetime.datetime) -> int:
    """After a session ends: seats booked but not checked in are no-shows; offers unanswered
    lapse; the waiting list was not reached. Runs once per session (the periodic job)."""
    with transaction.atomic():
        marked = ClassSession.unscoped.filter(
            pk=session.pk, noshows_marked_at__isnull=True, ends_at__lte=now
        ).update(noshows_marked_at=now)
        if not marked:
            return 0
        Booking.unscoped.filter(session=session, state=BookingState.OFFERED).update(
            state=BookingState.LAPSED, offered_until=None, updated_at=now
        )
        # The line never reached, and the sign-ups of a lottery never drawn (the class
        # started before anyone drew it).
        Booking.unscoped.filter(
            session=session, state__in=(BookingState.WAITING, BookingState.ENTERED)
        ).update(state=BookingState.UNREACHED, updated_at=now)
        return Booking.unscoped.filter(session=session, state=BookingState.BOOKED).update(
            state=BookingState.NO_SHOW, updated_at=now
        )
