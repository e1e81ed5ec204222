"""Enrolment services (MMA-2 point 4): single and portal enrolment, payments, effective dating
and the waiting period, partial payments, refunds, transfers, bad amounts, scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gonghui.core.scoping import NotFound
from gonghui.funds.models import Income, LedgerEntry, PayableItem
from gonghui.members import services as member_services
from gonghui.mutualaid.models import Bill, Enrolment, EnrolmentStatus, FeePayment
from gonghui.mutualaid.selectors import enrolment as selectors
from gonghui.mutualaid.services import enrolment as services
from gonghui.mutualaid.tests.enrol_helpers import period

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def bulk(world, p, memberships):
    return services.enrol_people(
        actor=world.staff("city", "admin"),
        period=p,
        enrollees=[[services.Enrollee(m.person_id, m.union_id) for m in memberships]],
    )


def pay(world, bill, amount, ref="BK001", on=None):
    return services.fee_payment_record(
        actor=world.staff("city", "clerk"),
        bill=bill,
        amount=amount,
        paid_on=on or TODAY(),
        bank_reference=ref,
    )


def test_clerk_enrols_one_member_on_the_unions_open_bill_and_not_twice(world):
    p = period(world)
    first, second = world.member("union_a"), world.member("union_a")
    clerk = world.staff("union_a", "clerk")
    a = services.enrolment_create(actor=clerk, period=p, person=first.person)
    b = services.enrolment_create(actor=clerk, period=p, person=second.person)
    assert a.bill_id == b.bill_id
    bill = Bill.unscoped.get(pk=a.bill_id)
    assert (bill.people, bill.amount) == (2, Decimal("72.00"))
    with pytest.raises(ValidationError, match="重复参保"):
        services.enrolment_create(actor=clerk, period=p, person=first.person)
    # A sibling branch's clerk cannot enrol this union's member.
    with pytest.raises(NotFound):
        services.enrolment_create(
            actor=world.staff("union_b", "clerk"), period=p, person=world.member("union_a").person
        )


def test_worker_enrols_alone_in_the_portal(world):
    p = period(world)
    worker = world.worker("union_b")
    enrolment = services.enrolment_self(actor=worker, period=p)
    assert enrolment.channel == "portal"
    assert enrolment.union_id == world.union_b.pk
    assert [e.pk for e in selectors.my_enrolments(person_id=worker.person_id)] == [enrolment.pk]
    with pytest.raises(ValidationError, match="重复参保"):
        services.enrolment_self(actor=worker, period=p)
    stranger = world.worker()  # not a member
    with pytest.raises(ValidationError, match="在册会员"):
        services.enrolment_self(actor=stranger, period=p)


def test_partial_then_full_payment_records_income_and_takes_effect(world):
    before = period(world, number=1, starts_on=TODAY() - datetime.timedelta(days=400))
    p = period(world, number=2)
    old, new = world.member("union_a"), world.member("union_a")
    (old_bill,) = bulk(world, before, [old])
    pay(world, old_bill, "36.00", ref="OLD")
    (bill,) = bulk(world, p, [old, new])
    assert Enrolment.unscoped.get(period=p, person=old.person).continuous
    payment = pay(world, bill, "30.00")
    bill.refresh_from_db()
    assert bill.status == "partly" and bill.received == Decimal("30.00")
    assert not Enrolment.unscoped.filter(bill=bill, status=EnrolmentStatus.ACTIVE).exists()
    income = Income.unscoped.get(pk=payment.income_id)
    assert (income.fund_id, income.kind, income.amount) == (p.fund_id, "fee", Decimal("30.00"))
    assert LedgerEntry.unscoped.filter(income=income, kind="income").exists()
    pay(world, bill, "42.00", ref="BK002")
    bill.refresh_from_db()
    assert bill.status == "paid"
    kept = Enrolment.unscoped.get(period=p, person=old.person)
    first_time = Enrolment.unscoped.get(period=p, person=new.person)
    assert kept.status == first_time.status == EnrolmentStatus.ACTIVE
    # Paid before the period began: effective on its first day.
    assert kept.effective_on == first_time.effective_on == p.starts_on
    assert kept.covered_from == p.starts_on  # continuous: no waiting period
    assert first_time.covered_from == p.starts_on + datetime.timedelta(days=p.waiting_days)
    p.fund.refresh_from_db()
    assert p.fund.balance == Decimal("72.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "负数"),
        ("10.005", "两位小数"),
        ("0", "大于 0"),
        ("100.00", "超过尚欠"),
        ("abc", "数字"),
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(world, amount, message):
    p = period(world)
    (bill,) = bulk(world, p, [world.member("union_a")])
    with pytest.raises(ValidationError, match=message):
        pay(world, bill, amount)
    assert not FeePayment.unscoped.exists() and not Income.unscoped.exists()


def test_html_in_bank_reference_and_a_repeated_reference_are_refused(world):
    p = period(world)
    (bill,) = bulk(world, p, [world.member("union_a"), world.member("union_a")])
    with pytest.raises(ValidationError, match="HTML"):
        pay(world, bill, "10.00", ref="<b>x</b>")
    pay(world, bill, "10.00", ref="R1")
    with pytest.raises(ValidationError, match="已登记过"):
        pay(world, bill, "10.00", ref="R1")
    with pytest.raises(ValidationError, match="晚于今天"):
        pay(world, bill, "10.00", ref="R2", on=TODAY() + datetime.timedelta(days=1))


def test_payment_is_the_federations_a_union_clerk_cannot_record_it(world):
    p = period(world)
    (bill,) = bulk(world, p, [world.member("union_a")])
    with pytest.raises(NotFound):
        services.fee_payment_record(
            actor=world.staff("union_a", "clerk"),
            bill=bill,
            amount="36.00",
            paid_on=TODAY(),
            bank_reference="X",
        )


def test_refund_unpaid_lowers_the_bill_paid_becomes_a_payable_item(world):
    p = period(world)
    a, b = world.member("union_a"), world.member("union_a")
    (bill,) = bulk(world, p, [a, b])
    clerk = world.staff("union_a", "clerk")
    left = p.starts_on - datetime.timedelta(days=3)
    unpaid = Enrolment.unscoped.get(person=a.person)
    services.enrolment_refund(actor=clerk, enrolment=unpaid, left_on=left, reason="离职")
    bill.refresh_from_db()
    assert (bill.people, bill.amount) == (1, Decimal("36.00"))
    pay(world, bill, "36.00")
    paid = Enrolment.unscoped.get(person=b.person)
    assert paid.status == EnrolmentStatus.ACTIVE
    with pytest.raises(ValidationError, match="之前离开"):
        services.enrolment_refund(actor=clerk, enrolment=paid, left_on=p.starts_on, reason="离职")
    services.enrolment_refund(
        actor=clerk,
        enrolment=paid,
        left_on=left,
        reason="离职",
        account_holder="A号机械有限公司工会",
        bank_name="中国农业银行嘉兴分行",
        bank_card="6228480328123456789",
    )
    paid.refresh_from_db()
    bill.refresh_from_db()
    assert paid.status == EnrolmentStatus.REFUNDED and bill.refunded == Decimal("36.00")
    refund = FeePayment.unscoped.get(kind="refund")
    item = PayableItem.unscoped.get(source_kind="mutualaid.refund", source_id=refund.pk)
    assert (item.amount, item.fund_id) == (Decimal("36.00"), p.fund_id)
    with pytest.raises(ValidationError, match="已退保"):
        services.enrolment_refund(actor=clerk, enrolment=paid, left_on=left, reason="离职")


def test_transfer_moves_the_enrolment_and_keeps_its_history(world):
    p = period(world)
    member = world.member("union_a")
    bulk(world, p, [member])
    transfer = member_services.transfer_request(
        actor=world.staff("union_a", "clerk"),
        membership=member,
        to_union=world.union_a2,
        reason="工作调动",
    )
    member_services.transfer_decide(
        actor=world.staff("union_a2", "admin"), transfer=transfer, accept=True
    )
    enrolment = Enrolment.unscoped.get(person=member.person)
    assert enrolment.union_id == world.union_a2.pk
    assert Bill.unscoped.get(pk=enrolment.bill_id).union_id == world.union_a.pk
    assert list(enrolment.history.values_list("union_id", flat=True)) == [
        world.union_a2.pk,
        world.union_a.pk,
    ]


def test_figures_per_period_and_subtree(world):
    p = period(world)
    members = [world.member("union_a") for _ in range(3)] + [world.member("union_b")]
    bill_a, bill_b = bulk(world, p, members)
    pay(world, bill_a if bill_a.union_id == world.union_a.pk else bill_b, "108.00")
    city = selectors.enrolment_figures(actor=world.staff("city", "leader"), period=p)
    assert city["insured"] == 3 and city["enrolled"] == 4 and city["unions"] == 1
    assert city["billed"] == Decimal("144.00") and city["received"] == Decimal("108.00")
    assert city["members"] == 4 and city["coverage"] == 75.0
    district_b = selectors.enrolment_figures(actor=world.staff("district_b", "leader"), period=p)
    assert district_b["insured"] == 0 and district_b["enrolled"] == 1
    with pytest.raises(NotFound):
        selectors.enrolment_figures(
            actor=world.staff("district_b", "leader"), period=p, org=world.union_a
        )
