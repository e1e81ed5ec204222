"""The overdue sweep: cases past their response deadline rise to the upper tier, resolved
cases the worker did not confirm close by themselves. See docs/adr/0005."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.casework import notifications
from gonghui.casework.models import (
    Case,
    CaseEvent,
    CaseState,
    EventKind,
    overdue_q,
)
from gonghui.casework.services.cases import calendar_around, deadlines, move_case
from gonghui.casework.services.routing import tier_of, uppers_of
from gonghui.core import bulk, counts, notify
from gonghui.core.locks import LockSpace, lock_one, lock_rows
from gonghui.organizations.models import (
    Organization,
    ServiceType,
)

# --- the periodic sweep -----------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    escalated: int
    closed: int


SWEEP_CHUNK = 5000


def case_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Escalate every open case past its deadline to the upper tier, and close resolved cases
    the worker has not confirmed within the type's days. Idempotent: an escalated case gets
    fresh deadlines, so a second run (or a concurrent one) finds nothing to do twice. Runs
    from Celery beat in production and the in-process runner on the embedded default.

    The cases are read once, without locks. Each chunk then moves, in one statement, only the
    rows still with the handler and state they were read with and still overdue: a case a
    clerk accepted, referred or resolved meanwhile is left alone (the next sweep sees it again
    if it is still overdue). A row a clerk holds locked is waited for, not skipped; the rows
    are taken in key order, as bulk assignment takes them, so the two cannot deadlock."""
    now = now or timezone.now()
    types = {t.pk: t for t in ServiceType.objects.all()}
    overdue = _overdue_rows(now)
    sweep = _Sweep.plan(overdue, types, now)
    escalated = sum(
        _escalate_chunk(overdue[start : start + SWEEP_CHUNK], sweep)
        for start in range(0, len(overdue), SWEEP_CHUNK)
    )
    closed = _auto_close(types, now)
    if escalated or closed:
        counts.bump("cases")  # set-based updates send no model signals
    return SweepResult(escalated=escalated, closed=closed)


@dataclass(frozen=True)
class _Sweep:
    """What every chunk of one sweep shares: its clock, the upper organisation of each
    (handler, type), and each type's fresh deadlines from now."""

    now: datetime.datetime
    uppers: dict[tuple[int, int], Organization | None]
    due: dict[int, tuple[datetime.datetime, datetime.datetime]]

    @classmethod
    def plan(
        cls, rows: list[tuple[Any, ...]], types: dict[int, ServiceType], now: datetime.datetime
    ) -> _Sweep:
        calendar = calendar_around(now)
        return cls(
            now=now,
            uppers=uppers_of({(r[1], r[2]) for r in rows}, types),
            due={t: deadlines(types[t], now, calendar) for t in {r[2] for r in rows}},
        )


def _overdue_rows(now: datetime.datetime) -> list[tuple[Any, ...]]:
    """(id, handler, type, state, person, number, late to respond?) of every overdue case, in
    key order."""
    return list(
        Case.unscoped.filter(overdue_q(now))
        .order_by("pk")
        .values_list("pk", "handler_id", "service_type_id", "state", "person_id", "number")
        .annotate(late_response=Q(state=CaseState.SUBMITTED, response_due__lt=now))
    )


# One statement moves a whole chunk: the rows still with the handler and state they were read
# with (m.was_*) and still overdue. It records the deadlines already missed (see _move), then
# hands each case to its upper organisation (m.upper_id) or, at the top for its type
# (m.upper_id NULL), restarts its deadlines where it is (d: the fresh deadlines per type). The
# right-hand sides read the row as it was, so the missed deadlines are judged on the old
# deadlines. The ids come sorted: the nested loop over them locks the rows in key order.
# ``cases.move_case`` for a whole chunk in one statement (PostgreSQL): the rows still as read
# and still overdue get the same fields ``move_case`` sets; test_sweep holds the two together.
_ESCALATE_SQL = """
UPDATE casework_case AS c SET
    responded_on_time = CASE WHEN c.responded_on_time IS NULL AND c.responded_at IS NULL
                              AND c.response_due < %(now)s THEN false
                             ELSE c.responded_on_time END,
    resolved_on_time = CASE WHEN c.resolved_on_time IS NULL AND c.resolution_due < %(now)s
                            THEN false ELSE c.resolved_on_time END,
    handler_id = COALESCE(m.upper_id, c.handler_id),
    tier = COALESCE(m.tier, c.tier),
    state = CASE WHEN m.upper_id IS NULL THEN c.state ELSE 'submitted' END,
    assignee_id = CASE WHEN m.upper_id IS NULL THEN c.assignee_id END,
    escalations = c.escalations + CASE WHEN m.upper_id IS NULL THEN 0 ELSE 1 END,
    response_due = d.response_due,
    resolution_due = d.resolution_due,
    updated_at = %(now)s
FROM unnest(%(ids)s::bigint[], %(handlers)s::bigint[], %(states)s::text[],
            %(uppers)s::bigint[], %(tiers)s::text[])
     AS m(id, was_handler, was_state, upper_id, tier),
     unnest(%(types)s::bigint[], %(response)s::timestamptz[], %(resolution)s::timestamptz[])
     AS d(type_id, response_due, resolution_due)
WHERE c.id = m.id AND c.service_type_id = d.type_id
  AND c.handler_id = m.was_handler AND c.state = m.was_state
  AND ((c.state = 'submitted' AND c.response_due < %(now)s) OR c.resolution_due < %(now)s)
RETURNING c.id
"""
SWEEP_EVENT_COLUMNS = "case_id kind at actor_id from_org_id to_org_id note public".split()


def _escalate_chunk(rows: list[tuple[Any, ...]], sweep: _Sweep) -> int:
    """One transaction per chunk: move the rows still as read with one statement, and write
    the timeline rows of those it moved with COPY, and the worker's notifications (sent by a
    task after commit)."""
    now = sweep.now
    notes = {True: _("超过响应期限未受理"), False: _("超过办结期限未办结")}
    columns: dict[str, list[Any]] = {
        k: [] for k in ("ids", "handlers", "states", "uppers", "tiers")
    }
    events: dict[int, tuple[Any, ...]] = {}
    messages: dict[int, notify.Message] = {}
    # Translated once per chunk and once per upper organisation, not once per case.
    wording, text = _("您的服务事项%(n)s：%(t)s"), _("已超期，自动转%(h)s督办。")
    told: dict[int, str] = {}
    link = _case_links()
    for pk, handler_id, type_id, state, person_id, number, late_response in rows:
        upper = sweep.uppers[(handler_id, type_id)]
        if upper is not None:
            if upper.pk not in told:
                told[upper.pk] = text % {"h": upper.name}
            messages[pk] = notify.Message(
                person_id=person_id,
                text=wording % {"n": number, "t": told[upper.pk]},
                link=link(pk),
            )
        columns["ids"].append(pk)
        columns["handlers"].append(handler_id)
        columns["states"].append(state)
        columns["uppers"].append(None if upper is None else upper.pk)
        columns["tiers"].append(None if upper is None else tier_of(upper))
        # At the top for its type the case stays where it is, and only staff see why.
        to_org, public = (handler_id, False) if upper is None else (upper.pk, True)
        note = notes[bool(late_response)]
        events[pk] = (pk, EventKind.AUTO_ESCALATED, now, None, handler_id, to_org, note, public)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            types = sorted(sweep.due)
            with connection.cursor() as cursor:
                _commit_without_waiting(cursor)
                cursor.execute(
                    _ESCALATE_SQL,
                    {
                        "now": now,
                        **columns,
                        "types": types,
                        "response": [sweep.due[t][0] for t in types],
                        "resolution": [sweep.due[t][1] for t in types],
                    },
                )
                done = sorted(pk for (pk,) in cursor.fetchall())
        else:  # the embedded SQLite default: a few cases at a time, row by row is fine
            done = _escalate_rows(columns, sweep)
        bulk.insert_rows(CaseEvent, SWEEP_EVENT_COLUMNS, [events[pk] for pk in done])
        moved = [pk for pk in done if events[pk][5] != events[pk][4]]
        notify.notify_many(kind=notifications.PROGRESS, messages=[messages[pk] for pk in moved])
    return len(moved)


def _case_links() -> Callable[[int], str]:
    """The portal address of a case by its id. ``reverse`` costs a fraction of a millisecond,
    a chunk needs thousands of addresses: reverse once, then fill in the id."""
    sentinel = 987654321
    head, tail = reverse("portal:case_detail", args=[sentinel]).split(str(sentinel))
    return lambda pk: f"{head}{pk}{tail}"


def _commit_without_waiting(cursor: Any) -> None:
    """The chunk's commit returns without waiting for its WAL to reach the disk (PostgreSQL's
    walwriter flushes it a moment later). Safe for the sweep alone: it is idempotent, so a
    chunk lost to a server crash in that moment is simply done again by the next sweep (its
    notifications, lost with it, are written again). Must run inside the chunk's transaction."""
    cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _escalate_rows(columns: dict[str, list[Any]], sweep: _Sweep) -> list[int]:
    """The sweep on the embedded SQLite default: ``move_case`` one case at a time, each
    still as read and still overdue; returns the ids it moved."""
    done = []
    for pk, handler_id, state in zip(
        *(columns[k] for k in ("ids", "handlers", "states")), strict=True
    ):
        case = lock_one(LockSpace.CASE, Case, pk)
        if (case.handler_id, case.state) != (handler_id, state) or not case.is_overdue(sweep.now):
            continue  # changed since it was read
        move_case(
            case,
            to_org=sweep.uppers[(handler_id, case.service_type_id)],
            now=sweep.now,
            due=sweep.due[case.service_type_id],
            escalation=True,
        )
        case.save()
        done.append(pk)
    return done


_AUTO_CLOSE_SQL = """
UPDATE casework_case SET state = 'closed', closed_at = %(now)s, auto_closed = true,
    updated_at = %(now)s
WHERE id = ANY(%(ids)s::bigint[]) AND state = 'resolved'
RETURNING id, service_type_id
"""


def _auto_close(types: dict[int, ServiceType], now: datetime.datetime) -> int:
    """Close the resolved cases the worker has not confirmed within their type's days: read
    once, then closed a chunk at a time if still resolved (the worker may confirm meanwhile)."""
    due = Q(pk__in=[])
    for type_id, service_type in types.items():
        cutoff = now - datetime.timedelta(days=service_type.auto_close_days)
        due |= Q(service_type_id=type_id, resolved_at__lt=cutoff)
    ids = list(
        Case.unscoped.filter(due, state=CaseState.RESOLVED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    closed = 0
    for start in range(0, len(ids), SWEEP_CHUNK):
        chunk = ids[start : start + SWEEP_CHUNK]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    _commit_without_waiting(cursor)
                    cursor.execute(_AUTO_CLOSE_SQL, {"now": now, "ids": chunk})
                    done = cursor.fetchall()
            else:
                done = lock_rows(
                    LockSpace.CASE,
                    Case.unscoped.filter(pk__in=chunk, state=CaseState.RESOLVED).values_list(
                        "pk", "service_type_id"
                    ),
                )
                Case.unscoped.filter(pk__in=[pk for pk, _t in done]).update(
                    state=CaseState.CLOSED, closed_at=now, auto_closed=True, updated_at=now
                )
            notes = {
                t: _("办结后%(d)s天未评价，自动关闭。") % {"d": types[t].auto_close_days}
                for t in {t for _pk, t in done}
            }
            bulk.insert_rows(
                CaseEvent,
                SWEEP_EVENT_COLUMNS,
                [
                    (pk, EventKind.AUTO_CLOSED, now, None, None, None, notes[t], True)
                    for pk, t in done
                ],
            )
            closed += len(done)
    return closed
