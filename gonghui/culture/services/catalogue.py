"""The catalogue (courses, mentors, venues), the calendar's events, and a worker's iCal
feed address."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import require_within
from gonghui.core.validators import clean_text, raise_errors
from gonghui.culture.models import (
    CalendarFeed,
    Category,
    Course,
    CultureEvent,
    EventKind,
    Mentor,
    Series,
    Venue,
    VenueKind,
    new_token,
)
from gonghui.organizations.models import Organization

__all__ = [
    "calendar_feed_renew",
    "calendar_feed_token",
    "course_save",
    "event_save",
    "mentor_save",
    "venue_save",
]


def _owner(actor: Any, organization: Organization | None) -> Organization:
    require(actor, Perm.EDIT_RECORDS)
    organization = organization or actor.organization
    require_within(actor, organization)
    return organization


@transaction.atomic
def mentor_save(
    *,
    actor: Any,
    mentor: Mentor | None = None,
    name: str,
    speciality: str,
    title: str = "",
    bio: str = "",
    organization: Organization | None = None,
    is_active: bool = True,
) -> Mentor:
    organization = _owner(actor, mentor.organization if mentor else organization)
    errors: dict[str, list[str]] = {}
    values = {
        "name": clean_text(name, "name", errors, required=True, limit=50),
        "speciality": clean_text(speciality, "speciality", errors, required=True, limit=100),
        "title": clean_text(title, "title", errors, required=False, limit=100),
        "bio": clean_text(bio, "bio", errors, required=False, limit=1000, multiline=True),
    }
    raise_errors(errors)
    mentor = mentor or Mentor(organization=organization)
    for key, value in values.items():
        setattr(mentor, key, value)
    mentor.is_active = is_active
    mentor.save()
    return mentor


@transaction.atomic
def venue_save(
    *,
    actor: Any,
    venue: Venue | None = None,
    name: str,
    kind: str,
    address: str,
    capacity: int,
    partner: str = "",
    organization: Organization | None = None,
    is_active: bool = True,
) -> Venue:
    organization = _owner(actor, venue.organization if venue else organization)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required=True, limit=100)
    address = clean_text(address, "address", errors, required=True, limit=200)
    partner = clean_text(partner, "partner", errors, required=kind == VenueKind.BASE, limit=100)
    if kind not in VenueKind.values:
        errors.setdefault("kind", []).append(_("请选择场地类型。"))
    if not capacity or capacity < 1:
        errors.setdefault("capacity", []).append(_("容纳人数至少为 1。"))
    raise_errors(errors)
    venue = venue or Venue(organization=organization)
    venue.name, venue.kind, venue.address = name, kind, address
    venue.capacity, venue.partner, venue.is_active = capacity, partner, is_active
    venue.save()
    return venue


@transaction.atomic
def course_save(
    *,
    actor: Any,
    course: Course | None = None,
    series: Series,
    category: str,
    title: str,
    description: str = "",
    mentor: Mentor | None = None,
    is_public_class: bool = True,
    organization: Organization | None = None,
    is_active: bool = True,
) -> Course:
    organization = _owner(actor, course.organization if course else organization)
    errors: dict[str, list[str]] = {}
    title = clean_text(title, "title", errors, required=True, limit=100)
    description = clean_text(
        description, "description", errors, required=False, limit=2000, multiline=True
    )
    if category not in Category.values:
        errors.setdefault("category", []).append(_("请选择课程类别。"))
    if mentor is not None and not organization.path.startswith(mentor.organization.path):
        # A course may engage a mentor of its own organisation or of one above it.
        errors.setdefault("mentor", []).append(_("只能选择本单位或上级单位导师团的导师。"))
    raise_errors(errors)
    course = course or Course(organization=organization)
    course.series, course.category, course.title = series, category, title
    course.description, course.mentor, course.is_public_class = description, mentor, is_public_class
    course.is_active = is_active
    course.save()
    return course


@transaction.atomic
def event_save(
    *,
    actor: Any,
    event: CultureEvent | None = None,
    kind: str,
    title: str,
    place: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    description: str = "",
    series: Series | None = None,
    organization: Organization | None = None,
) -> CultureEvent:
    organization = _owner(actor, event.organization if event else organization)
    errors: dict[str, list[str]] = {}
    title = clean_text(title, "title", errors, required=True, limit=100)
    place = clean_text(place, "place", errors, required=True, limit=200)
    description = clean_text(
        description, "description", errors, required=False, limit=2000, multiline=True
    )
    if kind not in EventKind.values:
        errors.setdefault("kind", []).append(_("请选择活动类别。"))
    if ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(_("结束时间应晚于开始时间。"))
    raise_errors(errors)
    event = event or CultureEvent(organization=organization)
    event.kind, event.title, event.place, event.description = kind, title, place, description
    event.starts_at, event.ends_at, event.series = starts_at, ends_at, series
    event.save()
    return event


def calendar_feed_token(*, actor: Any) -> str:
    """The secret part of the actor's iCal address, made on first use."""
    if not getattr(actor, "is_authenticated", False):
        raise ValidationError(_("请先登录。"))
    feed, _created = CalendarFeed.objects.get_or_create(user=actor)
    return feed.token


@transaction.atomic
def calendar_feed_renew(*, actor: Any) -> str:
    """A new address; the old one stops working (a worker who shared it by mistake)."""
    feed, _created = CalendarFeed.objects.get_or_create(user=actor)
    feed.token = new_token()
    feed.save(update_fields=["token"])
    return feed.token
