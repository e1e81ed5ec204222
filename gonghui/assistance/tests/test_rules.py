"""The rule engine: total, deterministic, reasons exactly for what fails, amounts only from
the table (hypothesis), and the templates of the programmes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gonghui.assistance import rules

FACT_NAMES = sorted(rules.FACTS)
# Values a fact may carry, of every type (and wrong types, and nothing at all).
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=1990, max_value=2030),
    st.sampled_from(
        [code for fact in rules.FACTS.values() for code, _ in fact.choices] + ["", "深度困难"]
    ),
    st.lists(st.integers(), max_size=2),
)
facts_strategy = st.dictionaries(st.sampled_from(FACT_NAMES), ANY_VALUE, max_size=len(FACT_NAMES))


@st.composite
def leaves(draw: Any) -> dict[str, Any]:
    """A valid condition on a known fact, with a reason of its own."""
    name = draw(st.sampled_from(FACT_NAMES))
    fact = rules.FACTS[name]
    reason = f"原因{draw(st.integers(min_value=0, max_value=10_000))}"
    if fact.kind == "bool":
        return {
            "fact": name,
            "op": draw(st.sampled_from(["is_true", "is_false"])),
            "reason": reason,
        }
    if fact.kind == "int":
        op = draw(st.sampled_from(["eq", "ne", "gte", "lte"]))
        return {"fact": name, "op": op, "value": draw(st.integers(2000, 2030)), "reason": reason}
    codes = [code for code, _ in fact.choices] or ["deep", "relative"]
    op = draw(st.sampled_from(["eq", "ne", "in", "not_in"]))
    if op in {"in", "not_in"}:
        value: Any = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=3))
    else:
        value = draw(st.sampled_from(codes))
    return {"fact": name, "op": op, "value": value, "reason": reason}


def trees(depth: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        leaves(),
        lambda children: st.one_of(
            st.builds(lambda parts: {"all": parts}, st.lists(children, min_size=1, max_size=4)),
            st.builds(
                lambda parts, n: {"any": parts, "reason": f"任一{n}"},
                st.lists(children, min_size=1, max_size=4),
                st.integers(0, 10_000),
            ),
        ),
        max_leaves=12,
    )


@settings(max_examples=300)
@given(trees(), facts_strategy)
def test_evaluation_is_total_and_deterministic(rule, facts):
    first = rules.evaluate(rule, facts)
    assert first == rules.evaluate(rule, dict(facts))
    assert first.eligible == (not first.reasons)
    assert len(set(first.reasons)) == len(first.reasons)


@settings(max_examples=200)
@given(trees())
def test_every_generated_rule_is_valid(rule):
    assert rules.validate_rule(rule) == []


@settings(max_examples=300)
@given(st.lists(leaves(), min_size=1, max_size=8), facts_strategy)
def test_reasons_are_exactly_those_of_the_failed_conditions(parts, facts):
    outcome = rules.evaluate({"all": parts}, facts)
    failed = [p["reason"] for p in parts if not rules.evaluate(p, facts).eligible]
    assert list(outcome.reasons) == list(dict.fromkeys(failed))


@settings(max_examples=300)
@given(st.lists(trees(), min_size=1, max_size=4), facts_strategy)
def test_groups_compose(parts, facts):
    each = [rules.evaluate(p, facts).eligible for p in parts]
    assert rules.evaluate({"all": parts}, facts).eligible == all(each)
    either = rules.evaluate({"any": parts, "reason": "任一"}, facts)
    assert either.eligible == any(each)
    assert either.reasons == (() if any(each) else ("任一",))


@given(leaves())
def test_a_missing_fact_fails_its_condition_with_its_reason(leaf):
    assert rules.evaluate(leaf, {}) == rules.Outcome(False, (leaf["reason"],))


@given(st.sampled_from(FACT_NAMES), ANY_VALUE)
def test_an_equal_value_meets_eq_and_fails_ne(name, value):
    if value is None or isinstance(value, list):
        return
    met = rules.evaluate({"fact": name, "op": "eq", "value": value, "reason": "r"}, {name: value})
    assert met.eligible
    other = rules.evaluate({"fact": name, "op": "ne", "value": value, "reason": "r"}, {name: value})
    assert other.reasons == ("r",)


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
tables = st.one_of(
    st.builds(lambda a: {"fixed": str(a)}, money),
    st.builds(
        lambda amounts: {"by": "child.education_level", "amounts": amounts},
        st.dictionaries(
            st.sampled_from([code for code, _ in rules.EDUCATION_LEVELS]),
            money.map(str),
            min_size=1,
        ),
    ),
)


@settings(max_examples=300)
@given(tables, facts_strategy)
def test_amounts_come_only_from_the_table(table, facts):
    assert rules.validate_table(table) == []
    amount, reason = rules.amount_for(table, facts)
    if amount is None:
        assert reason
    else:
        assert amount in rules.table_amounts(table)
        assert amount == amount.quantize(Decimal("0.01"))


def test_the_autumn_grant_template_gives_the_reasons_and_the_amount_per_level():
    _label, rule, table = rules.TEMPLATES["autumn_study"]
    assert rules.validate_rule(rule) == [] and rules.validate_table(table) == []
    child = {"child.admitted_this_year": True, "child.education_level": "bachelor"}
    migrant = {**child, "household.status": "none", "person.household_type": "migrant"}
    assert rules.evaluate(rule, migrant).eligible
    assert rules.amount_for(table, migrant) == (Decimal("4000.00"), "")
    urban = {**migrant, "person.household_type": "urban", "child.admitted_this_year": False}
    assert rules.evaluate(rule, urban).reasons == (
        "须为在册困难职工家庭子女或农民工子女",
        "须为本年度新录取的学生",
    )


def test_the_dialysis_template_pays_a_fixed_amount():
    _label, rule, table = rules.TEMPLATES["dialysis"]
    facts = {"person.is_member": True, "member.condition": "dialysis"}
    assert rules.evaluate(rule, facts).eligible
    assert rules.amount_for(table, facts) == (Decimal("4500.00"), "")
    assert rules.evaluate(rule, {"person.is_member": False}).reasons == (
        "须为工会会员",
        "须为尿毒症透析患者",
    )


def test_bad_rules_and_tables_are_refused_in_chinese():
    assert rules.validate_rule({"fact": "person.salary", "op": "eq", "value": 1, "reason": "r"})
    assert rules.validate_rule({"fact": "person.is_member", "op": "is_true"}) == [
        "每个条件都要写明不符合时告诉申请人的原因（reason）。"
    ]
    html = {"fact": "person.is_member", "op": "is_true", "reason": "<b>会员</b>"}
    assert any("HTML" in e for e in rules.validate_rule(html))
    assert rules.validate_table({"fixed": "-100"}) == ["固定金额：金额不能为负数。"]
    assert rules.validate_table({"fixed": "100.123"}) == [
        "固定金额：金额最多两位小数（精确到分）。"
    ]
    bad_level = {"by": "child.education_level", "amounts": {"kindergarten": "100"}}
    assert "kindergarten" in rules.validate_table(bad_level)[0]


def test_describe_reads_the_rule_in_chinese():
    _label, rule, table = rules.TEMPLATES["autumn_study"]
    text = "\n".join(rules.describe(rule))
    assert "满足以下任一条件" in text and "子女为本年度新录取：是" in text
    assert rules.describe_table(table)[0] == "中等职业学校：2,000.00 元"


def test_a_yes_or_no_fact_reads_as_yes_or_no():
    assert rules.choice_label("child.admitted_this_year", True) == "是"
    assert rules.choice_label("child.admitted_this_year", False) == "否"
    assert rules.choice_label("child.education_level", "bachelor") == "本科"


def test_the_facts_a_round_uses_are_those_of_its_rule_and_its_table():
    _label, rule, table = rules.TEMPLATES["autumn_study"]
    assert rules.facts_used(rule, table) == {
        "household.status",
        "person.household_type",
        "child.admitted_this_year",
        "child.education_level",
    }
    _label, rule, table = rules.TEMPLATES["dialysis"]
    assert rules.facts_used(rule, table) == {"person.is_member", "member.condition"}
    assert rules.facts_used({}, {"fixed": "100.00"}) == set()


@settings(max_examples=300)
@given(trees(), facts_strategy)
def test_assuming_missing_facts_is_never_stricter(rule, facts):
    """A proposal (facts not yet declared are assumed) never leaves out someone who would be
    eligible with those facts."""
    partial = rules.evaluate(rule, facts, assume_missing=True)
    assert partial.eligible or not rules.evaluate(rule, facts).eligible
    assert rules.evaluate(rule, {}, assume_missing=True).eligible


@pytest.mark.parametrize("key", sorted(rules.TEMPLATES))
def test_a_template_reads_in_words_and_comes_back_as_its_codes(key):
    import json
    import re

    _label, rule, table = rules.TEMPLATES[key]
    for data in (rule, table):
        shown = json.dumps(rules.readable(data), ensure_ascii=False)
        # What staff read names no fact, operator or choice by its code.
        assert not re.search(r"\b[a-z]+(?:[._][a-z]+)+\b", shown), shown
        assert rules.from_readable(json.loads(shown)) == data
    assert rules.readable(rules.TEMPLATES["autumn_study"][2])["按"] == "子女录取学段"


def test_rules_typed_as_codes_are_kept_and_unknown_words_are_named():
    coded = {"fact": "member.condition", "op": "eq", "value": "dialysis", "reason": "须透析"}
    assert rules.from_readable(coded) == coded
    typed = {"条件": "子女学段", "判断": "为", "取值": "本科", "不符合时告知": "x"}
    typo = rules.from_readable(typed)
    assert typo["fact"] == "子女学段" and typo["op"] == "eq"
    assert rules.validate_rule(typo)  # the unknown fact is refused with its reason
