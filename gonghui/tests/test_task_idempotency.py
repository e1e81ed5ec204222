"""Issue 11, point 3: a task whose worker died is re-delivered (late acknowledgement), so every
task may run twice. Each task of the platform, run twice, does its work once. A new task fails
the first test until it has a case here."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from celery import current_app
from django.db import transaction
from django.utils import timezone

from gonghui.casework.models import CaseEvent, EventKind
from gonghui.casework.tasks import case_sweep_task
from gonghui.casework.tests.test_services import at, open_case
from gonghui.core import imports, notify
from gonghui.core import tasks as core_tasks
from gonghui.core.models import ImportJob, ImportStatus, Notification
from gonghui.culture.models import Booking, BookingMode, BookingState
from gonghui.culture.services import booking as booking_services
from gonghui.culture.tasks import culture_sweep_task
from gonghui.culture.tests.test_booking import close_window, publish
from gonghui.hardship.tasks import income_lines_recompute_task
from gonghui.members.models import Person
from gonghui.mutualaid.tasks import claims_adjudicate_task
from gonghui.testing.factories import new_id_number, new_mobile
from gonghui.testing.sheets import csv_upload

pytestmark = pytest.mark.django_db

CASES: dict[str, Callable[..., None]] = {}


def case(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(function: Callable[..., None]) -> Callable[..., None]:
        CASES[name] = function
        return function

    return register


def _import(world):
    actor = world.staff("city", "clerk")
    rows = [
        ["李四", new_id_number(), new_mobile(), "UNION_a", "2023-05-01", "", ""] for _ in range(3)
    ]
    job = imports.import_job_create(actor=actor, kind="members", upload=csv_upload(rows))
    return job, actor


@case("gonghui.core.tasks.import_check")
def _check(world, outbox):
    job, actor = _import(world)
    assert core_tasks.import_check(job.pk, actor.pk) == "checked"
    assert core_tasks.import_check(job.pk, actor.pk) == "checked"
    job.refresh_from_db()
    assert job.summary == {"new_people": 3}


@case("gonghui.core.tasks.import_commit")
def _commit(world, outbox):
    job, actor = _import(world)
    imports.run_check(job, actor)
    assert core_tasks.import_commit(job.pk, actor.pk) == "done"
    assert core_tasks.import_commit(job.pk, actor.pk) == "done"
    assert Person.unscoped.filter(source_import=job).count() == 3


@case("gonghui.core.tasks.settle_imports")
def _settle(world, outbox):
    job, _actor = _import(world)
    ImportJob.unscoped.filter(pk=job.pk).update(
        status=ImportStatus.COMMITTING, lease_owner="dead", lease_until=timezone.now()
    )
    assert core_tasks.settle_imports() == {"settled": 1, "expired": 0}
    assert core_tasks.settle_imports() == {"settled": 0, "expired": 0}


def _written(world) -> int:
    with transaction.atomic():
        return notify.notify(
            person_id=world.worker().person_id, kind="casework.decision", text="已受理"
        )


@case("gonghui.core.tasks.deliver_notifications")
def _deliver(world, outbox):
    pk = _written(world)  # the task after commit does not run inside the test's transaction
    assert core_tasks.deliver_notifications([pk])["sent"] == 1
    assert core_tasks.deliver_notifications([pk])["sent"] == 0
    assert len(outbox) == 1
    assert Notification.unscoped.get(pk=pk).attempts == 1


@case("gonghui.core.tasks.deliver_due_notifications")
def _deliver_due(world, outbox):
    _written(world)
    assert core_tasks.deliver_due_notifications()["sent"] == 1
    assert core_tasks.deliver_due_notifications()["sent"] == 0
    assert len(outbox) == 1


@case("gonghui.casework.tasks.case_sweep_task")
def _case_sweep(world, outbox):
    overdue = open_case(world, world.worker("union_b"), "hardship", at=at(2026, 11, 2))
    assert case_sweep_task()["escalated"] == 1
    assert case_sweep_task()["escalated"] == 0
    kinds = CaseEvent.objects.filter(case=overdue, kind=EventKind.AUTO_ESCALATED)
    assert kinds.count() == 1


@case("gonghui.culture.tasks.culture_sweep_task")
def _culture_sweep(world, outbox):
    session = publish(world, mode=BookingMode.LOTTERY, capacity=5)
    booking_services.booking_create(actor=world.worker("union_b"), session=session)
    close_window(session)
    assert culture_sweep_task()["drawn"] == 1
    assert culture_sweep_task()["drawn"] == 0
    assert Booking.unscoped.get(session=session).state == BookingState.BOOKED


@case("gonghui.hardship.tasks.income_lines_recompute_task")
def _hardship_recompute(world, outbox):
    from decimal import Decimal

    from gonghui.hardship.models import Household, IncomeLine
    from gonghui.hardship.tests import helpers as hardship

    hardship.lines(world)
    household = hardship.approved(world)  # 6,000 yuan per capita: under the lines
    # The city lowers its lines, as a large city's change left to the task after commit.
    IncomeLine.unscoped.filter(organization=world.city).update(line=Decimal("5000.00"))
    assert income_lines_recompute_task(world.city.pk) == 1
    assert income_lines_recompute_task(world.city.pk) == 0
    assert Household.unscoped.get(pk=household.pk).above_line


@case("gonghui.mutualaid.tasks.claims_adjudicate_task")
def _mutualaid_adjudicate(world, outbox):
    from gonghui.funds.models import PayableItem
    from gonghui.mutualaid.tests import claims_helpers as mutualaid

    target = mutualaid.period(world, sample_percent=0)
    mutualaid.submit(mutualaid.enrolled_worker(world, target), mutualaid.invoice("1500.00"))
    assert claims_adjudicate_task()["auto"] == 1
    assert claims_adjudicate_task()["auto"] == 0
    assert PayableItem.unscoped.filter(source_kind="mutualaid.claim").count() == 1


# --- the tests (after the cases, which they collect) ---------------------------------------------


def test_every_task_of_the_platform_has_a_twice_run_case():
    registered = {name for name in current_app.tasks if name.startswith("gonghui.")}
    assert registered == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_task_run_twice_does_its_work_once(name, world, outbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    outbox.clear()
    CASES[name](world, outbox)
