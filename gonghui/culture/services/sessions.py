"""Class sessions: publishing (a lottery session gets its secret seed and public commitment
at once) and cancelling (every booking ends and its worker is told)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core.crypto import seal
from gonghui.core.locks import LockSpace, lock_one
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import require_within
from gonghui.core.validators import clean_text, raise_errors
from gonghui.culture import draw, notifications
from gonghui.culture.models import (
    ACTIVE_STATES,
    SEED_PURPOSE,
    Booking,
    BookingMode,
    BookingState,
    ClassSession,
    Course,
    SessionState,
    Venue,
)
from gonghui.culture.services.booking import LOTTERY_LEAD, bookings_notify, local_time
from gonghui.organizations.models import Organization

# --- publishing -------------------------------------------------------------------------------


@transaction.atomic
def session_publish(
    *,
    actor: Any,
    course: Course,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    capacity: int,
    mode: str,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    place: str = "",
    venue: Venue | None = None,
    audience: Organization | None = None,
    offer_hours: int = 24,
    at: datetime.datetime | None = None,
) -> ClassSession:
    """Schedule a session of a course the actor's subtree runs. A lottery session gets its
    secret seed now, and its commitment (the seed's hash) is public from this moment.
    ``at``: the moment it happens (the demo city's history); now by default."""
    require(actor, Perm.EDIT_RECORDS)
    require_within(actor, course.organization)
    errors: dict[str, list[str]] = {}
    place = clean_text(place, "place", errors, required=venue is None, limit=200)
    if venue is not None:
        require_within(actor, venue.organization)
        place = place or f"{venue.name}（{venue.address}）"
        if capacity and capacity > venue.capacity:
            errors.setdefault("capacity", []).append(
                _("名额不能超过场地容纳人数 %(n)s。") % {"n": venue.capacity}
            )
    if audience is not None:
        require_within(actor, audience)
    if mode not in BookingMode.values:
        errors.setdefault("mode", []).append(_("请选择预约方式。"))
    if not capacity or capacity < 1:
        errors.setdefault("capacity", []).append(_("名额至少为 1。"))
    if ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(_("结束时间应晚于开始时间。"))
    if closes_at <= opens_at:
        errors.setdefault("closes_at", []).append(_("截止预约时间应晚于开放预约时间。"))
    if closes_at > starts_at:
        errors.setdefault("closes_at", []).append(_("预约应在上课开始前截止。"))
    elif mode == BookingMode.LOTTERY and closes_at > starts_at - LOTTERY_LEAD:
        errors.setdefault("closes_at", []).append(
            _("抽签课程应至少在开课前 1 小时截止报名，以便通知中签职工。")
        )
    if starts_at <= (at or timezone.now()):
        errors.setdefault("starts_at", []).append(_("开始时间已过，请重新选择。"))
    if not 1 <= offer_hours <= 168:
        errors.setdefault("offer_hours", []).append(_("候补确认时限应在 1 到 168 小时之间。"))
    raise_errors(errors)
    seed = draw.new_seed() if mode == BookingMode.LOTTERY else None
    return ClassSession.objects.create(
        course=course,
        organization=course.organization,
        venue=venue,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        seats_left=capacity,
        mode=mode,
        opens_at=opens_at,
        closes_at=closes_at,
        audience=audience,
        offer_hours=offer_hours,
        commitment=draw.commitment(seed) if seed else "",
        seed=seal(seed, purpose=SEED_PURPOSE) if seed else None,
        created_by=actor,
        created_at=at or timezone.now(),
    )


@transaction.atomic
def session_cancel(*, actor: Any, session: ClassSession, reason: str) -> ClassSession:
    """Call a session off: every booking, sign-up and waiting place ends, and each worker
    is told by SMS."""
    require(actor, Perm.EDIT_RECORDS)
    require_within(actor, session.organization)
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=200, multiline=True)
    raise_errors(errors)
    session = lock_one(LockSpace.CLASS_SESSION, ClassSession, session.pk)
    if session.is_cancelled:
        raise ValidationError({"session": [_("该课程已取消。")]})
    if session.ends_at <= timezone.now():
        raise ValidationError({"session": [_("课程已结束，不能取消。")]})
    session.state = SessionState.CANCELLED
    session.cancel_reason = reason
    session.save(update_fields=["state", "cancel_reason"])
    affected = dict(
        Booking.unscoped.filter(session=session, state__in=ACTIVE_STATES).values_list(
            "pk", "person_id"
        )
    )
    Booking.unscoped.filter(pk__in=list(affected)).update(
        state=BookingState.SESSION_CANCELLED, offered_until=None, updated_at=timezone.now()
    )
    bookings_notify(
        kind=notifications.BOOKING,
        session=session,
        person_ids=affected.values(),
        text=_("您预约的“%(c)s”（%(t)s）已取消：%(r)s")
        % {"c": session.course.title, "t": local_time(session.starts_at), "r": reason},
    )
    return session
