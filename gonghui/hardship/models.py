"""Hardship files 困难职工档案 (AST-1): one per household, with its members, their incomes, the
causes of hardship and a level that the city's income lines for the year decide.

Causes and levels are data a federation administrator keeps (seeded by a migration); the
income line per level is set per city federation and year (``IncomeLine``). Incomes and
health conditions are personal data: sealed at rest like ID numbers (``SealedField``), shown
masked unless the role may reveal them, every reveal logged. The household's per-capita
income is derived from its members' incomes on every change and is sealed as well; what the
review lists need in the clear is only whether it is above the exit line (``above_line``),
recomputed when the incomes or the year's lines change.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.crypto import mask_all, mask_id_number
from gonghui.core.fields import SealedField
from gonghui.core.models import Decided
from gonghui.core.money import MoneyField
from gonghui.core.scoping import ScopedManager, ScopedModel
from gonghui.members.models import ID_NUMBER_PURPOSE

INCOME_PURPOSE = "hardship.income"
HEALTH_PURPOSE = "hardship.health"


class HardshipCause(models.Model):
    """Why a household is in hardship (因病, 因残, 因灾, 子女就学, 失业, ...). Data, not code."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ("order", "id")
        verbose_name = _("致困原因")
        verbose_name_plural = _("致困原因")

    def __str__(self) -> str:
        return self.name


class HardshipLevel(models.Model):
    """A level of hardship (深度困难, 相对困难). ``order`` ranks them: the lowest order is the
    deepest hardship, whose income line is the lowest."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ("order", "id")
        verbose_name = _("困难等级")
        verbose_name_plural = _("困难等级")

    def __str__(self) -> str:
        return self.name


class IncomeLine(ScopedModel):
    """The yearly per-capita income (yuan) at or under which a household of a city is at a
    level. The highest line of a year is the exit line: above it a household should leave the
    roll (应退出). Set by a federation administrator each year."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所属总工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    level = models.ForeignKey(
        HardshipLevel, verbose_name=_("困难等级"), on_delete=models.PROTECT, related_name="lines"
    )
    line = MoneyField(_("人均年收入标准（元）"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设定人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    set_at = models.DateTimeField(_("设定时间"), auto_now=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["IncomeLine"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("organization__path", "-year", "level__order")
        verbose_name = _("困难标准")
        verbose_name_plural = _("困难标准")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "year", "level"], name="income_line_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.level}"


class HouseholdStatus(models.TextChoices):
    DRAFT = "draft", _("填报中")
    PENDING = "pending", _("待审批")
    ACTIVE = "active", _("在册")
    REFUSED = "refused", _("未通过")
    LEFT = "left", _("已退出")


# A person heads at most one household that is being filed or is on the roll.
LIVE_STATUSES = (HouseholdStatus.DRAFT, HouseholdStatus.PENDING, HouseholdStatus.ACTIVE)


class Household(Decided, ScopedModel):
    """A household's hardship file, filed by the union of its worker (grassroots or town) and
    approved by the level above (``core.decisions``). Leaving and re-entering the roll change
    ``status`` and are kept in the history; a household that re-enters keeps its file."""

    scope_fields: ClassVar[tuple[str, ...]] = ("union",)
    owner_field: ClassVar[str | None] = "person"

    union = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("建档工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    person = models.ForeignKey(
        "members.Person",
        verbose_name=_("困难职工"),
        on_delete=models.PROTECT,
        related_name="hardship_files",
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=HouseholdStatus.choices,
        default=HouseholdStatus.DRAFT,
    )
    level = models.ForeignKey(
        HardshipLevel,
        verbose_name=_("困难等级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
    )
    causes = models.ManyToManyField(HardshipCause, verbose_name=_("致困原因"), blank=True)
    cause_note = models.CharField(_("致困情况说明"), max_length=500, blank=True)
    address = SealedField(_("家庭住址"), purpose=INCOME_PURPOSE, masker=mask_all, null=True)
    # Derived from the members' incomes (services only): sealed, with the year's comparison
    # against the exit line kept in the clear for the review lists.
    per_capita_income = SealedField(
        _("家庭人均年收入"), purpose=INCOME_PURPOSE, masker=mask_all, null=True
    )
    member_count = models.PositiveSmallIntegerField(_("家庭人口"), default=0)
    above_line = models.BooleanField(_("高于困难标准"), default=False)
    filed_on = models.DateField(_("建档日期"), null=True, blank=True)
    reviewed_on = models.DateField(_("最近核查日期"), null=True, blank=True)
    # The last day a programme paid this household (set by the paying module through
    # ``services.mark_helped``); empty for a household never helped (建档未帮扶).
    helped_on = models.DateField(_("最近帮扶日期"), null=True, blank=True)
    left_on = models.DateField(_("退出日期"), null=True, blank=True)
    left_reason = models.CharField(_("退出原因"), max_length=300, blank=True)

    history = HistoricalRecords(excluded_fields=["per_capita_income", "address"])
    unscoped = models.Manager()
    objects = ScopedManager["Household"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-id",)
        verbose_name = _("困难职工档案")
        verbose_name_plural = _("困难职工档案")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=LIVE_STATUSES),
                name="household_one_live_file_per_person",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["status", "reviewed_on"], name="household_review_idx"),
        ]

    def __str__(self) -> str:
        return str(self.person)

    def per_capita(self) -> Decimal | None:
        """The per-capita income in yuan, unsealed (callers that show it log the reveal)."""
        if self.per_capita_income is None:
            return None
        return Decimal(self.per_capita_income.reveal())


class Relation(models.TextChoices):
    SELF = "self", _("本人")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    SIBLING = "sibling", _("兄弟姐妹")
    GRANDCHILD = "grandchild", _("孙子女")
    OTHER = "other", _("其他")


class HouseholdMember(ScopedModel):
    """A member of a household: who, their relation to the worker, their yearly income and,
    where it is a cause of the hardship, their health condition. The worker is a member too
    (relation 本人). A member who is on the roll themselves is linked to their ``Person``."""

    scope_fields: ClassVar[tuple[str, ...]] = ("household__union",)

    household = models.ForeignKey(
        Household, verbose_name=_("档案"), on_delete=models.CASCADE, related_name="members"
    )
    person = models.ForeignKey(
        "members.Person",
        verbose_name=_("对应职工"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("与职工关系"), max_length=12, choices=Relation.choices)
    id_number = SealedField(
        _("身份证号"), purpose=ID_NUMBER_PURPOSE, masker=mask_id_number, null=True
    )
    id_number_hash = models.CharField(_("身份证号索引"), max_length=32, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    yearly_income = SealedField(
        _("年收入（元）"), purpose=INCOME_PURPOSE, masker=mask_all, null=True
    )
    health = SealedField(_("健康状况"), purpose=HEALTH_PURPOSE, masker=mask_all, null=True)
    # Working capacity (for virtual jobs): full, partial or lost.
    work_capacity = models.CharField(
        _("劳动能力"),
        max_length=10,
        choices=(("full", _("完全")), ("partial", _("部分丧失")), ("none", _("完全丧失"))),
        default="full",
    )
    in_school = models.CharField(_("在读学段"), max_length=20, blank=True)

    history = HistoricalRecords(excluded_fields=["id_number", "yearly_income", "health"])
    unscoped = models.Manager()
    objects = ScopedManager["HouseholdMember"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("household", "id")
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["household", "id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="household_member_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def income(self) -> Decimal:
        if self.yearly_income is None:
            return Decimal("0.00")
        return Decimal(self.yearly_income.reveal())


PHOTO_PURPOSE = "hardship.photo"


class FilingKind(models.TextChoices):
    FILE = "file", _("建档")
    REENTER = "reenter", _("重新纳入")


class FilingStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已通过")
    REFUSED = "refused", _("未通过")


class HouseholdFiling(Decided, ScopedModel):
    """One submission of a household's file for approval (建档, or 重新纳入 after it left):
    the request ``core.decisions`` decides, one level above the filing union. A household
    keeps every submission, each with its own decision steps and snapshot."""

    scope_fields: ClassVar[tuple[str, ...]] = ("household__union",)

    household = models.ForeignKey(
        Household, verbose_name=_("档案"), on_delete=models.CASCADE, related_name="filings"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=FilingKind.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=FilingStatus.choices, default=FilingStatus.PENDING
    )

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["HouseholdFiling"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-id",)
        verbose_name = _("建档审批")
        verbose_name_plural = _("建档审批")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(status="pending"),
                name="household_one_pending_filing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_kind_display()}"


class HomeVisit(ScopedModel):
    """A home visit 入户核查: who visited, when, what they found, with photos."""

    scope_fields: ClassVar[tuple[str, ...]] = ("household__union",)

    household = models.ForeignKey(
        Household, verbose_name=_("档案"), on_delete=models.CASCADE, related_name="visits"
    )
    visited_on = models.DateField(_("核查日期"))
    visitors = models.CharField(_("核查人员"), max_length=100)
    findings = models.TextField(_("核查情况"), max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["HomeVisit"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-visited_on", "-id")
        verbose_name = _("入户核查")
        verbose_name_plural = _("入户核查")

    def __str__(self) -> str:
        return f"{self.visited_on} {self.visitors}"


class VisitPhoto(ScopedModel):
    """A photo taken on a visit: checked by content, stored sealed like case materials
    (``core.crypto.seal_bytes``), each full view by staff logged."""

    scope_fields: ClassVar[tuple[str, ...]] = ("visit__household__union",)

    visit = models.ForeignKey(
        HomeVisit, verbose_name=_("入户核查"), on_delete=models.CASCADE, related_name="photos"
    )
    name = models.CharField(_("文件名"), max_length=120)
    content_type = models.CharField(_("类型"), max_length=60)
    size = models.PositiveIntegerField(_("大小"))
    file = models.FileField(_("文件"), upload_to="hardship/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["VisitPhoto"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("id",)
        verbose_name = _("核查照片")
        verbose_name_plural = _("核查照片")

    def __str__(self) -> str:
        return self.name


class EventKind(models.TextChoices):
    CREATED = "created", _("录入档案")
    SUBMITTED = "submitted", _("提交审批")
    APPROVED = "approved", _("审批通过")
    REFUSED = "refused", _("审批未通过")
    VISITED = "visited", _("入户核查")
    REVIEWED = "reviewed", _("年度核查")
    LEFT = "left", _("退出")
    REENTERED = "reentered", _("申请重新纳入")
    LINE = "line", _("困难标准调整")


class HouseholdEvent(ScopedModel):
    """What happened to a file, in the words of the roll (the field-level changes are in
    the records' history)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("household__union",)

    household = models.ForeignKey(
        Household, verbose_name=_("档案"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("事项"), max_length=12, choices=EventKind.choices)
    on = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["HouseholdEvent"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-at", "-id")
        verbose_name = _("档案记录")
        verbose_name_plural = _("档案记录")

    def __str__(self) -> str:
        return f"{self.on} {self.get_kind_display()}"
