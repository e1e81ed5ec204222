"""Class sessions and their bookings: publishing, first-come booking with a self-promoting
waiting list, the lottery with its published commitment and seed, check-in, the no-show rule.

Seats are taken only by one conditional UPDATE (``seats_left > 0``) and handed on under the
waiting entry's row lock, so no number of simultaneous requests oversells a session. A
worker's own requests are serialised on their person row, which also makes the weekly limit
exact when one worker books two classes at the same moment.
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gonghui.core.crypto import mask_name, seal
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.sms import send_sms
from gonghui.core.validators import clean_text, raise_errors
from gonghui.culture import draw
from gonghui.culture.models import (
    ACTIVE_STATES,
    SEED_PURPOSE,
    Booking,
    BookingMode,
    BookingRules,
    BookingState,
    ClassSession,
    Course,
    SessionState,
    Venue,
    new_token,
)
from gonghui.members.models import Person
from gonghui.organizations.models import Organization

__all__ = [
    "SweepResult",
    "Standing",
    "booking_cancel",
    "booking_check_in",
    "booking_create",
    "booking_notify",
    "culture_sweep",
    "draw_record",
    "lottery_draw",
    "lottery_freeze",
    "noshows_mark",
    "offer_confirm",
    "offer_decline",
    "rules_update",
    "session_cancel",
    "session_publish",
    "standing_of",
    "waiting_place",
]

# Bookings that count against the weekly limit (a place held or asked for).
WEEK_STATES = (
    BookingState.ENTERED,
    BookingState.BOOKED,
    BookingState.WAITING,
    BookingState.OFFERED,
    BookingState.ATTENDED,
    BookingState.NO_SHOW,
)
CHECK_IN_OPENS = datetime.timedelta(hours=2)  # before the start
LOTTERY_LEAD = datetime.timedelta(hours=1)  # a lottery closes at least this long before


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _worker(actor: Any) -> Any:
    if not getattr(actor, "is_worker_account", False) or actor.person_id is None:
        raise PermissionDenied(_("仅限已实名登记的职工本人预约。"))
    return actor


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
    session = ClassSession.unscoped.select_for_update().get(pk=session.pk)
    if session.is_cancelled:
        raise ValidationError({"session": [_("该课程已取消。")]})
    if session.ends_at <= timezone.now():
        raise ValidationError({"session": [_("课程已结束，不能取消。")]})
    session.state = SessionState.CANCELLED
    session.cancel_reason = reason
    session.save(update_fields=["state", "cancel_reason"])
    affected = list(
        Booking.unscoped.filter(session=session, state__in=ACTIVE_STATES).values_list(
            "pk", flat=True
        )
    )
    Booking.unscoped.filter(pk__in=affected).update(
        state=BookingState.SESSION_CANCELLED, offered_until=None, updated_at=timezone.now()
    )
    _notify_later(
        affected,
        _("您预约的“%(c)s”（%(t)s）已取消：%(r)s")
        % {"c": session.course.title, "t": _local(session.starts_at), "r": reason},
    )
    return session


# --- the rule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """A worker's standing under the published no-show rule, shown before they book."""

    no_shows: int
    penalised_until: datetime.datetime | None
    weight_divisor: int

    @property
    def penalised(self) -> bool:
        return self.penalised_until is not None


def _lookback(rules: BookingRules) -> datetime.timedelta:
    """How far back a no-show can still matter: one that, with the others of its window,
    started a suspension still running."""
    return datetime.timedelta(days=rules.no_show_window_days + rules.suspension_days)


def _standing(rules: BookingRules, person_id: int, recent: int, now: datetime.datetime) -> Standing:
    """``recent``: the worker's no-shows within ``_lookback`` (0 for almost everyone, so the
    dates are read only when they could add up to a suspension). A suspension runs for the
    rule's days from the no-show that reached the limit within the rule's window, whatever
    later slides out of the window."""
    if recent < rules.no_show_limit:
        return Standing(recent, None, 1)
    dates = sorted(
        Booking.unscoped.filter(
            person_id=person_id,
            state=BookingState.NO_SHOW,
            session__starts_at__gte=now - _lookback(rules),
        ).values_list("session__starts_at", flat=True)
    )
    window = datetime.timedelta(days=rules.no_show_window_days)
    since = now - window
    counted = sum(1 for d in dates if d >= since)
    until = None
    for i, day in enumerate(dates):
        if sum(1 for d in dates[: i + 1] if d >= day - window) >= rules.no_show_limit:
            until = day + datetime.timedelta(days=rules.suspension_days)
    if until is not None and until > now:
        return Standing(counted, until, rules.lottery_divisor)
    return Standing(counted, None, 1)


def standing_of(*, person_id: int, now: datetime.datetime | None = None) -> Standing:
    now = now or timezone.now()
    rules = BookingRules.current()
    recent = Booking.unscoped.filter(
        person_id=person_id,
        state=BookingState.NO_SHOW,
        session__starts_at__gte=now - _lookback(rules),
    ).count()
    return _standing(rules, person_id, recent, now)


def _week(moment: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """Monday 00:00 to the next Monday 00:00 (local time) around ``moment``."""
    local = timezone.localtime(moment)
    monday = (local - datetime.timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday, monday + datetime.timedelta(days=7)


def _states(states: tuple[str, ...]) -> str:
    """An SQL list of booking states (code constants, so safe to write into the statement)."""
    return ", ".join(f"'{state}'" for state in states)


# The booking path is the one a flash crowd hits (bench/flash.py), so it is written as plain
# SQL, the same on SQLite and PostgreSQL: a few short statements instead of ORM querysets
# whose building would cost several times their execution. Datetime parameters go through
# ``adapt_datetimefield_value`` and values read back through ``_aware``.
_TARGET_SQL = """
SELECT s.state, s.mode, s.opens_at, s.closes_at, s.starts_at, s.organization_id,
       s.audience_id, a.name, a.path
FROM culture_classsession s LEFT JOIN organizations_organization a ON a.id = s.audience_id
WHERE s.id = %(session)s
"""
# On PostgreSQL the same read also takes the worker's advisory lock (one round trip fewer):
# it serialises one worker's own requests (a double tap, two classes at once) without
# writing anything. The facts are read by the next statement, which sees what a request
# that held the lock before committed. On SQLite the IMMEDIATE transaction already queues
# every writer.
_LOCKED_TARGET_SQL = _TARGET_SQL.replace(
    "SELECT s.state,", "SELECT pg_advisory_xact_lock(%(space)s, %(key)s), s.state,"
)
# Only the state constants are written into it (S608).
_FACTS_SQL = f"""
SELECT
  EXISTS (SELECT 1 FROM culture_booking b
          WHERE b.session_id = %(session)s AND b.person_id = %(person)s
            AND b.state IN ({_states(ACTIVE_STATES)})),
  (SELECT count(*) FROM culture_booking b JOIN culture_classsession x ON x.id = b.session_id
   WHERE b.person_id = %(person)s AND b.state IN ({_states(WEEK_STATES)})
     AND x.starts_at >= %(week_start)s AND x.starts_at < %(week_end)s),
  (SELECT count(*) FROM culture_booking b JOIN culture_classsession x ON x.id = b.session_id
   WHERE b.person_id = %(person)s AND b.state = 'no_show' AND x.starts_at >= %(since)s),
  (CAST(%(audience)s AS TEXT) IS NULL OR EXISTS (
     SELECT 1 FROM members_membership m JOIN organizations_organization u ON u.id = m.union_id
     WHERE m.person_id = %(person)s AND m.status = 'active'
       AND u.path LIKE CAST(%(audience)s AS TEXT) || '%%'))
"""  # noqa: S608
# Takes the seat (first come, while there is one) and writes the booking.
_SEAT_SQL = """
UPDATE culture_classsession SET seats_left = seats_left - 1
WHERE id = %(session)s AND seats_left > 0 AND state = 'scheduled'
"""
# Both inserts write nothing once the session has been called off (a cancel that committed
# after the session was read); ``session_cancel`` and the sweep end any booking that slipped
# in between.
_INSERT_SQL = """
INSERT INTO culture_booking (session_id, person_id, organization_id, state, weight_divisor,
                             rank, token, created_at, updated_at)
SELECT %(session)s, %(person)s, %(organization)s, %(state)s, %(divisor)s, 0, %(token)s,
       %(now)s, %(now)s
WHERE EXISTS (SELECT 1 FROM culture_classsession WHERE id = %(session)s AND state = 'scheduled')
RETURNING id, state
"""
# PostgreSQL: the seat and the booking in one statement; the booking says whether the seat
# was there ("booked") or not ("waiting").
_SEAT_AND_INSERT_SQL = """
WITH seat AS (
  UPDATE culture_classsession SET seats_left = seats_left - 1
  WHERE id = %(session)s AND seats_left > 0 AND state = 'scheduled' RETURNING id
)
INSERT INTO culture_booking (session_id, person_id, organization_id, state, weight_divisor,
                             rank, token, created_at, updated_at)
SELECT %(session)s, %(person)s, %(organization)s,
       CASE WHEN EXISTS (SELECT 1 FROM seat) THEN 'booked' ELSE 'waiting' END,
       1, 0, %(token)s, %(now)s, %(now)s
WHERE EXISTS (SELECT 1 FROM culture_classsession WHERE id = %(session)s AND state = 'scheduled')
RETURNING id, state
"""
LOCK_SPACE = 4_201  # this lock's namespace among advisory locks
RULES_CACHE_KEY = "culture:booking-rules"


def _aware(value: Any) -> Any:
    """A datetime read by plain SQL: SQLite gives naive UTC (or text, for an expression)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return value


def _fetch(sql: str, params: dict[str, Any]) -> Any:
    db = connection.ops
    adapted = {
        k: db.adapt_datetimefield_value(v) if isinstance(v, datetime.datetime) else v
        for k, v in params.items()
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, adapted)
        return cursor.fetchone() if cursor.description else cursor.rowcount


def _rules() -> BookingRules:
    """The published rule, read through Django's cache when that cache is shared by every
    process (Redis in production: a booking rush reads it thousands of times a second, and
    ``rules_update`` drops the copy); straight from the database otherwise."""
    if "LocMemCache" in settings.CACHES["default"]["BACKEND"]:
        return BookingRules.current()
    rules = cache.get(RULES_CACHE_KEY)
    if rules is None:
        rules = BookingRules.current()
        cache.set(RULES_CACHE_KEY, rules, 60)
    return rules


@dataclass(frozen=True)
class _Target:
    """What a booking needs of its session."""

    state: str
    mode: str
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    starts_at: datetime.datetime
    organization_id: int
    audience_id: int | None
    audience_name: str | None
    audience_path: str | None


# --- booking -------------------------------------------------------------------------------


def booking_create(
    *, actor: Any, session: ClassSession | int, at: datetime.datetime | None = None
) -> Booking:
    """Book a first-come session (a seat while there is one, else a place on the waiting
    list), or sign up for a lottery session. Every refusal says why and changes nothing.
    ``session``: the session or its id (every session is open to every worker's view; who
    may book is the audience rule below)."""
    _worker(actor)
    session_id = session if isinstance(session, int) else session.pk
    if not 0 < session_id < 2**63:
        raise NotFound
    try:
        return _booking_create(actor, session_id, at or timezone.now())
    except IntegrityError:  # the same worker's simultaneous request won: nothing was kept
        raise ValidationError({"session": [_("您已预约本节课程，不能重复预约。")]}) from None


@transaction.atomic
def _booking_create(actor: Any, session_id: int, now: datetime.datetime) -> Booking:
    person_id = actor.person_id
    postgres = connection.vendor == "postgresql"
    if postgres:
        row = _fetch(
            _LOCKED_TARGET_SQL,
            {"session": session_id, "space": LOCK_SPACE, "key": person_id & 0x7FFFFFFF},
        )
        row = row and row[1:]
    else:
        row = _fetch(_TARGET_SQL, {"session": session_id})
    if not row:
        raise NotFound
    session = _Target(*row[:2], *(_aware(v) for v in row[2:5]), *row[5:])
    rules = _rules()
    errors: list[str] = []
    if session.state == SessionState.CANCELLED:
        errors.append(_("该课程已取消，不能预约。"))
    elif now < session.opens_at:
        errors.append(_("预约尚未开始，%(t)s开放。") % {"t": _local(session.opens_at)})
    elif now >= session.closes_at:
        errors.append(_("预约已截止（%(t)s）。") % {"t": _local(session.closes_at)})
    if errors:
        raise ValidationError({"session": errors})
    week_start, week_end = _week(session.starts_at)
    already, this_week, no_shows, member = _fetch(
        _FACTS_SQL,
        {
            "session": session_id,
            "person": person_id,
            "week_start": week_start,
            "week_end": week_end,
            "since": now - _lookback(rules),
            "audience": session.audience_path,
        },
    )
    if already:
        raise ValidationError({"session": [_("您已预约本节课程，不能重复预约。")]})
    if not member:
        raise ValidationError(
            {
                "session": [
                    _("本节课程仅面向%(o)s的会员，您不在预约范围内。")
                    % {"o": session.audience_name}
                ]
            }
        )
    if this_week >= rules.weekly_limit:
        raise ValidationError(
            {
                "session": [
                    _("每周最多预约或报名 %(n)s 节课程，本周已满。") % {"n": rules.weekly_limit}
                ]
            }
        )
    standing = _standing(rules, person_id, no_shows, now)
    values = {
        "session": session_id,
        "person": person_id,
        "organization": session.organization_id,
        "token": new_token(),
        "now": now,
    }
    if session.mode == BookingMode.LOTTERY:
        values |= {"state": str(BookingState.ENTERED), "divisor": standing.weight_divisor}
        found = _fetch(_INSERT_SQL, values)
    else:
        if standing.penalised:
            raise ValidationError(
                {
                    "session": [
                        _("%(d)s天内缺席 %(n)s 次，%(t)s前暂停先到先得预约（抽签课程仍可报名）。")
                        % {
                            "d": rules.no_show_window_days,
                            "n": standing.no_shows,
                            "t": _local(standing.penalised_until),  # type: ignore[arg-type]
                        }
                    ]
                }
            )
        # The one statement that takes a seat: it cannot take one that is not there.
        if postgres:
            found = _fetch(_SEAT_AND_INSERT_SQL, values)
        else:
            taken = _fetch(_SEAT_SQL, {"session": session_id})
            values["state"] = str(BookingState.BOOKED if taken else BookingState.WAITING)
            found = _fetch(_INSERT_SQL, values | {"divisor": 1})
    if not found:
        raise ValidationError({"session": [_("该课程已取消，不能预约。")]})
    booking_id, state = found
    booking = Booking(
        id=booking_id,
        session_id=session_id,
        person_id=person_id,
        organization_id=session.organization_id,
        state=state,
        weight_divisor=values.get("divisor", 1),
        token=values["token"],
        created_at=now,
        updated_at=now,
    )
    booking._state.adding = False
    booking._state.db = connection.alias
    return booking


def _lock_own(actor: Any, booking: Booking) -> Booking:
    _worker(actor)
    if booking.person_id != actor.person_id:
        raise NotFound
    return Booking.unscoped.select_for_update().select_related("session").get(pk=booking.pk)


@transaction.atomic
def booking_cancel(*, actor: Any, booking: Booking, at: datetime.datetime | None = None) -> Booking:
    """The worker gives up their seat, sign-up or waiting place. A seat given up goes to the
    first in line, who has the session's set hours to confirm it."""
    booking = _lock_own(actor, booking)
    session = booking.session
    if booking.state not in (
        BookingState.ENTERED,
        BookingState.BOOKED,
        BookingState.WAITING,
        BookingState.OFFERED,
    ):
        raise ValidationError(
            {"booking": [_("该预约当前为“%(s)s”，不能取消。") % {"s": booking.get_state_display()}]}
        )
    now = at or timezone.now()
    if session.starts_at <= now:
        raise ValidationError({"booking": [_("课程已开始，不能取消。")]})
    if booking.state == BookingState.ENTERED and (
        now >= session.closes_at or session.entrants_frozen_at is not None
    ):
        # The entrant list is frozen at the close and its digest published: the draw must
        # rank exactly that list. A seat won can be given up after the draw.
        raise ValidationError(
            {"booking": [_("报名已截止，抽签名单已锁定，不能取消报名；开奖后如中签可取消。")]}
        )
    held_seat = booking.state in (BookingState.BOOKED, BookingState.OFFERED)
    booking.state = BookingState.CANCELLED
    booking.offered_until = None
    booking.updated_at = now
    booking.save(update_fields=["state", "offered_until", "updated_at"])
    if held_seat:
        _pass_seat_on(session, now)
    return booking


def _pass_seat_on(session: ClassSession, now: datetime.datetime) -> Booking | None:
    """A seat came free: offer it to the first in line, or give it back to the session.
    Must run inside the transaction that freed it."""
    if session.starts_at <= now or session.is_cancelled:
        return None
    # Wait for a waiting entry another transaction holds (its worker cancelling it, or a
    # refused request on it) rather than skip it, so the line is served in order. Should the
    # entry no longer be waiting once its lock is released, nobody is offered now and the
    # seat goes back to the session; the sweep offers it to the next in line within a minute.
    nxt = (
        Booking.unscoped.select_for_update()
        .filter(session=session, state=BookingState.WAITING)
        .order_by("rank", "pk")
        .first()
    )
    if nxt is None:
        ClassSession.unscoped.filter(pk=session.pk).update(seats_left=F("seats_left") + 1)
        return None
    until = min(now + datetime.timedelta(hours=session.offer_hours), session.starts_at)
    nxt.state = BookingState.OFFERED
    nxt.offered_until = until
    nxt.updated_at = now
    nxt.save(update_fields=["state", "offered_until", "updated_at"])
    _notify_later(
        [nxt.pk],
        _("“%(c)s”（%(t)s）有名额递补给您，请在%(u)s前确认，逾期顺延给下一位。")
        % {"c": session.course.title, "t": _local(session.starts_at), "u": _local(until)},
    )
    return nxt


@transaction.atomic
def offer_confirm(*, actor: Any, booking: Booking, at: datetime.datetime | None = None) -> Booking:
    booking = _lock_own(actor, booking)
    now = at or timezone.now()
    late = booking.state == BookingState.LAPSED or (
        booking.state == BookingState.OFFERED
        and (booking.offered_until is None or booking.offered_until <= now)
    )
    if not late and booking.state != BookingState.OFFERED:
        raise ValidationError(
            {"booking": [_("该预约当前为“%(s)s”，无需确认。") % {"s": booking.get_state_display()}]}
        )
    if late:
        raise ValidationError({"booking": [_("确认时限已过，名额已顺延给下一位。")]})
    booking.state = BookingState.BOOKED
    booking.offered_until = None
    booking.updated_at = now
    booking.save(update_fields=["state", "offered_until", "updated_at"])
    return booking


@transaction.atomic
def offer_decline(*, actor: Any, booking: Booking) -> Booking:
    booking = _lock_own(actor, booking)
    if booking.state != BookingState.OFFERED:
        raise ValidationError(
            {
                "booking": [
                    _("该预约当前为“%(s)s”，不能放弃递补。") % {"s": booking.get_state_display()}
                ]
            }
        )
    now = timezone.now()
    booking.state = BookingState.LAPSED
    booking.offered_until = None
    booking.updated_at = now
    booking.save(update_fields=["state", "offered_until", "updated_at"])
    _pass_seat_on(booking.session, now)
    return booking


def waiting_place(booking: Booking) -> int | None:
    """1 for the first in line."""
    if booking.state != BookingState.WAITING:
        return None
    ahead = Booking.unscoped.filter(
        session_id=booking.session_id, state=BookingState.WAITING
    ).filter(Q(rank__lt=booking.rank) | Q(rank=booking.rank, pk__lt=booking.pk))
    return ahead.count() + 1


# --- the lottery -------------------------------------------------------------------------------


def _check_drawable(session: ClassSession, now: datetime.datetime) -> None:
    """Refuse to freeze or draw a session that is not a lottery due for its draw."""
    if not session.is_lottery:
        raise ValidationError({"session": [_("该课程为先到先得，无需抽签。")]})
    if session.drawn_at is not None:
        raise ValidationError(
            {"session": [_("该课程已于%(t)s抽签。") % {"t": _local(session.drawn_at)}]}
        )
    if session.is_cancelled:
        raise ValidationError({"session": [_("该课程已取消。")]})
    if now < session.closes_at:
        raise ValidationError(
            {"session": [_("报名截止（%(t)s）后才能抽签。") % {"t": _local(session.closes_at)}]}
        )
    if now >= session.starts_at:
        raise ValidationError({"session": [_("课程已开始，不能再抽签。")]})


def _entrants(session: ClassSession) -> list[Booking]:
    """The session's sign-ups, locked: a sign-up being cancelled (only possible before the
    close) is either gone from the list or waits until the list is read."""
    return list(
        Booking.unscoped.select_for_update(of=("self",))
        .filter(session=session, state=BookingState.ENTERED)
        .select_related("person")
        .order_by("pk")
    )


def _digest(session: ClassSession, entries: list[Booking]) -> str:
    return draw.entrants_digest(
        session.capacity, [draw.Entrant(b.code, b.weight_divisor) for b in entries]
    )


@transaction.atomic
def lottery_freeze(
    *, actor: Any = None, session: ClassSession, now: datetime.datetime | None = None
) -> ClassSession:
    """Freeze a lottery's entrant list once sign-up has closed and publish its digest (the
    seats and every entry code with its weight, see ``draw.entrants_digest``), before the
    seed is revealed: the published record must then match what was fixed here. Nothing
    changes the list afterwards (sign-up is closed, and a sign-up can no longer be
    cancelled). Freezing a frozen list changes nothing."""
    if actor is not None:
        require(actor, Perm.EDIT_RECORDS)
        require_within(actor, session.organization)
    now = now or timezone.now()
    # Lock the session: the job and staff cannot freeze twice, nor draw meanwhile.
    session = ClassSession.unscoped.select_for_update().get(pk=session.pk)
    _check_drawable(session, now)
    if session.entrants_frozen_at is not None:
        return session
    session.entrants_digest = _digest(session, _entrants(session))
    session.entrants_frozen_at = now
    session.save(update_fields=["entrants_digest", "entrants_frozen_at"])
    return session


def lottery_draw(
    *, actor: Any = None, session: ClassSession, now: datetime.datetime | None = None
) -> ClassSession:
    """Draw a lottery session once its window has closed: by staff of the organisation that
    runs it, or by the periodic job. The entrant list is frozen and its digest published
    first, in a transaction of its own (unless the caller holds one), so the digest is on
    record before the seed is revealed. Winners are booked, the others wait in drawn order,
    and the record (seed, masked entrants, both published values, results) is published for
    anyone to re-run."""
    if actor is not None:
        require(actor, Perm.EDIT_RECORDS)
        require_within(actor, session.organization)
    now = now or timezone.now()
    if session.entrants_frozen_at is None:
        lottery_freeze(session=session, now=now)
    return _lottery_draw(session, now)


@transaction.atomic
def _lottery_draw(session: ClassSession, now: datetime.datetime) -> ClassSession:
    # Lock the session: two draws (staff and the job) cannot both run.
    session = ClassSession.unscoped.select_for_update().select_related("course").get(pk=session.pk)
    _check_drawable(session, now)
    entries = _entrants(session)
    if session.entrants_frozen_at is None or _digest(session, entries) != session.entrants_digest:
        # Cannot happen through the services (the list is closed once frozen); drawing a
        # list other than the published one would publish a record that fails its check.
        raise ValidationError(
            {"session": [_("报名名单与报名截止时公布的摘要不符，不能抽签，请联系系统管理员。")]}
        )
    by_code = {b.code: b for b in entries}
    seed = session.seed.reveal()  # revealed to the public now
    record = draw.build_record(
        title=f"{session.course.title} {_local(session.starts_at)}（{session.organization.name}）",
        seed=seed,
        seats=session.capacity,
        entrants=[
            (draw.Entrant(b.code, b.weight_divisor), mask_name(b.person.name)) for b in entries
        ],
    )
    for rank, code in enumerate(record["winners"], start=1):
        by_code[code].state, by_code[code].rank = BookingState.BOOKED, rank
    for rank, code in enumerate(record["waiting"], start=len(record["winners"]) + 1):
        by_code[code].state, by_code[code].rank = BookingState.WAITING, rank
    for booking in entries:
        booking.updated_at = now
    Booking.unscoped.bulk_update(entries, ["state", "rank", "updated_at"], batch_size=1000)
    session.seats_left = session.capacity - len(record["winners"])
    session.draw_record = record
    session.drawn_at = now
    session.save(update_fields=["seats_left", "draw_record", "drawn_at"])
    title = session.course.title
    _notify_later(
        [by_code[c].pk for c in record["winners"]],
        _("恭喜，您报名的“%(c)s”（%(t)s）已中签，请按时参加。")
        % {"c": title, "t": _local(session.starts_at)},
    )
    _notify_later(
        [by_code[c].pk for c in record["waiting"]],
        _("您报名的“%(c)s”未中签，已排入候补名单，有名额时会通知您。") % {"c": title},
    )
    return session


def draw_record(session: ClassSession) -> dict[str, Any]:
    """What is published about a lottery: the commitment before the draw (and the entrant
    digest once sign-up has closed), everything after."""
    if session.drawn_at is None or session.draw_record is None:
        return {
            "algorithm": draw.ALGORITHM,
            "commitment": session.commitment,
            "entrants_digest": session.entrants_digest,
            "drawn": False,
        }
    return {**session.draw_record, "drawn": True}


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
    booking = (
        Booking.unscoped.select_for_update()
        .select_related("person")
        .filter(session=session, token=(token or "").strip()[-32:])
        .first()
    )
    if booking is None:
        raise ValidationError({"token": [_("二维码不是本节课程的预约凭证。")]})
    if booking.state == BookingState.ATTENDED:
        raise ValidationError(
            {
                "token": [
                    _("%(n)s已于%(t)s签到。")
                    % {"n": booking.person.name, "t": _local(booking.checked_in_at or now)}
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
            booking = (
                Booking.unscoped.select_for_update(skip_locked=True)
                .select_related("session", "session__course")
                .filter(pk=booking_id, state=BookingState.OFFERED, offered_until__lte=now)
                .first()
            )
            if booking is None:
                continue
            booking.state = BookingState.LAPSED
            booking.offered_until = None
            booking.updated_at = now
            booking.save(update_fields=["state", "offered_until", "updated_at"])
            lapsed += 1
            _pass_seat_on(booking.session, now)
    # A seat freed while the line was empty, then someone joined it: offer it now.
    stranded = ClassSession.unscoped.filter(
        state=SessionState.SCHEDULED, seats_left__gt=0, starts_at__gt=now
    ).filter(Exists(Booking.unscoped.filter(session=OuterRef("pk"), state=BookingState.WAITING)))
    for session in stranded.select_related("course"):
        with transaction.atomic():
            took = ClassSession.unscoped.filter(pk=session.pk, seats_left__gt=0).update(
                seats_left=F("seats_left") - 1
            )
            if took and _pass_seat_on(session, now) is not None:
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


# --- notifications -----------------------------------------------------------------------------


def _notify_later(booking_ids: list[int], text: str) -> None:
    """The inbox shows every booking's state; an SMS goes out from a task after commit, so a
    draw with thousands of entrants never waits for the gateway."""
    if not booking_ids:
        return

    def queue() -> None:
        from gonghui.culture.tasks import booking_notify_task  # tasks import services

        booking_notify_task.delay(booking_ids, text)

    transaction.on_commit(queue)


def booking_notify(*, booking_ids: list[int], text: str) -> None:
    people = Person.unscoped.filter(
        pk__in=Booking.unscoped.filter(pk__in=booking_ids).values("person_id"),
        mobile__isnull=False,
    )
    for person in people:
        send_sms(person.mobile.reveal(), text)  # machine use: the gateway needs the number


# --- the rule, edited ---------------------------------------------------------------------------


@transaction.atomic
def rules_update(*, actor: Any, **values: int) -> BookingRules:
    """The city's administrators change the published rule."""
    require(actor, Perm.MANAGE_ORGS)
    if actor.organization.parent_id is not None:
        raise PermissionDenied(_("预约规则由市总工会统一设置。"))
    limits = {
        "weekly_limit": (1, 20),
        "no_show_limit": (1, 10),
        "no_show_window_days": (7, 365),
        "suspension_days": (1, 365),
        "lottery_divisor": (1, 10),
    }
    errors: dict[str, list[str]] = {}
    rules = BookingRules.objects.select_for_update().get(pk=BookingRules.current().pk)
    for name, value in values.items():
        low, high = limits[name]
        if value is None or not low <= value <= high:
            errors.setdefault(name, []).append(
                _("应在 %(a)s 到 %(b)s 之间。") % {"a": low, "b": high}
            )
        else:
            setattr(rules, name, value)
    raise_errors(errors)
    rules.updated_by = actor
    rules.save()
    transaction.on_commit(lambda: cache.delete(RULES_CACHE_KEY))
    return rules
