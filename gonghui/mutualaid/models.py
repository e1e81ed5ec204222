"""Medical mutual aid 职工医疗互助保障 (MMA-1..3): yearly periods with their benefit rules,
enrolments (mostly in bulk by grassroots unions), the unions' fee bills and the payments
received for them, and claims settled online.

Money goes through ``funds``: a period names its mutual-aid fund; a fee payment received is an
``Income`` of that fund; an approved claim becomes a ``PayableItem`` (``"mutualaid.claim"``,
the claim's id) paid in a payment batch. No second money path lives here.

A period's rules are data (``rules``, read by ``mutualaid.rules``): claim categories, each
with its deductible, reimbursement bands and caps, and the overall yearly cap. The rules in
force when a claim's treatment happened (the period covering its admission day) are the ones
applied. Each claim keeps what it used of the deductible and what it paid, per category, so a
later claim in the year continues from the right place and a reprocessed claim replaces its
own use instead of counting twice.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.crypto import mask_all
from gonghui.core.fields import SealedField
from gonghui.core.models import Decided
from gonghui.core.money import MoneyField
from gonghui.core.scoping import ScopedManager, ScopedModel
from gonghui.funds.models import mask_bank_card

BANK_CARD_PURPOSE = "mutualaid.bank_card"
DIAGNOSIS_PURPOSE = "mutualaid.diagnosis"
DOCUMENT_PURPOSE = "mutualaid.document"


class PeriodStatus(models.TextChoices):
    DRAFT = "draft", _("草拟")
    OPEN = "open", _("已发布")
    CLOSED = "closed", _("已结束")


def _line_q(field: str, path: str) -> Q:
    """Rows whose organisation ``field`` is in the subtree of ``path`` or above it: a
    period of the city is seen by the districts, towns and unions below it (they enrol
    their staff in it and claim from it), while another branch's stays unseen. (As the
    assistance programmes are; a helper of each app, since apps do not share internals.)"""
    parts = [p for p in path.strip("/").split("/") if p]
    above = ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts))]
    return Q(**{f"{field}__path__startswith": path}) | Q(**{f"{field}__path__in": above})


class Period(ScopedModel):
    """One period 期 of the scheme, run by a federation (the city's, as a rule): its dates,
    its fee per person, its enrolment window, the waiting period for first-time enrolees, the
    claim deadline, its benefit rules and its review settings, and the fund it pays from.
    Its staff and those above see it, and so do the organisations below it."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    @classmethod
    def staff_scope(cls, path: str) -> Q:
        return _line_q("organization", path)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("主办工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.PositiveSmallIntegerField(_("期数"))
    name = models.CharField(_("名称"), max_length=60)
    starts_on = models.DateField(_("保障开始日期"))
    ends_on = models.DateField(_("保障结束日期"))
    enrol_opens_on = models.DateField(_("参保登记开始"))
    enrol_closes_on = models.DateField(_("参保登记截止"))
    fee = MoneyField(_("每人缴费"))
    # First-time enrolees are covered only for treatment that starts this many days after
    # their enrolment takes effect; a member enrolled in the period before is not waiting.
    waiting_days = models.PositiveSmallIntegerField(_("首次参保等待期（天）"), default=90)
    # A claim is due within this many days after discharge, and in any case by
    # ``claims_close_on`` (either may be left empty; both apply when both are set).
    claim_days = models.PositiveSmallIntegerField(_("出院后申请期限（天）"), null=True, blank=True)
    claims_close_on = models.DateField(_("理赔申请截止日期"), null=True, blank=True)
    # The benefit rules (``mutualaid.rules.parse`` reads and checks them).
    rules = models.JSONField(_("保障规则"), default=dict)
    # Review: a claim whose benefit is below this and that has no flag is approved without a
    # reviewer, unless the published share of such claims drawn for review picks it.
    auto_approve_below = MoneyField(_("自动审核限额"), default=0)
    sample_percent = models.PositiveSmallIntegerField(_("抽检比例（%）"), default=0)
    # A claim is flagged when its eligible amount exceeds this many times the period's
    # average for its category or hospital.
    flag_multiple = models.DecimalField(_("异常倍数"), max_digits=5, decimal_places=2, default=3)
    fund = models.ForeignKey(
        "funds.Fund",
        verbose_name=_("互助保障基金"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.DRAFT
    )
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("复制自"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建立人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("建立时间"), auto_now_add=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["Period"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("organization__path", "-number")
        verbose_name = _("互助保障期")
        verbose_name_plural = _("互助保障期")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="mutualaid_period_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="mutualaid_period_dates"
            ),
            models.CheckConstraint(
                condition=Q(enrol_closes_on__gte=models.F("enrol_opens_on")),
                name="mutualaid_period_enrol_window",
            ),
            models.CheckConstraint(condition=Q(fee__gt=0), name="mutualaid_period_fee_positive"),
            models.CheckConstraint(
                condition=Q(sample_percent__lte=100), name="mutualaid_period_sample_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BillStatus(models.TextChoices):
    OPEN = "open", _("待缴费")
    PARTLY_PAID = "partly", _("部分缴费")
    PAID = "paid", _("已缴清")
    CANCELLED = "cancelled", _("已作废")


class Bill(ScopedModel):
    """A union's fee for a period (people × fee): what it owes, what the federation has
    received, and the enrolments it pays for. Enrolments take effect when their bill is paid
    in full."""

    scope_fields: ClassVar[tuple[str, ...]] = ("union",)

    period = models.ForeignKey(
        Period, verbose_name=_("互助保障期"), on_delete=models.PROTECT, related_name="bills"
    )
    union = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("缴费工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    number = models.CharField(_("缴费通知单号"), max_length=30, unique=True)
    people = models.PositiveIntegerField(_("参保人数"), default=0)
    amount = MoneyField(_("应缴金额"), default=0)
    received = MoneyField(_("已缴金额"), default=0)
    refunded = MoneyField(_("已退金额"), default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=BillStatus.choices, default=BillStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("开单人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("开单时间"), auto_now_add=True)
    paid_at = models.DateTimeField(_("缴清时间"), null=True, blank=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["Bill"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at", "-id")
        verbose_name = _("缴费通知单")
        verbose_name_plural = _("缴费通知单")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(received__gte=0) & Q(refunded__gte=0), name="mutualaid_bill_sums"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class FeePaymentKind(models.TextChoices):
    RECEIVED = "received", _("收到缴费")
    REFUND = "refund", _("退费")


class FeePayment(ScopedModel):
    """Money received for a bill (recorded as an income of the period's fund), or a refund
    of it (for people who left before the period began)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("bill__union",)

    bill = models.ForeignKey(
        Bill, verbose_name=_("缴费通知单"), on_delete=models.PROTECT, related_name="payments"
    )
    kind = models.CharField(
        _("类型"), max_length=10, choices=FeePaymentKind.choices, default=FeePaymentKind.RECEIVED
    )
    amount = MoneyField(_("金额"))
    paid_on = models.DateField(_("到账日期"))
    bank_reference = models.CharField(_("银行流水号"), max_length=60)
    income = models.ForeignKey(
        "funds.Income",
        verbose_name=_("基金入账"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["FeePayment"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-paid_on", "-id")
        verbose_name = _("缴费记录")
        verbose_name_plural = _("缴费记录")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="mutualaid_fee_positive"),
            models.UniqueConstraint(
                fields=["bill", "kind", "bank_reference"], name="mutualaid_fee_reference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id} {self.amount}"


class EnrolmentStatus(models.TextChoices):
    BILLED = "billed", _("待缴费")
    ACTIVE = "active", _("已生效")
    REFUNDED = "refunded", _("已退保")


# An enrolment in these states holds the person's place in the period: at most one each.
LIVE_ENROLMENT_STATES = (EnrolmentStatus.BILLED, EnrolmentStatus.ACTIVE)


class EnrolChannel(models.TextChoices):
    IMPORT = "import", _("单位批量参保")
    UNION = "union", _("工会代办")
    PORTAL = "portal", _("个人网上参保")


class Enrolment(ScopedModel):
    """One person insured in one period through one union. It takes effect when its bill is
    paid (``effective_on``); cover starts after the waiting period unless the person was
    enrolled in the period before (``covered_from``). A member who moves to another union
    keeps the enrolment, which moves with them (history keeps where it was)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("union",)
    owner_field: ClassVar[str | None] = "person"

    # No index of their own: (period, union, status) and (person, period) lead with them, and
    # a bulk enrolment writes every index of the table for each of its rows.
    period = models.ForeignKey(
        Period,
        verbose_name=_("互助保障期"),
        on_delete=models.PROTECT,
        related_name="enrolments",
        db_index=False,
    )
    person = models.ForeignKey(
        "members.Person",
        verbose_name=_("参保职工"),
        on_delete=models.PROTECT,
        related_name="mutualaid_enrolments",
        db_index=False,
    )
    union = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("参保工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    bill = models.ForeignKey(
        Bill,
        verbose_name=_("缴费通知单"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
    )
    channel = models.CharField(_("参保方式"), max_length=10, choices=EnrolChannel.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.BILLED
    )
    continuous = models.BooleanField(_("连续参保"), default=False)
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    covered_from = models.DateField(_("保障起始日期"), null=True, blank=True)
    ended_on = models.DateField(_("退保日期"), null=True, blank=True)
    end_reason = models.CharField(_("退保原因"), max_length=200, blank=True)
    source_import = models.ForeignKey(
        "core.ImportJob",
        verbose_name=_("导入批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    source_row = models.PositiveIntegerField(_("导入文件行号"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords(no_db_index=["history_user", "source_import", "bill"])
    unscoped = models.Manager()
    objects = ScopedManager["Enrolment"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at", "-id")
        verbose_name = _("参保登记")
        verbose_name_plural = _("参保登记")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["period", "person"],
                condition=Q(status__in=["billed", "active"]),
                name="mutualaid_enrolled_once_per_period",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["period", "union", "status"], name="mutualaid_enrol_union_idx"),
            models.Index(fields=["person", "period"], name="mutualaid_enrol_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id}:{self.person_id}"


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已核准")
    REFUSED = "refused", _("不予赔付")
    PAID = "paid", _("已赔付")
    WITHDRAWN = "withdrawn", _("已撤回")


# A claim in these states holds its invoices (a duplicate elsewhere is refused) and counts
# against the deductible and the caps of the later claims in its year.
LIVE_CLAIM_STATES = (ClaimStatus.PENDING, ClaimStatus.APPROVED, ClaimStatus.PAID)


class ClaimChannel(models.TextChoices):
    PORTAL = "portal", _("职工网上申请")
    UNION = "union", _("工会代办")
    COUNTER = "counter", _("窗口受理")


class ClaimRoute(models.TextChoices):
    """How a claim was (or is to be) reviewed."""

    AUTO = "auto", _("自动审核")
    SAMPLED = "sampled", _("抽检复核")
    ABOVE = "above", _("超限额人工审核")
    FLAGGED = "flagged", _("异常人工审核")


class Claim(Decided, ScopedModel):
    """One claim for one treatment (a stay in hospital, a course of special out-patient
    care, a serious illness), with its invoices, the benefit the period's rules give for it
    and the explanation line by line, how it was reviewed and how it was submitted."""

    scope_fields: ClassVar[tuple[str, ...]] = ("union",)
    owner_field: ClassVar[str | None] = "person"

    period = models.ForeignKey(
        Period, verbose_name=_("互助保障期"), on_delete=models.PROTECT, related_name="claims"
    )
    enrolment = models.ForeignKey(
        Enrolment, verbose_name=_("参保登记"), on_delete=models.PROTECT, related_name="claims"
    )
    person = models.ForeignKey(
        "members.Person",
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="mutualaid_claims",
    )
    union = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所在工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.CharField(_("保障类别"), max_length=30)
    hospital = models.CharField(_("就诊医院"), max_length=100)
    admitted_on = models.DateField(_("入院（就诊）日期"))
    discharged_on = models.DateField(_("出院日期"))
    diagnosis = SealedField(_("诊断"), purpose=DIAGNOSIS_PURPOSE, masker=mask_all)
    channel = models.CharField(_("申请方式"), max_length=10, choices=ClaimChannel.choices)
    counter_visit = models.BooleanField(_("需到窗口办理"), default=False)
    # Sums of the invoices, and the eligible amount the benefit is computed on (the
    # invoices' eligible self-paid sum unless a reviewer adjusted it, with a reason).
    total = MoneyField(_("医疗费用总额"), default=0)
    insurance_paid = MoneyField(_("统筹支付"), default=0)
    eligible_claimed = MoneyField(_("政策内自付（申报）"), default=0)
    eligible = MoneyField(_("核定政策内自付"), default=0)
    adjust_reason = models.CharField(_("调整原因"), max_length=300, blank=True)
    # What the claim used of its category's deductible and what it pays: the year's later
    # claims continue from the sums of these over the live claims before them.
    deductible_used = MoneyField(_("使用起付线"), default=0)
    benefit = MoneyField(_("核定赔付金额"), default=0)
    explanation = models.JSONField(_("计算说明"), default=list)
    flags = models.JSONField(_("提示"), default=list, blank=True)
    route = models.CharField(_("审核方式"), max_length=10, choices=ClaimRoute.choices, blank=True)
    draw = models.ForeignKey(
        "mutualaid.SampleDraw",
        verbose_name=_("抽检批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.PENDING
    )
    account_holder = models.CharField(_("收款户名"), max_length=50)
    bank_name = models.CharField(_("开户行"), max_length=100)
    bank_card = SealedField(_("银行卡号"), purpose=BANK_CARD_PURPOSE, masker=mask_bank_card)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    paid_at = models.DateTimeField(_("赔付时间"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["bank_card", "diagnosis"])
    unscoped = models.Manager()
    objects = ScopedManager["Claim"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at", "-id")
        verbose_name = _("互助理赔")
        verbose_name_plural = _("互助理赔")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(discharged_on__gte=models.F("admitted_on")),
                name="mutualaid_claim_dates",
            ),
            models.CheckConstraint(
                condition=Q(eligible_claimed__lte=models.F("total"))
                & Q(insurance_paid__lte=models.F("total")),
                name="mutualaid_claim_sums",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["period", "status", "route"], name="mutualaid_claim_queue_idx"),
            models.Index(fields=["person", "period"], name="mutualaid_claim_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id}:{self.person_id} {self.category}"

    @property
    def category_name(self) -> str:
        """The claim's category as its period's rules name it (保障类别), not its code."""
        for category in (self.period.rules or {}).get("categories", []):
            if isinstance(category, dict) and category.get("code") == self.category:
                return str(category.get("name") or self.category)
        return self.category


class Invoice(models.Model):
    """One medical invoice of a claim. ``live`` mirrors whether its claim is live, so the
    partial unique index refuses the same invoice (code and number) in two live claims
    anywhere in the city, in any period."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="invoices")
    code = models.CharField(_("发票代码"), max_length=20)
    number = models.CharField(_("发票号码"), max_length=20)
    issued_on = models.DateField(_("开票日期"), null=True, blank=True)
    total = MoneyField(_("费用总额"))
    insurance_paid = MoneyField(_("统筹支付"), default=0)
    eligible = MoneyField(_("政策内自付"))
    live = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ("claim", "id")
        verbose_name = _("医疗发票")
        verbose_name_plural = _("医疗发票")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["code", "number"], condition=Q(live=True), name="mutualaid_invoice_once"
            ),
            models.CheckConstraint(
                condition=Q(eligible__lte=models.F("total"))
                & Q(insurance_paid__lte=models.F("total"))
                & Q(total__gt=0),
                name="mutualaid_invoice_sums",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}-{self.number}"


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("发票")
    DISCHARGE = "discharge", _("出院小结")
    OTHER = "other", _("其他证明")


class ClaimDocument(models.Model):
    """A photo or PDF of an invoice or of the discharge summary, sealed at rest. The digest
    of its contents flags the same file sent with another claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("材料类型"), max_length=10, choices=DocumentKind.choices)
    name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    digest = models.CharField(max_length=64, db_index=True)
    file = models.FileField(upload_to="mutualaid/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("uploaded_at", "id")
        verbose_name = _("理赔材料")
        verbose_name_plural = _("理赔材料")

    def __str__(self) -> str:
        return self.name


class SampleDraw(ScopedModel):
    """One adjudication run's random draw of claims for manual review: the share published
    for the period, the seed and the claims it picked, kept so anyone can run the draw again
    and get the same claims (as the culture lottery keeps its draws)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("period__organization",)

    period = models.ForeignKey(
        Period, verbose_name=_("互助保障期"), on_delete=models.PROTECT, related_name="draws"
    )
    seed = models.CharField(_("随机种子"), max_length=64)
    percent = models.PositiveSmallIntegerField(_("抽检比例（%）"))
    # The claims the draw was made among (ids, ascending) and those it picked.
    pool = models.JSONField(_("候选理赔"), default=list)
    picked = models.JSONField(_("抽中理赔"), default=list)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("执行人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("抽检时间"), auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["SampleDraw"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-drawn_at", "-id")
        verbose_name = _("抽检批次")
        verbose_name_plural = _("抽检批次")

    def __str__(self) -> str:
        return f"{self.period_id} {self.drawn_at:%Y-%m-%d}"
