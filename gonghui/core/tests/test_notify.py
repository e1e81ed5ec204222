"""The outbox: a message is written in the business transaction and sent once after commit;
nothing is sent for a change that was rolled back; a broker outage delays a message without
losing it or failing the request."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from gonghui.core import delivery, notification_kinds, notify, tasks
from gonghui.core.models import Notification, SmsState
from gonghui.organizations.models import ServiceType
from gonghui.testing.database import seed_service_types
from gonghui.testing.world import build_world

KIND = "test.plain"


@pytest.fixture(autouse=True)
def _kind(monkeypatch):
    monkeypatch.setitem(
        notification_kinds._registry, KIND, notification_kinds.NotificationKind(KIND, "测试")
    )


def sent_to(outbox, mobile):
    return [text for number, text in outbox if number == mobile]


def test_notify_outside_a_transaction_is_refused():
    # given no transaction (and no database access at all: the check comes first)
    # when / then
    with pytest.raises(notify.NotInTransactionError):
        notify.notify(person_id=1, kind=KIND, text="你好")


@pytest.mark.django_db
def test_an_undeclared_kind_is_refused():
    with transaction.atomic(), pytest.raises(ValueError, match="not registered"):
        notify.notify(person_id=1, kind="nobody.declared", text="你好")


def test_a_rolled_back_change_writes_and_sends_nothing(
    world, outbox, django_capture_on_commit_callbacks
):
    # given a worker
    worker = world.worker()
    # when the change that notified them fails
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify.notify(person_id=worker.person_id, kind=KIND, text="已受理")
            raise RuntimeError("the change failed")
    # then there is no message, no task and no SMS
    assert callbacks == []
    assert not Notification.unscoped.filter(person_id=worker.person_id).exists()
    assert outbox == []


def test_a_committed_message_is_sent_once_and_kept_for_the_app(
    world, outbox, django_capture_on_commit_callbacks
):
    # given a worker
    worker = world.worker()
    # when a change that notifies them commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        notify.notify(person_id=worker.person_id, kind=KIND, text="已受理", link="/m/")
    # then one task ran and sent one SMS, with the platform's signature
    assert len(callbacks) == 1
    assert [t for t in sent_to(outbox, worker.test_mobile) if t.endswith("已受理")] == [
        outbox[0][1]
    ]
    row = Notification.unscoped.get(person_id=worker.person_id)
    assert (row.sms_state, row.attempts, row.read_at, row.link) == (SmsState.SENT, 1, None, "/m/")
    assert row.sent_at is not None and row.next_attempt_at is None
    # and delivering again, by id or as the periodic job, sends nothing twice
    assert delivery.deliver(ids=[row.pk]).sent == 0
    assert tasks.deliver_due_notifications()["sent"] == 0
    assert len(outbox) == 1


def test_many_messages_are_one_insert_and_one_task(
    world, outbox, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    people = [world.worker() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        with django_assert_max_num_queries(4):  # savepoint, ids, one INSERT (COPY), release
            notify.notify_many(
                kind=KIND, messages=[notify.Message(p.person_id, "中签") for p in people]
            )
    assert len(callbacks) == 1
    callbacks[0]()
    assert sorted(m for m, _t in outbox) == sorted(p.test_mobile for p in people)


def test_a_message_to_a_person_without_a_mobile_is_kept_in_the_app_only(
    world, outbox, django_capture_on_commit_callbacks
):
    membership = world.member("union_b", mobile="")  # enrolled by the union, no mobile
    person = membership.person
    assert not person.mobile
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify.notify(person_id=person.pk, kind=KIND, text="已受理")
    assert outbox == []
    assert Notification.unscoped.get(person_id=person.pk).sms_state == SmsState.SKIPPED


def test_a_lapsed_lease_is_delivered_again(world, outbox, django_capture_on_commit_callbacks):
    # given a message whose delivery claimed it and then died before sending
    worker = world.worker()
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        row = Notification.unscoped.get(
            pk=notify.notify(person_id=worker.person_id, kind=KIND, text="已受理")
        )
    now = row.next_attempt_at
    assert [r.pk for r in delivery._claim([row.pk], now)] == [row.pk]
    # when another delivery runs while the lease holds, and after it ran out
    assert delivery.deliver(now=now).sent == 0
    assert delivery.deliver(now=now + delivery.LEASE).sent == 1
    # then the message went out once
    assert len(sent_to(outbox, worker.test_mobile)) == 1


def test_the_periodic_delivery_is_scheduled_every_minute():
    from gonghui.celery import app

    entry = app.conf.beat_schedule["notifications-deliver"]
    assert entry["task"] == tasks.deliver_due_notifications.name and entry["task"] in app.tasks
    assert entry["schedule"] == 60


# --- a broker outage, with real commits ----------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_broker_outage_delays_the_sms_but_neither_loses_it_nor_fails_the_request(
    monkeypatch, outbox
):
    # given a worker, and a broker that refuses every task
    seed_service_types()  # a flush by an earlier transactional test may have emptied them
    world = build_world()
    worker = world.worker("union_b")
    outbox.clear()

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_notifications, "delay", broker_down)
    # when the worker opens a case through the portal (a request that commits and notifies)
    client = Client()
    client.force_login(worker)
    response = client.post(
        reverse("portal:case_new"),
        {
            "service_type": ServiceType.objects.get(code="legal_aid").pk,
            "title": "欠薪",
            "description": "拖欠工资",
        },
    )
    # then the request succeeded, the message waits, and no SMS went out yet
    assert response.status_code == 302
    row = Notification.unscoped.get(person_id=worker.person_id)
    assert row.sms_state == SmsState.PENDING and outbox == []
    # when the periodic job runs, twice
    first = tasks.deliver_due_notifications.delay().get()
    second = tasks.deliver_due_notifications.delay().get()
    # then the SMS went out exactly once
    assert (first["sent"], second["sent"]) == (1, 0)
    assert len(sent_to(outbox, worker.test_mobile)) == 1
    assert "已提交" in outbox[0][1]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_deliveries_send_each_message_once(monkeypatch, outbox):
    """The task after commit and the periodic job running at once (threads, each on its own
    connection; on PostgreSQL real concurrent claims with SKIP LOCKED, on SQLite queued on the
    write lock) never send a message twice."""
    import threading
    import time

    from django.db import close_old_connections, connection

    from gonghui.core.sms import MemoryBackend

    # given 30 committed messages whose task has not run yet
    world = build_world()
    people = [world.worker() for _ in range(3)]
    outbox.clear()
    monkeypatch.setattr(notify, "enqueue", lambda ids: None)
    with transaction.atomic():
        notify.notify_many(
            kind=KIND,
            messages=[notify.Message(p.person_id, f"第{i}条") for i in range(10) for p in people],
        )

    def slow(self, mobile, text):  # a gateway that takes its time
        time.sleep(0.005)
        MemoryBackend.outbox.append((mobile, text))

    monkeypatch.setattr(MemoryBackend, "send", slow)
    monkeypatch.setattr(delivery, "BATCH", 4)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            delivery.deliver()
        except BaseException as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    # when four deliveries run at once
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every message went out exactly once
    assert errors == []
    assert len(outbox) == 30 and len(set(outbox)) == 30
    assert set(Notification.unscoped.values_list("sms_state", flat=True)) == {SmsState.SENT}
