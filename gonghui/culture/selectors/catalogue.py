"""The catalogue and the calendar. The catalogue is public to signed-in workers; staff see
what their subtree runs."""

from __future__ import annotations

import calendar as pycalendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from gonghui.core.scoping import get_visible
from gonghui.culture.models import (
    SEAT_STATES,
    Booking,
    CalendarFeed,
    ClassSession,
    Course,
    CultureEvent,
    EventKind,
    Mentor,
    Series,
    SessionState,
    Venue,
)
from gonghui.organizations.models import Organization

__all__ = [
    "CalendarEntry",
    "calendar_entries",
    "calendar_feed_owner",
    "calendar_organizations",
    "course_get",
    "course_list",
    "event_get",
    "event_list",
    "mentor_choices",
    "mentor_get",
    "mentor_list",
    "month_bounds",
    "series_list",
    "venue_get",
    "venue_list",
]


def series_list() -> QuerySet[Series]:
    return Series.objects.all()


def course_list(*, actor: Any, series: int | None = None) -> QuerySet[Course]:
    qs = Course.objects.visible_to(actor).select_related("series", "mentor", "organization")
    if series:
        qs = qs.filter(series_id=series)
    return qs


def course_get(*, actor: Any, id: int) -> Course:
    return get_visible(Course.objects.visible_to(actor).select_related("series", "mentor"), pk=id)


def mentor_list(*, actor: Any) -> QuerySet[Mentor]:
    return Mentor.objects.visible_to(actor).select_related("organization")


def mentor_choices(*, actor: Any, keep: int | None = None) -> QuerySet[Mentor]:
    """The mentors a course of the actor's subtree may engage: those of the subtree and of
    the organisations above it (the district's or city's 导师团 teaches in the towns; see
    ``course_save``), in service, plus ``keep`` (the course's current mentor) so that
    editing a course whose mentor left does not silently drop them. Mentors are public to
    every signed-in worker, so naming those of the organisations above leaks nothing."""
    path = getattr(actor, "scope_path", None)
    if not path:
        return Mentor.unscoped.none()
    ancestors = [int(pk) for pk in path.strip("/").split("/") if pk.isdigit()]
    wanted = Q(organization__path__startswith=path) | Q(organization_id__in=ancestors)
    return (
        Mentor.unscoped.filter(wanted)
        .filter(Q(is_active=True) | Q(pk=keep or 0))
        .select_related("organization")
        .order_by("organization__depth", "name")
    )


def mentor_get(*, actor: Any, id: int) -> Mentor:
    return get_visible(Mentor.objects.visible_to(actor), pk=id)


def venue_list(*, actor: Any) -> QuerySet[Venue]:
    return Venue.objects.visible_to(actor).select_related("organization")


def venue_get(*, actor: Any, id: int) -> Venue:
    return get_visible(Venue.objects.visible_to(actor), pk=id)


def event_list(*, actor: Any) -> QuerySet[CultureEvent]:
    return CultureEvent.objects.visible_to(actor).select_related("organization", "series")


def event_get(*, actor: Any, id: int) -> CultureEvent:
    return get_visible(CultureEvent.objects.visible_to(actor), pk=id)


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    kind: str  # EventKind value; class sessions are "training"
    kind_label: str
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    organization: str
    series: str
    url: str
    mine: bool = False  # the worker holds a booking for it


def month_bounds(year: int, month: int) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    first = datetime.datetime(year, month, 1, tzinfo=zone)
    days = pycalendar.monthrange(year, month)[1]
    return first, first + datetime.timedelta(days=days)


def calendar_entries(
    *,
    actor: Any,
    start: datetime.datetime,
    end: datetime.datetime,
    series: int | None = None,
    organization: int | None = None,
    portal: bool = False,
) -> list[CalendarEntry]:
    """Shows, contests, training days and class sessions between ``start`` and ``end``,
    filtered by series and by organisation (that organisation's subtree)."""
    events = CultureEvent.objects.visible_to(actor).filter(starts_at__lt=end, ends_at__gt=start)
    sessions = ClassSession.objects.visible_to(actor).filter(
        starts_at__lt=end, ends_at__gt=start, state=SessionState.SCHEDULED
    )
    if series:
        events = events.filter(series_id=series)
        sessions = sessions.filter(course__series_id=series)
    if organization:
        root = Organization.unscoped.filter(pk=organization).first()
        path = root.path if root else "-"
        events = events.filter(organization__path__startswith=path)
        sessions = sessions.filter(organization__path__startswith=path)
    person_id = getattr(actor, "person_id_or_none", None)
    booked: set[int] = set()
    if person_id is not None:
        booked = set(
            Booking.unscoped.filter(
                person_id=person_id, state__in=SEAT_STATES, session__in=sessions
            ).values_list("session_id", flat=True)
        )
    labels = dict(EventKind.choices)
    prefix = "portal" if portal else "console"
    entries = [
        CalendarEntry(
            uid=f"event-{e.pk}",
            kind=e.kind,
            kind_label=str(labels[e.kind]),
            title=e.title,
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            place=e.place,
            organization=e.organization.name,
            series=e.series.name if e.series else "",
            url="",
        )
        for e in events.select_related("organization", "series")
    ]
    entries += [
        CalendarEntry(
            uid=f"session-{s.pk}",
            kind=EventKind.TRAINING,
            kind_label=str(labels[EventKind.TRAINING]),
            title=s.course.title,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            place=s.place,
            organization=s.organization.name,
            series=s.course.series.name,
            url=reverse(f"{prefix}:culture_session", args=[s.pk]),
            mine=s.pk in booked,
        )
        for s in sessions.select_related("course", "course__series", "organization")
    ]
    return sorted(entries, key=lambda e: (e.starts_at, e.uid))


def calendar_organizations() -> QuerySet[Organization]:
    """The filter of the workers' calendar: the city's districts and towns (the two levels
    below the root), which is where shows, contests and the public classes are run."""
    return Organization.unscoped.filter(depth__gte=1, depth__lte=2, is_active=True).order_by("path")


def calendar_feed_owner(*, token: str) -> Any:
    """The account whose iCal address this is, or None."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user
