"""Delivery of committed messages: retries with backoff, then failure; the worker's settings
(SMS off per kind where allowed, quiet hours) applied at the moment of sending."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.db import transaction

from gonghui.core import delivery, notification_kinds, notify
from gonghui.core.models import Notification, NotificationSettings, SmsState
from gonghui.core.sms import MemoryBackend

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
PLAIN, OPTIONAL, URGENT = "test.plain", "test.optional", "test.urgent"


@pytest.fixture(autouse=True)
def _kinds(monkeypatch):
    for kind in (
        notification_kinds.NotificationKind(PLAIN, "必发"),
        notification_kinds.NotificationKind(OPTIONAL, "可关", optional=True),
        notification_kinds.NotificationKind(URGENT, "急", optional=True, urgent=True),
    ):
        monkeypatch.setitem(notification_kinds._registry, kind.code, kind)


@pytest.fixture
def worker(world):
    return world.worker()


def written(worker, kind=PLAIN, text="已受理") -> Notification:
    """A committed message whose task has not run (the broker is slow)."""
    with transaction.atomic():
        pk = notify.notify(person_id=worker.person_id, kind=kind, text=text)
    return Notification.unscoped.get(pk=pk)


def state(row: Notification) -> str:
    row.refresh_from_db()
    return row.sms_state


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment in Shanghai, days from now (the rows are due from the moment they were written)."""
    base = datetime.datetime.now(SHANGHAI).date() + datetime.timedelta(days=day)
    return datetime.datetime(base.year, base.month, base.day, hour, minute, tzinfo=SHANGHAI)


# --- retries ---------------------------------------------------------------------------------


def test_a_gateway_failure_is_retried_with_backoff_then_sent(worker, outbox, monkeypatch):
    # given a gateway that fails once
    row = written(worker)
    failures = [ConnectionError("gateway timeout")]

    def flaky(self, mobile, text):
        if failures:
            raise failures.pop()
        MemoryBackend.outbox.append((mobile, text))

    monkeypatch.setattr(MemoryBackend, "send", flaky)
    now = row.next_attempt_at
    # when the message is delivered
    first = delivery.deliver(ids=[row.pk], now=now)
    # then it waits for a retry, with the error kept
    assert (first.sent, first.retried) == (0, 1)
    row.refresh_from_db()
    assert (row.sms_state, row.attempts) == (SmsState.PENDING, 1)
    assert row.next_attempt_at == now + datetime.timedelta(minutes=1)
    assert "gateway timeout" in row.last_error
    # and is not due before its time, then is sent once
    assert delivery.deliver(now=now + datetime.timedelta(seconds=30)).sent == 0
    assert delivery.deliver(now=now + datetime.timedelta(minutes=1)).sent == 1
    assert (state(row), row.attempts, outbox[0][0]) == (SmsState.SENT, 2, worker.test_mobile)


def test_a_message_the_gateway_keeps_refusing_fails_after_the_last_attempt(worker, monkeypatch):
    row = written(worker)

    def broken(self, mobile, text):
        raise ConnectionError("gateway down")

    monkeypatch.setattr(MemoryBackend, "send", broken)
    now = row.next_attempt_at
    for _attempt in range(delivery.MAX_ATTEMPTS):
        delivery.deliver(now=now)
        now += datetime.timedelta(hours=1)  # past any backoff
    assert state(row) == SmsState.FAILED and row.attempts == delivery.MAX_ATTEMPTS
    assert delivery.deliver(now=now + datetime.timedelta(days=1)).ids == []


def test_backoff_doubles_up_to_an_hour():
    assert [delivery.backoff(n).total_seconds() // 60 for n in (1, 2, 3, 7, 8, 20)] == [
        1,
        2,
        4,
        60,
        60,
        60,
    ]


# --- the worker's settings ---------------------------------------------------------------------


def test_sms_turned_off_is_skipped_only_for_kinds_that_allow_it(worker, outbox):
    # given a worker who turned off the optional kind (and, by a stale row, the plain one)
    NotificationSettings.objects.create(person_id=worker.person_id, sms_off=[OPTIONAL, PLAIN])
    optional, plain = written(worker, OPTIONAL, "中签"), written(worker, PLAIN, "已受理")
    # when both are delivered
    delivery.deliver(now=plain.next_attempt_at)
    # then only the kind that must be sent went out; both stay in the app
    assert (state(optional), state(plain)) == (SmsState.SKIPPED, SmsState.SENT)
    assert [t[-3:] for _m, t in outbox] == ["已受理"]


def test_quiet_hours_hold_the_sms_until_they_end_across_midnight(worker, outbox):
    # given quiet hours from 22:00 to 07:00
    NotificationSettings.objects.create(
        person_id=worker.person_id,
        quiet_from=datetime.time(22, 0),
        quiet_until=datetime.time(7, 0),
    )
    row = written(worker)
    # when it is delivered at 23:30
    held = delivery.deliver(now=at(1, 23, 30))
    # then it is held until 07:00 the next morning
    assert held.held == 1 and outbox == []
    row.refresh_from_db()
    assert row.sms_state == SmsState.HELD and row.next_attempt_at == at(2, 7)
    # and the periodic job sends it then, not before
    assert delivery.deliver(now=at(2, 6, 59)).sent == 0
    assert delivery.deliver(now=at(2, 7)).sent == 1
    assert state(row) == SmsState.SENT and len(outbox) == 1


def test_an_urgent_kind_is_sent_in_quiet_hours(worker, outbox):
    NotificationSettings.objects.create(
        person_id=worker.person_id,
        quiet_from=datetime.time(12, 0),
        quiet_until=datetime.time(14, 0),
    )
    urgent, plain = written(worker, URGENT, "递补"), written(worker, PLAIN, "已受理")
    delivery.deliver(now=at(1, 13))
    assert (state(urgent), state(plain)) == (SmsState.SENT, SmsState.HELD)
    assert plain.next_attempt_at == at(1, 14)


@pytest.mark.parametrize(
    ("start", "end", "moment", "until"),
    [
        ((22, 0), (7, 0), (23, 0), (1, 7)),  # before midnight: ends tomorrow
        ((22, 0), (7, 0), (3, 0), (0, 7)),  # after midnight: ends today
        ((22, 0), (7, 0), (7, 0), None),  # the end itself is outside
        ((22, 0), (7, 0), (21, 59), None),
        ((12, 0), (14, 0), (12, 0), (0, 14)),
        ((12, 0), (14, 0), (15, 0), None),
    ],
)
def test_quiet_until(start, end, moment, until):
    choice = NotificationSettings(quiet_from=datetime.time(*start), quiet_until=datetime.time(*end))
    expected = None if until is None else at(until[0], until[1])
    assert delivery.quiet_until(choice, at(0, *moment)) == expected
