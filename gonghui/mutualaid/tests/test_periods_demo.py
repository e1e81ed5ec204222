"""The demo's periods step: the city's fund and 第一期 2014 … 第四期 2017, each copied from the
one before, with the Zhejiang-modelled rules."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from gonghui.mutualaid import demo, rules
from gonghui.mutualaid.models import Period, PeriodStatus

pytestmark = pytest.mark.django_db


def test_the_demo_city_gets_four_periods_copied_year_by_year(world):
    lines: list[str] = []
    builder = SimpleNamespace(
        city=world.city,
        data={"city": {"slug": "city"}},
        staff={"city-clerk": world.staff("city", "clerk")},
        log=lines.append,
    )
    made = demo.run_periods(builder)
    periods = list(Period.unscoped.order_by("number"))
    assert periods == made
    assert [p.name for p in periods] == [
        "第一期（2014年）",
        "第二期（2015年）",
        "第三期（2016年）",
        "第四期（2017年）",
    ]
    assert [p.starts_on for p in periods] == [datetime.date(y, 1, 1) for y in demo.YEARS]
    assert [p.claims_close_on for p in periods] == [datetime.date(y + 1, 3, 31) for y in demo.YEARS]
    assert all(p.status == PeriodStatus.OPEN and p.fee == Decimal("116.00") for p in periods)
    assert [p.copied_from for p in periods] == [None, *periods[:-1]]
    assert periods[0].fund.source_kind.code == "mutualaid"
    parsed = rules.parse(periods[-1].rules)
    assert parsed.category("inpatient").yearly_cap == Decimal("30200.00")
    assert parsed.category("serious_illness").yearly_cap == Decimal("15000.00")
    women = parsed.category("women_cancer")
    assert (women.lump_sum, women.sex) == (Decimal("20000.00"), "F")
    # A large in-patient bill meets the 30,200 cap.
    benefit = rules.compute(parsed, "inpatient", Decimal("80000.00"), [])
    assert benefit.amount == Decimal("30200.00")
    assert "第四期（2017年）" in lines[0]
