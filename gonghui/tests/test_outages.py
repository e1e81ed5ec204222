"""Issue 11, points 2, 4 and 5 at the level of a request: with the cache (Redis) and the broker
down, a booking and a cancellation are saved and answered as saved; the offer to the next
worker is written to the outbox and sent once the broker is back, exactly once; starting an
import without a broker answers 503, with nothing started."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from kombu.exceptions import OperationalError as BrokerDown

from gonghui.accounts.services import api_token_issue
from gonghui.core import tasks
from gonghui.core.imports import import_job_create
from gonghui.core.models import ImportJob, ImportStatus, Notification, SmsState
from gonghui.core.tests.test_availability import DEAD_REDIS
from gonghui.culture.models import Booking, BookingState
from gonghui.culture.tests.test_booking import publish
from gonghui.testing.sheets import csv_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Queueing any task fails as Celery does when Redis refuses the connection."""

    def refuse(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_notifications, "delay", refuse)
    monkeypatch.setattr(tasks.import_check, "delay", refuse)
    monkeypatch.setattr(tasks.import_commit, "delay", refuse)


def test_a_cancellation_with_redis_down_is_saved_and_its_offer_sent_once_redis_is_back(
    world, client, settings, broker_down, outbox, django_capture_on_commit_callbacks, monkeypatch
):
    session = publish(world, capacity=1)
    first, second = world.worker("union_b"), world.worker("union_b")

    def call(user, path):
        key, _token = api_token_issue(user=user)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                path,
                json.dumps({}),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {key}",
            )

    settings.CACHES = DEAD_REDIS
    booked = call(first, f"/api/culture/sessions/{session.pk}/bookings")
    waiting = call(second, f"/api/culture/sessions/{session.pk}/bookings")
    assert (booked.status_code, waiting.status_code) == (201, 201)
    outbox.clear()

    cancelled = call(first, f"/api/me/bookings/{booked.json()['id']}/cancel")

    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    offer = Booking.unscoped.get(pk=waiting.json()["id"])
    assert offer.state == BookingState.OFFERED
    told = Notification.unscoped.filter(person_id=second.person_id, sms_state=SmsState.PENDING)
    assert told.count() == 1 and outbox == []
    # The broker is back: the periodic delivery sends the offer, once.
    monkeypatch.undo()
    assert tasks.deliver_due_notifications()["sent"] >= 1
    assert tasks.deliver_due_notifications()["sent"] == 0
    offers = [text for _mobile, text in outbox if session.course.title in text]
    assert len(offers) == 1, outbox


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_starting_an_import_with_the_broker_down_answers_503_and_starts_nothing(
    client, broker_down, settings, tmp_path
):
    from gonghui.testing.world import build_world

    settings.MEDIA_ROOT = tmp_path
    clerk = build_world().staff("city", "clerk")
    job = import_job_create(actor=clerk, kind="members", upload=csv_upload([]))
    client.force_login(clerk)
    response = client.post(reverse("console:import_start", args=[job.pk]))
    assert response.status_code == 503
    assert "暂时不可用" in response.content.decode()
    assert ImportJob.unscoped.get(pk=job.pk).status == ImportStatus.UPLOADED
