"""The five helps 五助 (AST-2): programmes, their rounds 批次 and the applications to them.

A programme (金秋助学, 爱心透析, 春节送温暖) belongs to an organisation and to one of the five
helps. It runs in rounds: each round has its window, the funds it pays from, the tiers that
review its applications (grassroots → town → district, in that order), its eligibility rules
and its amounts, all as data (``rules``). An application is one person's request in one
round, reviewed through ``core.decisions`` up the round's tiers; on the last approval the
amount is handed to ``funds`` to be paid (``payable_submit``), which pays it in a batch.

At most one live application per person per round, and per household where the round says
so: partial unique indexes, so two clerks (or a clerk and the worker) entering the same
person at once cannot both succeed.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.fields import SealedField
from gonghui.core.models import Decided
from gonghui.core.money import MoneyField
from gonghui.core.scoping import ScopedManager, ScopedModel
from gonghui.funds.models import mask_bank_card

BANK_CARD_PURPOSE = "assistance.bank_card"
DOCUMENT_PURPOSE = "assistance.document"
SNAPSHOT_PURPOSE = "assistance.snapshot"


class HelpKind(models.TextChoices):
    HARDSHIP = "hardship", _("助困")
    MEDICAL = "medical", _("助医")
    STUDY = "study", _("助学")
    WORK = "work", _("助业")
    ENTERPRISE = "enterprise", _("助创")


# The levels that may review a round, lowest first; a round names some of them, in this order.
TIER_KINDS: tuple[str, ...] = ("grassroots", "town", "district", "city")
TIER_CODES = {"grassroots": "g", "town": "t", "district": "d", "city": "c"}
TIER_LABELS = {
    "grassroots": _("基层工会"),
    "town": _("镇（街道）总工会"),
    "district": _("区（县、市）总工会"),
    "city": _("市总工会"),
}


def _line_q(field: str, path: str) -> Q:
    """Rows whose organisation ``field`` is in the subtree of ``path`` or above it: a
    programme of the city is run by the towns and unions below it too (they apply for their
    workers and review), while another branch's stays unseen."""
    parts = [p for p in path.strip("/").split("/") if p]
    above = ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts))]
    return Q(**{f"{field}__path__startswith": path}) | Q(**{f"{field}__path__in": above})


class Programme(ScopedModel):
    """A programme of one of the five helps, run by an organisation (its staff and those
    above see it; applications come from its subtree)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    @classmethod
    def staff_scope(cls, path: str) -> Q:
        return _line_q("organization", path)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("主办组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("帮扶类别"), max_length=20, choices=HelpKind.choices)
    name = models.CharField(_("项目名称"), max_length=100)
    description = models.CharField(_("项目说明"), max_length=500, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建立人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("建立时间"), auto_now_add=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["Programme"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("organization__path", "name")
        verbose_name = _("帮扶项目")
        verbose_name_plural = _("帮扶项目")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="assistance_programme_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Round(ScopedModel):
    """A round 批次 of a programme: its window, funds, review tiers, rules and amounts."""

    scope_fields: ClassVar[tuple[str, ...]] = ("programme__organization",)

    @classmethod
    def staff_scope(cls, path: str) -> Q:
        return _line_q("programme__organization", path)

    programme = models.ForeignKey(
        Programme, verbose_name=_("帮扶项目"), on_delete=models.PROTECT, related_name="rounds"
    )
    name = models.CharField(_("批次名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    opens_on = models.DateField(_("申请开始日期"))
    closes_on = models.DateField(_("申请截止日期"))
    # The levels that review, lowest first, comma-separated ("grassroots,town,district").
    tiers = models.CharField(_("审核层级"), max_length=60)
    once_per_household = models.BooleanField(_("每户限一次"), default=False)
    documents_required = models.BooleanField(_("须上传证明材料"), default=False)
    documents_hint = models.CharField(_("证明材料说明"), max_length=200, blank=True)
    rules = models.JSONField(_("申报条件"), default=dict, blank=True)
    amounts = models.JSONField(_("补助标准"), default=dict)
    funds = models.ManyToManyField("funds.Fund", verbose_name=_("支出基金"), related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建立人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("建立时间"), auto_now_add=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["Round"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-year", "-opens_on", "-id")
        verbose_name = _("帮扶批次")
        verbose_name_plural = _("帮扶批次")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["programme", "name"], name="assistance_round_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")),
                name="assistance_round_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tier_list(self) -> list[str]:
        return [t for t in self.tiers.split(",") if t]

    @property
    def tier_labels(self) -> str:
        return " → ".join(str(TIER_LABELS[t]) for t in self.tier_list if t in TIER_LABELS)

    def is_open(self, day: object = None) -> bool:
        today = day or timezone.localdate()
        return bool(self.opens_on <= today <= self.closes_on)  # type: ignore[operator]


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("审核中")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")
    WITHDRAWN = "withdrawn", _("已撤回")


# An application in these states holds the person's (and household's) place in the round.
LIVE_STATUSES = (ApplicationStatus.PENDING, ApplicationStatus.APPROVED)


class Channel(models.TextChoices):
    PORTAL = "portal", _("职工网上申请")
    # Entered by staff at the counter or on the phone for the worker.
    COUNTER = "counter", _("工作人员代为登记")
    PROPOSAL = "proposal", _("困难档案推荐")


class Beneficiary(models.TextChoices):
    SELF = "self", _("本人")
    CHILD = "child", _("子女")
    SPOUSE = "spouse", _("配偶")
    PARENT = "parent", _("父母")
    OTHER = "other", _("其他家庭成员")


class Application(Decided, ScopedModel):
    """One person's application in one round: the facts they declared, the amount the
    round's table gives, the bank account to pay, and the review up the round's tiers."""

    scope_fields: ClassVar[tuple[str, ...]] = ("union",)
    owner_field: ClassVar[str | None] = "person"

    round = models.ForeignKey(
        Round, verbose_name=_("帮扶批次"), on_delete=models.PROTECT, related_name="applications"
    )
    person = models.ForeignKey(
        "members.Person",
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="assistance_applications",
    )
    # The applicant's grassroots union (their membership's, or the one that filed their
    # hardship file): who sees the application and where its review starts.
    union = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所在工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    household = models.ForeignKey(
        "hardship.Household",
        verbose_name=_("困难职工档案"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The household again, only when the round pays once per household: the key of the
    # partial unique index that enforces it (null otherwise, which the index ignores).
    household_once = models.ForeignKey(
        "hardship.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    channel = models.CharField(_("申请方式"), max_length=10, choices=Channel.choices)
    beneficiary = models.CharField(
        _("受助对象"), max_length=10, choices=Beneficiary.choices, default=Beneficiary.SELF
    )
    beneficiary_name = models.CharField(_("受助人姓名"), max_length=50)
    school = models.CharField(_("录取学校"), max_length=100, blank=True)
    # The facts the application declares (``rules.FACTS``: the child's level and year of
    # admission, the patient's condition), as the rules read them.
    facts = models.JSONField(_("申报信息"), default=dict, blank=True)
    note = models.CharField(_("申请说明"), max_length=500, blank=True)
    amount = MoneyField(_("补助金额"))
    account_holder = models.CharField(_("收款户名"), max_length=50, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=100, blank=True)
    bank_card = SealedField(
        _("银行卡号"), purpose=BANK_CARD_PURPOSE, masker=mask_bank_card, null=True
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.PENDING,
    )
    # The tiers this application goes up (the round's, less any level its union has none
    # of above it), kept so a later change of the round does not reorder a review under way.
    tiers = models.CharField(_("审核层级"), max_length=60)
    # Where the review stands, kept by the services beside ``core.decisions``' steps so a
    # queue per tier is one indexed filter: the next step's number and organisation.
    next_index = models.PositiveSmallIntegerField(_("待审核步骤"), default=0)
    waiting_at = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("待审核组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["bank_card"])
    unscoped = models.Manager()
    objects = ScopedManager["Application"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at", "-id")
        verbose_name = _("帮扶申请")
        verbose_name_plural = _("帮扶申请")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["round", "person"],
                condition=Q(status__in=["pending", "approved"]),
                name="assistance_once_per_person_per_round",
            ),
            models.UniqueConstraint(
                fields=["round", "household_once"],
                condition=Q(status__in=["pending", "approved"], household_once__isnull=False),
                name="assistance_once_per_household_per_round",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="assistance_amount_positive"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["waiting_at", "status", "next_index"], name="assist_queue_idx"),
            models.Index(fields=["round", "status"], name="assist_round_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.round} {self.beneficiary_name}"

    @property
    def tier_list(self) -> list[str]:
        return [t for t in self.tiers.split(",") if t]


class ApplicationDocument(models.Model):
    """A proof added to an application (admission letter, medical proof): an image or a
    PDF, sealed at rest like casework's materials."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="assistance/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("uploaded_at", "id")
        verbose_name = _("证明材料")
        verbose_name_plural = _("证明材料")

    def __str__(self) -> str:
        return self.name
