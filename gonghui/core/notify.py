"""One path for every message to a worker: an outbox row written in the business transaction,
delivered after commit. See docs/adr/0011.

``notify`` / ``notify_many`` write ``Notification`` rows (the in-app copy and the state of its
SMS) and register one ``on_commit`` hook that hands their ids to the Celery task
``deliver_notifications``. A rolled-back transaction leaves no row and sends nothing. Should
the hand-over fail (the broker is down), the error is logged and the committed request stands:
the rows stay pending and the periodic job ``deliver_due_notifications`` sends them within a
minute or so. ``core.delivery`` does the sending, honouring each worker's preferences.

Each kind of message is declared by its module (``core.notification_kinds``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from gonghui.core import bulk, notification_kinds, sms, tasks
from gonghui.core.models import Notification, SmsState

logger = logging.getLogger("gonghui.notify")


@dataclass(frozen=True)
class Message:
    """One message of a ``notify_many`` call."""

    person_id: int
    text: str
    link: str = ""


class NotInTransactionError(RuntimeError):
    """``notify`` was called outside ``transaction.atomic``: its message would be sent even if
    the caller's work were later rolled back, or lost if it failed after the call."""


def notify(*, person_id: int, kind: str, text: str, link: str = "") -> int:
    """Tell one person; returns the message's id. Must run inside the transaction of the
    change it reports."""
    (pk,) = notify_many(kind=kind, messages=[Message(person_id, text, link)])
    return pk


# The columns notify_many writes; the others (read_at, sent_at) start empty.
_COLUMNS = [
    "id",
    "person_id",
    "kind",
    "text",
    "link",
    "created_at",
    "sms_state",
    "attempts",
    "next_attempt_at",
    "last_error",
]


def notify_many(*, kind: str, messages: Iterable[Message]) -> list[int]:
    """Tell many people at once (a draw, a cancelled session, a sweep's chunk): the rows go in
    with COPY (executemany on SQLite) and one task is queued for them; returns their ids.
    Must run inside the transaction of the change it reports."""
    if not notification_kinds.is_registered(kind):
        raise ValueError(f"notification kind {kind!r} is not registered")
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransactionError(
            "notify() must run inside the transaction of the change it reports"
        )
    batch = list(messages)
    if not batch:
        return []
    now = timezone.now()
    ids = bulk.allocate_ids(Notification, len(batch))
    bulk.insert_rows(
        Notification,
        _COLUMNS,
        [
            (pk, m.person_id, kind, m.text, m.link, now, SmsState.PENDING.value, 0, now, "")
            for pk, m in zip(ids, batch, strict=True)
        ],
    )
    transaction.on_commit(lambda: enqueue(ids), robust=True)
    return ids


def enqueue(ids: list[int]) -> None:
    """Hand the committed rows to the delivery task. Never raises: a broker outage, or a
    failure of the eager delivery on the embedded default, leaves the rows pending for the
    periodic job, and the committed request still succeeds."""
    try:
        tasks.deliver_notifications.delay(ids)
    except Exception:
        logger.exception("notifications %s left for the periodic delivery", ids[:10])


def notify_code(*, mobile: str, text: str) -> None:
    """A sign-in code: an SMS to a number that need not be anyone's yet, sent once right after
    commit and never written down. An outbox row would keep the code in clear beside the hash
    that protects it, and a code is worth only its few minutes: should the gateway fail, the
    error is logged and the worker asks for another. Must run inside the transaction that
    issued the code."""
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransactionError("notify_code() must run inside the code's transaction")

    def send() -> None:
        try:
            sms.send_sms(mobile, text)
        except Exception:
            logger.exception("a sign-in code could not be sent")

    transaction.on_commit(send, robust=True)


def notify_number(*, mobile: str, text: str) -> None:
    """A message to a mobile number that is not a worker on the roll (an enterprise contact's
    invitation): like a sign-in code, sent once right after commit, with no in-app copy (there
    is no person to keep it for); a gateway failure is logged, and the staff can invite again.
    Must run inside the transaction that caused it."""
    notify_code(mobile=mobile, text=text)
