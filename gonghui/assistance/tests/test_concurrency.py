"""The same person entered twice at once, and the same application approved from several
places at once, each from its own thread and database connection (PostgreSQL; SQLite
serialises every writer anyway): one application, one payment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from gonghui.assistance import services
from gonghui.assistance.models import Application, ApplicationStatus
from gonghui.assistance.tests import helpers as h
from gonghui.funds.models import PayableItem
from gonghui.funds.tests.test_concurrency import fire
from gonghui.testing.world import build_world

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_same_person_entered_twice_at_once_gets_one_application(monkeypatch):
    """The worker in the portal and two clerks enter the same person in the same round at
    the same moment (each past the duplicate check, which the monkeypatch blinds): the
    partial unique index keeps exactly one; the others are told at the round's field."""
    world = build_world()
    user = world.worker("union_b")
    h.household(world, user.person)
    round_ = h.round_(world)
    original = Application.unscoped.filter

    def blind(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("person") is not None and "status__in" in kwargs:
            return original(pk__in=[])  # the check sees nothing: only the index stands
        return original(*args, **kwargs)

    monkeypatch.setattr(Application.unscoped, "filter", blind)

    def by(actor: Any) -> Callable[[], Any]:
        return lambda: services.application_create(
            actor=actor,
            round=round_,
            person=user.person,
            declared=h.child(),
            account_holder="王",
            bank_name="农业银行",
            bank_card=h.CARD,
        )

    clerks = [world.staff("union_b", "clerk"), world.staff("town_b", "clerk")]
    outcomes = fire([by(user), *(by(c) for c in clerks)] * 2)
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("round") == 5, outcomes
    monkeypatch.undo()
    assert Application.unscoped.filter(round=round_, person=user.person).count() == 1


def test_the_final_step_approved_from_several_places_at_once_pays_once(monkeypatch):
    h.install_mark_helped(monkeypatch)
    world = build_world()
    user = world.worker("union_b")
    h.household(world, user.person)
    application = h.apply(world, h.round_(world), user)
    application = h.approve_all(world, application, ("union_b", "town_b"))
    deciders = [world.staff("district_b", "reviewer"), world.staff("district_b", "admin")]

    def decide(decider: Any) -> Callable[[], Any]:
        return lambda: services.application_decide(
            actor=decider, application=application, approve=True
        )

    outcomes = fire([decide(d) for d in deciders * 3])
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) - {"ok"} <= {"decision_note"}, outcomes
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert PayableItem.unscoped.filter(source_id=application.pk).count() == 1
