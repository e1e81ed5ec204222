"""The benefit rules (gonghui/mutualaid/rules.py): parsing with Chinese errors by field path,
and the one computation, with properties checked by hypothesis. No database."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from gonghui.mutualaid.rules import (
    Band,
    Category,
    Earlier,
    RuleSet,
    compute,
    dump,
    errors_of,
    parse,
)

D = Decimal


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def inpatient(**overrides):
    data = {
        "code": "inpatient",
        "name": "住院",
        "deductible": "500.00",
        "bands": [
            {"start": "0", "end": "5000", "rate": "50"},
            {"start": "5000", "end": "20000", "rate": "60"},
            {"start": "20000", "end": None, "rate": "70"},
        ],
        "per_claim_cap": None,
        "yearly_cap": "30200.00",
    }
    data.update(overrides)
    return data


def band(start, end, rate):
    return {"start": start, "end": end, "rate": rate}


def rules_data(*categories, yearly_cap=None):
    return {"yearly_cap": yearly_cap, "categories": list(categories) or [inpatient()]}


# --- strategies ---------------------------------------------------------------------------

money = st.integers(min_value=0, max_value=5_000_000).map(lambda fen: D(fen) / 100)
positive_money = st.integers(min_value=1, max_value=5_000_000).map(lambda fen: D(fen) / 100)
rates = st.integers(min_value=0, max_value=10_000).map(lambda basis: D(basis) / 100)


@st.composite
def band_tuples(draw):
    cuts = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=4_000_000), min_size=0, max_size=5))
    )
    starts = [0, *cuts]
    open_ended = draw(st.booleans())
    ends = [*cuts, None if open_ended else draw(st.integers(4_000_001, 6_000_000))]
    return tuple(
        Band(start=D(s) / 100, end=None if e is None else D(e) / 100, rate=draw(rates))
        for s, e in zip(starts, ends, strict=True)
    )


@st.composite
def categories(draw, code="inpatient", lump=False):
    lump_sum = draw(positive_money) if lump else None
    return Category(
        code=code,
        name="住院",
        deductible=draw(st.one_of(st.just(D("0.00")), money)),
        bands=() if lump else draw(band_tuples()),
        per_claim_cap=draw(st.one_of(st.none(), positive_money)),
        yearly_cap=draw(st.one_of(st.none(), positive_money)),
        lump_sum=lump_sum,
    )


@st.composite
def rule_sets(draw, lump=None):
    is_lump = draw(st.booleans()) if lump is None else lump
    main = draw(categories(lump=is_lump))
    other = draw(categories(code="outpatient"))
    return RuleSet(categories=(main, other), yearly_cap=draw(st.one_of(st.none(), positive_money)))


@st.composite
def histories(draw, rules):
    """Earlier claims of the year, computed by the rules themselves in sequence, so that
    what they used and paid is consistent."""
    earlier = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        code = draw(st.sampled_from(["inpatient", "outpatient"]))
        amount = draw(money)
        benefit = compute(rules, code, amount, earlier)
        earlier.append(Earlier(code, amount, benefit.deductible_used, benefit.amount))
    return earlier


def without_per_claim_cap(rules):
    return RuleSet(
        categories=tuple(
            Category(
                code=c.code,
                name=c.name,
                deductible=c.deductible,
                bands=c.bands,
                per_claim_cap=None,
                yearly_cap=c.yearly_cap,
                lump_sum=c.lump_sum,
                sex=c.sex,
            )
            for c in rules.categories
        ),
        yearly_cap=rules.yearly_cap,
    )


PROPERTY = hypothesis_settings(max_examples=300, deadline=None)


# --- properties ---------------------------------------------------------------------------


@PROPERTY
@given(data=st.data(), rules=rule_sets(lump=False), eligible=money)
def test_benefit_never_exceeds_the_eligible_amount(data, rules, eligible):
    earlier = data.draw(histories(rules))
    benefit = compute(rules, "inpatient", eligible, earlier)
    assert D(0) <= benefit.amount <= eligible
    assert D(0) <= benefit.deductible_used <= eligible
    assert benefit.amount == benefit.amount.quantize(D("0.01"))


@PROPERTY
@given(data=st.data(), rules=rule_sets(), eligible=money)
def test_benefit_never_exceeds_any_cap(data, rules, eligible):
    earlier = data.draw(histories(rules))
    cat = rules.category("inpatient")
    benefit = compute(rules, "inpatient", eligible, earlier).amount
    if cat.per_claim_cap is not None:
        assert benefit <= cat.per_claim_cap
    if cat.yearly_cap is not None:
        before = sum((e.benefit for e in earlier if e.category == "inpatient"), D(0))
        assert before + benefit <= max(cat.yearly_cap, before)
        assert benefit <= max(D(0), cat.yearly_cap - before)
    if rules.yearly_cap is not None:
        before = sum((e.benefit for e in earlier), D(0))
        assert benefit <= max(D(0), rules.yearly_cap - before)


@PROPERTY
@given(data=st.data(), rules=rule_sets(), eligible=money, more=money)
def test_benefit_never_decreases_when_the_eligible_amount_increases(data, rules, eligible, more):
    earlier = data.draw(histories(rules))
    low = compute(rules, "inpatient", eligible, earlier)
    high = compute(rules, "inpatient", eligible + more, earlier)
    assert high.amount >= low.amount


@PROPERTY
@given(data=st.data(), rules=rule_sets(), first=money, second=money)
def test_a_claim_split_into_two_invoices_pays_the_same_as_one(data, rules, first, second):
    earlier = data.draw(histories(rules))
    # A claim's eligible amount is the sum of its invoices' eligible self-paid parts.
    one_invoice = compute(rules, "inpatient", first + second, earlier)
    two_invoices = compute(rules, "inpatient", sum([first, second], D(0)), earlier)
    assert one_invoice == two_invoices


@PROPERTY
@given(data=st.data(), rules=rule_sets(), first=money, second=money)
def test_two_claims_in_sequence_pay_what_one_claim_of_their_sum_pays(data, rules, first, second):
    rules = without_per_claim_cap(rules)
    earlier = data.draw(histories(rules))
    one = compute(rules, "inpatient", first + second, earlier)
    a = compute(rules, "inpatient", first, earlier)
    b = compute(
        rules,
        "inpatient",
        second,
        [*earlier, Earlier("inpatient", first, a.deductible_used, a.amount)],
    )
    assert a.amount + b.amount == one.amount
    assert a.deductible_used + b.deductible_used == one.deductible_used


@PROPERTY
@given(rules=rule_sets())
def test_dump_then_parse_gives_the_same_rules(rules):
    assert parse(dump(rules)) == rules


# --- examples: the computation and its explanation ----------------------------------------


def test_bands_deductible_and_explanation_lines():
    rules = parse(rules_data(inpatient()))
    benefit = compute(rules, "inpatient", D("12500.00"), [])
    # 500 deductible; 12,000 above it: 5,000 at 50% + 7,000 at 60% = 2,500 + 4,200
    assert benefit.amount == D("6700.00")
    assert benefit.deductible_used == D("500.00")
    assert benefit.lines == (
        "保障类别：住院；本次政策内自付 12,500.00 元。",
        "起付线 500.00 元，本次使用 500.00 元。",
        "超过起付线部分 12,000.00 元。",
        "其中 5,000.00 元（0.00 至 5,000.00 元段）按 50% 计 2,500.00 元。",
        "其中 7,000.00 元（5,000.00 至 20,000.00 元段）按 60% 计 4,200.00 元。",
        "按分段计算合计 6,700.00 元。",
        "本类别年度封顶 30,200.00 元，本年此前已赔付 0.00 元，尚余 30,200.00 元。",
        "本次赔付 6,700.00 元；本年本类别累计赔付 6,700.00 元。",
    )


def test_a_later_claim_continues_from_the_year_and_meets_the_caps():
    rules = parse(rules_data(inpatient(), yearly_cap="40000.00"))
    first = compute(rules, "inpatient", D("300.00"), [])
    assert (first.amount, first.deductible_used) == (D("0.00"), D("300.00"))
    earlier = [Earlier("inpatient", D("300.00"), D("300.00"), D("0.00"))]
    second = compute(rules, "inpatient", D("60000.00"), earlier)
    # 200 of deductible left; 59,800 above: 2,500 + 9,000 + 39,800 x 70% = 39,360 -> cap 30,200
    assert second.deductible_used == D("200.00")
    assert second.amount == D("30200.00")
    assert "起付线 500.00 元，本年此前已使用 300.00 元，本次使用 200.00 元。" in second.lines
    assert "其中 39,800.00 元（20,000.00 元以上）按 70% 计 27,860.00 元。" in second.lines
    assert "本次按本类别年度封顶计 30,200.00 元。" in second.lines
    assert "年度总封顶 40,000.00 元，本年此前各类共赔付 0.00 元，尚余 40,000.00 元。" in (
        second.lines
    )
    third = compute(
        rules,
        "inpatient",
        D("1000.00"),
        [*earlier, Earlier("inpatient", D("60000.00"), D("200.00"), D("30200.00"))],
    )
    assert third.amount == D("0.00")
    assert (
        "本年本类别此前累计超过起付线部分 59,800.00 元，本次 1,000.00 元，累计至 60,800.00 元。"
        in (third.lines)
    )


def test_per_claim_cap_and_overall_cap_lines():
    rules = parse(
        rules_data(
            inpatient(per_claim_cap="3000", yearly_cap=None),
            {
                "code": "outpatient",
                "name": "门诊特殊病种",
                "deductible": "0",
                "bands": [{"start": "0", "end": None, "rate": "40"}],
                "yearly_cap": None,
            },
            yearly_cap="5000",
        )
    )
    benefit = compute(rules, "inpatient", D("10500.00"), [])
    assert benefit.amount == D("3000.00")
    assert "单次封顶 3,000.00 元，本次按封顶计 3,000.00 元。" in benefit.lines
    other = compute(
        rules, "outpatient", D("10000.00"), [Earlier("inpatient", D("10500"), D("500"), D("3000"))]
    )
    assert other.amount == D("2000.00")
    assert "起付线：无。" in other.lines
    assert "年度总封顶 5,000.00 元，本年此前各类共赔付 3,000.00 元，尚余 2,000.00 元。" in (
        other.lines
    )
    assert "本次按年度总封顶计 2,000.00 元。" in other.lines


def test_a_closed_last_band_pays_nothing_above_it():
    bands = [{"start": "0", "end": "1000", "rate": "100"}]
    rules = parse(rules_data(inpatient(deductible="0", bands=bands)))
    benefit = compute(rules, "inpatient", D("1500.00"), [])
    assert benefit.amount == D("1000.00")
    assert "超出最高分段的 500.00 元不予赔付。" in benefit.lines


def test_rounding_is_on_the_cumulative_sum():
    bands = [{"start": "0", "end": None, "rate": "33.33"}]
    rules = parse(rules_data(inpatient(deductible="0", bands=bands, yearly_cap=None)))
    # 0.01 x 33.33% = 0.003333 -> 0.00; twice over: 0.02 -> 0.006666 -> 0.01
    a = compute(rules, "inpatient", D("0.01"), [])
    b = compute(rules, "inpatient", D("0.01"), [Earlier("inpatient", D("0.01"), D(0), a.amount)])
    assert (a.amount, b.amount) == (D("0.00"), D("0.01"))
    assert compute(rules, "inpatient", D("0.02"), []).amount == D("0.01")


def test_lump_sum_once_a_year_after_the_deductible():
    serious = {
        "code": "serious",
        "name": "重大疾病",
        "deductible": "1000",
        "bands": [],
        "lump_sum": "15000",
        "yearly_cap": None,
    }
    rules = parse(rules_data(serious))
    below = compute(rules, "serious", D("800.00"), [])
    assert below.amount == D("0.00")
    assert "本类别为定额补助 15,000.00 元，超过起付线后给付；本次未超过起付线。" in below.lines
    first = compute(rules, "serious", D("5000.00"), [])
    assert first.amount == D("15000.00")
    again = compute(
        rules, "serious", D("9000.00"), [Earlier("serious", D("5000"), D("1000"), D("15000"))]
    )
    assert again.amount == D("0.00")
    assert "本类别为定额补助 15,000.00 元，每年给付一次，本年已给付，本次不再给付。" in again.lines


def test_sex_restriction():
    cancer = inpatient(code="women_cancer", name="女职工特殊疾病", sex="F")
    rules = parse(rules_data(inpatient(), cancer))
    assert rules.category("women_cancer").allows("F")
    assert not rules.category("women_cancer").allows("M")
    assert not rules.category("women_cancer").allows(None)
    assert rules.category("inpatient").allows("M")


def test_unknown_category_and_bad_amount():
    rules = parse(rules_data())
    with pytest.raises(KeyError):
        compute(rules, "dental", D("10.00"), [])
    with pytest.raises(ValueError):
        compute(rules, "inpatient", D("-1.00"), [])
    with pytest.raises(ValueError):
        compute(rules, "inpatient", D("1.001"), [])


# --- parse refusals -----------------------------------------------------------------------


def test_good_rules_parse():
    rules = parse(rules_data(inpatient(), yearly_cap="50000"))
    assert rules.yearly_cap == D("50000.00")
    cat = rules.category("inpatient")
    assert cat.deductible == D("500.00")
    assert cat.bands[1] == Band(D("5000.00"), D("20000.00"), D("60.00"))
    assert cat.bands[2].end is None


@pytest.mark.parametrize(
    ("bands", "path", "fragment"),
    [
        (
            [
                {"start": "0", "end": "5000", "rate": "50"},
                {"start": "4000", "end": None, "rate": "60"},
            ],
            "categories.0.bands.1.start",
            "与上一段重叠：上一段到 5,000.00 元为止",
        ),
        (
            [
                {"start": "0", "end": "5000", "rate": "50"},
                {"start": "6000", "end": None, "rate": "60"},
            ],
            "categories.0.bands.1.start",
            "与上一段之间有空档",
        ),
        (
            [
                {"start": "0", "end": None, "rate": "50"},
                {"start": "5000", "end": None, "rate": "60"},
            ],
            "categories.0.bands.1.start",
            "第 1 段没有终点（不封顶），其后不能再有分段。",
        ),
        (
            [{"start": "100", "end": None, "rate": "50"}],
            "categories.0.bands.0.start",
            "第一段应从 0 元开始。",
        ),
        (
            [{"start": "0", "end": "0", "rate": "50"}],
            "categories.0.bands.0.end",
            "分段终点应大于起点",
        ),
        (
            [{"start": "0", "end": None, "rate": "100.5"}],
            "categories.0.bands.0.rate",
            "赔付比例不能超过 100%。",
        ),
        (
            [{"start": "0", "end": None, "rate": "-5"}],
            "categories.0.bands.0.rate",
            "赔付比例不能为负数",
        ),
        (
            [{"start": "0", "end": None, "rate": "50.125"}],
            "categories.0.bands.0.rate",
            "赔付比例最多两位小数",
        ),
        (
            [{"start": "0", "end": "5000.001", "rate": "50"}],
            "categories.0.bands.0.end",
            "金额最多两位小数（精确到分）。",
        ),
        (
            [{"start": "-1", "end": None, "rate": "50"}],
            "categories.0.bands.0.start",
            "金额不能为负数。",
        ),
        (
            [{"start": "0", "end": None, "rate": "50", "cap": "1"}],
            "categories.0.bands.0.cap",
            "不认识的设置项“cap”，请删除。",
        ),
        ([], "categories.0.bands", "请至少设置一个赔付分段，或填写定额补助。"),
    ],
)
def test_bad_bands_are_refused_by_path(bands, path, fragment):
    errors = errors_of(rules_data(inpatient(bands=bands)))
    assert path in errors, errors
    assert any(fragment in message for message in errors[path]), errors[path]


@pytest.mark.parametrize(
    ("overrides", "path", "fragment"),
    [
        ({"deductible": "-100"}, "categories.0.deductible", "金额不能为负数。"),
        ({"deductible": "100.005"}, "categories.0.deductible", "金额最多两位小数"),
        ({"yearly_cap": "0"}, "categories.0.yearly_cap", "封顶线应大于 0"),
        ({"per_claim_cap": "abc"}, "categories.0.per_claim_cap", "金额应为数字"),
        ({"code": "In Patient"}, "categories.0.code", "类别代码应以小写英文字母开头"),
        ({"code": ""}, "categories.0.code", "请填写类别代码"),
        ({"name": "<b>住院</b>"}, "categories.0.name", "不能包含 HTML 标签或脚本"),
        ({"name": ""}, "categories.0.name", "请填写类别名称"),
        ({"sex": "X"}, "categories.0.sex", "限定性别只能为 F"),
        ({"lump_sum": "1000"}, "categories.0.bands", "定额补助的类别不设赔付分段"),
        ({"lump_sum": "0", "bands": []}, "categories.0.lump_sum", "定额补助应大于 0"),
        ({"colour": "red"}, "categories.0.colour", "不认识的设置项“colour”"),
    ],
)
def test_bad_category_fields_are_refused_by_path(overrides, path, fragment):
    errors = errors_of(rules_data(inpatient(**overrides)))
    assert path in errors, errors
    assert any(fragment in message for message in errors[path]), errors[path]


def test_duplicate_category_codes_are_refused():
    errors = errors_of(rules_data(inpatient(), inpatient(name="住院二")))
    assert errors == {
        "categories.1.code": ["类别代码“inpatient”与第 1 个类别重复，每个类别的代码应不同。"]
    }


def test_top_level_refusals():
    assert errors_of({}) == {"categories": ["请至少设置一个保障类别。"]}
    assert errors_of([]) == {"categories": ["保障规则格式不正确。"]}
    errors = errors_of({**rules_data(), "yearly_cap": "-1", "extra": 1})
    assert errors["yearly_cap"] == ["金额不能为负数。"]
    assert errors["extra"] == ["不认识的设置项“extra”，请删除。"]


def test_every_problem_is_reported_at_once():
    data = rules_data(
        inpatient(deductible="-1", bands=[{"start": "0", "end": None, "rate": "120"}]),
        inpatient(code="Bad"),
    )
    with pytest.raises(ValidationError) as caught:
        parse(data)
    assert set(caught.value.message_dict) == {
        "categories.0.deductible",
        "categories.0.bands.0.rate",
        "categories.1.code",
    }


def test_dump_is_plain_json():
    rules = parse(rules_data(inpatient(), yearly_cap="40000"))
    assert dump(rules) == {
        "yearly_cap": "40000.00",
        "categories": [
            {
                "code": "inpatient",
                "name": "住院",
                "deductible": "500.00",
                "bands": [
                    {"start": "0.00", "end": "5000.00", "rate": "50"},
                    {"start": "5000.00", "end": "20000.00", "rate": "60"},
                    {"start": "20000.00", "end": None, "rate": "70"},
                ],
                "per_claim_cap": None,
                "yearly_cap": "30200.00",
                "lump_sum": None,
                "sex": None,
            }
        ],
    }
