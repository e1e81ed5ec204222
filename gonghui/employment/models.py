"""Work and training (AST-5, "源头脱贫"): training courses for a change of trade and for
starting a business, their sessions, enrolments and attendance; job fairs (春风行动) with the
employers present, the posts they offer and the people served; and placements (就业安置) with
their follow-up three months after the start.

Every record belongs to the union that organises or records it (``organization``), whose
subtree, and those above it, see it. People are ``members.Person`` rows a clerk found on the
roll; a worker sees their own enrolments and placements (``owner_field``).
"""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.money import MoneyField
from gonghui.core.scoping import ScopedManager, ScopedModel

# A placement is followed up this many months after its start (还在岗吗).
FOLLOW_UP_MONTHS = 3


def months_after(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the month's last day when it has fewer days."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


class TrainingKind(models.TextChoices):
    SKILLS = "skills", _("转岗技能培训")
    ENTREPRENEURSHIP = "entrepreneurship", _("创业培训")


class CourseType(models.Model):
    """What a course teaches (叉车, 电子商务, 育婴师, 创业培训 …). Data, not code: an
    administrator adds types; the common ones are seeded by a migration."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    kind = models.CharField(
        _("培训类别"), max_length=20, choices=TrainingKind.choices, default=TrainingKind.SKILLS
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ("order", "id")
        verbose_name = _("培训项目")
        verbose_name_plural = _("培训项目")

    def __str__(self) -> str:
        return self.name


class Course(ScopedModel):
    """A training course (培训班) run by a union: its sessions, seats and completion rule.
    ``open_to_all``: any worker of the city may enrol in the portal; otherwise members of the
    organising union's subtree."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("主办工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    course_type = models.ForeignKey(
        CourseType, verbose_name=_("培训项目"), on_delete=models.PROTECT, related_name="courses"
    )
    title = models.CharField(_("培训班名称"), max_length=100)
    place = models.CharField(_("培训地点"), max_length=100)
    capacity = models.PositiveIntegerField(_("名额"))
    starts_on = models.DateField(_("开班日期"))
    ends_on = models.DateField(_("结业日期"))
    enrol_until = models.DateField(_("报名截止日期"))
    # Completed when the share of sessions attended reaches this (a whole percentage).
    pass_percent = models.PositiveSmallIntegerField(_("结业出勤率（%）"), default=80)
    open_to_all = models.BooleanField(_("面向全市职工报名"), default=False)
    description = models.TextField(_("培训内容"), max_length=1000, blank=True)
    cancelled = models.BooleanField(_("已取消"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建立人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("建立时间"), auto_now_add=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["Course"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-starts_on", "-id")
        verbose_name = _("培训班")
        verbose_name_plural = _("培训班")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="course_dates_in_order"
            ),
            models.CheckConstraint(
                condition=Q(pass_percent__gte=1, pass_percent__lte=100),
                name="course_pass_percent_range",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="course_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class CourseSession(ScopedModel):
    """One session (场次) of a course: a day's class with its topic."""

    scope_fields: ClassVar[tuple[str, ...]] = ("course__organization",)

    course = models.ForeignKey(
        Course, verbose_name=_("培训班"), on_delete=models.PROTECT, related_name="sessions"
    )
    held_on = models.DateField(_("上课日期"))
    topic = models.CharField(_("内容"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["CourseSession"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("held_on", "id")
        verbose_name = _("培训场次")
        verbose_name_plural = _("培训场次")

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("在学")
    COMPLETED = "completed", _("已结业")
    NOT_COMPLETED = "not_completed", _("未结业")
    WITHDRAWN = "withdrawn", _("已退出")


class Enrolment(ScopedModel):
    """A person on a course, once (a database constraint). Completed by the attendance rule
    when the course is closed, or by the organiser with a reason (``completion_note``)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("course__organization",)
    owner_field: ClassVar[str | None] = "person"

    course = models.ForeignKey(
        Course, verbose_name=_("培训班"), on_delete=models.PROTECT, related_name="enrolments"
    )
    person = models.ForeignKey(
        "members.Person", verbose_name=_("学员"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ENROLLED
    )
    enrolled_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    # None: the worker enrolled in the portal.
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报名经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_on = models.DateField(_("结业日期"), null=True, blank=True)
    completion_note = models.CharField(_("结业说明"), max_length=200, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结业登记人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["Enrolment"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("course", "id")
        verbose_name = _("培训报名")
        verbose_name_plural = _("培训报名")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["course", "person"], name="enrolment_once_per_course"),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "completed_on"])]

    def __str__(self) -> str:
        return f"{self.course_id}:{self.person_id}"


class Attendance(ScopedModel):
    """A person present at a session (absent: no row)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("session__course__organization",)

    session = models.ForeignKey(
        CourseSession, verbose_name=_("场次"), on_delete=models.PROTECT, related_name="attendance"
    )
    enrolment = models.ForeignKey(
        Enrolment, verbose_name=_("报名"), on_delete=models.PROTECT, related_name="attendance"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["Attendance"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        verbose_name = _("出勤")
        verbose_name_plural = _("出勤")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["session", "enrolment"], name="attendance_once"),
        ]


class JobFair(ScopedModel):
    """A job fair (招聘会), e.g. a 春风行动 special fair, with the number of people served
    (提供免费服务人数); the named people among them are ``FairVisitor`` rows."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("主办工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("招聘会名称"), max_length=100)
    campaign = models.CharField(_("专项活动"), max_length=50, blank=True)
    held_on = models.DateField(_("举办日期"))
    place = models.CharField(_("举办地点"), max_length=100)
    served_count = models.PositiveIntegerField(_("服务人数"), default=0)
    note = models.TextField(_("备注"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("建立人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("建立时间"), auto_now_add=True)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["JobFair"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-held_on", "-id")
        verbose_name = _("招聘会")
        verbose_name_plural = _("招聘会")

    def __str__(self) -> str:
        return self.title


class FairEmployer(ScopedModel):
    """An employer present at a fair: an enterprise on the register, or by name."""

    scope_fields: ClassVar[tuple[str, ...]] = ("fair__organization",)

    fair = models.ForeignKey(
        JobFair, verbose_name=_("招聘会"), on_delete=models.PROTECT, related_name="employers"
    )
    enterprise = models.ForeignKey(
        "organizations.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("用人单位"), max_length=100)

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["FairEmployer"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("fair", "id")
        verbose_name = _("参会单位")
        verbose_name_plural = _("参会单位")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["fair", "name"], name="fair_employer_once"),
        ]

    def __str__(self) -> str:
        return self.name


class FairPost(ScopedModel):
    """A post an employer offers at a fair: how many people, and the monthly wage range."""

    scope_fields: ClassVar[tuple[str, ...]] = ("employer__fair__organization",)

    employer = models.ForeignKey(
        FairEmployer, verbose_name=_("参会单位"), on_delete=models.PROTECT, related_name="posts"
    )
    title = models.CharField(_("岗位"), max_length=50)
    count = models.PositiveIntegerField(_("招聘人数"))
    wage_min = MoneyField(_("月薪下限（元）"))
    wage_max = MoneyField(_("月薪上限（元）"))

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["FairPost"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("employer", "id")
        verbose_name = _("招聘岗位")
        verbose_name_plural = _("招聘岗位")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(wage_max__gte=models.F("wage_min")), name="fair_post_wage_in_order"
            ),
            models.CheckConstraint(condition=Q(count__gte=1), name="fair_post_count_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class FairVisitor(ScopedModel):
    """A registered person served at a fair (once per fair)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("fair__organization",)
    owner_field: ClassVar[str | None] = "person"

    fair = models.ForeignKey(
        JobFair, verbose_name=_("招聘会"), on_delete=models.PROTECT, related_name="visitors"
    )
    person = models.ForeignKey(
        "members.Person", verbose_name=_("求职者"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["FairVisitor"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        verbose_name = _("登记求职者")
        verbose_name_plural = _("登记求职者")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["fair", "person"], name="fair_visitor_once"),
        ]


class PlacementSource(models.TextChoices):
    FAIR = "fair", _("招聘会")
    COURSE = "course", _("技能培训")
    OTHER = "other", _("其他")


class Placement(ScopedModel):
    """A person placed in work (就业安置), recorded by a union, and its follow-up
    ``FOLLOW_UP_MONTHS`` months after the start: still employed or not, when, and a note."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)
    owner_field: ClassVar[str | None] = "person"

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("登记工会"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    person = models.ForeignKey(
        "members.Person", verbose_name=_("就业人员"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "organizations.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    employer_name = models.CharField(_("用人单位"), max_length=100)
    post = models.CharField(_("岗位"), max_length=50)
    monthly_wage = MoneyField(_("月工资（元）"))
    starts_on = models.DateField(_("上岗日期"))
    source = models.CharField(
        _("就业渠道"), max_length=10, choices=PlacementSource.choices, default=PlacementSource.OTHER
    )
    fair = models.ForeignKey(
        JobFair,
        verbose_name=_("招聘会"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placements",
    )
    course = models.ForeignKey(
        Course,
        verbose_name=_("培训班"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placements",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    followed_up_on = models.DateField(_("回访日期"), null=True, blank=True)
    still_employed = models.BooleanField(_("仍在岗"), null=True, blank=True)
    follow_up_note = models.CharField(_("回访情况"), max_length=200, blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["Placement"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-starts_on", "-id")
        verbose_name = _("就业安置")
        verbose_name_plural = _("就业安置")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(monthly_wage__gt=0), name="placement_wage_positive"),
            models.CheckConstraint(
                condition=Q(source="fair", fair__isnull=False, course__isnull=True)
                | Q(source="course", course__isnull=False, fair__isnull=True)
                | Q(source="other", fair__isnull=True, course__isnull=True),
                name="placement_source_matches",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["followed_up_on", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.employer_name}"

    @property
    def follow_up_due_on(self) -> datetime.date:
        return months_after(self.starts_on, FOLLOW_UP_MONTHS)
