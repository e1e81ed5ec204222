"""Deadlines counted again when the working-day calendar changes (a year's official
holidays entered after cases were opened across it)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.casework.models import (
    DEADLINE_START_KINDS,
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseState,
    EventKind,
)
from gonghui.core import counts
from gonghui.core.locks import LockSpace, lock_rows
from gonghui.core.workdays import WorkCalendar, recount_deadline
from gonghui.organizations.models import (
    ServiceType,
)

# --- deadlines after a change of the working-day calendar -------------------------------------


def deadlines_start_q() -> Subquery:
    """Per case (``OuterRef("pk")``): the instant its current deadlines count from, the
    latest of its ``DEADLINE_START_KINDS`` events (NULL for a case without one, which the
    services never leave)."""
    return Subquery(
        CaseEvent.objects.filter(case_id=OuterRef("pk"), kind__in=DEADLINE_START_KINDS)
        .order_by("-at", "-id")
        .values("at")[:1]
    )


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


@transaction.atomic
def case_deadlines_recount(*, actor: Any, previous: dict[datetime.date, bool | None]) -> int:
    """Count the running deadlines of open cases again after the working-day calendar changed
    on the days of ``previous`` (each mapped to what it was: see ``core.workdays``
    ``calendar_changed``, whose receiver this is, inside the change's transaction). A case is
    counted again when the span from its deadlines' start to its last running deadline holds a
    changed day; the amount of working time stays what it was on the old calendar. Each case
    whose deadline moved gets a timeline entry the worker sees. Returns how many moved.

    Running deadlines: the response deadline while the case waits for acceptance, the
    resolution deadline while it is open. A deadline already judged (a response given) stays
    as it was, and so do the on-time flags the figures read."""
    if not previous:
        return 0
    first, last = min(previous), max(previous)
    # Key order, as the sweep and bulk assignment take rows, so none of them deadlock; a
    # clerk's transition meanwhile waits, then sees the new deadlines.
    candidates = lock_rows(
        LockSpace.CASE,
        Case.unscoped.filter(
            Q(state=CaseState.SUBMITTED, response_due__gte=_day_start(first))
            | Q(state__in=OPEN_STATES, resolution_due__gte=_day_start(first))
        )
        .annotate(deadlines_from=Coalesce(deadlines_start_q(), "created_at"))
        .filter(deadlines_from__lt=_day_start(last + datetime.timedelta(days=1))),
    )
    if not candidates:
        return 0
    types = {
        t.pk: t for t in ServiceType.objects.filter(pk__in={c.service_type_id for c in candidates})
    }
    zone = timezone.get_default_timezone()
    span_first = min(timezone.localtime(c.deadlines_from, zone).date() for c in candidates)
    span_last = max(
        timezone.localtime(max(c.response_due, c.resolution_due), zone).date() for c in candidates
    )
    after = WorkCalendar(span_first, span_last + datetime.timedelta(days=60))
    before = WorkCalendar(span_first, span_last + datetime.timedelta(days=60), overrides=previous)
    years = "、".join(str(y) for y in sorted({day.year for day in previous}))
    now = timezone.now()
    moved: list[Case] = []
    events: list[CaseEvent] = []
    for case in candidates:
        start = case.deadlines_from
        service_type = types[case.service_type_id]
        changes = []
        running = [("resolution_due", service_type.resolution_unit, _("办结期限"))]
        if case.state == CaseState.SUBMITTED:
            running.insert(0, ("response_due", service_type.response_unit, _("响应期限")))
        for field, unit, label in running:
            due = getattr(case, field)
            if due < start:
                continue  # not counted from this start: nothing to count again
            fresh = recount_deadline(before=before, after=after, start=start, due=due, unit=unit)
            if fresh != due:
                setattr(case, field, fresh)
                changes.append(
                    _("%(what)s由 %(old)s 改为 %(new)s")
                    % {
                        "what": label,
                        "old": f"{timezone.localtime(due, zone):%Y-%m-%d %H:%M}",
                        "new": f"{timezone.localtime(fresh, zone):%Y-%m-%d %H:%M}",
                    }
                )
        if not changes:
            continue
        case.updated_at = now
        moved.append(case)
        note = _("工作日历已更新（%(years)s 年放假和调休安排），期限重新计算：%(changes)s。") % {
            "years": years,
            "changes": "；".join(changes),
        }
        events.append(
            CaseEvent(case=case, kind=EventKind.DEADLINES_RECOUNTED, actor=actor, at=now, note=note)
        )
    Case.unscoped.bulk_update(
        moved, ["response_due", "resolution_due", "updated_at"], batch_size=2000
    )
    CaseEvent.objects.bulk_create(events, batch_size=2000)
    if moved:
        transaction.on_commit(
            lambda: counts.bump("cases"), robust=True
        )  # bulk writes send no signals
    return len(moved)
