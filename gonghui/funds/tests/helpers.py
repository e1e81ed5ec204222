"""Shared set-up for the funds tests: a fund with money, items handed over, a batch."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from gonghui.funds import services
from gonghui.funds.models import Fund, PayableItem, SourceKind

_sources = itertools.count(1)
_receipts = itertools.count(1)


def source_kind(code: str = "charity") -> SourceKind:
    kind, _ = SourceKind.objects.get_or_create(
        code=code, defaults={"name": {"charity": "慈善总会"}.get(code, code), "order": 1}
    )
    return kind


def fund(world: Any, org: str = "district_b", *, balance: str = "0", name: str = "") -> Fund:
    created = services.fund_create(
        actor=world.staff(org, "clerk"),
        organization=world.orgs[org],
        name=name or f"{org}金秋助学基金{next(_sources)}",
        source_kind=source_kind(),
    )
    if Decimal(balance) > 0:
        income(world, created, balance, org=org)
        created.refresh_from_db()
    return created


def income(world: Any, target: Fund, amount: str, *, org: str = "district_b") -> Any:
    return services.income_record(
        actor=world.staff(org, "clerk"),
        fund=target,
        donor="嘉兴市慈善总会",
        amount=amount,
        received_on=datetime.date(2017, 9, 1),
        receipt_number=f"R{next(_receipts):06d}",
        purpose="金秋助学",
    )


def item(
    world: Any,
    target: Fund,
    amount: str,
    *,
    union: str = "union_b",
    person: Any = None,
    source_id: int | None = None,
) -> PayableItem:
    town = "town_a" if union.endswith(("_a", "_a2")) else "town_b"
    if person is None:
        person = world.member(union).person
    return services.payable_submit(
        actor=world.staff(town, "reviewer"),
        organization=world.orgs[union],
        fund=target,
        person=person,
        account_holder=person.name,
        bank_name="中国农业银行嘉兴分行",
        bank_card="6228480328123456789",
        amount=amount,
        source_kind="assistance.application",
        source_id=source_id if source_id is not None else next(_sources) + 1000,
        label="2017 金秋助学",
    )


def batch(world: Any, items: list[PayableItem], org: str = "district_b") -> Any:
    return services.batch_create(
        actor=world.staff(org, "reviewer"),
        organization=world.orgs[org],
        title="2017 金秋助学第一批",
        items=items,
    )


def approve(world: Any, made: Any, org: str = "district_b") -> Any:
    return services.batch_decide(actor=world.staff(org, "admin"), batch=made, approve=True)
