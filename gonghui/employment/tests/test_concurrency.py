"""Enrolments at the same moment, each from its own thread and database connection: a
course never takes more people than it has seats (PostgreSQL; SQLite serialises every
writer anyway)."""

from __future__ import annotations

import pytest
from django.db import connection

from gonghui.employment import services
from gonghui.employment.models import Enrolment
from gonghui.employment.tests import helpers as h
from gonghui.funds.tests.test_concurrency import fire
from gonghui.testing.world import build_world

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_many_enrolments_at_once_fill_exactly_the_seats():
    world = build_world()
    course = h.course(world, capacity=3)
    clerk = world.staff("town_b", "clerk")
    people = h.people(world, 10)
    outcomes = fire(
        [
            lambda person=person: services.enrolment_create(
                actor=clerk, course=course, person=person
            )
            for person in people
        ]
    )
    assert sorted(outcomes) == ["ok"] * 3 + ["person"] * 7
    assert Enrolment.unscoped.filter(course=course).count() == 3


def test_the_same_person_enrolled_twice_at_once_is_enrolled_once():
    world = build_world()
    course = h.course(world, capacity=5)
    clerk = world.staff("town_b", "clerk")
    person = h.people(world, 1)[0]
    outcomes = fire(
        [lambda: services.enrolment_create(actor=clerk, course=course, person=person)] * 4
    )
    assert sorted(outcomes) == ["ok"] + ["person"] * 3
    assert Enrolment.unscoped.filter(course=course).count() == 1
