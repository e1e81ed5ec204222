"""Sending the SMS of committed notifications (see ``core.notify`` and docs/adr/0011).

Each batch is claimed in a short transaction: the due rows are locked (``SKIP LOCKED`` on
PostgreSQL, so two workers take different rows; on SQLite the immediate transaction already
serialises them), counted as one more attempt and marked ``sending`` with a lease. The SMS go
out after that transaction, so no row lock is held while the gateway answers; each row is then
marked sent, or scheduled again with a backoff, or failed after ``MAX_ATTEMPTS``. A row whose
lease ran out (its worker died mid-batch) is due again. Running a delivery twice sends nothing
twice: a row is sent only by the delivery that claimed it.

At delivery, not when the row was written, the worker's settings apply: no mobile or the kind
turned off, and the row is ``skipped``; inside the quiet hours, and it is ``held`` until they
end (unless its kind is urgent).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gonghui.core import notification_kinds
from gonghui.core.locks import LockSpace, lock_batch
from gonghui.core.models import SMS_DUE_STATES, Notification, NotificationSettings, SmsState
from gonghui.core.sms import send_sms

logger = logging.getLogger("gonghui.notify")

BATCH = 200
MAX_ATTEMPTS = 10
# Long enough for a batch to be sent through a slow gateway; a row still "sending" after it
# belongs to a delivery that died, and is due again.
LEASE = datetime.timedelta(minutes=10)


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after a failed attempt: one minute, doubling, at most an hour."""
    return datetime.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


@dataclass
class DeliveryResult:
    sent: int = 0
    skipped: int = 0
    held: int = 0
    retried: int = 0
    failed: int = 0
    ids: list[int] = field(default_factory=list, repr=False)

    def add(self, other: DeliveryResult) -> None:
        for name in ("sent", "skipped", "held", "retried", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def deliver(
    *, ids: list[int] | None = None, now: datetime.datetime | None = None
) -> DeliveryResult:
    """Send the due SMS among ``ids`` (all due ones when None), a batch at a time."""
    total = DeliveryResult()
    if ids is not None:
        ordered = sorted(ids)
        for start in range(0, len(ordered), BATCH):
            total.add(_deliver_batch(ordered[start : start + BATCH], now or timezone.now()))
        return total
    while True:
        result = _deliver_batch(ids, now or timezone.now())
        total.add(result)
        if len(result.ids) < BATCH:
            return total


def _claim(ids: list[int] | None, now: datetime.datetime) -> list[Notification]:
    with transaction.atomic():
        due = Notification.unscoped.filter(
            Q(sms_state__in=SMS_DUE_STATES) & Q(next_attempt_at__lte=now)
        )
        if ids is not None:
            due = due.filter(pk__in=ids)
        rows = lock_batch(LockSpace.NOTIFICATION, due, limit=BATCH, skip_locked=True)
        if rows:
            Notification.unscoped.filter(pk__in=[r.pk for r in rows]).update(
                sms_state=SmsState.SENDING, next_attempt_at=now + LEASE
            )
        return rows


def _deliver_batch(ids: list[int] | None, now: datetime.datetime) -> DeliveryResult:
    rows = _claim(ids, now)
    result = DeliveryResult(ids=[r.pk for r in rows])
    if not rows:
        return result
    people = {r.person_id for r in rows}
    # The person model by name: core's code does not import the members app.
    person_model: Any = apps.get_model("members", "Person")
    mobiles = {
        pk: sealed
        for pk, sealed in person_model.unscoped.filter(pk__in=people).values_list("pk", "mobile")
    }
    choices = {s.person_id: s for s in NotificationSettings.objects.filter(person_id__in=people)}
    outcomes: dict[tuple[tuple[str, object], ...], list[int]] = defaultdict(list)
    for row in rows:
        update = _deliver_one(row, mobiles.get(row.person_id), choices.get(row.person_id), now)
        outcomes[tuple(sorted(update.items()))].append(row.pk)
    sent_at = timezone.now()
    for outcome, pks in outcomes.items():
        update = dict(outcome)
        state = str(update["sms_state"])
        setattr(result, _COUNTERS[state], getattr(result, _COUNTERS[state]) + len(pks))
        if state == SmsState.SENT:
            update["sent_at"] = sent_at
        # Only the delivery that claimed a row writes its outcome (one statement per outcome).
        Notification.unscoped.filter(pk__in=pks, sms_state=SmsState.SENDING).update(**update)
    return result


_COUNTERS: dict[str, str] = {
    SmsState.SENT: "sent",
    SmsState.SKIPPED: "skipped",
    SmsState.HELD: "held",
    SmsState.PENDING: "retried",
    SmsState.FAILED: "failed",
}


def _deliver_one(
    row: Notification,
    sealed_mobile: Any,
    choice: NotificationSettings | None,
    now: datetime.datetime,
) -> dict[str, object]:
    """Send one row's SMS, or decide why not; returns the fields of its outcome."""
    kind = notification_kinds.kind_of(row.kind)
    if not sealed_mobile:
        return {"sms_state": SmsState.SKIPPED, "last_error": "no mobile", "next_attempt_at": None}
    if choice is not None and kind.optional and row.kind in (choice.sms_off or []):
        return {"sms_state": SmsState.SKIPPED, "last_error": "turned off", "next_attempt_at": None}
    if choice is not None and not kind.urgent and (until := quiet_until(choice, now)):
        return {"sms_state": SmsState.HELD, "next_attempt_at": until}
    attempts = row.attempts + 1
    try:
        # Machine use: the gateway needs the number; it is not kept anywhere else.
        send_sms(sealed_mobile.reveal(), row.text)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
        if attempts >= MAX_ATTEMPTS:
            logger.error("notification %s failed for good: %s", row.pk, error)
            return {
                "sms_state": SmsState.FAILED,
                "attempts": attempts,
                "last_error": error,
                "next_attempt_at": None,
            }
        logger.warning("notification %s will be retried: %s", row.pk, error)
        return {
            "sms_state": SmsState.PENDING,
            "attempts": attempts,
            "last_error": error,
            "next_attempt_at": now + backoff(attempts),
        }
    return {
        "sms_state": SmsState.SENT,
        "attempts": attempts,
        "last_error": "",
        "next_attempt_at": None,
    }


def quiet_until(choice: NotificationSettings, now: datetime.datetime) -> datetime.datetime | None:
    """The end of the worker's quiet hours when ``now`` falls inside them, else None. The
    hours are local time; a start after the end crosses midnight (22:00–07:00)."""
    start, end = choice.quiet_from, choice.quiet_until
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    moment = local.time()
    if start < end:
        inside = start <= moment < end
    else:
        inside = moment >= start or moment < end
    if not inside:
        return None
    day = local.date()
    if moment >= end:  # before midnight in hours that cross it: they end tomorrow
        day += datetime.timedelta(days=1)
    zone = timezone.get_default_timezone()
    return datetime.datetime.combine(day, end, tzinfo=zone)
