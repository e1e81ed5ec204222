"""Shared set-up for the enrolment tests: the city's period with its fund."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from gonghui.funds import services as fund_services
from gonghui.funds.models import SourceKind
from gonghui.mutualaid.models import Period, PeriodStatus

_numbers = itertools.count(1)
ENROL_HEADER = ["姓名", "身份证号", "工会编码", "期数", "手机号"]


def period(
    world: Any,
    *,
    number: int | None = None,
    fee: str = "36.00",
    starts_on: datetime.date | None = None,
    status: str = PeriodStatus.OPEN,
    waiting_days: int = 90,
) -> Period:
    """An open period of the city's federation whose enrolment window includes today."""
    today = timezone.localdate()
    start = starts_on or today + datetime.timedelta(days=30)
    kind, _ = SourceKind.objects.get_or_create(
        code="mutualaid", defaults={"name": "互助保障", "order": 1}
    )
    n = number or next(_numbers)
    fund = fund_services.fund_create(
        actor=world.staff("city", "admin"),
        organization=world.city,
        name=f"职工医疗互助保障基金{n}-{next(_numbers)}",
        source_kind=kind,
    )
    return Period.objects.create(
        organization=world.city,
        number=n,
        name=f"第{n}期",
        starts_on=start,
        ends_on=start + datetime.timedelta(days=364),
        enrol_opens_on=today - datetime.timedelta(days=30),
        enrol_closes_on=today + datetime.timedelta(days=20),
        fee=Decimal(fee),
        waiting_days=waiting_days,
        fund=fund,
        status=status,
        created_by=world.staff("city", "admin"),
    )


def row(membership: Any, *, union: str | None = None, period: Any = None, **kw: str) -> list[str]:
    person = membership.person
    return [
        kw.get("name", person.name),
        kw.get("id_number", person.id_number.reveal()),
        union or membership.union.code,
        str(getattr(period, "number", period or "")),
        kw.get("mobile", ""),
    ]
