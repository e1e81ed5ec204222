from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from gonghui.core import locks
from gonghui.core.locks import LockSpace
from gonghui.core.models import DecisionStep, Notification, PersonalDataAccess
from gonghui.core.scoping import NotFound
from gonghui.funds import selectors, services
from gonghui.funds.models import (
    BatchStatus,
    EntryKind,
    Fund,
    Income,
    ItemStatus,
    LedgerEntry,
    LineStatus,
    PayableItem,
    PaymentBatch,
    PaymentLine,
)
from gonghui.funds.services import LineResult
from gonghui.funds.tests import helpers as h

pytestmark = pytest.mark.django_db


def assert_balanced(fund: Fund) -> None:
    fund.refresh_from_db()
    assert fund.balance == selectors.fund_ledger_sum(fund=fund)
    assert fund.balance >= 0


# --- funds and incomes ---------------------------------------------------------------------


def test_an_income_is_recorded_with_its_ledger_entry(world):
    fund = h.fund(world)
    income = h.income(world, fund, "1561200.50")
    fund.refresh_from_db()
    assert fund.balance == Decimal("1561200.50")
    (entry,) = LedgerEntry.unscoped.filter(fund=fund)
    assert (entry.kind, entry.amount, entry.income, entry.balance_after) == (
        EntryKind.INCOME,
        Decimal("1561200.50"),
        income,
        Decimal("1561200.50"),
    )
    assert income.recorded_by == world.staff("district_b", "clerk")
    assert_balanced(fund)


def test_the_source_kinds_are_data():
    codes = set(selectors.source_kind_list().values_list("code", flat=True))
    assert {"budget", "charity", "enterprise", "system", "partner", "individual"} <= codes


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-100", "金额不能为负数。"),
        ("100.123", "金额最多两位小数（精确到分）。"),
        ("0", "金额应大于 0。"),
        ("abc", "金额应为数字，例如 1234.50。"),
        ("", "请填写金额。"),
    ],
)
def test_a_bad_income_amount_is_refused_at_the_field_and_nothing_saved(world, amount, message):
    fund = h.fund(world)
    with pytest.raises(ValidationError) as caught:
        h.income(world, fund, amount)
    assert caught.value.message_dict["amount"] == [message]
    assert not Income.unscoped.filter(fund=fund).exists()
    assert not LedgerEntry.unscoped.filter(fund=fund).exists()


def test_a_receipt_number_is_unique_within_the_funds_organisation(world):
    first, second = h.fund(world), h.fund(world)
    clerk = world.staff("district_b", "clerk")
    data = {"donor": "某企业", "amount": "100", "received_on": datetime.date(2017, 1, 5)}
    services.income_record(actor=clerk, fund=first, receipt_number="NO-1", **data)
    with pytest.raises(ValidationError) as caught:
        services.income_record(actor=clerk, fund=second, receipt_number="NO-1", **data)
    assert "收据编号 NO-1 已在B区总工会登记过" in caught.value.message_dict["receipt_number"][0]
    # Another organisation has its own receipt book.
    other = h.fund(world, "district_a")
    services.income_record(
        actor=world.staff("district_a", "clerk"), fund=other, receipt_number="NO-1", **data
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("donor", "<script>alert(1)</script>"),
        ("donor", "慈善\x00总会"),
        ("purpose", '<a href="x">助学</a>'),
        ("receipt_number", "R\u202e01"),
    ],
)
def test_html_or_control_characters_in_text_are_refused_at_the_field(world, field, value):
    fund = h.fund(world)
    data = {
        "donor": "某企业",
        "amount": "100",
        "received_on": datetime.date(2017, 1, 5),
        "receipt_number": "R-9",
        "purpose": "",
        field: value,
    }
    with pytest.raises(ValidationError) as caught:
        services.income_record(actor=world.staff("district_b", "clerk"), fund=fund, **data)
    assert list(caught.value.message_dict) == [field]
    assert not Income.unscoped.filter(fund=fund).exists()


def test_a_future_receipt_date_is_refused(world):
    fund = h.fund(world)
    with pytest.raises(ValidationError) as caught:
        services.income_record(
            actor=world.staff("district_b", "clerk"),
            fund=fund,
            donor="某企业",
            amount="10",
            received_on=datetime.date.today() + datetime.timedelta(days=3),  # noqa: DTZ011
            receipt_number="R-F",
        )
    assert caught.value.message_dict["received_on"] == ["到账日期不能晚于今天。"]


def test_a_fund_name_is_unique_per_organisation_and_html_is_refused(world):
    h.fund(world, name="金秋助学基金")
    clerk = world.staff("district_b", "clerk")
    with pytest.raises(ValidationError) as caught:
        services.fund_create(
            actor=clerk,
            organization=world.district_b,
            name="金秋助学基金",
            source_kind=h.source_kind(),
        )
    assert "已有名为“金秋助学基金”的基金" in caught.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as caught:
        services.fund_create(
            actor=clerk, organization=world.district_b, name="<b>x</b>", source_kind=h.source_kind()
        )
    assert "HTML" in caught.value.message_dict["name"][0]


def test_funds_are_seen_by_their_subtree_only(world):
    fund = h.fund(world, "town_b")
    assert list(selectors.fund_list(actor=world.staff("district_b"))) == [fund]
    assert list(selectors.fund_list(actor=world.staff("district_a"))) == []
    with pytest.raises(NotFound):
        selectors.fund_get(actor=world.staff("district_a"), id=fund.pk)
    with pytest.raises(NotFound):
        h.income(world, fund, "10", org="district_a")


def test_a_leader_cannot_record_money(world):
    fund = h.fund(world)
    with pytest.raises(PermissionDenied):
        services.income_record(
            actor=world.staff("district_b", "leader"),
            fund=fund,
            donor="x",
            amount="1",
            received_on=datetime.date(2017, 1, 1),
            receipt_number="L1",
        )


def test_ledger_entries_are_append_only(world):
    fund = h.fund(world, balance="10")
    entry = LedgerEntry.unscoped.get(fund=fund)
    entry.note = "改"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_the_database_refuses_a_negative_balance(world):
    fund = h.fund(world, balance="10")
    with pytest.raises(IntegrityError), transaction.atomic():
        Fund.unscoped.filter(pk=fund.pk).update(balance=Decimal("-0.01"))


# --- payable items ---------------------------------------------------------------------------


def test_one_source_record_is_handed_over_once(world):
    fund = h.fund(world, balance="5000")
    person = world.member("union_b").person
    h.item(world, fund, "1000", person=person, source_id=77)
    with pytest.raises(ValidationError) as caught:
        h.item(world, fund, "1000", person=person, source_id=77)
    assert caught.value.message_dict["source_id"] == ["该业务记录已提交发放，不能重复提交。"]
    assert PayableItem.unscoped.filter(source_id=77).count() == 1


def test_the_database_itself_refuses_a_second_item_for_one_source(world):
    fund = h.fund(world, balance="5000")
    first = h.item(world, fund, "1000", source_id=78)
    twin = PayableItem.unscoped.get(pk=first.pk)
    twin.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save(force_insert=True)


def test_an_item_is_paid_only_from_a_fund_above_it(world):
    fund = h.fund(world, "district_a", balance="5000")
    with pytest.raises(ValidationError) as caught:
        h.item(world, fund, "100", union="union_b")
    assert "不能支付该组织的款项" in caught.value.message_dict["fund"][0]


def test_the_bank_card_is_sealed_and_masked(world):
    fund = h.fund(world, balance="5000")
    made = h.item(world, fund, "100")
    stored = PayableItem.unscoped.get(pk=made.pk)
    assert str(stored.bank_card) == "6228***********6789"
    assert stored.bank_card.reveal() == "6228480328123456789"
    with pytest.raises(ValidationError) as caught:
        services.payable_submit(
            actor=world.staff("town_b", "reviewer"),
            organization=world.union_b,
            fund=fund,
            person=made.person,
            account_holder="张三",
            bank_name="农行",
            bank_card="6228 48O3",
            amount="1",
            source_kind="x",
            source_id=1,
            label="x",
        )
    assert "银行卡号应为 12 至 19 位数字" in caught.value.message_dict["bank_card"][0]


# --- batches -------------------------------------------------------------------------------


def test_a_batch_is_made_approved_and_paid_with_the_ledger(world):
    fund = h.fund(world, balance="5000")
    items = [h.item(world, fund, "1000"), h.item(world, fund, "1500.50")]
    made = h.batch(world, items)
    assert (made.total, made.line_count, made.status) == (
        Decimal("2500.50"),
        2,
        BatchStatus.PENDING,
    )
    assert set(PayableItem.unscoped.values_list("status", flat=True)) == {ItemStatus.IN_BATCH}
    fund.refresh_from_db()
    assert fund.balance == Decimal("5000")  # nothing leaves before the approval
    approved = h.approve(world, made)
    assert approved.status == BatchStatus.APPROVED
    fund.refresh_from_db()
    assert fund.balance == Decimal("2499.50")
    assert LedgerEntry.unscoped.filter(fund=fund, kind=EntryKind.RESERVE).count() == 2
    assert DecisionStep.objects.filter(flow="funds.batch", object_id=made.pk).count() == 1
    lines = list(PaymentLine.unscoped.filter(batch=made).order_by("pk"))
    services.batch_results_record(
        actor=world.staff("district_b", "clerk"),
        batch=made,
        results=[LineResult(line.pk, True) for line in lines],
    )
    made.refresh_from_db()
    assert made.status == BatchStatus.DONE
    assert set(PayableItem.unscoped.values_list("status", flat=True)) == {ItemStatus.PAID}
    texts = list(Notification.unscoped.values_list("text", flat=True))
    assert len(texts) == 2 and all("已发放到尾号 6789 的银行卡" in t for t in texts)
    assert_balanced(fund)


def test_a_failed_line_returns_its_money_and_the_item_is_paid_in_a_later_batch(world):
    fund = h.fund(world, balance="3000")
    first, second = h.item(world, fund, "1000"), h.item(world, fund, "2000")
    made = h.approve(world, h.batch(world, [first, second]))
    line_a, line_b = PaymentLine.unscoped.filter(batch=made).order_by("pk")
    clerk = world.staff("district_b", "clerk")
    services.batch_results_record(
        actor=clerk,
        batch=made,
        results=[LineResult(line_a.pk, True), LineResult(line_b.pk, False, "户名与卡号不符")],
    )
    fund.refresh_from_db()
    assert fund.balance == Decimal("2000")
    line_b.refresh_from_db()
    assert (line_b.status, line_b.failure_reason) == (LineStatus.FAILED, "户名与卡号不符")
    second.refresh_from_db()
    assert second.status == ItemStatus.PENDING
    assert LedgerEntry.unscoped.filter(line=line_b, kind=EntryKind.RETURN).count() == 1
    # Paid again, in a later batch.
    again = h.approve(world, h.batch(world, [second]))
    (line,) = PaymentLine.unscoped.filter(batch=again)
    services.batch_results_record(actor=clerk, batch=again, results=[LineResult(line.pk, True)])
    second.refresh_from_db()
    assert second.status == ItemStatus.PAID
    fund.refresh_from_db()
    assert fund.balance == Decimal("0")
    assert_balanced(fund)
    # A result is recorded once.
    with pytest.raises(ValidationError) as caught:
        services.batch_results_record(
            actor=clerk, batch=again, results=[LineResult(line.pk, False, "x")]
        )
    assert "results" in caught.value.message_dict


def test_failed_lines_are_recorded_with_their_own_reasons_in_a_few_statements(
    world, django_assert_max_num_queries
):
    """Many failed lines with a few reasons: each line keeps its own reason and returns its
    money, in statements per reason, not per line (the 50,000-line batch of the bench)."""
    fund = h.fund(world, balance="10000")
    items = [h.item(world, fund, "100") for _ in range(12)]
    made = h.approve(world, h.batch(world, items))
    lines = list(PaymentLine.unscoped.filter(batch=made).order_by("pk"))
    reasons = {line.pk: ("账号不存在", "户名与卡号不符", "")[i % 3] for i, line in enumerate(lines)}
    clerk = world.staff("district_b", "clerk")
    with django_assert_max_num_queries(18):  # 17; one per line: 23
        services.batch_results_record(
            actor=clerk,
            batch=made,
            results=[LineResult(pk, not reason, reason) for pk, reason in reasons.items()],
        )
    for line in PaymentLine.unscoped.filter(batch=made):
        if reasons[line.pk]:
            assert (line.status, line.failure_reason) == (LineStatus.FAILED, reasons[line.pk])
            assert line.result_by_id == clerk.pk and line.result_at is not None
        else:
            assert (line.status, line.failure_reason) == (LineStatus.PAID, "")
    fund.refresh_from_db()
    assert fund.balance == Decimal("10000") - Decimal("100") * 4
    assert LedgerEntry.unscoped.filter(fund=fund, kind=EntryKind.RETURN).count() == 8
    assert PayableItem.unscoped.filter(status=ItemStatus.PENDING).count() == 8
    assert_balanced(fund)


def test_a_failure_needs_the_banks_reason(world):
    fund = h.fund(world, balance="3000")
    made = h.approve(world, h.batch(world, [h.item(world, fund, "1000")]))
    (line,) = PaymentLine.unscoped.filter(batch=made)
    with pytest.raises(ValidationError) as caught:
        services.batch_results_record(
            actor=world.staff("district_b", "clerk"),
            batch=made,
            results=[LineResult(line.pk, False)],
        )
    assert caught.value.message_dict["reason"] == ["发放失败须填写银行返回的原因。"]
    line.refresh_from_db()
    assert line.status == LineStatus.RESERVED


def test_a_batch_over_the_funds_balance_is_refused_at_the_items(world):
    fund = h.fund(world, balance="1500")
    items = [h.item(world, fund, "1000"), h.item(world, fund, "1000")]
    with pytest.raises(ValidationError) as caught:
        h.batch(world, items)
    (message,) = caught.value.message_dict["items"]
    assert "余额 ¥1,500.00，不足以支付 ¥2,000.00（差 ¥500.00）" in message
    assert not PaymentBatch.unscoped.exists()
    assert set(PayableItem.unscoped.values_list("status", flat=True)) == {ItemStatus.PENDING}


def test_an_approval_over_the_balance_is_refused_and_nothing_is_half_saved(world, monkeypatch):
    """Two batches made at once each saw the whole balance (the check at making a batch is
    advice, taken without the fund's lock); the second approval finds the money gone and
    changes nothing: no step, no entry, the batch still pending."""
    fund = h.fund(world, balance="1500")
    first = h.batch(world, [h.item(world, fund, "1000")])
    with pytest.raises(ValidationError):  # what waits for approval counts against a batch
        h.batch(world, [h.item(world, fund, "1000")])
    monkeypatch.setattr(services, "_waiting_by_fund", lambda ids: {})  # the race
    second = h.batch(world, [PayableItem.unscoped.get(status=ItemStatus.PENDING)])
    h.approve(world, first)
    with pytest.raises(ValidationError) as caught:
        h.approve(world, second)
    assert "余额 ¥500.00，不足以支付 ¥1,000.00" in caught.value.message_dict["decision_note"][0]
    second.refresh_from_db()
    assert second.status == BatchStatus.PENDING
    assert not DecisionStep.objects.filter(flow="funds.batch", object_id=second.pk).exists()
    assert PaymentLine.unscoped.get(batch=second).status == LineStatus.WAITING
    assert LedgerEntry.unscoped.filter(fund=fund, kind=EntryKind.RESERVE).count() == 1
    assert_balanced(fund)
    assert fund.balance == Decimal("500")


def test_the_maker_cannot_approve_their_own_batch(world):
    fund = h.fund(world, balance="5000")
    made = h.batch(world, [h.item(world, fund, "100")])
    with pytest.raises(PermissionDenied) as caught:
        services.batch_decide(actor=world.staff("district_b", "reviewer"), batch=made, approve=True)
    assert "录入人" in str(caught.value)
    fund.refresh_from_db()
    assert fund.balance == Decimal("5000")
    assert PaymentBatch.unscoped.get(pk=made.pk).status == BatchStatus.PENDING


def test_a_refused_batch_needs_a_reason_and_frees_its_items(world):
    fund = h.fund(world, balance="5000")
    item = h.item(world, fund, "100")
    made = h.batch(world, [item])
    admin = world.staff("district_b", "admin")
    with pytest.raises(ValidationError):
        services.batch_decide(actor=admin, batch=made, approve=False)
    services.batch_decide(actor=admin, batch=made, approve=False, note="金额需复核")
    item.refresh_from_db()
    assert item.status == ItemStatus.PENDING
    assert PaymentLine.unscoped.get(batch=made).status == LineStatus.DROPPED
    h.batch(world, [item])  # it can be batched again


def test_an_item_is_in_one_batch_at_a_time(world):
    fund = h.fund(world, balance="5000")
    item = h.item(world, fund, "100")
    h.batch(world, [item])
    with pytest.raises(ValidationError) as caught:
        h.batch(world, [item])
    assert "已不在待发放状态" in caught.value.message_dict["items"][0]


def test_the_database_refuses_two_live_lines_for_one_item(world):
    fund = h.fund(world, balance="5000")
    item = h.item(world, fund, "100")
    made = h.batch(world, [item])
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLine.objects.create(batch=made, item=item, fund=fund, amount=item.amount)


def test_another_branch_cannot_batch_or_approve(world):
    fund = h.fund(world, balance="5000")
    item = h.item(world, fund, "100")
    with pytest.raises(NotFound):
        services.batch_create(
            actor=world.staff("district_a", "reviewer"),
            organization=world.district_b,
            title="x",
            items=[item],
        )
    made = h.batch(world, [item])
    with pytest.raises(NotFound):
        services.batch_decide(actor=world.staff("district_a", "admin"), batch=made, approve=True)
    with pytest.raises(NotFound):
        selectors.batch_get(actor=world.staff("district_a", "admin"), id=made.pk)


def test_a_batch_takes_its_locks_in_table_order(world):
    fund = h.fund(world, balance="5000")
    made = h.batch(world, [h.item(world, fund, "100")])
    with locks.traced() as trail:
        h.approve(world, made)
    assert [t.space for t in trail] == [LockSpace.PAYMENT_BATCH, LockSpace.FUND]
    assert locks.in_table_order(trail)


def test_the_bank_file_is_masked_unless_revealed_with_a_logged_reason(world):
    fund = h.fund(world, balance="5000")
    made = h.batch(world, [h.item(world, fund, "100")])
    reviewer = world.staff("district_b", "reviewer")
    with pytest.raises(ValidationError):
        services.batch_bank_file(actor=reviewer, batch=made)  # not approved yet
    made = h.approve(world, made)
    (row,) = services.batch_bank_file(actor=reviewer, batch=made)
    assert row.bank_card == "6228***********6789"
    assert not PersonalDataAccess.objects.visible_to(world.staff("city")).exists()
    with pytest.raises(ValidationError):
        services.batch_bank_file(actor=reviewer, batch=made, reveal=True)
    with pytest.raises(PermissionDenied):
        services.batch_bank_file(
            actor=world.staff("district_b", "leader"), batch=made, reveal=True, reason="other"
        )
    (row,) = services.batch_bank_file(actor=reviewer, batch=made, reveal=True, reason="other")
    assert row.bank_card == "6228480328123456789"
    (log,) = PersonalDataAccess.objects.visible_to(world.staff("city"))
    assert (log.subject_type, log.field, log.channel) == (
        "funds.payableitem",
        "bank_card",
        "export",
    )


def test_a_batch_builds_no_object_per_line_from_making_to_results(world):
    """A batch of 50,000 lines (the bench's) is made, approved and paid with its lines and
    items read as values and written in bulk: building a model object per line (and one
    per ledger entry) was most of its time. The objects built do not grow with the lines."""
    from django.db.models.signals import post_init

    def built(n: int) -> int:
        fund = h.fund(world, balance="100000")
        items = [h.item(world, fund, "100") for _ in range(n)]
        count = 0

        def seen(sender, **kwargs):
            nonlocal count
            if sender in (PaymentLine, PayableItem, LedgerEntry):
                count += 1

        post_init.connect(seen, weak=False, dispatch_uid="count-lines")
        try:
            made = h.approve(world, h.batch(world, items))
            lines = PaymentLine.unscoped.filter(batch=made).values_list("pk", flat=True)
            services.batch_results_record(
                actor=world.staff("district_b", "clerk"),
                batch=made,
                results=[LineResult(pk, i % 3 != 0, "账号不存在") for i, pk in enumerate(lines)],
            )
        finally:
            post_init.disconnect(dispatch_uid="count-lines")
        assert_balanced(fund)
        return count

    assert built(12) == built(2)


def test_payables_submitted_together_are_checked_as_each_alone(world):
    fund = h.fund(world, balance="1000")
    other = h.fund(world, "district_a", balance="1000")
    person = world.member("union_b").person
    reviewer = world.staff("town_b", "reviewer")
    taken = h.item(world, fund, "100", source_id=7001)

    def payable(**changes):
        values = {
            "organization": world.union_b,
            "fund": fund,
            "person": person,
            "account_holder": person.name,
            "bank_name": "中国农业银行嘉兴分行",
            "bank_card": "6228 4803 2812 3456 789",
            "amount": "200.00",
            "source_kind": "assistance.application",
            "source_id": 7002,
            "label": "2017 金秋助学",
        }
        values.update(changes)
        return services.Payable(**values)

    cases = [
        payable(),
        payable(source_id=taken.source_id),  # handed over before
        payable(),  # the same source twice in one call
        payable(source_id=7003, amount="-5", bank_card="12", account_holder=""),
        payable(source_id=7004, fund=other),  # a fund of another branch
        payable(source_id=7005, label="<b>x</b>"),
    ]
    alone = []
    for case in cases:
        try:
            with transaction.atomic():
                services.payable_submit(actor=reviewer, **case.__dict__)
                transaction.set_rollback(True)  # checked, not kept: the bulk makes them
        except ValidationError as exc:
            alone.append(exc.message_dict)
        else:
            alone.append(None)
    alone[2] = {"source_id": ["该业务记录已提交发放，不能重复提交。"]}  # after the first
    results = services.payable_submit_many(actor=reviewer, payables=cases)
    together = [r.message_dict if isinstance(r, ValidationError) else None for r in results]
    assert together == alone
    made = results[0]
    assert isinstance(made, PayableItem) and made.pk is not None
    made.refresh_from_db()
    assert made.bank_card.reveal() == "6228480328123456789" and made.amount == Decimal("200.00")
    assert PayableItem.unscoped.filter(source_id__in=[7002, 7003, 7004, 7005]).count() == 1
