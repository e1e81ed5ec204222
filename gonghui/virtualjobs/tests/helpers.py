"""Set-up for the virtual-job tests: households on the roll, a fund with adopters' money,
posts and their adoptions.

Households are fixtures made directly in the state a test needs (on the roll, waiting, left),
not filed through the hardship roll's services, which have tests of their own."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from gonghui.funds import services as funds_services
from gonghui.funds.models import Fund, SourceKind
from gonghui.hardship.models import Household, HouseholdMember
from gonghui.virtualjobs import services
from gonghui.virtualjobs.models import Post

_receipts = itertools.count(1)


def household(
    world: Any, union: str = "union_b", *, status: str = "active", capacity: str = "none"
) -> tuple[Household, HouseholdMember]:
    person = world.member(union).person
    filed = Household.unscoped.create(
        union=world.orgs[union],
        person=person,
        status=status,
        member_count=2,
        filed_on=datetime.date(2016, 12, 1),
        created_by=world.staff(union, "clerk"),
    )
    HouseholdMember.unscoped.create(
        household=filed, person=person, name=person.name, relation="self", work_capacity="full"
    )
    member = HouseholdMember.unscoped.create(
        household=filed, name="李秀英", relation="spouse", work_capacity=capacity
    )
    return filed, member


def fund(world: Any, org: str = "district_b", *, money: str = "0", name: str = "") -> Fund:
    kind, _ = SourceKind.objects.get_or_create(
        code="enterprise", defaults={"name": "企业自帮", "order": 30}
    )
    created = funds_services.fund_create(
        actor=world.staff(org, "clerk"),
        organization=world.orgs[org],
        name=name or f"{org}虚拟岗位认领资金{next(_receipts)}",
        source_kind=kind,
    )
    if money != "0":
        funds_services.income_record(
            actor=world.staff(org, "clerk"),
            fund=created,
            donor="B号机械有限公司",
            amount=money,
            received_on=datetime.date(2017, 1, 5),
            receipt_number=f"VJ{next(_receipts):05d}",
        )
        created.refresh_from_db()
    return created


def post_data(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "社区保洁协管员",
        "monthly_amount": "300.00",
        "start_month": "2017-01",
        "end_month": "2017-12",
        "account_holder": "李秀英",
        "bank_name": "平湖农商银行",
        "bank_card": "6228480328123456789",
        **overrides,
    }


def post(
    world: Any,
    union: str = "union_b",
    *,
    org: str = "town_b",
    fund_: Fund | None = None,
    adopt: bool = True,
    **overrides: Any,
) -> Post:
    filed, member = household(world, union)
    created = services.post_create(
        actor=world.staff(org, "clerk"),
        organization=world.orgs[org],
        household=filed,
        member=member,
        **post_data(**overrides),
    )
    if adopt:
        services.post_adopt(
            actor=world.staff(org, "clerk"),
            post=created,
            fund=fund_ or fund(world, money="10000"),
            enterprise=world.enterprises["enterprise_b"],
        )
        created.refresh_from_db()
    return created
