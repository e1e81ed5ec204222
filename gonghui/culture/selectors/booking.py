"""Sessions and bookings. Staff see the sessions (and their bookings) their subtree runs; a
worker sees every session (the catalogue is public) and their own bookings."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from gonghui.core.scoping import get_visible
from gonghui.culture.models import (
    ACTIVE_STATES,
    Booking,
    BookingMode,
    BookingState,
    ClassSession,
    SessionState,
    Venue,
)

__all__ = [
    "booking_get",
    "draws_due_count",
    "sessions_today_count",
    "my_booking_for",
    "my_bookings",
    "session_bookings",
    "session_counts",
    "session_get",
    "session_list",
    "venues_of",
]


def session_list(
    *,
    actor: Any,
    series: int | None = None,
    organization: int | None = None,
    upcoming: bool = True,
    q: str = "",
    venue: int | None = None,
    day: datetime.date | None = None,
) -> QuerySet[ClassSession]:
    qs = ClassSession.objects.visible_to(actor).select_related(
        "course", "course__series", "course__mentor", "organization", "venue", "audience"
    )
    if upcoming:
        qs = qs.filter(ends_at__gt=timezone.now(), state=SessionState.SCHEDULED)
    if series:
        qs = qs.filter(course__series_id=series)
    if organization:
        qs = qs.filter(organization_id=organization)
    if q:
        qs = qs.filter(course__title__icontains=q)
    if venue:
        qs = qs.filter(venue_id=venue)
    if day is not None:
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        qs = qs.filter(starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1))
    return qs.order_by("starts_at", "pk")


def venues_of(sessions: QuerySet[ClassSession]) -> QuerySet[Venue]:
    """The venues where ``sessions`` take place (the list's place filter offers these)."""
    return Venue.unscoped.filter(pk__in=sessions.values("venue_id")).order_by("name")


def sessions_today_count(actor: Any) -> int:
    """Sessions in the actor's scope that take place today (home tile: check-in to run)."""
    today = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    return (
        ClassSession.objects.visible_to(actor)
        .filter(
            state=SessionState.SCHEDULED,
            starts_at__gte=start,
            starts_at__lt=start + datetime.timedelta(days=1),
        )
        .count()
    )


def draws_due_count(actor: Any) -> int:
    """Lotteries in the actor's scope whose window closed and that are not drawn yet (the
    sweep draws them within minutes; a clerk may draw one by hand from its page)."""
    now = timezone.now()
    return (
        ClassSession.objects.visible_to(actor)
        .filter(
            mode=BookingMode.LOTTERY,
            state=SessionState.SCHEDULED,
            drawn_at__isnull=True,
            closes_at__lte=now,
            starts_at__gt=now,
        )
        .count()
    )


def session_get(*, actor: Any, id: int) -> ClassSession:
    return get_visible(
        ClassSession.objects.visible_to(actor).select_related(
            "course", "course__series", "course__mentor", "organization", "venue", "audience"
        ),
        pk=id,
    )


def session_counts(session: ClassSession) -> dict[str, int]:
    """Bookings by state, for the staff page and the worker's view of a lottery."""
    rows = (
        Booking.unscoped.filter(session=session).values("state").annotate(n=Count("pk")).order_by()
    )
    found = {r["state"]: r["n"] for r in rows}
    return {state: found.get(state, 0) for state in BookingState.values}


def session_bookings(*, actor: Any, session: ClassSession, state: str = "") -> QuerySet[Booking]:
    """Staff: the bookings of a session their subtree runs."""
    qs = Booking.objects.visible_to(actor).filter(session=session).select_related("person")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("rank", "pk")


def my_bookings(*, actor: Any, current: bool = False) -> QuerySet[Booking]:
    qs = (
        Booking.objects.visible_to(actor)
        .filter(person_id=actor.person_id_or_none)
        .select_related("session", "session__course", "session__organization")
    )
    if current:
        qs = qs.filter(state__in=ACTIVE_STATES, session__ends_at__gt=timezone.now())
    return qs.order_by("-created_at")


def my_booking_for(*, actor: Any, session: ClassSession) -> Booking | None:
    person_id = getattr(actor, "person_id_or_none", None)
    if person_id is None:
        return None
    found = Booking.unscoped.filter(session=session, person_id=person_id).order_by("-created_at")
    # The active one if any, else the latest (cancelled, lapsed...).
    return next((b for b in found if b.state in ACTIVE_STATES), found.first())


def booking_get(*, actor: Any, id: int) -> Booking:
    return get_visible(
        Booking.objects.visible_to(actor).select_related(
            "session", "session__course", "session__organization", "person"
        ),
        pk=id,
    )
