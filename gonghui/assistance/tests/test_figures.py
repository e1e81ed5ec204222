"""The figures page, its export and the figures API: one selector, the same numbers."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gonghui.accounts.services import api_token_issue
from gonghui.assistance import selectors, services
from gonghui.assistance.tests import helpers as h
from gonghui.core import modules
from gonghui.funds import services as funds_services

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user, path: str):
    key, _token = api_token_issue(user=user)
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def small_world(world, monkeypatch):
    """In district_b this year: two study grants approved (a bachelor and a college student,
    each of a household on the roll), one pending, one spring hardship grant approved for the
    bachelor's household; an income into a fund; another grant in district_a."""
    h.install_mark_helped(monkeypatch)
    study = h.round_(world)
    first = world.worker("union_b")
    household = h.household(world, first.person)
    h.approve_all(world, h.apply(world, study, first))
    second = world.worker("union_b")
    h.household(world, second.person)
    h.approve_all(world, h.apply(world, study, second, education_level="college"))
    third = world.worker("union_b")
    h.household(world, third.person)
    h.apply(world, study, third, education_level="secondary_vocational")
    spring = h.round_(world, template="spring", tiers=("grassroots", "town"))
    application = services.application_create(
        actor=first,
        round=spring,
        person=first.person,
        declared=services.Declared(beneficiary_name=first.person.name),
        account_holder="甲",
        bank_name="农行",
        bank_card=h.CARD,
    )
    h.approve_all(world, application, ("union_b", "town_b"))
    fund = study.funds.get()
    funds_services.income_record(
        actor=world.staff("district_b", "clerk"),
        fund=fund,
        donor="嘉兴市慈善总会",
        amount="5000",
        received_on=timezone.localdate(),
        receipt_number="R900001",
        purpose="金秋助学",
    )
    far = world.worker("union_a")
    h.household(world, far.person, "union_a")
    h.approve_all(
        world,
        h.apply(world, h.round_(world, org="district_a"), far),
        ("union_a", "town_a", "district_a"),
    )
    world.household = household
    return world


def test_the_figures_count_what_was_approved_per_kind_and_level(small_world):
    world = small_world
    year = timezone.localdate().year
    found = selectors.assistance_figures(
        actor=world.staff("district_b", "admin"), organization=world.district_b, year=year
    )
    kinds = {row.kind: row for row in found.by_kind}
    assert (kinds["study"].approved, kinds["study"].households) == (2, 2)
    assert (kinds["hardship"].approved, kinds["hardship"].households) == (1, 1)
    assert kinds["medical"].approved == 0 and kinds["medical"].amount == 0
    levels = {row.level: row for row in found.by_level}
    assert levels["bachelor"].children == 1 and levels["bachelor"].amount == Decimal("4000.00")
    assert levels["college"].children == 1
    assert levels["secondary_vocational"].children == 0  # still pending
    assert found.value("assistance.households_helped") == 2  # each household once
    assert found.value("assistance.approved") == 3
    assert found.value("assistance.approved_amount") == sum(r.amount for r in found.by_kind)
    assert found.value("assistance.study_amount.bachelor") + found.value(
        "assistance.study_amount.college"
    ) == found.value("assistance.amount.study")
    assert sum(r.raised for r in found.by_source) == found.value("funds.raised") == Decimal("5000")
    money = {line.key for line in found.figures if line.money}
    assert {"funds.raised", "assistance.amount.study", "virtualjobs.paid"} <= money
    assert not money & {"assistance.approved", "employment.served", "hardship.households"}
    # Every registered figure of these modules is there once, each counting its records.
    assert [line.key for line in found.figures] == selectors.figure_keys()
    admin = world.staff("district_b", "admin")
    for key in ("assistance.households.study", "assistance.study.bachelor"):
        records = modules.figure_records(key, actor=admin, org=world.district_b, year=year)
        assert records.count() == found.value(key)


def test_page_export_and_api_give_the_same_numbers(small_world):
    world = small_world
    year = timezone.localdate().year
    admin = world.staff("district_b", "admin")
    query = {"org": world.district_b.pk, "year": year}
    page = login(admin).get(reverse("console:assistance_figures"), query)
    assert page.status_code == 200
    shown = {line.key: line.value for line in page.context["f"].figures}
    html = page.content.decode()
    assert 'data-key="assistance.approved"' in html and "assistance-figures-data" in html
    assert "<script>" not in html.replace('<script src="', "")  # no inline script (CSP)

    response = api(admin, f"/api/assistance/figures?year={year}&org={world.district_b.pk}")
    assert response.status_code == 200
    body = response.json()
    from_api = {f["key"]: Decimal(str(f["value"])) for f in body["figures"]}
    assert from_api == shown
    assert shown["assistance.amount.study"] > 0 and shown["assistance.study.college"] == 1
    sources = {s["label"]: Decimal(str(s["raised"])) for s in body["by_source"]}
    assert sum(sources.values()) == Decimal("5000")

    export = login(admin).get(reverse("console:assistance_figures"), {**query, "format": "xlsx"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    export.close()
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    labels = {line.label: line.value for line in page.context["f"].figures}
    exported = {r[1]: Decimal(str(r[2])) for r in rows if not str(r[0]).startswith("资金来源")}
    assert exported == labels
    raised = {r[1]: Decimal(str(r[2])) for r in rows if r[0] == "资金来源（筹集）"}
    assert raised == sources


def test_the_page_defaults_to_the_own_organisation_and_this_year(small_world):
    world = small_world
    page = login(world.staff("town_b", "clerk")).get(reverse("console:assistance_figures"))
    assert page.status_code == 200
    assert page.context["f"].organization == world.town_b
    assert page.context["f"].year == timezone.localdate().year
    assert page.context["f"].value("assistance.approved") == 3
    menu = page.content.decode()
    assert reverse("console:assistance_figures") in menu


def test_a_sibling_branch_gets_404_on_page_export_and_api(small_world):
    world = small_world
    year = timezone.localdate().year
    sibling = world.staff("district_a", "admin")
    url = reverse("console:assistance_figures")
    client = login(sibling)
    assert client.get(url, {"org": world.town_b.pk, "year": year}).status_code == 404
    assert client.get(url, {"org": world.town_b.pk, "format": "xlsx"}).status_code == 404
    assert client.get(url, {"org": "x"}).status_code == 404
    assert api(sibling, f"/api/assistance/figures?org={world.town_b.pk}").status_code == 404
    # Their own page counts only their own branch.
    own = client.get(url, {"year": year})
    assert own.context["f"].value("assistance.approved") == 1
    assert own.context["f"].value("assistance.households_helped") == 1


def test_a_lower_union_sees_only_its_subtree(small_world):
    world = small_world
    page = login(world.staff("union_b", "clerk")).get(
        reverse("console:assistance_figures"), {"org": world.union_b.pk}
    )
    assert page.status_code == 200
    assert page.context["f"].value("assistance.approved") == 3
    assert (
        login(world.staff("union_b", "clerk"))
        .get(reverse("console:assistance_figures"), {"org": world.town_b.pk})
        .status_code
        == 404
    )
