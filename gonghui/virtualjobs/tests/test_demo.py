"""The demo's Pinghu 2017, at a small scale: every post paid each month through the funds'
batches, what was raised equal to what was paid, as the figures count them."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from gonghui.core import modules
from gonghui.funds import selectors as funds_selectors
from gonghui.funds.models import Fund, PaymentBatch
from gonghui.hardship.models import Household, HouseholdStatus
from gonghui.hardship.tests import helpers as hardship_helpers
from gonghui.virtualjobs import demo
from gonghui.virtualjobs.models import PayRun, PayRunLine, Post

pytestmark = pytest.mark.django_db


def test_a_year_of_virtual_jobs_through_the_services(world):
    for union in ("union_b", "union_b2"):
        for _ in range(2):
            world.member(union)
    hardship_helpers.lines(world)
    logged: list[str] = []
    demo.pinghu_2017(
        district=world.district_b,
        areas=[
            demo.Area(
                world.town_b,
                [world.union_b, world.union_b2],
                [world.enterprises["enterprise_b"], world.enterprises["enterprise_b2"]],
                world.staff("town_b", "clerk"),
                world.staff("town_b", "reviewer"),
            )
        ],
        staff=lambda role: world.staff("district_b", role),
        rng=random.Random(7),
        log=logged.append,
        posts=4,
    )
    assert Post.unscoped.count() == 4
    # Each post's household went onto the hardship roll through its services.
    filed = Household.unscoped.filter(pk__in=Post.unscoped.values("household"))
    assert filed.filter(status=HouseholdStatus.ACTIVE, filed_on__year=2016).count() == 4
    assert PayRun.unscoped.count() == 12
    assert PayRunLine.unscoped.count() == 48
    assert PaymentBatch.unscoped.filter(status="done").count() == 12
    fund = Fund.unscoped.get(name="平湖市虚拟岗位认领资金")
    assert fund.balance == Decimal("0.00")
    leader = world.staff("district_b", "leader")
    report = funds_selectors.raised_paid_report(
        actor=leader, organization=world.district_b, year=2017
    )
    assert report.total.raised == report.total.paid == Decimal("14400.00")
    assert modules.figure_value(
        "virtualjobs.paid", actor=leader, org=world.district_b, year=2017
    ) == Decimal("14400.00")
    assert (
        modules.figure_value("virtualjobs.posts", actor=leader, org=world.district_b, year=2017)
        == 4
    )
    assert "14,400.00" in logged[-1]
