"""Posts, adoptions, suspensions, ends and monthly pay runs."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from gonghui.core.models import Notification
from gonghui.core.scoping import NotFound
from gonghui.funds import services as funds_services
from gonghui.funds.models import Income, PayableItem, PaymentLine
from gonghui.funds.services import LineResult
from gonghui.virtualjobs import services
from gonghui.virtualjobs.models import (
    Adoption,
    EventKind,
    PayRun,
    PayRunLine,
    Post,
    PostEvent,
    PostStatus,
)
from gonghui.virtualjobs.tests import helpers as h

pytestmark = pytest.mark.django_db
M = datetime.date


def run(world, month: str, org: str = "town_b"):
    return services.pay_run_create(
        actor=world.staff(org, "clerk"), organization=world.orgs[org], month=month
    )


def refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# --- posts --------------------------------------------------------------------------------------


def test_a_post_for_a_member_who_lost_working_capacity_waits_for_an_adopter(world):
    filed, member = h.household(world, capacity="partial")
    post = services.post_create(
        actor=world.staff("town_b", "clerk"),
        organization=world.town_b,
        household=filed,
        member=member,
        **h.post_data(),
    )
    assert post.status == PostStatus.OPEN
    assert (post.start_month, post.end_month) == (M(2017, 1, 1), M(2017, 12, 1))
    assert post.monthly_amount == Decimal("300.00")
    assert post.person_id == filed.person_id  # the spouse has no person record: the worker
    assert str(post.bank_card) == "6228***********6789"
    assert post.history.count() == 1
    assert list(PostEvent.unscoped.filter(post=post).values_list("kind", flat=True)) == [
        EventKind.CREATED
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"monthly_amount": "-300"}, "monthly_amount", "不能为负数"),
        ({"monthly_amount": "300.125"}, "monthly_amount", "最多两位小数"),
        ({"monthly_amount": "0"}, "monthly_amount", "应大于 0"),
        ({"end_month": "2016-12"}, "end_month", "不能早于起始月份"),
        ({"start_month": "2017-13"}, "start_month", "月份格式"),
        ({"title": "<b>保洁</b>"}, "title", ""),
        ({"title": "<script>alert(1)</script>"}, "title", ""),
        ({"bank_card": "1234"}, "bank_card", "12 至 19 位"),
    ],
)
def test_bad_input_is_refused_at_its_field_and_nothing_is_saved(world, overrides, field, fragment):
    filed, member = h.household(world)
    errors = refused(
        lambda: services.post_create(
            actor=world.staff("town_b", "clerk"),
            organization=world.town_b,
            household=filed,
            member=member,
            **h.post_data(**overrides),
        )
    )
    assert field in errors, errors
    assert fragment in " ".join(errors[field])
    assert re.search("[\u4e00-\u9fff]", errors[field][0]), errors  # said in Chinese
    assert not Post.unscoped.exists()


def test_a_household_not_on_the_roll_or_a_member_able_to_work_gets_no_post(world):
    pending, member = h.household(world, status="pending")
    errors = refused(
        lambda: services.post_create(
            actor=world.staff("town_b", "clerk"),
            organization=world.town_b,
            household=pending,
            member=member,
            **h.post_data(),
        )
    )
    assert "不在困难职工档案在册名单中" in errors["household"][0]
    filed, _member = h.household(world, capacity="full")
    errors = refused(
        lambda: services.post_create(
            actor=world.staff("town_b", "clerk"),
            organization=world.town_b,
            household=filed,
            member=filed.members.get(relation="spouse"),
            **h.post_data(),
        )
    )
    assert "劳动能力完全" in errors["member"][0]
    assert not Post.unscoped.exists()


def test_one_live_post_per_member(world):
    post = h.post(world, adopt=False)
    errors = refused(
        lambda: services.post_create(
            actor=world.staff("town_b", "clerk"),
            organization=world.town_b,
            household=post.household,
            member=post.member,
            **h.post_data(),
        )
    )
    assert "已有未终止的虚拟岗位" in errors["member"][0]


def test_a_sibling_branch_cannot_create_a_post_for_a_household(world):
    filed, member = h.household(world)
    with pytest.raises(NotFound):
        services.post_create(
            actor=world.staff("town_a", "clerk"),
            organization=world.town_b,
            household=filed,
            member=member,
            **h.post_data(),
        )


# --- adoption -----------------------------------------------------------------------------------


def test_an_enterprise_adopts_a_post_and_its_money_comes_into_the_fund(world):
    fund = h.fund(world, "town_b")
    post = h.post(world, adopt=False)
    adoption = services.post_adopt(
        actor=world.staff("town_b", "clerk"),
        post=post,
        fund=fund,
        enterprise=world.enterprises["enterprise_b"],
        commitment=services.Commitment("3600.00", M(2017, 1, 3), "PH-2017-001"),
    )
    post.refresh_from_db()
    fund.refresh_from_db()
    assert post.status == PostStatus.ACTIVE
    assert post.adopter_name == world.enterprises["enterprise_b"].name == adoption.adopter_name
    assert post.fund == fund and fund.balance == Decimal("3600.00")
    income = Income.unscoped.get(pk=adoption.income_id)
    assert income.donor == adoption.adopter_name and "社区保洁协管员" in income.purpose
    # The worker is told who adopted the post and what it pays.
    (message,) = Notification.unscoped.filter(person_id=post.household.person_id)
    assert message.kind == "virtualjobs.post"
    assert adoption.adopter_name in message.text and "300.00" in message.text


def test_an_adoption_with_a_bad_commitment_changes_nothing(world):
    fund = h.fund(world, "town_b")
    post = h.post(world, adopt=False)
    errors = refused(
        lambda: services.post_adopt(
            actor=world.staff("town_b", "clerk"),
            post=post,
            fund=fund,
            adopter_name="平湖市税务局",
            commitment=services.Commitment("-1", M(2017, 1, 3), "PH-1"),
        )
    )
    assert "不能为负数" in errors["committed"][0]
    post.refresh_from_db()
    assert post.status == PostStatus.OPEN and not Adoption.unscoped.exists()
    assert not Income.unscoped.exists()


def test_a_fund_below_the_post_cannot_pay_it(world):
    union_fund = h.fund(world, "union_b")
    post = h.post(world, adopt=False)
    errors = refused(
        lambda: services.post_adopt(
            actor=world.staff("town_b", "clerk"),
            post=post,
            fund=union_fund,
            adopter_name="平湖市税务局",
        )
    )
    assert "请选择本级或上级的基金" in errors["fund"][0]


# --- pay runs -----------------------------------------------------------------------------------


def test_a_pay_run_hands_each_due_post_over_once(world):
    fund = h.fund(world, money="10000")
    posts = [h.post(world, fund_=fund) for _ in range(3)]
    h.post(world, adopt=False)  # not adopted: not paid
    made = run(world, "2017-03")
    assert (made.line_count, made.total) == (3, Decimal("900.00"))
    lines = list(PayRunLine.unscoped.filter(run=made))
    assert {line.post_id for line in lines} == {post.pk for post in posts}
    items = PayableItem.unscoped.filter(source_kind="virtualjobs.pay")
    assert sorted(items.values_list("source_id", flat=True)) == sorted(x.pk for x in lines)
    assert {item.fund_id for item in items} == {fund.pk}
    assert all(line.item_id for line in lines)
    # Again: nothing left to pay, refused, nothing added.
    errors = refused(lambda: run(world, "2017-03"))
    assert "都已发放" in errors["month"][0]
    # The district's run of the same month finds nothing either.
    refused(lambda: run(world, "2017-03", org="district_b"))
    assert PayRunLine.unscoped.count() == 3 and PayRun.unscoped.count() == 1


def test_a_future_month_or_one_outside_the_term_is_refused(world):
    h.post(world)
    today = datetime.date.today()  # noqa: DTZ011
    future = services.month_add(services.month_of(today), 1)
    errors = refused(lambda: run(world, f"{future:%Y-%m}"))
    assert "不能为未来月份" in errors["month"][0]
    errors = refused(lambda: run(world, "2018-01"))
    assert "没有应发放的岗位" in errors["month"][0]
    assert not PayRun.unscoped.exists()


def test_a_suspended_month_is_not_paid_and_a_resumed_one_is(world):
    post = h.post(world)
    clerk = world.staff("town_b", "clerk")
    run(world, "2017-03")
    errors = refused(
        lambda: services.post_suspend(actor=clerk, post=post, from_month="2017-03", reason="住院")
    )
    assert "已发放" in errors["from_month"][0]
    services.post_suspend(actor=clerk, post=post, from_month="2017-04", reason="住院治疗")
    refused(lambda: run(world, "2017-04"))
    services.post_resume(actor=clerk, post=post, from_month="2017-06")
    refused(lambda: run(world, "2017-05"))
    assert run(world, "2017-06").line_count == 1
    post.refresh_from_db()
    assert post.status == PostStatus.ACTIVE
    months = sorted(PayRunLine.unscoped.filter(post=post).values_list("month", flat=True))
    assert months == [M(2017, 3, 1), M(2017, 6, 1)]


def test_a_post_passes_to_another_adopter_whose_fund_pays_from_then(world):
    first_fund, second_fund = h.fund(world, money="5000"), h.fund(world, money="5000")
    post = h.post(world, fund_=first_fund)
    clerk = world.staff("town_b", "clerk")
    run(world, "2017-01")
    errors = refused(
        lambda: services.post_adopt(
            actor=clerk,
            post=post,
            fund=second_fund,
            adopter_name="平湖市税务局",
            from_month="2017-01",
        )
    )
    assert "已发放" in errors["from_month"][0]
    services.post_adopt(
        actor=clerk, post=post, fund=second_fund, adopter_name="平湖市税务局", from_month="2017-02"
    )
    run(world, "2017-02")
    funds = dict(PayRunLine.unscoped.filter(post=post).values_list("month", "fund_id"))
    assert funds == {M(2017, 1, 1): first_fund.pk, M(2017, 2, 1): second_fund.pk}
    adoptions = list(Adoption.unscoped.filter(post=post).values_list("from_month", "to_month"))
    assert adoptions == [(M(2017, 1, 1), M(2017, 1, 1)), (M(2017, 2, 1), None)]
    kinds = list(PostEvent.unscoped.filter(post=post).values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.ADOPTED, EventKind.READOPTED]


def test_an_ended_post_is_not_paid_after_its_last_month(world):
    post = h.post(world)
    clerk = world.staff("town_b", "clerk")
    run(world, "2017-02")
    errors = refused(
        lambda: services.post_end(actor=clerk, post=post, last_month="2017-01", reason="就业")
    )
    assert "已发放" in errors["last_month"][0]
    services.post_end(actor=clerk, post=post, last_month="2017-03", reason="已实现就业")
    assert run(world, "2017-03").line_count == 1
    refused(lambda: run(world, "2017-04"))
    post.refresh_from_db()
    assert post.status == PostStatus.ENDED and post.end_month == M(2017, 3, 1)
    # The member may be given a new post now that the old one has ended.
    again = services.post_create(
        actor=clerk,
        organization=world.town_b,
        household=post.household,
        member=post.member,
        **h.post_data(start_month="2018-01", end_month="2018-12"),
    )
    assert again.status == PostStatus.OPEN


def test_the_pay_goes_through_the_funds_batches_to_the_bank(world):
    fund = h.fund(world, money="1000")
    post = h.post(world, fund_=fund)
    run(world, "2017-01")
    item = PayableItem.unscoped.get(source_kind="virtualjobs.pay")
    batch = funds_services.batch_create(
        actor=world.staff("district_b", "reviewer"),
        organization=world.district_b,
        title="虚拟岗位 2017-01",
        items=[item],
    )
    batch = funds_services.batch_decide(
        actor=world.staff("district_b", "admin"), batch=batch, approve=True
    )
    line = PaymentLine.unscoped.get(batch=batch)
    funds_services.batch_results_record(
        actor=world.staff("district_b", "clerk"),
        batch=batch,
        results=[LineResult(line.pk, True)],
        paid_on=M(2017, 1, 31),
    )
    item.refresh_from_db()
    fund.refresh_from_db()
    assert item.status == "paid" and item.person_id == post.person_id
    assert fund.balance == Decimal("700.00")
