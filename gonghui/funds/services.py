"""Writes for funds, incomes, payable items and payment batches. One transaction each.

The ledger rule, kept here and nowhere else: a fund's balance moves only by ``_post``, which
runs with the fund's row locked (``LockSpace.FUND``), refuses to take it below zero, appends
the entries and writes the new balance beside them. Every path that moves money (an income,
a batch's approval, a failed line's return) locks the funds it touches before it reads their
balance, so two payments at once cannot both spend the same yuan.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import bulk, decisions, notify
from gonghui.core.locks import LockSpace, lock_one, lock_rows
from gonghui.core.money import check_money
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.services import Subject, personal_data_log
from gonghui.core.validators import clean_text, raise_errors
from gonghui.funds import notifications
from gonghui.funds.models import (
    BatchStatus,
    EntryKind,
    Fund,
    Income,
    IncomeKind,
    ItemStatus,
    LedgerEntry,
    LineStatus,
    PayableItem,
    PaymentBatch,
    PaymentLine,
    SourceKind,
)
from gonghui.funds.signals import items_paid

ZERO = Decimal("0.00")
MAX_BATCH_LINES = 50_000
_CARD_SEPARATORS = re.compile(r"[\s\-]")


def yuan(amount: Decimal) -> str:
    """``¥1,234.50``, as messages show an amount."""
    return f"¥{amount:,.2f}"


def _positive(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    """An amount of money that must be more than zero (``core.money`` for the rest)."""
    amount = check_money(value, field, errors, required=True)
    if amount is not None and amount <= 0:
        errors.setdefault(field, []).append(_("金额应大于 0。"))
        return None
    return amount


# --- the ledger ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    """One movement to append: signed amount, what caused it."""

    kind: str
    amount: Decimal
    note: str = ""
    income: Income | None = None
    line: PaymentLine | None = None
    # The line by its key alone (a batch's lines are read as values, not as objects).
    line_id: int | None = None


_LEDGER_COLUMNS = (
    "fund_id",
    "kind",
    "amount",
    "balance_after",
    "income_id",
    "line_id",
    "note",
    "at",
    "by_id",
)


def _post(*, actor: Any, fund: Fund, postings: Sequence[Posting]) -> Fund:
    """Append ``postings`` to the ledger of ``fund``, which the caller has locked in this
    transaction (``LockSpace.FUND``), and store the new balance. Raises ``ValueError`` if the
    balance would go below zero: callers check first and report it at a field; this is the
    last guard (with the database's check constraints). The entries go in with one bulk
    insert (COPY on PostgreSQL): a batch of 50,000 lines is 50,000 entries."""
    balance = fund.balance
    now = timezone.now()
    rows = []
    for posting in postings:
        balance += posting.amount
        if balance < 0:
            raise ValueError(f"fund {fund.pk} would go negative")
        line_id = posting.line.pk if posting.line is not None else posting.line_id
        income_id = posting.income.pk if posting.income is not None else None
        kind, amount, note = str(posting.kind), posting.amount, posting.note[:200]
        rows.append((fund.pk, kind, amount, balance, income_id, line_id, note, now, actor.pk))
    bulk.insert_rows(LedgerEntry, _LEDGER_COLUMNS, rows)
    # Conditional on the balance read under the lock: should a caller ever skip the lock, a
    # concurrent change makes this fail loudly instead of losing the other's movement.
    if not Fund.unscoped.filter(pk=fund.pk, balance=fund.balance).update(balance=balance):
        raise RuntimeError(f"fund {fund.pk} changed under its lock: was it locked?")
    fund.balance = balance
    return fund


def _lock_funds(ids: Iterable[int]) -> dict[int, Fund]:
    """The funds, locked in key order (the race: two payments read one balance)."""
    funds = lock_rows(
        LockSpace.FUND, Fund.unscoped.filter(pk__in=set(ids)).select_related("organization")
    )
    return {fund.pk: fund for fund in funds}


def _shortfall_message(fund: Fund, need: Decimal, available: Decimal) -> str:
    return _(
        "“%(fund)s”余额 %(balance)s，不足以支付 %(need)s（差 %(short)s）。"
        "请先登记入账，或从批次中减少该基金的款项。"
    ) % {
        "fund": fund.name,
        "balance": yuan(available),
        "need": yuan(need),
        "short": yuan(need - available),
    }


# --- funds and incomes -----------------------------------------------------------------------


@transaction.atomic
def fund_create(
    *,
    actor: Any,
    organization: Any,
    name: str,
    source_kind: SourceKind,
    purpose: str = "",
) -> Fund:
    require_within(actor, organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required=True, limit=100)
    purpose = clean_text(purpose, "purpose", errors, required=False, limit=300, multiline=True)
    if source_kind is None or not source_kind.active:
        errors.setdefault("source_kind", []).append(_("请选择资金来源。"))
    if name and Fund.unscoped.filter(organization=organization, name=name).exists():
        errors.setdefault("name", []).append(
            _("%(o)s已有名为“%(n)s”的基金，请换一个名称。") % {"o": organization.name, "n": name}
        )
    raise_errors(errors)
    fund = Fund(
        organization=organization,
        name=name,
        source_kind=source_kind,
        purpose=purpose,
        created_by=actor,
    )
    fund._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            fund.save()
    except IntegrityError:
        raise ValidationError({"name": [_("该名称的基金刚被他人建立，请换一个名称。")]}) from None
    return fund


@transaction.atomic
def income_record(
    *,
    actor: Any,
    fund: Fund,
    donor: str,
    amount: Any,
    received_on: datetime.date | None,
    receipt_number: str,
    kind: str = IncomeKind.DONATION,
    purpose: str = "",
) -> Income:
    """Money into ``fund`` (a donation or an allocation): the income and its ledger entry."""
    require_within(actor, fund.organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    donor = clean_text(donor, "donor", errors, required=True, limit=100)
    purpose = clean_text(purpose, "purpose", errors, required=False, limit=300, multiline=True)
    receipt_number = clean_text(receipt_number, "receipt_number", errors, required=True, limit=40)
    value = _positive(amount, "amount", errors)
    if kind not in IncomeKind.values:
        errors.setdefault("kind", []).append(_("请选择捐赠或拨款。"))
    if received_on is None:
        errors.setdefault("received_on", []).append(_("请填写到账日期。"))
    elif received_on > timezone.localdate():
        errors.setdefault("received_on", []).append(_("到账日期不能晚于今天。"))
    if not fund.active:
        errors.setdefault("fund", []).append(_("该基金已停用，不能入账。"))
    duplicate = _("收据编号 %(r)s 已在%(o)s登记过，请核对收据。")
    if (
        receipt_number
        and Income.unscoped.filter(
            organization_id=fund.organization_id, receipt_number=receipt_number
        ).exists()
    ):
        errors.setdefault("receipt_number", []).append(
            duplicate % {"r": receipt_number, "o": fund.organization.name}
        )
    raise_errors(errors)
    assert value is not None and received_on is not None  # noqa: S101 (checked above)
    locked = _lock_funds([fund.pk])[fund.pk]
    try:
        with transaction.atomic():
            income = Income.objects.create(
                organization_id=fund.organization_id,
                fund=locked,
                kind=kind,
                donor=donor,
                amount=value,
                received_on=received_on,
                purpose=purpose,
                receipt_number=receipt_number,
                recorded_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            {"receipt_number": [duplicate % {"r": receipt_number, "o": fund.organization.name}]}
        ) from None
    _post(
        actor=actor,
        fund=locked,
        postings=[
            Posting(EntryKind.INCOME, value, note=f"{donor} {receipt_number}", income=income)
        ],
    )
    fund.balance = locked.balance
    return income


# --- payable items (handed over by other modules) --------------------------------------------


def normalize_bank_card(value: str) -> str:
    """A bank card number: 12 to 19 digits; spaces and dashes are dropped."""
    number = _CARD_SEPARATORS.sub("", str(value or ""))
    if not number:
        raise ValidationError(_("请填写银行卡号。"), code="required")
    if not (number.isascii() and number.isdigit()) or not 12 <= len(number) <= 19:
        raise ValidationError(
            _("银行卡号应为 12 至 19 位数字，当前为“%(n)s”位，请核对。") % {"n": len(number)},
            code="format",
        )
    return number


@transaction.atomic
def payable_submit(
    *,
    actor: Any,
    organization: Any,
    fund: Fund,
    person: Any,
    account_holder: str,
    bank_name: str,
    bank_card: str,
    amount: Any,
    source_kind: str,
    source_id: int,
    label: str,
) -> PayableItem:
    """Hand over an approved amount to be paid: the calling module names its record by
    ``source_kind`` (``"assistance.application"``) and ``source_id``. The same source twice
    is refused (a database constraint, so two approvals at once cannot both hand it over).
    Call it inside the approval's own transaction, so either both stand or neither."""
    require_within(actor, organization)
    errors: dict[str, list[str]] = {}
    account_holder = clean_text(account_holder, "account_holder", errors, required=True, limit=50)
    bank_name = clean_text(bank_name, "bank_name", errors, required=True, limit=100)
    label = clean_text(label, "label", errors, required=True, limit=100)
    source_kind = clean_text(source_kind, "source_kind", errors, required=True, limit=50)
    value = _positive(amount, "amount", errors)
    try:
        card = normalize_bank_card(bank_card)
    except ValidationError as exc:
        errors.setdefault("bank_card", []).extend(exc.messages)
        card = ""
    if not organization.path.startswith(fund.organization.path):
        errors.setdefault("fund", []).append(
            _("“%(f)s”属于%(o)s，不能支付该组织的款项。")
            % {"f": fund.name, "o": fund.organization.name}
        )
    elif not fund.active:
        errors.setdefault("fund", []).append(_("该基金已停用。"))
    once = _("该业务记录已提交发放，不能重复提交。")
    if PayableItem.unscoped.filter(source_kind=source_kind, source_id=source_id).exists():
        errors.setdefault("source_id", []).append(once)
    raise_errors(errors)
    assert value is not None  # noqa: S101 (checked above)
    item = PayableItem(
        organization=organization,
        fund=fund,
        person=person,
        account_holder=account_holder,
        bank_name=bank_name,
        bank_card=card,
        amount=value,
        source_kind=source_kind,
        source_id=source_id,
        label=label,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise ValidationError({"source_id": [once]}) from None
    return item


@dataclass(frozen=True)
class Payable:
    """One approved amount of a ``payable_submit_many`` call: what ``payable_submit`` takes."""

    organization: Any
    fund: Fund
    person: Any
    account_holder: str
    bank_name: str
    bank_card: str
    amount: Any
    source_kind: str
    source_id: int
    label: str


@transaction.atomic
def payable_submit_many(
    *, actor: Any, payables: Sequence[Payable]
) -> list[PayableItem | ValidationError]:
    """``payable_submit`` for many amounts at once (a bulk approval's): each is checked as
    ``payable_submit`` checks it, with the same messages, and the items go in with one bulk
    insert. Returns, in order, the item made or the ``ValidationError`` ``payable_submit``
    would have raised (nothing is written for it). A source already handed over, in the
    database or earlier in the list, is refused at ``source_id``; should a concurrent
    hand-over slip past that check, the constraint's ``IntegrityError`` undoes the call
    (the caller's savepoint decides again one by one)."""
    for organization in {p.organization.pk: p.organization for p in payables}.values():
        require_within(actor, organization)
    once = _("该业务记录已提交发放，不能重复提交。")
    wanted = {(p.source_kind, p.source_id) for p in payables}
    kinds = {kind for kind, _id in wanted}
    source_ids = sorted({source_id for _kind, source_id in wanted})
    taken: set[tuple[str, int]] = set()
    # In chunks: a bulk may hold more amounts than one statement takes parameters.
    for start in range(0, len(source_ids), 5_000):
        taken.update(
            PayableItem.unscoped.filter(
                source_kind__in=kinds, source_id__in=source_ids[start : start + 5_000]
            ).values_list("source_kind", "source_id")
        )
    results: list[PayableItem | ValidationError] = []
    made: list[PayableItem] = []
    for payable in payables:
        errors: dict[str, list[str]] = {}
        account_holder = clean_text(
            payable.account_holder, "account_holder", errors, required=True, limit=50
        )
        bank_name = clean_text(payable.bank_name, "bank_name", errors, required=True, limit=100)
        label = clean_text(payable.label, "label", errors, required=True, limit=100)
        source_kind = clean_text(
            payable.source_kind, "source_kind", errors, required=True, limit=50
        )
        value = _positive(payable.amount, "amount", errors)
        try:
            card = normalize_bank_card(payable.bank_card)
        except ValidationError as exc:
            errors.setdefault("bank_card", []).extend(exc.messages)
            card = ""
        fund, organization = payable.fund, payable.organization
        if not organization.path.startswith(fund.organization.path):
            errors.setdefault("fund", []).append(
                _("“%(f)s”属于%(o)s，不能支付该组织的款项。")
                % {"f": fund.name, "o": fund.organization.name}
            )
        elif not fund.active:
            errors.setdefault("fund", []).append(_("该基金已停用。"))
        if (source_kind, payable.source_id) in taken:
            errors.setdefault("source_id", []).append(once)
        if errors or value is None:
            results.append(ValidationError(errors))
            continue
        taken.add((source_kind, payable.source_id))
        item = PayableItem(
            organization=organization,
            fund=fund,
            person=payable.person,
            account_holder=account_holder,
            bank_name=bank_name,
            bank_card=card,
            amount=value,
            source_kind=source_kind,
            source_id=payable.source_id,
            label=label,
            created_by=actor,
        )
        made.append(item)
        results.append(item)
    _insert_items(made)
    return results


_ITEM_COLUMNS = (
    "id",
    "organization_id",
    "fund_id",
    "person_id",
    "account_holder",
    "bank_name",
    "bank_card",
    "amount",
    "source_kind",
    "source_id",
    "label",
    "status",
    "created_by_id",
    "created_at",
)


def _insert_items(items: list[PayableItem]) -> None:
    """Insert new items with one COPY (``bulk_create`` spent most of a bulk approval's time
    building one huge INSERT); each keeps its key and is then as if saved."""
    if not items:
        return
    ids = bulk.allocate_ids(PayableItem, len(items))
    card = PayableItem._meta.get_field("bank_card")
    now = timezone.now()
    rows = []
    for pk, item in zip(ids, items, strict=True):
        item.pk, item.created_at = pk, now
        item._state.adding = False
        rows.append(
            tuple(
                card.get_db_prep_save(item.bank_card, connection)
                if name == "bank_card"
                else getattr(item, name)
                for name in _ITEM_COLUMNS
            )
        )
    bulk.insert_rows(PayableItem, _ITEM_COLUMNS, rows)


# --- payment batches -------------------------------------------------------------------------


def _waiting_by_fund(fund_ids: Iterable[int]) -> dict[int, Decimal]:
    """What batches not yet approved already ask of each fund."""
    rows = (
        PaymentLine.unscoped.filter(fund_id__in=set(fund_ids), status=LineStatus.WAITING)
        .values("fund_id")
        .annotate(total=Sum("amount"))
    )
    return {row["fund_id"]: row["total"] for row in rows}


@transaction.atomic
def batch_create(
    *, actor: Any, organization: Any, title: str, items: Sequence[PayableItem]
) -> PaymentBatch:
    """A reviewer puts pending items into a batch, to be approved by someone else. The
    items must belong to ``organization``'s subtree and be paid from its funds; the funds
    must hold enough for them beside what other batches waiting for approval ask."""
    require_within(actor, organization, Perm.APPROVE)
    errors: dict[str, list[str]] = {}
    title = clean_text(title, "title", errors, required=True, limit=100)
    ids = sorted({item.pk for item in items})
    if not ids:
        errors.setdefault("items", []).append(_("请至少选择一笔待发放的款项。"))
    elif len(ids) > MAX_BATCH_LINES:
        errors.setdefault("items", []).append(
            _("一个批次最多 %(n)s 笔，请分成几个批次。") % {"n": f"{MAX_BATCH_LINES:,}"}
        )
    raise_errors(errors)
    # Lock the items (key order) before reading their state: two batches made at once
    # cannot both take one item. Read as values: a batch may hold 50,000 of them.
    locked = lock_rows(
        LockSpace.PAYABLE_ITEM,
        PayableItem.unscoped.filter(pk__in=ids).values_list(
            "pk",
            "status",
            "fund_id",
            "amount",
            "account_holder",
            "organization__path",
            "fund__organization__path",
        ),
    )
    if len(locked) != len(ids):
        raise NotFound
    taken = [row for row in locked if row[1] != ItemStatus.PENDING]
    if taken:
        errors.setdefault("items", []).append(
            _("以下款项已不在待发放状态（已在其他批次或已发放）：%(l)s。")
            % {"l": "、".join(f"{row[4]} {yuan(row[3])}" for row in taken[:10])}
        )
    outside = [
        row
        for row in locked
        if not row[5].startswith(organization.path) or not row[6].startswith(organization.path)
    ]
    if outside:
        errors.setdefault("items", []).append(
            _("以下款项不属于%(o)s或不由其基金支付：%(l)s。")
            % {
                "o": organization.name,
                "l": "、".join(f"{row[4]} {yuan(row[3])}" for row in outside[:10]),
            }
        )
    need: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in locked:
        need[row[2]] += row[3]
    funds = Fund.unscoped.in_bulk(list(need))
    waiting = _waiting_by_fund(need)
    for fund_id, amount in sorted(need.items()):
        fund = funds[fund_id]
        available = fund.balance - waiting.get(fund_id, ZERO)
        if amount > available:
            errors.setdefault("items", []).append(
                _shortfall_message(fund, amount, max(available, ZERO))
            )
    raise_errors(errors)
    batch = PaymentBatch(
        organization=organization,
        title=title,
        total=sum((row[3] for row in locked), ZERO),
        line_count=len(locked),
        created_by=actor,
    )
    batch._history_user = actor  # type: ignore[attr-defined]
    batch.save()
    bulk.insert_rows(
        PaymentLine,
        ("batch_id", "item_id", "fund_id", "amount", "status", "failure_reason"),
        [(batch.pk, row[0], row[2], row[3], LineStatus.WAITING.value, "") for row in locked],
    )
    PayableItem.unscoped.filter(pk__in=ids).update(status=ItemStatus.IN_BATCH)
    return batch


def _batch_apply(actor: Any, batch: PaymentBatch, note: str) -> None:
    """The approval takes the batch's money out of its funds: one reserve entry per line,
    under the funds' locks, or nothing at all when any fund cannot cover its part."""
    waiting = PaymentLine.unscoped.filter(batch=batch, status=LineStatus.WAITING)
    lines = list(waiting.order_by("pk").values_list("pk", "fund_id", "amount"))
    need: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for _pk, fund_id, amount in lines:
        need[fund_id] += amount
    funds = _lock_funds(need)
    errors: dict[str, list[str]] = {}
    for fund_id, amount in sorted(need.items()):
        fund = funds[fund_id]
        if amount > fund.balance:
            errors.setdefault("decision_note", []).append(
                _shortfall_message(fund, amount, fund.balance)
            )
    raise_errors(errors)
    label = _("批次“%(t)s”") % {"t": batch.title}
    by_fund: dict[int, list[Posting]] = defaultdict(list)
    for pk, fund_id, amount in lines:
        by_fund[fund_id].append(Posting(EntryKind.RESERVE, -amount, label, line_id=pk))
    for fund_id in sorted(by_fund):
        _post(actor=actor, fund=funds[fund_id], postings=by_fund[fund_id])
    # The same lines: they change only under the batch's lock, which the decision holds.
    waiting.update(status=LineStatus.RESERVED)


def _batch_refuse(actor: Any, batch: PaymentBatch, reason: str) -> None:
    """A refused batch lets its items go back to the pending list, to be batched again."""
    lines = PaymentLine.unscoped.filter(batch=batch, status=LineStatus.WAITING)
    item_ids = list(lines.values_list("item_id", flat=True))
    lines.update(status=LineStatus.DROPPED)
    PayableItem.unscoped.filter(pk__in=item_ids, status=ItemStatus.IN_BATCH).update(
        status=ItemStatus.PENDING
    )


def _batch_snapshot(batch: PaymentBatch) -> dict[str, Any]:
    per_fund = (
        PaymentLine.unscoped.filter(batch=batch, status=LineStatus.WAITING)
        .values("fund_id", "fund__name", "fund__balance")
        .annotate(total=Sum("amount"))
        .order_by("fund_id")
    )
    return {
        "title": batch.title,
        "total": batch.total,
        "line_count": batch.line_count,
        "funds": [
            {
                "id": row["fund_id"],
                "name": row["fund__name"],
                "balance": row["fund__balance"],
                "total": row["total"],
            }
            for row in per_fund
        ],
    }


# Approved by a reviewer of the batch's organisation (or above it), never its maker.
BATCH_FLOW = decisions.register(
    decisions.Flow(
        name="funds.batch",
        steps=(
            decisions.Step(
                name="organization",
                label=gettext_lazy("发放审批"),
                organization=lambda batch: batch.organization,
                perm=Perm.APPROVE,
            ),
        ),
        maker=lambda batch: batch.created_by_id,
        lock_space=LockSpace.PAYMENT_BATCH,
        status_field="status",
        pending=BatchStatus.PENDING,
        approved=BatchStatus.APPROVED,
        refused=BatchStatus.REFUSED,
        closed_message=lambda batch: _("该批次已审批，不能重复审批。"),
        snapshot=_batch_snapshot,
        apply=_batch_apply,
        refuse=_batch_refuse,
    )
)


def batch_decide(
    *,
    actor: Any,
    batch: PaymentBatch,
    approve: bool,
    note: str = "",
    at: datetime.datetime | None = None,
) -> PaymentBatch:
    """Approve (the money leaves the funds: reserved per line, to be paid by the bank) or
    refuse with a reason (the items return to the pending list). One transaction. ``at``:
    when it was decided, for a decision recorded after the fact (the demo city's past
    years); never later than now."""
    if at is not None and at > timezone.now():
        raise ValidationError({"decision_note": [_("审批时间不能晚于现在。")]})
    result: PaymentBatch = decisions.decide(
        actor=actor, flow=BATCH_FLOW, request=batch, approve=approve, reason=note, at=at
    )
    return result


class _ResultLine(NamedTuple):
    """A line as ``batch_results_record`` reads it, with its item's payee."""

    pk: int
    status: str
    fund_id: int
    amount: Decimal
    item_id: int
    person_id: int
    account_holder: str
    label: str
    bank_card: Any


@dataclass(frozen=True)
class LineResult:
    """The bank's answer for one line: paid, or failed with the reason it gave."""

    line_id: int
    paid: bool
    reason: str = ""


@transaction.atomic
def batch_results_record(
    *,
    actor: Any,
    batch: PaymentBatch,
    results: Sequence[LineResult],
    paid_on: datetime.date | None = None,
) -> PaymentBatch:
    """Record the bank's result per line. A paid line pays its item, on ``paid_on`` (the
    bank's value date; today if not given); a failed line gives its money back to the fund
    (a return entry) and its item goes back to the pending list, to be paid in a later
    batch. The batch is done when every line has a result."""
    require_within(actor, batch.organization, Perm.EDIT_RECORDS)
    # The batch's lock serialises results for its lines: one line cannot be returned twice.
    batch = lock_one(
        LockSpace.PAYMENT_BATCH, PaymentBatch.unscoped.select_related("organization"), batch.pk
    )
    errors: dict[str, list[str]] = {}
    if batch.status != BatchStatus.APPROVED:
        errors.setdefault("results", []).append(_("只有已审批、待回执的批次可以登记发放结果。"))
    if not results:
        errors.setdefault("results", []).append(_("请选择要登记结果的明细。"))
    today = timezone.localdate()
    if paid_on is None:
        paid_on = today
    elif paid_on > today:
        errors.setdefault("paid_on", []).append(_("到账日期不能晚于今天。"))
    raise_errors(errors)
    wanted = {r.line_id: r for r in results}
    # Read as values, not objects: a batch's result may hold 50,000 lines.
    lines = {
        row[0]: _ResultLine(*row)
        for row in PaymentLine.unscoped.filter(batch=batch, pk__in=wanted).values_list(
            "pk",
            "status",
            "fund_id",
            "amount",
            "item_id",
            "item__person_id",
            "item__account_holder",
            "item__label",
            "item__bank_card",
        )
    }
    if len(lines) != len(wanted):
        raise NotFound
    reasons: dict[int, str] = {}
    shown = dict(LineStatus.choices)
    for line_id, result in wanted.items():
        line = lines[line_id]
        if line.status != LineStatus.RESERVED:
            errors.setdefault("results", []).append(
                _("%(h)s 的明细已登记过结果（%(s)s）。")
                % {"h": line.account_holder, "s": shown[line.status]}
            )
        if not result.paid:
            reasons[line_id] = clean_text(
                result.reason, "reason", errors, required=False, limit=200
            )
    if not all(reasons.values()):
        errors.setdefault("reason", []).append(_("发放失败须填写银行返回的原因。"))
    raise_errors(errors)
    now = timezone.now()
    paid = [lines[i] for i, r in wanted.items() if r.paid]
    failed = [lines[i] for i, r in wanted.items() if not r.paid]
    if failed:
        funds = _lock_funds(line.fund_id for line in failed)
        by_fund: dict[int, list[Posting]] = defaultdict(list)
        for line in sorted(failed, key=lambda line: line.pk):
            note = _("发放失败退回：%(h)s，%(r)s") % {
                "h": line.account_holder,
                "r": reasons[line.pk],
            }
            by_fund[line.fund_id].append(
                Posting(EntryKind.RETURN, line.amount, note, line_id=line.pk)
            )
        for fund_id in sorted(by_fund):
            _post(actor=actor, fund=funds[fund_id], postings=by_fund[fund_id])
        # One statement per distinct reason the bank gave, not one per line.
        by_reason: dict[str, list[int]] = defaultdict(list)
        for line in failed:
            by_reason[reasons[line.pk]].append(line.pk)
        for reason, line_ids in sorted(by_reason.items()):
            PaymentLine.unscoped.filter(pk__in=line_ids).update(
                status=LineStatus.FAILED,
                failure_reason=reason,
                result_by=actor,
                result_at=now,
            )
        PayableItem.unscoped.filter(pk__in=[line.item_id for line in failed]).update(
            status=ItemStatus.PENDING
        )
    if paid:
        PaymentLine.unscoped.filter(pk__in=[line.pk for line in paid]).update(
            status=LineStatus.PAID, result_by=actor, result_at=now, paid_on=paid_on
        )
        paid_items = PayableItem.unscoped.filter(pk__in=[line.item_id for line in paid])
        paid_items.update(status=ItemStatus.PAID, paid_at=now)
        items_paid.send(
            sender=PayableItem,
            sources=list(paid_items.values_list("source_kind", "source_id")),
            paid_at=now,
        )
    messages = [
        notify.Message(
            line.person_id,
            _("您的“%(l)s”款项 %(a)s 已发放到尾号 %(c)s 的银行卡，请注意查收。")
            % {"l": line.label, "a": yuan(line.amount), "c": line.bank_card.masked()[-4:]},
        )
        for line in paid
    ] + [
        notify.Message(
            line.person_id,
            _("您的“%(l)s”款项 %(a)s 未能转入银行卡（%(r)s），工作人员将核实后重新发放。")
            % {"l": line.label, "a": yuan(line.amount), "r": reasons[line.pk]},
        )
        for line in failed
    ]
    notify.notify_many(kind=notifications.PAYMENT, messages=messages)
    if not PaymentLine.unscoped.filter(batch=batch, status=LineStatus.RESERVED).exists():
        batch.status, batch.done_at = BatchStatus.DONE, now
        batch._history_user = actor  # type: ignore[attr-defined]
        batch.save(update_fields=["status", "done_at"])
    return batch


# --- the bank file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BankRow:
    index: int
    account_holder: str
    bank_card: str
    bank_name: str
    amount: Decimal
    label: str
    status: str


@transaction.atomic
def batch_bank_file(
    *,
    actor: Any,
    batch: PaymentBatch,
    reveal: bool = False,
    reason: str = "",
    reason_note: str = "",
    ip_address: str | None = None,
) -> list[BankRow]:
    """The rows of the bank's bulk-transfer file for an approved batch: card numbers masked,
    or in full for a role that may see personal data, with a reason, every payee logged in
    the same transaction (PLT-1)."""
    require_within(actor, batch.organization, Perm.EXPORT)
    if batch.status not in {BatchStatus.APPROVED, BatchStatus.DONE}:
        raise ValidationError({"batch": [_("批次审批通过后才能导出银行代发文件。")]})
    lines = list(
        PaymentLine.unscoped.filter(
            batch=batch,
            status__in=[LineStatus.RESERVED, LineStatus.PAID, LineStatus.FAILED],
        )
        .select_related("item", "item__person")
        .order_by("pk")
    )
    if reveal:
        require(actor, Perm.REVEAL_PERSONAL)
        from gonghui.core.models import AccessReason

        if reason not in AccessReason.values:
            raise ValidationError({"reason": [_("导出完整银行卡号前，请选择查看原因。")]})
        personal_data_log(
            actor=actor,
            subjects=[Subject.of(line.item) for line in lines],
            fields=["bank_card"],
            reason=reason,
            reason_note=reason_note,
            channel="export",
            ip_address=ip_address,
        )
    return [
        BankRow(
            index=n,
            account_holder=line.item.account_holder,
            bank_card=line.item.bank_card.reveal() if reveal else line.item.bank_card.masked(),
            bank_name=line.item.bank_name,
            amount=line.amount,
            label=line.item.label,
            status=str(line.get_status_display()),
        )
        for n, line in enumerate(lines, 1)
    ]
