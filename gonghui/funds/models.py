"""Funds, the money that comes into them, the ledger, and the payments made from them
(AST-3, PLT-4).

Money is a platform piece: the assistance programmes, virtual-job pay runs and mutual-aid
claims hand this app the items they have approved (``PayableItem``, by a label of their kind
and their own record's id, never by a foreign key into their tables), and it pays them in
payment batches. Every movement of a fund is one ``LedgerEntry`` that is never changed or
deleted; a fund's balance is the sum of its entries. ``Fund.balance`` keeps that sum beside
the row, written only under the fund's row lock together with the entry, and a database
constraint refuses a negative value, so no race or bug can overdraw a fund unnoticed.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.crypto import mask_middle
from gonghui.core.fields import SealedField
from gonghui.core.models import Decided
from gonghui.core.money import MoneyField
from gonghui.core.scoping import ScopedManager, ScopedModel

BANK_CARD_PURPOSE = "funds.bank_card"


def mask_bank_card(value: str) -> str:
    """``6222 **** **** 1234`` style: the issuer's first four digits and the last four."""
    return mask_middle(value, keep_start=4, keep_end=4)


class SourceKind(models.Model):
    """Where a fund's money comes from (财政/工会经费, 慈善总会, 企业自帮, 系统内帮, 社会结对,
    个人资助). Data, not code: a federation administrator may add a kind; the six of the
    source are seeded by a migration."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ("order", "id")
        verbose_name = _("资金来源类别")
        verbose_name_plural = _("资金来源类别")

    def __str__(self) -> str:
        return self.name


class Fund(ScopedModel):
    """A named pool of money owned by an organisation (its staff and those above see it)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所属组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("基金名称"), max_length=100)
    source_kind = models.ForeignKey(
        SourceKind, verbose_name=_("资金来源"), on_delete=models.PROTECT, related_name="funds"
    )
    purpose = models.CharField(_("用途"), max_length=300, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    # The sum of the fund's ledger entries, written with each entry under the fund's row lock
    # (``services.ledger``); never set by hand.
    balance = MoneyField(_("余额"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建立人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("建立时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["balance"])
    unscoped = models.Manager()
    objects = ScopedManager["Fund"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("organization__path", "name")
        verbose_name = _("基金")
        verbose_name_plural = _("基金")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "name"], name="fund_name_unique"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="fund_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


def new_verify_token() -> str:
    """The key of an income's public verification page: 128 random bits, never the id."""
    return secrets.token_urlsafe(16)


class IncomeKind(models.TextChoices):
    DONATION = "donation", _("捐赠")
    ALLOCATION = "allocation", _("拨款")
    # A fee paid into a scheme's fund (the mutual-aid fees the unions pay for their members).
    FEE = "fee", _("缴费")


class Income(ScopedModel):
    """Money into a fund: a donation or an allocation, with its receipt (收据) number, unique
    within the fund's organisation. Recorded once; a mistake is corrected by a new entry,
    never by editing this one."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所属组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    fund = models.ForeignKey(
        Fund, verbose_name=_("基金"), on_delete=models.PROTECT, related_name="incomes"
    )
    kind = models.CharField(
        _("类型"), max_length=20, choices=IncomeKind.choices, default=IncomeKind.DONATION
    )
    donor = models.CharField(_("捐赠方或拨款单位"), max_length=100)
    amount = MoneyField(_("金额"))
    received_on = models.DateField(_("到账日期"))
    purpose = models.CharField(_("用途"), max_length=300, blank=True)
    receipt_number = models.CharField(_("收据编号"), max_length=40)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    # The acknowledgement's QR code opens ``/m/verify/income/<token>/``: whoever holds the
    # paper may check it, and nobody can walk the receipts by counting ids.
    verify_token = models.CharField(
        _("核验码"), max_length=32, unique=True, default=new_verify_token, editable=False
    )

    unscoped = models.Manager()
    objects = ScopedManager["Income"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-received_on", "-id")
        verbose_name = _("入账")
        verbose_name_plural = _("入账")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "receipt_number"], name="income_receipt_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="income_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.donor} {self.amount}"


class EntryKind(models.TextChoices):
    INCOME = "income", _("入账")
    RESERVE = "reserve", _("支出（批次审批）")
    RETURN = "return", _("退回（发放失败）")


class LedgerEntry(ScopedModel):
    """One movement of a fund: ``amount`` is signed (in > 0, out < 0) and the fund's balance
    after it is kept beside it. Append-only: ``save`` refuses to change a stored entry and
    ``delete`` refuses always; the constraints tie each entry to what caused it, once."""

    scope_fields: ClassVar[tuple[str, ...]] = ("fund__organization",)

    fund = models.ForeignKey(
        Fund, verbose_name=_("基金"), on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=EntryKind.choices)
    amount = MoneyField(_("金额"), allow_negative=True)
    balance_after = MoneyField(_("变动后余额"))
    income = models.ForeignKey(
        Income,
        verbose_name=_("入账"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    line = models.ForeignKey(
        "funds.PaymentLine",
        verbose_name=_("发放明细"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    note = models.CharField(_("摘要"), max_length=200, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    unscoped = models.Manager()
    objects = ScopedManager["LedgerEntry"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("fund", "id")
        verbose_name = _("基金流水")
        verbose_name_plural = _("基金流水")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(Q(kind__in=["income", "return"], amount__gt=0))
                | Q(kind="reserve", amount__lt=0),
                name="ledger_entry_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="ledger_entry_balance_not_negative"
            ),
            models.UniqueConstraint(
                fields=["income"], condition=Q(income__isnull=False), name="ledger_income_once"
            ),
            models.UniqueConstraint(
                fields=["line", "kind"],
                condition=Q(line__isnull=False),
                name="ledger_line_once_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} {self.kind} {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ledger entries are append-only")


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("待发放")
    IN_BATCH = "in_batch", _("发放中")
    PAID = "paid", _("已发放")


class PayableItem(ScopedModel):
    """An approved amount another module hands over to be paid to a person from a fund.

    ``source_kind`` names the kind of record it came from (``"assistance.application"``,
    ``"mutualaid.claim"``) and ``source_id`` that record's id: the pair is unique, by a
    database constraint, so one approval can never become two payments. The item belongs to
    ``organization`` (whose subtree sees it) and is paid from ``fund``, which belongs to that
    organisation or one above it."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)
    owner_field: ClassVar[str | None] = "person"

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所属组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    fund = models.ForeignKey(
        Fund, verbose_name=_("支出基金"), on_delete=models.PROTECT, related_name="items"
    )
    person = models.ForeignKey(
        "members.Person", verbose_name=_("收款人"), on_delete=models.PROTECT, related_name="+"
    )
    account_holder = models.CharField(_("户名"), max_length=50)
    bank_name = models.CharField(_("开户行"), max_length=100)
    bank_card = SealedField(_("银行卡号"), purpose=BANK_CARD_PURPOSE, masker=mask_bank_card)
    amount = MoneyField(_("金额"))
    source_kind = models.CharField(_("来源业务"), max_length=50)
    source_id = models.PositiveBigIntegerField(_("来源记录"))
    label = models.CharField(_("摘要"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=20, choices=ItemStatus.choices, default=ItemStatus.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)

    unscoped = models.Manager()
    objects = ScopedManager["PayableItem"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at", "-id")
        verbose_name = _("待发放款项")
        verbose_name_plural = _("待发放款项")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["source_kind", "source_id"], name="payable_item_once_per_source"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payable_item_positive"),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "fund"])]

    def __str__(self) -> str:
        return f"{self.label} {self.amount}"


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已审批，待回执")
    REFUSED = "refused", _("已退回")
    DONE = "done", _("已完成")


class PaymentBatch(Decided, ScopedModel):
    """Items assembled by a reviewer to be paid by one bank bulk transfer. Approved by
    someone other than its maker (``core.decisions``); approval takes the money out of the
    funds (ledger), and the bank's result is recorded per line."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("发放组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("批次名称"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=20, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    total = MoneyField(_("合计金额"), default=0)
    line_count = models.PositiveIntegerField(_("笔数"), default=0)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["total", "line_count"])
    unscoped = models.Manager()
    objects = ScopedManager["PaymentBatch"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at", "-id")
        verbose_name = _("发放批次")
        verbose_name_plural = _("发放批次")

    def __str__(self) -> str:
        return self.title


class LineStatus(models.TextChoices):
    WAITING = "waiting", _("待审批")
    RESERVED = "reserved", _("已出账，待回执")
    PAID = "paid", _("已发放")
    FAILED = "failed", _("发放失败")
    DROPPED = "dropped", _("批次退回")


# A line in these states holds its item: at most one per item (a database constraint).
LIVE_LINE_STATES = (LineStatus.WAITING, LineStatus.RESERVED, LineStatus.PAID)


class PaymentLine(ScopedModel):
    """One item in one batch, with the amount and fund as they were when the batch was made
    and the bank's result. An item whose line failed can be put in a later batch; it has at
    most one live line (waiting, reserved or paid) at any time."""

    scope_fields: ClassVar[tuple[str, ...]] = ("batch__organization",)

    batch = models.ForeignKey(
        PaymentBatch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="lines"
    )
    item = models.ForeignKey(
        PayableItem, verbose_name=_("款项"), on_delete=models.PROTECT, related_name="lines"
    )
    fund = models.ForeignKey(
        Fund, verbose_name=_("基金"), on_delete=models.PROTECT, related_name="+"
    )
    amount = MoneyField(_("金额"))
    status = models.CharField(
        _("状态"), max_length=20, choices=LineStatus.choices, default=LineStatus.WAITING
    )
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    result_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回执登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    result_at = models.DateTimeField(_("回执登记时间"), null=True, blank=True)
    # The day the bank paid the line (its value date, from the bank's receipt), which may be
    # earlier than the day its result was recorded: what "paid in a year" counts by.
    paid_on = models.DateField(_("到账日期"), null=True, blank=True)

    unscoped = models.Manager()
    objects = ScopedManager["PaymentLine"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("batch", "id")
        verbose_name = _("发放明细")
        verbose_name_plural = _("发放明细")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status__in=["waiting", "reserved", "paid"]),
                name="payment_line_one_live_per_item",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.item_id} {self.amount}"
