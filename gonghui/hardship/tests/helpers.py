"""Building blocks for the hardship tests: income lines for the test city, a household filed
at branch B's grassroots union, visited and submitted."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.hardship import services
from gonghui.hardship.models import HardshipLevel, Household, HouseholdFiling
from gonghui.testing.factories import new_id_number, person_input
from gonghui.testing.world import World

YEAR = 2017
# A 1x1 PNG.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def level(code: str) -> HardshipLevel:
    return HardshipLevel.objects.get(code=code)


def lines(w: World, deep: str = "8000", relative: str = "15000", year: int = YEAR) -> None:
    admin = w.staff("city", "admin")
    for code, amount in (("deep", deep), ("relative", relative)):
        services.income_line_set(
            actor=admin, organization=w.city, year=year, level=level(code), line=amount
        )


def photo(name: str = "门口.png", data: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def file(
    w: World, union: str = "union_b", *, income: str = "6000", actor: Any = None, **person: Any
) -> Household:
    data = person_input(**person)
    clerk = actor or w.staff(union, "clerk")
    return services.household_file(
        actor=clerk,
        union=w.orgs[union],
        name=data.name,
        id_number=data.id_number,
        address="B镇幸福路 1 号",
        causes=["illness"],
        yearly_income=income,
        health="尿毒症，每周透析",
        work_capacity="partial",
    )


def member(w: World, household: Household, income: str = "0", **kw: Any) -> Any:
    data = services.MemberInput(
        name=kw.pop("name", "李小明"),
        relation=kw.pop("relation", "child"),
        id_number=kw.pop("id_number", new_id_number(birth=datetime.date(2005, 3, 1))),
        yearly_income=income,
        **kw,
    )
    return services.member_add(actor=w.staff("union_b", "clerk"), household=household, data=data)


def visit(w: World, household: Household, actor: Any = None, photos: Any = ()) -> Any:
    return services.visit_record(
        actor=actor or w.staff("union_b", "clerk"),
        household=household,
        data=services.VisitInput(
            visited_on=datetime.date(2017, 3, 2),
            visitors="王芳、赵强",
            findings="家中两口人，妻子透析，住房简陋。",
            photos=list(photos),
        ),
    )


def submitted(w: World, union: str = "union_b", *, actor: Any = None, **kw: Any) -> HouseholdFiling:
    clerk = actor or w.staff(union, "clerk")
    household = file(w, union, actor=clerk, **kw)
    visit(w, household, actor=clerk)
    return services.household_submit(actor=clerk, household=household)


def approved(w: World) -> Household:
    filing = submitted(w)
    services.household_decide(actor=w.staff("town_b", "reviewer"), filing=filing, approve=True)
    household = Household.unscoped.get(pk=filing.household_id)
    return household


def per_capita(household: Household) -> Decimal | None:
    household.refresh_from_db()
    return household.per_capita()
