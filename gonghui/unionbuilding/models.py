"""三建联动 (ORG-5): founding unions, their mechanisms, workers' homes; brand projects (ORG-6)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.models import Decided
from gonghui.core.scoping import ScopedManager, ScopedModel
from gonghui.organizations.models import GrassrootsKind


class Decision(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class FoundingApplication(ScopedModel, Decided):
    """建会: an application to found a grassroots union under ``parent``, decided by a
    reviewer of ``parent`` or above. Approval creates the union and links the enterprises."""

    scope_fields: ClassVar[tuple[str, ...]] = ("parent",)

    parent = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("上级工会"),
        on_delete=models.PROTECT,
        related_name="founding_applications",
    )
    proposed_name = models.CharField(_("拟成立工会名称"), max_length=100)
    grassroots_kind = models.CharField(_("工会类型"), max_length=20, choices=GrassrootsKind.choices)
    enterprises = models.ManyToManyField(
        "organizations.Enterprise", verbose_name=_("覆盖企业"), related_name="+"
    )
    chair_name = models.CharField(_("拟任工会主席"), max_length=50)
    initial_members = models.PositiveIntegerField(_("首批会员人数"))
    planned_on = models.DateField(_("拟成立日期"))
    note = models.CharField(_("申请说明"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Decision.choices, default=Decision.PENDING
    )
    union = models.OneToOneField(
        "organizations.Organization",
        verbose_name=_("成立的工会"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="founding",
    )

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["FoundingApplication"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at",)
        verbose_name = _("建会申请")

    def __str__(self) -> str:
        return self.proposed_name


class MechanismType(models.Model):
    """A mechanism a grassroots union is expected to run (建制). Data, not code."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    # How often it must be held, in months (a workers' congress yearly, meetings quarterly);
    # empty when establishing it once is enough.
    cycle_months = models.PositiveSmallIntegerField(null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("sort_order", "id")

    def __str__(self) -> str:
        return self.name


class Mechanism(ScopedModel):
    """One checklist line of a union's mechanisms: established when, last held when, evidence."""

    scope_fields: ClassVar[tuple[str, ...]] = ("union",)

    union = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("基层工会"),
        on_delete=models.PROTECT,
        related_name="mechanisms",
    )
    type = models.ForeignKey(
        MechanismType, verbose_name=_("制度"), on_delete=models.PROTECT, related_name="+"
    )
    established_on = models.DateField(_("建立日期"))
    last_held_on = models.DateField(_("最近一次开展"), null=True, blank=True)
    evidence = models.FileField(_("佐证材料"), upload_to="evidence/%Y/", blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["Mechanism"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["union", "type"], name="mechanism_once_per_union")
        ]

    def __str__(self) -> str:
        return f"{self.union_id}:{self.type_id}"


class HomeStandardItem(models.Model):
    """One item of the 六有 standard for a workers' home, with its maximum score."""

    code = models.SlugField(max_length=40, unique=True)
    title = models.CharField(_("标准项"), max_length=50)
    description = models.CharField(_("评定要点"), max_length=300)
    max_score = models.PositiveSmallIntegerField(_("满分"))
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("sort_order", "id")

    def __str__(self) -> str:
        return self.title


class HomeRatingLevel(models.Model):
    """A rating a home reaches at ``min_score`` (of 100). ``counts_as_home``: whether a union
    rated at this level counts as having built its home for the creation rate."""

    name = models.CharField(_("等级"), max_length=30, unique=True)
    min_score = models.DecimalField(max_digits=5, decimal_places=1)
    counts_as_home = models.BooleanField(default=True)

    class Meta:
        ordering = ("-min_score",)

    def __str__(self) -> str:
        return self.name


class AssessmentStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已认定")
    RETURNED = "returned", _("已退回")


class HomeAssessment(ScopedModel):
    """建家: a workers' home assessed against the standard items, then confirmed by a reviewer.
    The latest approved assessment of a union is its rating."""

    scope_fields: ClassVar[tuple[str, ...]] = ("union",)

    union = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("基层工会"),
        on_delete=models.PROTECT,
        related_name="home_assessments",
    )
    assessed_on = models.DateField(_("评定日期"))
    total_score = models.DecimalField(
        _("总分"), max_digits=5, decimal_places=1, default=Decimal("0")
    )
    rating = models.ForeignKey(
        HomeRatingLevel,
        verbose_name=_("等级"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.SUBMITTED,
    )
    note = models.CharField(_("评定意见"), max_length=500, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评定人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["HomeAssessment"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-assessed_on", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["union"],
                condition=Q(status="submitted"),
                name="home_one_submitted_per_union",
            )
        ]

    def __str__(self) -> str:
        return f"home {self.union_id} {self.assessed_on}"


class HomeAssessmentScore(models.Model):
    assessment = models.ForeignKey(HomeAssessment, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(HomeStandardItem, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(max_digits=5, decimal_places=1)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("item__sort_order",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["assessment", "item"], name="home_score_once"),
            models.CheckConstraint(condition=Q(score__gte=0), name="home_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}={self.score}"


class BrandProject(ScopedModel):
    """三措并举 (ORG-6): a town's, street's or system's featured project for a year, scored by the
    upper level in the project-based assessment."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("镇（街道）或系统"),
        on_delete=models.PROTECT,
        related_name="brand_projects",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("品牌项目"), max_length=100)
    description = models.TextField(_("项目内容"), max_length=2000)
    score = models.DecimalField(
        _("考核得分"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    score_note = models.CharField(_("考核意见"), max_length=300, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("考核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    scored_at = models.DateTimeField(_("考核时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["BrandProject"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-year", "organization__path")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "year"], name="brand_once_a_year")
        ]

    def __str__(self) -> str:
        return self.title
