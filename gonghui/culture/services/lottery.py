"""The lottery: the entrant list frozen and its digest published at the close of sign-up,
the draw from the committed seed, and the published record anyone can re-run."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core.crypto import mask_name
from gonghui.core.locks import LockSpace, lock_one, lock_rows
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import require_within
from gonghui.culture import draw, notifications
from gonghui.culture.models import (
    Booking,
    BookingState,
    ClassSession,
)
from gonghui.culture.services.booking import bookings_notify, local_time

# --- the lottery -------------------------------------------------------------------------------


def _check_drawable(session: ClassSession, now: datetime.datetime) -> None:
    """Refuse to freeze or draw a session that is not a lottery due for its draw."""
    if not session.is_lottery:
        raise ValidationError({"session": [_("该课程为先到先得，无需抽签。")]})
    if session.drawn_at is not None:
        raise ValidationError(
            {"session": [_("该课程已于%(t)s抽签。") % {"t": local_time(session.drawn_at)}]}
        )
    if session.is_cancelled:
        raise ValidationError({"session": [_("该课程已取消。")]})
    if now < session.closes_at:
        raise ValidationError(
            {"session": [_("报名截止（%(t)s）后才能抽签。") % {"t": local_time(session.closes_at)}]}
        )
    if now >= session.starts_at:
        raise ValidationError({"session": [_("课程已开始，不能再抽签。")]})


def _entrants(session: ClassSession) -> list[Booking]:
    """The session's sign-ups, locked: a sign-up being cancelled (only possible before the
    close) is either gone from the list or waits until the list is read."""
    return lock_rows(
        LockSpace.BOOKING,
        Booking.unscoped.filter(session=session, state=BookingState.ENTERED).select_related(
            "person"
        ),
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
    session = lock_one(LockSpace.CLASS_SESSION, ClassSession, session.pk)
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
    session = lock_one(
        LockSpace.CLASS_SESSION,
        ClassSession.unscoped.select_related("course"),
        session.pk,
        of=("self", "course"),
    )
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
        title=(
            f"{session.course.title} {local_time(session.starts_at)}（{session.organization.name}）"
        ),
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
    bookings_notify(
        kind=notifications.BOOKING,
        session=session,
        person_ids=[by_code[c].person_id for c in record["winners"]],
        text=_("恭喜，您报名的“%(c)s”（%(t)s）已中签，请按时参加。")
        % {"c": title, "t": local_time(session.starts_at)},
    )
    bookings_notify(
        kind=notifications.BOOKING,
        session=session,
        person_ids=[by_code[c].person_id for c in record["waiting"]],
        text=_("您报名的“%(c)s”未中签，已排入候补名单，有名额时会通知您。") % {"c": title},
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
