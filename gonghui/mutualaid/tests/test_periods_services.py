"""Periods and their rules: the services (create, copy, update, rules, publish, close), the
selectors (scope along the line, the period covering a day, the calculator)."""

from __future__ import annotations

import copy
import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gonghui.core.scoping import NotFound
from gonghui.mutualaid.demo import RULES
from gonghui.mutualaid.models import (
    Claim,
    ClaimChannel,
    EnrolChannel,
    Enrolment,
    Period,
    PeriodStatus,
)
from gonghui.mutualaid.selectors import periods as selectors
from gonghui.mutualaid.services import periods as services
from gonghui.mutualaid.tests import periods_helpers as h

pytestmark = pytest.mark.django_db


def errors_of(call, *args, **kwargs):
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.message_dict


def count():
    return Period.unscoped.count()


def enrol(world, period):
    member = world.member("union_b")
    return Enrolment.unscoped.create(
        period=period,
        person=member.person,
        union=world.union_b,
        channel=EnrolChannel.UNION,
        created_by=world.staff("union_b", "clerk"),
    )


# --- create ---------------------------------------------------------------------------------


def test_a_city_clerk_sets_up_a_draft_period(world):
    fund = h.fund(world)
    period = services.period_create(
        actor=world.staff("city", "clerk"),
        organization=world.city,
        settings=h.settings(fund),
        rules_data=RULES,
    )
    assert period.number == 1
    assert period.status == PeriodStatus.DRAFT
    assert period.fee == Decimal("116.00")
    assert period.rules["categories"][0]["deductible"] == "500.00"  # normalised by dump
    assert period.rules["categories"][0]["bands"][0] == {
        "start": "0.00",
        "end": "5000.00",
        "rate": "50",
    }
    assert period.history.count() == 1
    assert period.history.first().history_user == world.staff("city", "clerk")


def test_the_rules_may_wait_for_a_draft_but_not_for_publishing(world):
    period = h.period(world, rules=None, publish=False)
    assert period.rules == {}
    errors = errors_of(services.period_publish, actor=world.staff("city", "clerk"), period=period)
    assert errors == {"rules": ["请先设置本期的保障规则，再发布。"]}
    period.refresh_from_db()
    assert period.status == PeriodStatus.DRAFT


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "<b>第一期</b>"}, "name", "不能包含 HTML 标签或脚本"),
        ({"name": ""}, "name", "此项必填。"),
        ({"starts_on": None}, "starts_on", "请填写保障开始日期。"),
        ({"ends_on": datetime.date(2016, 12, 31)}, "ends_on", "保障结束日期应晚于开始日期。"),
        (
            {"enrol_closes_on": datetime.date(2016, 10, 1)},
            "enrol_closes_on",
            "参保登记截止日期不能早于开始日期。",
        ),
        (
            {"claims_close_on": datetime.date(2017, 6, 30)},
            "claims_close_on",
            "理赔申请截止日期不能早于保障结束日期。",
        ),
        ({"fee": "0"}, "fee", "每人缴费应大于 0。"),
        ({"fee": "-116"}, "fee", "金额不能为负数。"),
        ({"fee": "116.005"}, "fee", "金额最多两位小数（精确到分）。"),
        ({"fee": "一百"}, "fee", "金额应为数字"),
        ({"waiting_days": 400}, "waiting_days", "应在 0 至 365 之间。"),
        ({"claim_days": 0}, "claim_days", "应在 1 至 730 之间。"),
        ({"sample_percent": 101}, "sample_percent", "应在 0 至 100 之间。"),
        ({"flag_multiple": "1"}, "flag_multiple", "异常倍数应大于 1"),
        ({"flag_multiple": "3.125"}, "flag_multiple", "异常倍数最多两位小数。"),
        ({"auto_approve_below": "-1"}, "auto_approve_below", "金额不能为负数。"),
        ({"fund": None}, "fund", "请选择本期的互助保障基金。"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(world, changes, field, message):
    settings = h.settings(h.fund(world), **changes)
    errors = errors_of(
        services.period_create,
        actor=world.staff("city", "clerk"),
        organization=world.city,
        settings=settings,
    )
    assert any(message in m for m in errors[field]), errors
    assert count() == 0


def test_bad_rules_are_refused_at_their_path(world):
    rules = copy.deepcopy(RULES)
    rules["categories"][0]["bands"][1]["start"] = "4000"  # overlaps the first band
    rules["categories"][1]["name"] = "<script>x</script>"
    errors = errors_of(
        services.period_create,
        actor=world.staff("city", "clerk"),
        organization=world.city,
        settings=h.settings(h.fund(world)),
        rules_data=rules,
    )
    assert set(errors) == {"rules.categories.0.bands.1.start", "rules.categories.1.name"}
    assert "与上一段重叠" in errors["rules.categories.0.bands.1.start"][0]
    assert count() == 0


def test_periods_of_one_federation_do_not_overlap(world):
    first = h.period(world)
    errors = errors_of(
        services.period_create,
        actor=world.staff("city", "clerk"),
        organization=world.city,
        settings=h.settings(first.fund, starts_on=datetime.date(2017, 12, 1)),
    )
    assert (
        "与“第一期（2017年）”（2017-01-01 至 2017-12-31）的保障期间重叠" in errors["starts_on"][0]
    )
    # Another federation's period may cover the same year.
    assert h.period(world, "district_b").number == 1


def test_a_grassroots_union_runs_no_period(world):
    errors = errors_of(
        services.period_create,
        actor=world.staff("union_b", "clerk"),
        organization=world.union_b,
        settings=h.settings(h.fund(world)),
    )
    assert "基层工会不能设立保障期" in errors["organization"][0]


def test_the_fund_must_be_on_the_period_s_line(world):
    other = h.fund(world, "district_a", "A区基金")
    errors = errors_of(
        services.period_create,
        actor=world.staff("city", "clerk"),
        organization=world.district_b,
        settings=h.settings(other),
    )
    assert "与本期的主办工会不在同一条线上" in errors["fund"][0]


def test_who_may_set_up_a_period(world):
    fund = h.fund(world)
    with pytest.raises(NotFound):  # another branch
        services.period_create(
            actor=world.staff("district_a", "admin"),
            organization=world.district_b,
            settings=h.settings(fund),
        )
    with pytest.raises(PermissionDenied):  # read-only
        services.period_create(
            actor=world.staff("city", "leader"),
            organization=world.city,
            settings=h.settings(fund),
        )
    assert count() == 0


# --- copy -----------------------------------------------------------------------------------


def test_copy_takes_rules_fee_and_settings_a_year_on(world):
    first = h.period(world)
    second = services.period_copy(actor=world.staff("city", "clerk"), source=first)
    assert second.number == 2
    assert second.name == "第二期（2018年）"
    assert second.status == PeriodStatus.DRAFT
    assert second.copied_from == first
    assert (second.starts_on, second.ends_on) == (
        datetime.date(2018, 1, 1),
        datetime.date(2018, 12, 31),
    )
    assert second.enrol_opens_on == datetime.date(2017, 11, 1)
    assert second.claims_close_on == datetime.date(2019, 3, 31)
    assert second.rules == first.rules
    assert (second.fee, second.fund, second.waiting_days, second.sample_percent) == (
        first.fee,
        first.fund,
        first.waiting_days,
        first.sample_percent,
    )


def test_copying_a_period_onto_a_year_already_covered_is_refused(world):
    first = h.period(world)
    services.period_copy(actor=world.staff("city", "clerk"), source=first)
    errors = errors_of(services.period_copy, actor=world.staff("city", "clerk"), source=first)
    assert "的保障期间重叠" in errors["starts_on"][0]


def test_copy_over_a_leap_day(world):
    first = h.period(
        world,
        year=2016,
        starts_on=datetime.date(2015, 3, 1),
        ends_on=datetime.date(2016, 2, 29),
        enrol_opens_on=datetime.date(2015, 1, 1),
        enrol_closes_on=datetime.date(2015, 2, 28),
        claims_close_on=datetime.date(2016, 2, 29),
    )
    second = services.period_copy(actor=world.staff("city", "clerk"), source=first, name="次年")
    assert (second.starts_on, second.ends_on) == (
        datetime.date(2016, 3, 1),
        datetime.date(2017, 2, 28),
    )
    assert second.claims_close_on == datetime.date(2017, 2, 28)
    third = services.period_copy(actor=world.staff("city", "clerk"), source=second, years=3)
    assert third.starts_on == datetime.date(2019, 3, 1)
    assert second.name == "次年"


def test_copy_refuses_html_in_the_name(world):
    first = h.period(world)
    errors = errors_of(
        services.period_copy, actor=world.staff("city", "clerk"), source=first, name="<i>x</i>"
    )
    assert "HTML" in errors["name"][0]


# --- rules ----------------------------------------------------------------------------------


def test_rules_are_edited_until_someone_enrols(world):
    period = h.period(world)
    clerk = world.staff("city", "clerk")
    rules = copy.deepcopy(RULES)
    rules["categories"][0]["yearly_cap"] = "35000"
    saved = services.period_rules_save(actor=clerk, period=period, rules_data=rules)
    assert saved.rules["categories"][0]["yearly_cap"] == "35000.00"
    enrol(world, period)
    errors = errors_of(services.period_rules_save, actor=clerk, period=period, rules_data=RULES)
    assert "请复制为新一期后修改" in errors["rules"][0]
    period.refresh_from_db()
    assert period.rules["categories"][0]["yearly_cap"] == "35000.00"


def test_rules_save_refuses_bad_rules_and_html(world):
    period = h.period(world)
    rules = copy.deepcopy(RULES)
    rules["categories"][0]["name"] = '<a href="x">住院</a>'
    rules["categories"][2]["bands"] = [{"start": "0", "end": None, "rate": "160"}]
    errors = errors_of(
        services.period_rules_save,
        actor=world.staff("city", "clerk"),
        period=period,
        rules_data=rules,
    )
    assert errors == {
        "rules.categories.0.name": [
            "不能包含 HTML 标签或脚本（如 <script>、<a>、onclick=），请删除尖括号内的内容。"
        ],
        "rules.categories.2.bands.0.rate": ["赔付比例不能超过 100%。"],
    }


def test_rules_of_a_closed_period_stay(world):
    period = h.period(world)
    clerk = world.staff("city", "clerk")
    services.period_close(actor=clerk, period=period)
    errors = errors_of(services.period_rules_save, actor=clerk, period=period, rules_data=RULES)
    assert errors == {"rules": ["本期已结束，保障规则不能再修改。"]}


def test_those_below_see_the_city_s_rules_but_do_not_change_them(world):
    period = h.period(world)
    district = world.staff("district_b", "admin")
    assert selectors.period_get(actor=district, id=period.pk) == period
    assert not selectors.period_may_edit(actor=district, period=period)
    assert selectors.period_may_edit(actor=world.staff("city", "clerk"), period=period)
    with pytest.raises(NotFound):
        services.period_rules_save(actor=district, period=period, rules_data=RULES)


# --- update, publish, close --------------------------------------------------------------------


def test_settings_change_until_someone_enrols_then_only_the_review_settings(world):
    period = h.period(world)
    clerk = world.staff("city", "clerk")
    base = services.PeriodSettings.of(period)
    changed = services.period_update(
        actor=clerk, period=period, settings=replace(base, fee="120", name="第一期")
    )
    assert (changed.fee, changed.name) == (Decimal("120.00"), "第一期")
    enrol(world, period)
    errors = errors_of(
        services.period_update,
        actor=clerk,
        period=period,
        settings=replace(base, fee="130", waiting_days=30),
    )
    assert set(errors) == {"fee", "waiting_days"}
    assert "请复制为新一期" in errors["fee"][0]
    changed = services.period_update(
        actor=clerk,
        period=period,
        settings=replace(base, fee="120", name="第一期", sample_percent=10),
    )
    assert changed.sample_percent == 10


def test_a_period_is_published_once_and_closed_once(world):
    period = h.period(world, publish=False)
    clerk = world.staff("city", "clerk")
    with pytest.raises(ValidationError):
        services.period_close(actor=clerk, period=period)
    assert services.period_publish(actor=clerk, period=period).status == PeriodStatus.OPEN
    errors = errors_of(services.period_publish, actor=clerk, period=period)
    assert errors == {"status": ["只有草拟状态的保障期可以发布。"]}
    assert services.period_close(actor=clerk, period=period).status == PeriodStatus.CLOSED
    errors = errors_of(
        services.period_update,
        actor=clerk,
        period=period,
        settings=services.PeriodSettings.of(period),
    )
    assert errors == {"status": ["本期已结束，不能再修改。"]}


def test_publishing_checks_the_rules_again(world):
    period = h.period(world, publish=False)
    Period.unscoped.filter(pk=period.pk).update(rules={"categories": [{"code": "X"}]})
    period.refresh_from_db()
    errors = errors_of(services.period_publish, actor=world.staff("city", "clerk"), period=period)
    assert "rules.categories.0.code" in errors


def test_a_period_with_a_claim_waiting_is_not_closed(world):
    period = h.period(world)
    enrolment = enrol(world, period)
    Claim.unscoped.create(
        period=period,
        enrolment=enrolment,
        person=enrolment.person,
        union=world.union_b,
        category="inpatient",
        hospital="嘉兴市第一医院",
        admitted_on=datetime.date(2017, 5, 1),
        discharged_on=datetime.date(2017, 5, 9),
        diagnosis="肺炎",
        channel=ClaimChannel.PORTAL,
        account_holder="张三",
        bank_name="农业银行",
        bank_card="6228480328123456789",
        created_by=world.staff("union_b", "clerk"),
    )
    errors = errors_of(services.period_close, actor=world.staff("city", "clerk"), period=period)
    assert errors == {"status": ["本期尚有 1 件理赔待审核，审核完毕后才能结束。"]}


# --- reads -------------------------------------------------------------------------------------


def test_a_district_s_period_is_not_seen_by_another_branch(world):
    period = h.period(world, "district_b")
    assert selectors.period_get(actor=world.staff("union_b", "clerk"), id=period.pk) == period
    assert selectors.period_get(actor=world.staff("city", "leader"), id=period.pk) == period
    with pytest.raises(NotFound):
        selectors.period_get(actor=world.staff("district_a", "admin"), id=period.pk)
    assert not selectors.period_list(actor=world.staff("town_a", "clerk")).exists()


def test_the_period_covering_a_day_is_the_nearest_federation_s(world):
    city = h.period(world)
    assert selectors.period_covering(union=world.union_b, day=datetime.date(2017, 6, 1)) == city
    assert selectors.period_covering(union=world.union_b, day=datetime.date(2018, 6, 1)) is None
    district = h.period(world, "district_b")
    assert selectors.period_covering(union=world.union_b, day=datetime.date(2017, 6, 1)) == district
    assert selectors.period_covering(union=world.union_a, day=datetime.date(2017, 6, 1)) == city
    h.period(world, year=2018, publish=False)  # a draft covers nothing yet
    assert selectors.period_covering(union=world.union_a, day=datetime.date(2018, 6, 1)) is None


def test_the_calculator(world):
    period = h.period(world)
    actor = world.staff("district_b", "clerk")
    trial = selectors.benefit_try(
        actor=actor, period=period, category="inpatient", amounts=["3000", "9500.00"]
    )
    assert trial.eligible == Decimal("12500.00")
    assert trial.benefit.amount == Decimal("6700.00")
    assert trial.benefit.lines[0] == "保障类别：住院；本次政策内自付 12,500.00 元。"
    later = selectors.benefit_try(
        actor=actor,
        period=period,
        category="inpatient",
        amounts=["12000"],
        earlier_eligible="500",
        other_benefit="74000",
    )
    # The deductible was used by the earlier claim; the overall cap leaves 1,200.
    assert later.benefit.deductible_used == Decimal("0.00")
    assert later.benefit.amount == Decimal("1200.00")
    errors = errors_of(
        selectors.benefit_try,
        actor=actor,
        period=period,
        category="dental",
        amounts=["-5", "1.234"],
    )
    assert errors == {
        "category": ["请选择本期的保障类别。"],
        "amounts.0": ["金额不能为负数。"],
        "amounts.1": ["金额最多两位小数（精确到分）。"],
    }
    errors = errors_of(
        selectors.benefit_try, actor=actor, period=period, category="inpatient", amounts=[]
    )
    assert errors == {"amounts": ["请至少填写一张发票的政策内自付金额。"]}
