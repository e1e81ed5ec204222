"""The acknowledgement of an income (PDF with a QR code) and its public verification page."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from gonghui.funds.receipts import capital_yuan
from gonghui.funds.tests import helpers as h

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("10", "壹拾元整"),
        ("100.05", "壹佰元零伍分"),
        ("1010.50", "壹仟零壹拾元伍角整"),
        ("10050", "壹万零伍拾元整"),
        ("1561200", "壹佰伍拾陆万壹仟贰佰元整"),
        ("1510000.38", "壹佰伍拾壹万元叁角捌分"),
        ("342000", "叁拾肆万贰仟元整"),
        ("100000001", "壹亿零壹元整"),
        ("9999999999.99", "玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amounts_in_capital_numerals(amount, text):
    assert capital_yuan(Decimal(amount)) == text


_VALUE = dict(zip("零壹贰叁肆伍陆柒捌玖", range(10), strict=True))
_UNIT = {"拾": 10, "佰": 100, "仟": 1000}


def _read_back(text: str) -> Decimal:
    """The amount a capital-numeral text says (a reader, to check the writer)."""
    whole, _, rest = text.partition("元") if "元" in text else ("", "", text)
    total, section, digit = 0, 0, 0
    for char in whole:
        if char in _VALUE:
            digit = _VALUE[char]
        elif char in _UNIT:
            section += digit * _UNIT[char]
            digit = 0
        elif char == "万":
            total += (section + digit) * 10_000
            section = digit = 0
        elif char == "亿":
            total = (total + section + digit) * 100_000_000
            section = digit = 0
    total += section + digit
    cents = 0
    jiao = re.search(r"(.)角", rest)
    fen = re.search(r"(.)分", rest)
    cents += _VALUE[jiao.group(1)] * 10 if jiao else 0
    cents += _VALUE[fen.group(1)] if fen else 0
    return Decimal(total) + Decimal(cents) / 100


@given(st.integers(min_value=0, max_value=999_999_999_999))
def test_capital_numerals_read_back_to_the_amount(cents):
    amount = Decimal(cents) / 100
    text = capital_yuan(amount)
    assert _read_back(text) == amount, text
    assert not text.startswith("零") or amount == 0
    assert "零零" not in text


def test_the_acknowledgement_states_the_income_and_links_its_verification(world):
    fund = h.fund(world)
    income = h.income(world, fund, "1561200.00")
    client = Client()
    client.force_login(world.staff("district_b", "clerk"))
    response = client.get(reverse("console:income_acknowledgement", args=[income.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = reader.pages[0].extract_text()
    for expected in (
        income.receipt_number,
        "嘉兴市慈善总会",
        "1,561,200.00",
        "壹佰伍拾陆万壹仟贰佰元整",
        "B区总工会",
        fund.name,
        f"/m/verify/income/{income.verify_token}/",
    ):
        assert expected in text.replace("\n", ""), expected
    # The QR code is an image on the page.
    assert reader.pages[0].images
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        assert "/FontFile2" in font.get_object()["/FontDescriptor"]


def test_anyone_may_verify_an_acknowledgement_by_its_token_and_see_only_the_receipt(world):
    fund = h.fund(world, name="个人捐助金秋助学基金")
    fund.source_kind = h.source_kind("individual")
    fund.save()
    income = h.income(world, fund, "500.00")
    income.donor = "王小明"
    income.save(update_fields=["donor"])
    # The token is random, not the income's number (a random token may well hold its digits).
    other = h.income(world, fund, "1.00")
    assert len(income.verify_token) >= 20 and not income.verify_token.isdigit()
    assert other.verify_token != income.verify_token
    page = Client().get(reverse("portal:income_verify", args=[income.verify_token]))
    assert page.status_code == 200
    html = page.content.decode()
    for expected in (income.receipt_number, "500.00", "伍佰元整", "2017-09-01", "B区总工会"):
        assert expected in html
    assert "王**" in html and "王小明" not in html
    # Nothing of the fund beyond its organisation: not its name, not its balance.
    assert fund.name not in html


def test_an_unknown_or_guessed_token_finds_nothing(world):
    income = h.income(world, h.fund(world), "500.00")
    for token in ("nope", str(income.pk), income.verify_token[:-1] + "x"):
        page = Client().get(reverse("portal:income_verify", args=[token]))
        assert page.status_code == 404
        assert income.receipt_number not in page.content.decode()


def test_a_sibling_branch_cannot_print_an_acknowledgement(world):
    income = h.income(world, h.fund(world), "500.00")
    client = Client()
    client.force_login(world.staff("district_a", "admin"))
    url = reverse("console:income_acknowledgement", args=[income.pk])
    assert client.get(url).status_code == 404
