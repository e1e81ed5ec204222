"""Bookings: first come with a self-promoting waiting list, sign-ups for a lottery, cancelling,
and offers of a freed seat.

Seats are taken only by one conditional UPDATE (``seats_left > 0``) and handed on under the
waiting entry's row lock, so no number of simultaneous requests oversells a session. A
worker's own requests are serialised by an advisory lock on their person id
(``LockSpace.BOOKING_WORKER``), which also makes the weekly limit exact when one worker books
two classes at the same moment."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gonghui.core import notify
from gonghui.core.locks import (
    ADVISORY_LOCK_SQL,
    LockSpace,
    advisory_lock_params,
    lock_first,
    lock_one,
)
from gonghui.core.scoping import NotFound
from gonghui.core.validators import clean_text
from gonghui.culture import notifications
from gonghui.culture.models import (
    ACTIVE_STATES,
    Booking,
    BookingMode,
    BookingState,
    ClassSession,
    SessionState,
    new_token,
)
from gonghui.culture.services.rules import (
    lookback_of,
    rules_current,
    standing_from,
    states_sql,
    week_of,
)
from gonghui.members import selectors as member_selectors

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


def local_time(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _worker(actor: Any) -> Any:
    if not getattr(actor, "is_worker_account", False) or actor.person_id is None:
        raise PermissionDenied(_("仅限已实名登记的职工本人预约。"))
    return actor


_TARGET_SQL = """
SELECT s.state, s.mode, s.opens_at, s.closes_at, s.starts_at, s.organization_id,
       s.audience_id, a.name, a.path
FROM culture_classsession s LEFT JOIN organizations_organization a ON a.id = s.audience_id
WHERE s.id = %(session)s
"""
# On PostgreSQL the same read also takes the worker's advisory lock (LockSpace.BOOKING_WORKER,
# one round trip fewer): it serialises one worker's own requests (a double tap, two classes
# at once) without writing anything. The facts are read by the next statement, which sees
# what a request that held the lock before committed. On SQLite the IMMEDIATE transaction
# already queues every writer.
_LOCKED_TARGET_SQL = _TARGET_SQL.replace("SELECT s.state,", f"SELECT {ADVISORY_LOCK_SQL}, s.state,")
# Only the state constants and the members app's condition are written into it (S608).
_FACTS_SQL = f"""
SELECT
  EXISTS (SELECT 1 FROM culture_booking b
          WHERE b.session_id = %(session)s AND b.person_id = %(person)s
            AND b.state IN ({states_sql(ACTIVE_STATES)})),
  (SELECT count(*) FROM culture_booking b JOIN culture_classsession x ON x.id = b.session_id
   WHERE b.person_id = %(person)s AND b.state IN ({states_sql(WEEK_STATES)})
     AND x.starts_at >= %(week_start)s AND x.starts_at < %(week_end)s),
  (SELECT count(*) FROM culture_booking b JOIN culture_classsession x ON x.id = b.session_id
   WHERE b.person_id = %(person)s AND b.state = 'no_show' AND x.starts_at >= %(since)s),
  (CAST(%(audience)s AS TEXT) IS NULL OR {
    member_selectors.active_member_within_sql(
        person="%(person)s", path="CAST(%(audience)s AS TEXT)"
    )
})
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


# --- who may book: one set of rules, for the booking and for the list shown before it --------


def _window_refusal(session: _Target, now: datetime.datetime) -> str:
    """Why nobody can book ``session`` now ("" when its window is open)."""
    if session.state == SessionState.CANCELLED:
        return _("该课程已取消，不能预约。")
    if now < session.opens_at:
        return _("预约尚未开始，%(t)s开放。") % {"t": local_time(session.opens_at)}
    if now >= session.closes_at:
        return _("预约已截止（%(t)s）。") % {"t": local_time(session.closes_at)}
    return ""


def _worker_refusal(
    session: _Target,
    *,
    rules: Any,
    already: bool,
    this_week: int,
    member: bool,
    standing: Any,
) -> str:
    """Why this worker may not book ``session`` ("" when they may), from the facts about
    them: a booking of it already, their bookings in its week, whether they are a member of
    its audience, their standing under the no-show rule."""
    if already:
        return _("您已预约本节课程，不能重复预约。")
    if not member:
        return _("本节课程仅面向%(o)s的会员，您不在预约范围内。") % {"o": session.audience_name}
    if this_week >= rules.weekly_limit:
        return _("每周最多预约或报名 %(n)s 节课程，本周已满。") % {"n": rules.weekly_limit}
    if session.mode != BookingMode.LOTTERY and standing.penalised:
        return _("%(d)s天内缺席 %(n)s 次，%(t)s前暂停先到先得预约（抽签课程仍可报名）。") % {
            "d": rules.no_show_window_days,
            "n": standing.no_shows,
            "t": local_time(standing.penalised_until),
        }
    return ""


@dataclass(frozen=True)
class Bookable:
    """Whether a worker may book a session now: ``reason`` is "" when they may; ``later`` when
    the only reason is that its window opens later (they may book it then)."""

    reason: str
    later: bool = False

    @property
    def now(self) -> bool:
        return not self.reason


def bookable_for(
    *, actor: Any, sessions: Iterable[ClassSession], at: datetime.datetime | None = None
) -> dict[int, Bookable]:
    """For each of ``sessions``: may this worker book it, and if not, why (the very rules and
    words ``booking_create`` applies, read for many sessions in a few queries), so the list
    can say why not before the click. The booking itself decides again under its lock."""
    _worker(actor)
    now = at or timezone.now()
    sessions = list(sessions)
    if not sessions:
        return {}
    person_id = actor.person_id
    rules = rules_current()
    ids = [s.pk for s in sessions]
    already = set(
        Booking.unscoped.filter(
            person_id=person_id, session_id__in=ids, state__in=ACTIVE_STATES
        ).values_list("session_id", flat=True)
    )
    weeks = {s.pk: week_of(s.starts_at) for s in sessions}
    first = min(w[0] for w in weeks.values())
    last = max(w[1] for w in weeks.values())
    starts = list(
        Booking.unscoped.filter(
            person_id=person_id,
            state__in=WEEK_STATES,
            session__starts_at__gte=first,
            session__starts_at__lt=last,
        ).values_list("session__starts_at", flat=True)
    )
    no_shows = Booking.unscoped.filter(
        person_id=person_id,
        state=BookingState.NO_SHOW,
        session__starts_at__gte=now - lookback_of(rules),
    ).count()
    standing = standing_from(rules, person_id, no_shows, now)
    member_of = member_selectors.active_union_paths(person_id=person_id)
    found: dict[int, Bookable] = {}
    for s in sessions:
        audience = s.audience if s.audience_id else None
        audience_path = audience.path if audience is not None else None
        target = _Target(
            s.state,
            s.mode,
            s.opens_at,
            s.closes_at,
            s.starts_at,
            s.organization_id,
            s.audience_id,
            audience.name if audience is not None else None,
            audience_path,
        )
        week_start, week_end = weeks[s.pk]
        worker = _worker_refusal(
            target,
            rules=rules,
            already=s.pk in already,
            this_week=sum(1 for t in starts if week_start <= t < week_end),
            member=audience_path is None or any(p.startswith(audience_path) for p in member_of),
            standing=standing,
        )
        window = _window_refusal(target, now)
        if worker:
            found[s.pk] = Bookable(worker)
        elif window:
            later = s.state != SessionState.CANCELLED and now < s.opens_at
            found[s.pk] = Bookable(window, later=later)
        else:
            found[s.pk] = Bookable("")
    return found


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
            {"session": session_id, **advisory_lock_params(LockSpace.BOOKING_WORKER, person_id)},
        )
        row = row and row[1:]
    else:
        row = _fetch(_TARGET_SQL, {"session": session_id})
    if not row:
        raise NotFound
    session = _Target(*row[:2], *(_aware(v) for v in row[2:5]), *row[5:])
    rules = rules_current()
    refused = _window_refusal(session, now)
    if refused:
        raise ValidationError({"session": [refused]})
    week_start, week_end = week_of(session.starts_at)
    already, this_week, no_shows, member = _fetch(
        _FACTS_SQL,
        {
            "session": session_id,
            "person": person_id,
            "week_start": week_start,
            "week_end": week_end,
            "since": now - lookback_of(rules),
            "audience": session.audience_path,
        },
    )
    standing = standing_from(rules, person_id, no_shows, now)
    refused = _worker_refusal(
        session,
        rules=rules,
        already=bool(already),
        this_week=this_week,
        member=bool(member),
        standing=standing,
    )
    if refused:
        raise ValidationError({"session": [refused]})
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
    # With its session row: every hand-on of the session's seats is serialised on it.
    return lock_one(
        LockSpace.BOOKING,
        Booking.unscoped.select_related("session"),
        booking.pk,
        of=("self", "session"),
    )


@transaction.atomic
def booking_rate(*, actor: Any, booking: Booking, rating: int, comment: str = "") -> Booking:
    """The worker rates a class they attended, once: 1 to 5 stars and a comment."""
    booking = _lock_own(actor, booking)
    errors: dict[str, list[str]] = {}
    if booking.state != BookingState.ATTENDED:
        errors.setdefault("rating", []).append(_("签到参加课程后才能评价。"))
    elif booking.rating is not None:
        errors.setdefault("rating", []).append(_("您已评价过本节课程。"))
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors.setdefault("rating", []).append(_("请给出 1 到 5 星的评价。"))
    comment = clean_text(comment, "rating_comment", errors, required=False, limit=300)
    if errors:
        raise ValidationError(errors)
    booking.rating, booking.rating_comment = rating, comment
    booking.rated_at = booking.updated_at = timezone.now()
    booking.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    return booking


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
        pass_seat_on(session, now)
    return booking


def pass_seat_on(session: ClassSession, now: datetime.datetime) -> Booking | None:
    """A seat came free: offer it to the first in line, or give it back to the session.
    Must run inside the transaction that freed it."""
    if session.starts_at <= now or session.is_cancelled:
        return None
    # Wait for a waiting entry another transaction holds (its worker cancelling it, or a
    # refused request on it) rather than skip it, so the line is served in order. Should the
    # entry no longer be waiting once its lock is released, nobody is offered now and the
    # seat goes back to the session; the sweep offers it to the next in line within a minute.
    nxt = lock_first(
        LockSpace.BOOKING,
        Booking.unscoped.filter(session=session, state=BookingState.WAITING).order_by("rank", "pk"),
    )
    if nxt is None:
        ClassSession.unscoped.filter(pk=session.pk).update(seats_left=F("seats_left") + 1)
        return None
    until = min(now + datetime.timedelta(hours=session.offer_hours), session.starts_at)
    nxt.state = BookingState.OFFERED
    nxt.offered_until = until
    nxt.updated_at = now
    nxt.save(update_fields=["state", "offered_until", "updated_at"])
    bookings_notify(
        kind=notifications.OFFER,
        session=session,
        person_ids=[nxt.person_id],
        text=_("“%(c)s”（%(t)s）有名额递补给您，请在%(u)s前确认，逾期顺延给下一位。")
        % {"c": session.course.title, "t": local_time(session.starts_at), "u": local_time(until)},
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
    pass_seat_on(booking.session, now)
    return booking


def waiting_place(booking: Booking) -> int | None:
    """1 for the first in line."""
    if booking.state != BookingState.WAITING:
        return None
    ahead = Booking.unscoped.filter(
        session_id=booking.session_id, state=BookingState.WAITING
    ).filter(Q(rank__lt=booking.rank) | Q(rank=booking.rank, pk__lt=booking.pk))
    return ahead.count() + 1


# --- notifications -----------------------------------------------------------------------------


def bookings_notify(
    *, kind: str, session: ClassSession, person_ids: Iterable[int], text: str
) -> None:
    """Tell these workers about their place in ``session`` (in the app, and by SMS after
    commit); a draw with thousands of entrants writes them in one statement and never waits
    for the gateway. Must run inside the transaction of the change."""
    link = reverse("portal:culture_session", args=[session.pk])
    notify.notify_many(
        kind=kind, messages=[notify.Message(person_id, text, link) for person_id in person_ids]
    )
