"""Periods for tests (of any part of mutual aid): a fund and a period with the demo's rules,
made through the services."""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal
from typing import Any

from gonghui.funds import services as funds_services
from gonghui.funds.models import SourceKind
from gonghui.mutualaid.demo import RULES
from gonghui.mutualaid.services import periods as services

YEAR = 2017


def fund(world: Any, org: str = "city", name: str = "互助保障基金") -> Any:
    return funds_services.fund_create(
        actor=world.staff(org, "clerk"),
        organization=world.orgs[org],
        name=name,
        source_kind=SourceKind.objects.get(code="mutualaid"),
    )


def settings(the_fund: Any, year: int = YEAR, **changes: Any) -> services.PeriodSettings:
    base = services.PeriodSettings(
        name=f"第一期（{year}年）",
        starts_on=datetime.date(year, 1, 1),
        ends_on=datetime.date(year, 12, 31),
        enrol_opens_on=datetime.date(year - 1, 11, 1),
        enrol_closes_on=datetime.date(year - 1, 12, 31),
        fee=Decimal("116.00"),
        fund=the_fund,
        claims_close_on=datetime.date(year + 1, 3, 31),
        auto_approve_below=Decimal("3000.00"),
        sample_percent=5,
    )
    return replace(base, **changes)


def period(
    world: Any,
    org: str = "city",
    *,
    year: int = YEAR,
    rules: Any = RULES,
    publish: bool = True,
    the_fund: Any = None,
    **changes: Any,
) -> Any:
    """A period of ``org`` covering ``year`` (published unless ``publish=False``)."""
    clerk = world.staff(org, "clerk")
    made = services.period_create(
        actor=clerk,
        organization=world.orgs[org],
        settings=settings(the_fund or fund(world, org, f"互助保障基金{year}"), year, **changes),
        rules_data=rules,
    )
    return services.period_publish(actor=clerk, period=made) if publish else made
