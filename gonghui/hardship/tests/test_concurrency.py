"""Files and decisions at the same moment, each from its own thread and database connection
(PostgreSQL; SQLite serialises every writer anyway)."""

from __future__ import annotations

import pytest
from django.db import connection

from gonghui.core.models import DecisionStep
from gonghui.funds.tests.test_concurrency import fire
from gonghui.hardship import services
from gonghui.hardship.models import Household, HouseholdStatus
from gonghui.hardship.tests import helpers as h
from gonghui.testing.world import build_world

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency: PostgreSQL only"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """The causes and levels the migration seeds (a transactional test empties the tables
    after each test, seeds included)."""
    from importlib import import_module

    from django.apps import apps

    import_module("gonghui.hardship.migrations.0002_seed_causes_and_levels").seed(apps, None)


def test_two_files_for_one_person_at_once_make_one(monkeypatch):
    """Two unions file the same member at the same moment; both pass the "no live file"
    check (it is skipped here, as if both had read before either wrote): the database's
    one-live-file constraint keeps one, the other is told at the ID number."""
    world = build_world()
    person = world.member("union_b").person
    monkeypatch.setattr(services, "_one_live_file", lambda person, exclude=None: None)

    def filing(union: str):
        return lambda: services.household_file(
            actor=world.staff(union, "clerk"),
            union=world.orgs[union],
            name=person.name,
            id_number=person.id_number.reveal(),
            address="B镇",
            causes=["illness"],
        )

    outcomes = fire([filing("union_b"), filing("union_b2")])
    assert sorted(outcomes) == ["id_number", "ok"]
    assert Household.unscoped.filter(person=person).count() == 1


def test_two_approvals_at_once_record_one_step():
    world = build_world()
    h.lines(world)
    filing = h.submitted(world)
    reviewers = [world.staff("town_b", "reviewer"), world.staff("town_b", "admin")]
    outcomes = fire(
        [
            (
                lambda actor=actor: services.household_decide(
                    actor=actor, filing=filing, approve=True
                )
            )
            for actor in reviewers
        ]
    )
    assert sorted(outcomes) == ["decision_note", "ok"]
    assert DecisionStep.objects.filter(flow="hardship.filing", object_id=filing.pk).count() == 1
    assert Household.unscoped.get(pk=filing.household_id).status == HouseholdStatus.ACTIVE
