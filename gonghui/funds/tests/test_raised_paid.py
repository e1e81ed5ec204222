"""Raised versus paid per subtree and year: per fund, per source kind, per organisation of
the next level and per month; the page, its export and the API."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.accounts.services import api_token_issue
from gonghui.funds import selectors, services
from gonghui.funds.models import PaymentLine
from gonghui.funds.services import LineResult
from gonghui.funds.tests import helpers as h

pytestmark = pytest.mark.django_db


def _paid(world, fund, amounts, *, on, org="district_b"):
    batch = h.approve(world, h.batch(world, [h.item(world, fund, a) for a in amounts], org=org))
    lines = PaymentLine.unscoped.filter(batch=batch)
    services.batch_results_record(
        actor=world.staff(org, "clerk"),
        batch=batch,
        results=[LineResult(line.pk, True) for line in lines],
        paid_on=on,
    )


@pytest.fixture
def money(world):
    """district_b: a charity fund of 10,000 (2017), 3,000 paid in 2017 and 1,000 in 2018;
    town_b: an enterprise fund of 5,000 (2017), 2,500 paid in 2017; district_a: a fund that
    a district_b reviewer never sees."""
    charity = h.fund(world, balance="10000", name="B区慈善助学基金")
    _paid(world, charity, ["1000", "2000"], on=datetime.date(2017, 10, 8))
    _paid(world, charity, ["1000"], on=datetime.date(2018, 1, 5))
    town = services.fund_create(
        actor=world.staff("town_b", "clerk"),
        organization=world.town_b,
        name="B镇企业认领基金",
        source_kind=h.source_kind("enterprise"),
    )
    h.income(world, town, "5000", org="town_b")
    _paid(world, town, ["2500"], on=datetime.date(2017, 12, 20), org="town_b")
    h.fund(world, "district_a", balance="999", name="A区基金")
    return charity, town


def test_the_report_splits_raised_and_paid_by_fund_kind_child_and_month(world, money):
    charity, town = money
    report = selectors.raised_paid_report(
        actor=world.staff("district_b", "reviewer"), organization=world.district_b, year=2017
    )
    assert (report.total.raised, report.total.paid) == (Decimal("15000"), Decimal("5500"))
    by_fund = {r.label: (r.raised, r.paid) for r in report.by_fund}
    assert by_fund == {
        charity.name: (Decimal("10000"), Decimal("3000")),
        town.name: (Decimal("5000"), Decimal("2500")),
    }
    by_kind = {r.key: (r.raised, r.paid) for r in report.by_source_kind}
    assert by_kind == {
        "charity": (Decimal("10000"), Decimal("3000")),
        "enterprise": (Decimal("5000"), Decimal("2500")),
    }
    by_child = {r.label: (r.raised, r.paid) for r in report.by_child}
    assert by_child == {
        "B区总工会（本级）": (Decimal("10000"), Decimal("3000")),
        "B镇总工会": (Decimal("5000"), Decimal("2500")),
    }
    months = {r.key: (r.raised, r.paid) for r in report.by_month if r.raised or r.paid}
    assert months == {
        9: (Decimal("15000"), Decimal("0")),
        10: (Decimal("0"), Decimal("3000")),
        12: (Decimal("0"), Decimal("2500")),
    }
    assert report.total.paid_share == Decimal("0.3667")
    later = selectors.raised_paid_report(
        actor=world.staff("district_b", "reviewer"), organization=world.district_b, year=2018
    )
    assert (later.total.raised, later.total.paid) == (Decimal("0"), Decimal("1000"))


def test_a_module_reads_raised_and_paid_of_its_own_funds(world, money):
    charity, town = money
    rows = selectors.raised_paid_for_funds(
        actor=world.staff("town_b", "admin"), fund_ids=[charity.pk, town.pk]
    )
    # The town sees its own fund only, in all years.
    assert [(r.label, r.raised, r.paid) for r in rows] == [
        (town.name, Decimal("5000"), Decimal("2500"))
    ]


def test_the_page_and_its_export_within_scope(world, money):
    client = Client()
    client.force_login(world.staff("district_b", "admin"))
    url = reverse("console:fund_raised_paid")
    page = client.get(url, {"year": "2017"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "15,000.00" in html and "5,500.00" in html and "B镇总工会" in html
    assert "A区基金" not in html
    assert 'id="raised-paid-data"' in html and "<script>" not in html
    export = client.get(url, {"year": "2017", "format": "xlsx"})
    book = load_workbook(BytesIO(b"".join(export.streaming_content)))
    text = " ".join(str(c) for row in book.active.iter_rows(values_only=True) for c in row)
    assert "B区慈善助学基金" in text and "企业自帮" in text and "15000" in text
    sibling = Client()
    sibling.force_login(world.staff("district_a", "admin"))
    assert sibling.get(url, {"org": world.district_b.pk}).status_code == 404


def test_the_api_gives_the_same_figures(world, money):
    key, _ = api_token_issue(user=world.staff("district_b", "admin"))
    response = Client().get("/api/funds/raised-paid?year=2017", HTTP_AUTHORIZATION=f"Bearer {key}")
    body = json.loads(response.content)
    assert response.status_code == 200
    assert (body["total"]["raised"], body["total"]["paid"]) == ("15000.00", "5500.00")
    other, _ = api_token_issue(user=world.staff("district_a", "admin"))
    response = Client().get(
        f"/api/funds/raised-paid?year=2017&org={world.district_b.pk}",
        HTTP_AUTHORIZATION=f"Bearer {other}",
    )
    assert response.status_code == 404


def test_a_value_date_in_the_future_is_refused(world):
    fund = h.fund(world, balance="1000")
    batch = h.approve(world, h.batch(world, [h.item(world, fund, "100")]))
    line = PaymentLine.unscoped.get(batch=batch)
    with pytest.raises(ValidationError) as caught:
        services.batch_results_record(
            actor=world.staff("district_b", "clerk"),
            batch=batch,
            results=[LineResult(line.pk, True)],
            paid_on=datetime.date.today() + datetime.timedelta(days=2),  # noqa: DTZ011
        )
    assert "到账日期不能晚于今天" in caught.value.message_dict["paid_on"][0]
    line.refresh_from_db()
    assert line.status == "reserved"
