"""Shared set-up for the assistance tests: a district fund, a programme and its round, a
hardship file, an application, and the hardship roll's ``mark_helped`` recorded."""

from __future__ import annotations

import datetime
import itertools
import sys
import types
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gonghui.assistance import rules, services
from gonghui.assistance.models import Programme, Round
from gonghui.funds.tests import helpers as funds_helpers

_names = itertools.count(1)
PDF = b"%PDF-1.4 admission letter"
CARD = "6228480328123456789"


def install_mark_helped(monkeypatch: Any) -> list[tuple[int, datetime.date]]:
    """Record ``hardship.services.mark_helped`` (and ``mark_helped_many``) calls (the
    hardship roll's own service, which its branch adds; a stand-in module until then)."""
    calls: list[tuple[int, datetime.date]] = []

    def mark_helped(*, household_id: int, on: datetime.date) -> None:
        calls.append((household_id, on))

    try:
        from gonghui.hardship import services as hardship_services
    except ImportError:
        hardship_services = types.ModuleType("gonghui.hardship.services")
        monkeypatch.setitem(sys.modules, "gonghui.hardship.services", hardship_services)
        import gonghui.hardship

        monkeypatch.setattr(gonghui.hardship, "services", hardship_services, raising=False)

    def mark_helped_many(*, household_ids: Any, on: datetime.date) -> None:
        calls.extend((household_id, on) for household_id in household_ids)

    monkeypatch.setattr(hardship_services, "mark_helped", mark_helped, raising=False)
    monkeypatch.setattr(hardship_services, "mark_helped_many", mark_helped_many, raising=False)
    return calls


def programme(world: Any, org: str = "district_b", kind: str = "study") -> Programme:
    return services.programme_create(
        actor=world.staff(org, "clerk"),
        organization=world.orgs[org],
        kind=kind,
        name=f"金秋助学{next(_names)}",
    )


def round_(
    world: Any,
    *,
    template: str = "autumn_study",
    org: str = "district_b",
    tiers: tuple[str, ...] = ("grassroots", "town", "district"),
    fund: Any = None,
    once_per_household: bool = False,
    documents_required: bool = False,
    balance: str = "100000",
) -> Round:
    _label, rule, table = rules.TEMPLATES[template]
    kind = {"autumn_study": "study", "dialysis": "medical", "spring": "hardship"}[template]
    today = timezone.localdate()
    return services.round_save(
        actor=world.staff(org, "clerk"),
        programme=programme(world, org, kind),
        name=f"{today.year} 批次{next(_names)}",
        year=today.year,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=20),
        tiers=tiers,
        rules_data=rule,
        amounts=table,
        funds=[fund or funds_helpers.fund(world, org, balance=balance)],
        once_per_household=once_per_household,
        documents_required=documents_required,
    )


def household(world: Any, person: Any, union: str = "union_b", **extra: Any) -> Any:
    """A hardship file on the roll (the hardship services are another branch's; the records
    are made directly here), with the worker and a child in it."""
    from gonghui.hardship.models import Household, HouseholdMember, HouseholdStatus

    made = Household.unscoped.create(
        union=world.orgs[union],
        person=person,
        status=extra.pop("status", HouseholdStatus.ACTIVE),
        per_capita_income="8000.00",
        member_count=2,
        created_by=world.staff(union, "clerk"),
        filed_on=datetime.date(2017, 3, 1),
        **extra,
    )
    HouseholdMember.unscoped.create(
        household=made,
        person=person,
        name=person.name,
        relation="self",
        yearly_income="16000.00",
        health="尿毒症",
    )
    HouseholdMember.unscoped.create(
        household=made, name="王小明", relation="child", yearly_income="0.00", in_school="高中"
    )
    return made


def letter(name: str = "录取通知书.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def child(**overrides: Any) -> services.Declared:
    values: dict[str, Any] = {
        "beneficiary": "child",
        "beneficiary_name": "王小明",
        "school": "浙江大学",
        "education_level": "bachelor",
        "admission_year": timezone.localdate().year,
    }
    values.update(overrides)
    return services.Declared(**values)


def apply(world: Any, round: Round, user: Any, **overrides: Any) -> Any:
    """The worker applies in the portal with an admission letter."""
    documents = overrides.pop("documents", [letter()])
    at = overrides.pop("at", None)
    return services.application_create(
        actor=user,
        round=round,
        person=user.person,
        declared=child(**overrides),
        account_holder=user.person.name,
        bank_name="中国农业银行嘉兴分行",
        bank_card=CARD,
        documents=documents,
        at=at,
    )


def approve_all(
    world: Any, application: Any, tiers: tuple[str, ...] = ("union_b", "town_b", "district_b")
) -> Any:
    for org in tiers:
        application = services.application_decide(
            actor=world.staff(org, "reviewer"), application=application, approve=True
        )
    return application


def money(text: str) -> Decimal:
    return Decimal(text)
