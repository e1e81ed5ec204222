"""Money in one place (``gonghui.core.money``): the rule, the model and form fields, the
services' check and the API's ``Money`` type."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter
from pydantic import ValidationError as SchemaError

from gonghui.casework.models import LegalAid
from gonghui.core.api import Money, MoneyRules, _schema_message
from gonghui.core.money import (
    MAX_MONEY,
    MoneyField,
    MoneyFormField,
    check_money,
    to_money,
)


def refusal(value, **options) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        to_money(value, **options)
    return caught.value.code, caught.value.messages[0]


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.5", "1234.50"),
        (" 88 ", "88.00"),
        (5, "5.00"),
        (Decimal("0.10000"), "0.10"),  # trailing zeros are not places
        (0.1, "0.10"),  # a float is read as it was typed, never as its binary value
        ("-0", "0.00"),
        (MAX_MONEY, "9999999999.99"),
    ],
)
def test_an_amount_is_yuan_with_exactly_two_places(value, expected):
    amount = to_money(value)
    assert isinstance(amount, Decimal) and str(amount) == expected


def test_sums_of_amounts_are_exact():
    assert to_money("0.1") + to_money("0.2") == Decimal("0.30")
    assert sum(to_money("0.01") for _ in range(100)) == Decimal("1.00")


def test_a_negative_amount_is_refused_unless_the_field_allows_it():
    assert refusal("-0.01") == ("negative", "金额不能为负数。")
    assert to_money("-12.5", allow_negative=True) == Decimal("-12.50")


def test_more_than_two_places_is_refused_not_rounded():
    assert refusal("1.005") == ("places", "金额最多两位小数（精确到分）。")
    assert refusal(Decimal("0.001"), allow_negative=True)[0] == "places"


def test_an_amount_beyond_the_column_is_refused_both_ways():
    code, message = refusal(MAX_MONEY + Decimal("0.01"))
    assert code == "too_big" and message == "金额过大，不能超过 9,999,999,999.99 元。"
    assert refusal(-MAX_MONEY - 1, allow_negative=True)[0] == "too_big"
    assert to_money(-MAX_MONEY, allow_negative=True) == -MAX_MONEY
    assert refusal("1" * 40)[0] == "too_big"


@pytest.mark.parametrize(
    "value",
    ["abc", "１２", "1e3", "1,000", "¥5", "NaN", "Infinity", "", ".", True, float("inf"),
     Decimal("NaN"), Decimal("-Infinity"), None, [1]],
)  # fmt: skip
def test_what_is_not_a_typed_number_is_refused_with_an_example(value):
    assert refusal(value) == ("invalid", "金额应为数字，例如 1234.50。")


# --- the services' check -------------------------------------------------------------------------


def test_check_money_reports_into_the_fields_errors():
    errors: dict[str, list[str]] = {}
    assert check_money("", "amount", errors) is None and errors == {}
    assert check_money(None, "amount", errors, required=True) is None
    assert check_money("-3", "refund", errors) is None
    assert check_money("-3", "correction", errors, allow_negative=True) == Decimal("-3.00")
    assert errors == {"amount": ["请填写金额。"], "refund": ["金额不能为负数。"]}


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_check_money_keeps_exactly_the_amounts_the_rule_admits(value):
    errors: dict[str, list[str]] = {}
    amount = check_money(value, "amount", errors)
    admissible = 0 <= value <= MAX_MONEY and value == value.quantize(Decimal("0.01"))
    if admissible:
        assert amount == value and amount.as_tuple().exponent == -2 and errors == {}
    else:
        assert amount is None and len(errors["amount"]) == 1


@given(st.decimals(min_value=-MAX_MONEY, max_value=MAX_MONEY, places=2))
def test_any_two_place_amount_survives_being_typed(value):
    assert to_money(str(value), allow_negative=True) == value
    assert to_money(f"{value:f}", allow_negative=True) == value


# --- fields ------------------------------------------------------------------------------------


def test_the_model_field_validates_by_the_rule_and_migrates_as_a_plain_decimal():
    field = LegalAid._meta.get_field("recovered_amount")
    assert isinstance(field, MoneyField)
    assert (field.max_digits, field.decimal_places) == (12, 2)
    with pytest.raises(ValidationError) as caught:
        field.clean(Decimal("-1"), None)
    assert caught.value.messages == ["金额不能为负数。"]
    with pytest.raises(ValidationError) as caught:
        field.clean("三百", None)
    assert caught.value.messages == ["金额应为数字，例如 1234.50。"]
    assert field.clean("12.5", None) == Decimal("12.5")
    _name, path, _args, kwargs = field.deconstruct()
    assert path == "django.db.models.DecimalField"
    assert kwargs["max_digits"] == 12 and "allow_negative" not in kwargs


def test_a_signed_model_field_admits_a_negative_amount():
    field = MoneyField("调整金额", allow_negative=True)
    field.set_attributes_from_name("correction")
    field.clean(Decimal("-5.25"), None)
    assert field.formfield().allow_negative is True


class AmountForm(forms.Form):
    amount = MoneyFormField(label="金额", required=False)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "金额不能为负数。"),
        ("1.005", "金额最多两位小数（精确到分）。"),
        ("99999999999999999999999", "金额过大，不能超过 9,999,999,999.99 元。"),
        ("1e309", "金额应为数字，例如 1234.50。"),
    ],
)
def test_the_form_field_refuses_with_the_same_messages(typed, message):
    form = AmountForm({"amount": typed})
    assert not form.is_valid() and form.errors["amount"] == [message]


def test_the_form_field_reads_an_amount_and_hints_the_browser():
    form = AmountForm({"amount": "1234.5"})
    assert form.is_valid() and form.cleaned_data["amount"] == Decimal("1234.50")
    assert AmountForm({"amount": ""}).is_valid()
    html = str(AmountForm()["amount"])
    assert 'step="0.01"' in html and 'min="0"' in html and 'max="9999999999.99"' in html
    assert isinstance(LegalAid._meta.get_field("recovered_amount").formfield(), MoneyFormField)


# --- the API's type ------------------------------------------------------------------------------


def test_the_api_money_type_follows_the_same_rule():
    money = TypeAdapter(Money)
    assert money.validate_python("1234.5") == Decimal("1234.50")
    assert money.validate_json("0.1") == Decimal("0.10")
    for sent, message in [("-1", "金额不能为负数。"), ("1.005", "金额最多两位小数（精确到分）。")]:
        with pytest.raises(SchemaError) as caught:
            money.validate_python(sent)
        assert _schema_message(caught.value.errors()[0]) == message


def test_the_api_money_type_declares_its_bounds():
    from typing import Annotated

    schema = TypeAdapter(Money).json_schema()
    number = schema["anyOf"][0]
    assert number["minimum"] == 0 and number["maximum"] == float(MAX_MONEY)
    signed = TypeAdapter(Annotated[Decimal, MoneyRules(allow_negative=True)])
    assert signed.json_schema()["anyOf"][0]["minimum"] == -float(MAX_MONEY)
    assert signed.validate_python("-3") == Decimal("-3.00")
