"""The periodic job of culture: draws lotteries whose sign-up closed, passes on offers not
confirmed in time, counts no-shows."""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from gonghui.core.locks import LockSpace, lock_first
from gonghui.culture.models import (
    ACTIVE_STATES,
    Booking,
    BookingMode,
    BookingState,
    ClassSession,
    SessionState,
)
from gonghui.culture.services.attendance import noshows_mark
from gonghui.culture.services.booking import pass_seat_on
from gonghui.culture.services.lottery import lottery_draw, lottery_freeze

# --- the periodic job ---------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    drawn: int
    lapsed: int
    offered: int
    no_shows: int


def culture_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Freeze and draw the lotteries whose window closed, pass on the seats whose offer ran
    out, offer any free seat to the first in line, and count the no-shows of sessions that
    ended. Each step is its own transaction and finds nothing to do twice."""
    now = now or timezone.now()
    drawn = lapsed = offered = no_shows = 0
    due = ClassSession.unscoped.filter(
        mode=BookingMode.LOTTERY,
        state=SessionState.SCHEDULED,
        drawn_at__isnull=True,
        closes_at__lte=now,
        starts_at__gt=now,
    )
    due_list = list(due)
    # Every closed list is frozen and its digest published before any seed is revealed.
    for session in due_list:
        with contextlib.suppress(ValidationError):  # drawn or called off by staff meanwhile
            lottery_freeze(session=session, now=now)
    for session in due_list:
        try:
            lottery_draw(session=session, now=now)
        except ValidationError:
            continue  # drawn by staff meanwhile
        drawn += 1
    expired = Booking.unscoped.filter(state=BookingState.OFFERED, offered_until__lte=now)
    for booking_id in expired.values_list("pk", flat=True):
        with transaction.atomic():
            # With its session row, as a worker's own cancel takes it, so the seat is handed
            # on under it (and the course row, read for the message); an offer whose rows
            # are held (a cancel, a draw) is lapsed by the next sweep.
            booking = lock_first(
                LockSpace.BOOKING,
                Booking.unscoped.select_related("session", "session__course").filter(
                    pk=booking_id, state=BookingState.OFFERED, offered_until__lte=now
                ),
                of=("self", "session", "session__course"),
                skip_locked=True,
            )
            if booking is None:
                continue
            booking.state = BookingState.LAPSED
            booking.offered_until = None
            booking.updated_at = now
            booking.save(update_fields=["state", "offered_until", "updated_at"])
            lapsed += 1
            pass_seat_on(booking.session, now)
    # A seat freed while the line was empty, then someone joined it: offer it now.
    stranded = ClassSession.unscoped.filter(
        state=SessionState.SCHEDULED, seats_left__gt=0, starts_at__gt=now
    ).filter(Exists(Booking.unscoped.filter(session=OuterRef("pk"), state=BookingState.WAITING)))
    for session in stranded.select_related("course"):
        with transaction.atomic():
            took = ClassSession.unscoped.filter(pk=session.pk, seats_left__gt=0).update(
                seats_left=F("seats_left") - 1
            )
            if took and pass_seat_on(session, now) is not None:
                offered += 1
    # A booking that slipped in while its session was being called off ends too.
    Booking.unscoped.filter(session__state=SessionState.CANCELLED, state__in=ACTIVE_STATES).update(
        state=BookingState.SESSION_CANCELLED, offered_until=None, updated_at=now
    )
    ended = ClassSession.unscoped.filter(
        state=SessionState.SCHEDULED, noshows_marked_at__isnull=True, ends_at__lte=now
    )
    for session in ended:
        no_shows += noshows_mark(session=session, now=now)
    return SweepResult(drawn=drawn, lapsed=lapsed, offered=offered, no_shows=no_shows)
