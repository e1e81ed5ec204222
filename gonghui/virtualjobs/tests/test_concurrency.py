"""Two pay runs of the same month at the same moment, each from its own connection: every
post is handed over once (PostgreSQL; SQLite serialises every writer anyway)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from gonghui.funds.models import PayableItem
from gonghui.funds.tests.test_concurrency import fire
from gonghui.testing.world import build_world
from gonghui.virtualjobs import services
from gonghui.virtualjobs.models import PayRun, PayRunLine
from gonghui.virtualjobs.tests import helpers as h

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_same_pay_run_fired_at_once_pays_each_post_once():
    world = build_world()
    fund = h.fund(world, money="100000")
    posts = [h.post(world, fund_=fund) for _ in range(6)]
    clerk, district = world.staff("town_b", "clerk"), world.staff("district_b", "clerk")

    def pay(actor: Any, org: Any) -> Callable[[], Any]:
        return lambda: services.pay_run_create(actor=actor, organization=org, month="2017-05")

    # Four clicks of the town's run and two of the district's, all at once.
    outcomes = fire([pay(clerk, world.town_b)] * 4 + [pay(district, world.district_b)] * 2)
    assert outcomes.count("ok") == 1, outcomes
    assert outcomes.count("month") == 5, outcomes
    assert PayRun.unscoped.count() == 1
    lines = PayRunLine.unscoped.filter(month__year=2017, month__month=5)
    assert sorted(lines.values_list("post_id", flat=True)) == sorted(p.pk for p in posts)
    items = PayableItem.unscoped.filter(source_kind="virtualjobs.pay")
    assert items.count() == len(posts)
    assert set(items.values_list("source_id", flat=True)) == set(lines.values_list("pk", flat=True))


def test_runs_of_different_months_at_once_each_pay_their_month():
    world = build_world()
    fund = h.fund(world, money="100000")
    for _ in range(3):
        h.post(world, fund_=fund)
    clerk = world.staff("town_b", "clerk")
    months = ["2017-01", "2017-02", "2017-03"] * 2
    outcomes = fire(
        [
            (lambda m=m: services.pay_run_create(actor=clerk, organization=world.town_b, month=m))
            for m in months
        ]
    )
    assert outcomes.count("ok") == 3, outcomes
    assert PayRunLine.unscoped.count() == 9
    assert PayableItem.unscoped.filter(source_kind="virtualjobs.pay").count() == 9
