"""Virtual jobs 虚拟岗位 (AST-4): a post created for a household on the hardship roll whose
member has lost all or part of their working capacity, adopted (认领) by an enterprise or a
public unit whose committed money is held in a fund, and paid monthly.

Months are dates on the first of the month. What a month pays follows from periods, not
from the post's status today, so a run for a past month pays what was due then: the post's
term (``start_month``..``end_month``), the adoption covering the month (its fund pays), and
no suspension covering it. A month of a post is handed over to the funds once: a
``PayRunLine`` per (post, month), unique by a database constraint, becomes one payable item
(``source_kind="virtualjobs.pay"``, ``source_id`` the line's id) that the funds' batches pay.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.crypto import mask_middle
from gonghui.core.fields import SealedField
from gonghui.core.money import MoneyField
from gonghui.core.scoping import ScopedManager, ScopedModel

BANK_CARD_PURPOSE = "virtualjobs.bank_card"
SOURCE_KIND = "virtualjobs.pay"


def mask_bank_card(value: str) -> str:
    """``6228***********6789``, as the funds show a card."""
    return mask_middle(value, keep_start=4, keep_end=4)


class PostStatus(models.TextChoices):
    OPEN = "open", _("待认领")
    ACTIVE = "active", _("在岗")
    SUSPENDED = "suspended", _("暂停")
    ENDED = "ended", _("已终止")


# A household member holds at most one post that is not ended.
LIVE_POST_STATUSES = (PostStatus.OPEN, PostStatus.ACTIVE, PostStatus.SUSPENDED)


class Post(ScopedModel):
    """A virtual job for one member of a household on the hardship roll."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization", "household__union")

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("设岗工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    household = models.ForeignKey(
        "hardship.Household",
        verbose_name=_("困难职工档案"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    member = models.ForeignKey(
        "hardship.HouseholdMember",
        verbose_name=_("在岗人员"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Who is paid: the member's own person record where they have one, else the worker.
    person = models.ForeignKey(
        "members.Person", verbose_name=_("收款人"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("岗位名称"), max_length=50)
    duties = models.CharField(_("岗位职责"), max_length=300, blank=True)
    monthly_amount = MoneyField(_("每月待遇（元）"))
    start_month = models.DateField(_("起始月份"))
    end_month = models.DateField(_("终止月份"))
    status = models.CharField(
        _("状态"), max_length=10, choices=PostStatus.choices, default=PostStatus.OPEN
    )
    # The current adopter (the adoption rows keep every one, with its months).
    adopter_name = models.CharField(_("认领单位"), max_length=100, blank=True)
    fund = models.ForeignKey(
        "funds.Fund",
        verbose_name=_("支出基金"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    account_holder = models.CharField(_("户名"), max_length=50)
    bank_name = models.CharField(_("开户行"), max_length=100)
    bank_card = SealedField(_("银行卡号"), purpose=BANK_CARD_PURPOSE, masker=mask_bank_card)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设岗人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("设岗时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["bank_card"])
    unscoped = models.Manager()
    objects = ScopedManager["Post"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-id",)
        verbose_name = _("虚拟岗位")
        verbose_name_plural = _("虚拟岗位")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(monthly_amount__gt=0), name="virtual_post_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(end_month__gte=F("start_month")), name="virtual_post_term_ordered"
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=["open", "active", "suspended"]),
                name="virtual_post_one_live_per_member",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["start_month", "end_month"])]

    def __str__(self) -> str:
        return f"{self.title}（{self.member.name}）"


class Adoption(ScopedModel):
    """One adopter of a post for a run of months: an enterprise on the register or a public
    unit by name, the fund that holds its money and pays the post, and the income that
    brought the money in (when recorded with the adoption)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("post__organization", "post__household__union")
    # An adopting enterprise's contacts see its adoptions in the enterprise area.
    enterprise_field: ClassVar[str | None] = "enterprise"

    post = models.ForeignKey(
        Post, verbose_name=_("岗位"), on_delete=models.PROTECT, related_name="adoptions"
    )
    enterprise = models.ForeignKey(
        "organizations.Enterprise",
        verbose_name=_("认领企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    adopter_name = models.CharField(_("认领单位"), max_length=100)
    fund = models.ForeignKey(
        "funds.Fund", verbose_name=_("支出基金"), on_delete=models.PROTECT, related_name="+"
    )
    income = models.ForeignKey(
        "funds.Income",
        verbose_name=_("认领资金入账"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_month = models.DateField(_("认领起始月份"))
    to_month = models.DateField(_("认领截止月份"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["Adoption"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("post", "from_month")
        verbose_name = _("岗位认领")
        verbose_name_plural = _("岗位认领")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(to_month__isnull=True) | Q(to_month__gte=F("from_month")),
                name="virtual_adoption_months_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.adopter_name


class Suspension(ScopedModel):
    """Months in which a post is not paid (``to_month`` empty: until resumed)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("post__organization", "post__household__union")

    post = models.ForeignKey(
        Post, verbose_name=_("岗位"), on_delete=models.PROTECT, related_name="suspensions"
    )
    from_month = models.DateField(_("暂停起始月份"))
    to_month = models.DateField(_("暂停截止月份"), null=True, blank=True)
    reason = models.CharField(_("暂停原因"), max_length=200)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["Suspension"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("post", "from_month")
        verbose_name = _("岗位暂停")
        verbose_name_plural = _("岗位暂停")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(to_month__isnull=True) | Q(to_month__gte=F("from_month")),
                name="virtual_suspension_months_ordered",
            ),
        ]


class EventKind(models.TextChoices):
    CREATED = "created", _("设岗")
    ADOPTED = "adopted", _("认领")
    READOPTED = "readopted", _("转认领")
    SUSPENDED = "suspended", _("暂停")
    RESUMED = "resumed", _("恢复")
    ENDED = "ended", _("终止")


class PostEvent(ScopedModel):
    """What happened to a post, in words, for its page (the field-level history is kept by
    ``Post.history``)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("post__organization", "post__household__union")

    post = models.ForeignKey(
        Post, verbose_name=_("岗位"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("事项"), max_length=12, choices=EventKind.choices)
    month = models.DateField(_("月份"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["PostEvent"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("post", "id")
        verbose_name = _("岗位记录")
        verbose_name_plural = _("岗位记录")


class PayRun(ScopedModel):
    """One month's pay for the posts of a union's subtree: a line per post paid."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("发放工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    month = models.DateField(_("月份"))
    line_count = models.PositiveIntegerField(_("岗位数"), default=0)
    total = MoneyField(_("合计金额"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发放时间"), auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["PayRun"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-month", "-id")
        verbose_name = _("月度发放")
        verbose_name_plural = _("月度发放")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class PayRunLine(ScopedModel):
    """A post's pay for a month, handed over to the funds as one payable item. Unique per
    (post, month): running a month twice, or two runs at once, pays nothing twice."""

    scope_fields: ClassVar[tuple[str, ...]] = ("post__organization", "post__household__union")

    run = models.ForeignKey(
        PayRun, verbose_name=_("月度发放"), on_delete=models.PROTECT, related_name="lines"
    )
    post = models.ForeignKey(
        Post, verbose_name=_("岗位"), on_delete=models.PROTECT, related_name="lines"
    )
    month = models.DateField(_("月份"))
    amount = MoneyField(_("金额"))
    fund = models.ForeignKey(
        "funds.Fund", verbose_name=_("支出基金"), on_delete=models.PROTECT, related_name="+"
    )
    adopter_name = models.CharField(_("认领单位"), max_length=100)
    # The funds' payable item that pays this line (its id; the funds app owns the row).
    item_id = models.PositiveBigIntegerField(_("待发放款项"), null=True, blank=True)

    unscoped = models.Manager()
    objects = ScopedManager["PayRunLine"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("run", "id")
        verbose_name = _("发放明细")
        verbose_name_plural = _("发放明细")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["post", "month"], name="virtual_pay_once_per_month"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="virtual_pay_positive"),
        ]
        indexes: ClassVar = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.post_id} {self.month:%Y-%m} {self.amount}"
