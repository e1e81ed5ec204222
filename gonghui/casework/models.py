"""Casework at the worker service centres (SVC): one request, followed across the three tiers.

A case is opened once (portal, counter or hotline) and lands at the tier nearest the worker.
It moves between organisations only by a recorded event (referral, escalation, the overdue
sweep), so it is never lost between tiers. Visibility: the subtree of the organisation it came
from and of the organisation handling it now, and the worker it belongs to.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.core.crypto import mask_all
from gonghui.core.fields import SealedField
from gonghui.core.money import MoneyField
from gonghui.core.scoping import ScopedManager, ScopedModel
from gonghui.organizations.models import ServiceTier

NOTE_PURPOSE = "counselling.note"
MATERIAL_PURPOSE = "case.material"


class CaseState(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    ACCEPTED = "accepted", _("办理中")
    RESOLVED = "resolved", _("已办结，待评价")
    CLOSED = "closed", _("已关闭")
    REJECTED = "rejected", _("不予受理")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATES = (CaseState.SUBMITTED, CaseState.ACCEPTED)
FINAL_STATES = (CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN)


def overdue_q(now: Any) -> Q:
    """Open, and past the response deadline while waiting or past the resolution deadline.
    The open states stand as a conjunct of their own so that the planner reads each handler's
    open cases from case_queue_idx (handler, state, …) instead of all its cases."""
    return Q(state__in=OPEN_STATES) & (
        Q(state=CaseState.SUBMITTED, response_due__lt=now) | Q(resolution_due__lt=now)
    )


class Channel(models.TextChoices):
    PORTAL = "portal", _("网上申请")
    COUNTER = "counter", _("窗口受理")
    HOTLINE = "hotline", _("热线电话")


class Case(ScopedModel):
    scope_fields: ClassVar[tuple[str, ...]] = ("origin", "handler")
    owner_field: ClassVar[str | None] = "person"

    # Unique by the constraint in Meta: a field-level unique index on PostgreSQL also gets a
    # LIKE twin, and every index costs each row the overdue sweep moves. Look-ups are exact.
    number = models.CharField(_("编号"), max_length=20)
    person = models.ForeignKey(
        "members.Person", verbose_name=_("职工"), on_delete=models.PROTECT, related_name="cases"
    )
    # The name as given when the case was opened, which is what staff see: a counter that may
    # not see the person's record must not learn the registered name from the case it opened.
    applicant_name = models.CharField(_("姓名"), max_length=50)
    service_type = models.ForeignKey(
        "organizations.ServiceType",
        verbose_name=_("服务类型"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    channel = models.CharField(_("来源渠道"), max_length=10, choices=Channel.choices)
    title = models.CharField(_("事项"), max_length=100)
    description = models.TextField(_("情况说明"), max_length=2000)
    origin = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("受理单位"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # served by case_origin_idx (origin, created_at)
    )
    handler = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("当前承办单位"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # served by case_queue_idx (handler, state, resolution_due)
    )
    tier = models.CharField(_("承办层级"), max_length=10, choices=ServiceTier.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=CaseState.choices, default=CaseState.SUBMITTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    response_due = models.DateTimeField(_("响应期限"))
    resolution_due = models.DateTimeField(_("办结期限"))
    responded_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    responded_on_time = models.BooleanField(null=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    resolved_on_time = models.BooleanField(null=True)
    resolution = models.TextField(_("办理结果"), max_length=2000, blank=True)
    reject_reason = models.CharField(_("不予受理理由"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    auto_closed = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=300, blank=True)
    visits = models.PositiveSmallIntegerField(_("到场次数"), default=0)
    escalations = models.PositiveSmallIntegerField(_("上报次数"), default=0)
    idempotency_key = models.CharField(max_length=64, blank=True)

    unscoped = models.Manager()
    objects = ScopedManager["Case"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at",)
        verbose_name = _("服务事项")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["number"], name="case_number_unique"),
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="case_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="case_rating_1_to_5",
            ),
        ]
        indexes: ClassVar = [
            # The queues: a handler's open cases, by deadline.
            models.Index(fields=["handler", "state", "resolution_due"], name="case_queue_idx"),
            models.Index(fields=["origin", "created_at"], name="case_origin_idx"),
            # The overdue sweep reads only open cases past a deadline.
            models.Index(
                fields=["response_due"],
                condition=Q(state="submitted"),
                name="case_response_due_idx",
            ),
            models.Index(
                fields=["resolution_due"],
                condition=Q(state__in=["submitted", "accepted"]),
                name="case_resolution_due_idx",
            ),
            models.Index(
                fields=["resolved_at"], condition=Q(state="resolved"), name="case_resolved_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def next_deadline(self) -> Any:
        if self.state == CaseState.SUBMITTED:
            return min(self.response_due, self.resolution_due)
        if self.state == CaseState.ACCEPTED:
            return self.resolution_due
        return None

    def is_overdue(self, now: Any = None) -> bool:
        deadline = self.next_deadline
        return deadline is not None and deadline < (now or timezone.now())


class EventKind(models.TextChoices):
    OPENED = "opened", _("提交")
    ACCEPTED = "accepted", _("受理")
    ASSIGNED = "assigned", _("分派经办人")
    NOTE = "note", _("办理记录")
    VISIT = "visit", _("职工到场")
    MATERIAL = "material", _("补充材料")
    REFERRED = "referred", _("转办")
    ESCALATED = "escalated", _("上报上级")
    AUTO_ESCALATED = "auto_escalated", _("超期自动上报")
    RESOLVED = "resolved", _("办结")
    REJECTED = "rejected", _("不予受理")
    WITHDRAWN = "withdrawn", _("职工撤回")
    CONFIRMED = "confirmed", _("职工确认评价")
    AUTO_CLOSED = "auto_closed", _("超期未评价自动关闭")
    DEADLINES_RECOUNTED = "deadlines_recounted", _("期限重算")


# The events that set a case's deadlines afresh. Every write that sets them records one of
# these at the very instant they count from, so the latest one's ``at`` is where the current
# deadlines were counted from (a recount after a calendar change counts again from there).
DEADLINE_START_KINDS = (
    EventKind.OPENED,
    EventKind.REFERRED,
    EventKind.ESCALATED,
    EventKind.AUTO_ESCALATED,
)


class CaseEvent(models.Model):
    """One step of a case's timeline. Read only through its case (which is scoped)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_org = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    to_org = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    note = models.TextField(max_length=2000, blank=True)
    # Internal notes between staff are not shown to the worker.
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class CaseMaterial(models.Model):
    """A file added to a case (by the worker or staff). The contents are sealed at rest: such
    files are often medical or financial records."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="cases/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("uploaded_at", "id")

    def __str__(self) -> str:
        return self.name


# --- mediation 争议调解 -----------------------------------------------------------------------


class MediationOutcome(models.TextChoices):
    PENDING = "pending", _("调解中")
    AGREED = "agreed", _("达成调解协议")
    FAILED = "failed", _("调解不成")
    WITHDRAWN = "withdrawn", _("申请人撤回")


class Mediation(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="mediation")
    applicant = models.CharField(_("申请人"), max_length=100)
    respondent = models.CharField(_("被申请人"), max_length=100)
    claims = models.TextField(_("调解请求"), max_length=2000)
    mediator = models.CharField(_("调解员"), max_length=50)
    outcome = models.CharField(
        _("调解结果"),
        max_length=10,
        choices=MediationOutcome.choices,
        default=MediationOutcome.PENDING,
    )
    agreement = models.TextField(_("协议内容"), max_length=4000, blank=True)
    concluded_on = models.DateField(_("结案日期"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.applicant} / {self.respondent}"


class MediationSession(models.Model):
    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("调解日期"))
    place = models.CharField(_("地点"), max_length=100)
    attendees = models.CharField(_("到场人员"), max_length=200)
    summary = models.TextField(_("调解经过"), max_length=2000)

    class Meta:
        ordering = ("held_on", "id")

    def __str__(self) -> str:
        return f"{self.mediation_id} {self.held_on}"


# --- legal aid 法律援助 -----------------------------------------------------------------------


class Lawyer(ScopedModel):
    """A lawyer on an organisation's legal-aid roster (often a partner law firm's)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所属组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("姓名"), max_length=50)
    firm = models.CharField(_("律师事务所"), max_length=100)
    licence_number = models.CharField(_("执业证号"), max_length=17, unique=True)
    phone = models.CharField(_("联系电话"), max_length=30)
    specialties = models.CharField(_("擅长领域"), max_length=200, blank=True)
    is_active = models.BooleanField(_("在册"), default=True)

    unscoped = models.Manager()
    objects = ScopedManager["Lawyer"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("organization__path", "name")
        verbose_name = _("援助律师")

    def __str__(self) -> str:
        return f"{self.name}（{self.firm}）"


class LegalAidOutcome(models.TextChoices):
    PENDING = "pending", _("办理中")
    ADVICE = "advice", _("提供法律咨询")
    SETTLED = "settled", _("协商和解")
    ARBITRATION = "arbitration", _("代理仲裁")
    LITIGATION = "litigation", _("代理诉讼")
    DECLINED = "declined", _("不符合援助条件")


class LegalAid(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="legal_aid")
    lawyer = models.ForeignKey(Lawyer, on_delete=models.PROTECT, related_name="assignments")
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("援助结果"), max_length=12, choices=LegalAidOutcome.choices, default="pending"
    )
    outcome_note = models.TextField(_("结果说明"), max_length=2000, blank=True)
    recovered_amount = MoneyField(_("挽回金额（元）"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.case_id} → {self.lawyer_id}"


# --- counselling 心理咨询 ---------------------------------------------------------------------


class Counsellor(ScopedModel):
    """A counsellor is a staff account of the organisation whose centre offers counselling."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="counsellor"
    )
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    qualification = models.CharField(_("资质"), max_length=100)
    introduction = models.CharField(_("简介"), max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    unscoped = models.Manager()
    objects = ScopedManager["Counsellor"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("name",)
        verbose_name = _("心理咨询师")

    def __str__(self) -> str:
        return self.name


class CounsellingSlot(models.Model):
    counsellor = models.ForeignKey(Counsellor, on_delete=models.PROTECT, related_name="slots")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=100)
    person = models.ForeignKey(
        "members.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="slots"
    )
    booked_at = models.DateTimeField(null=True, blank=True)
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ("starts_at",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")), name="slot_order"
            ),
            models.UniqueConstraint(fields=["counsellor", "starts_at"], name="slot_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.counsellor_id} {self.starts_at:%Y-%m-%d %H:%M}"


class CounsellingNote(ScopedModel):
    """A session note, sealed at rest and readable by its counsellor alone: not by the
    counsellor's administrators, nor by anyone above them in the tree."""

    slot = models.ForeignKey(CounsellingSlot, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = SealedField(purpose=NOTE_PURPOSE, masker=mask_all)
    written_at = models.DateTimeField(default=timezone.now)

    unscoped = models.Manager()
    objects = ScopedManager["CounsellingNote"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("written_at",)

    def __str__(self) -> str:
        return f"note {self.pk}"

    @classmethod
    def scope_q(cls, actor: Any) -> Q:
        if actor is None or not getattr(actor, "is_staff_account", False) or not actor.is_active:
            return Q(pk__in=[])
        return Q(author_id=actor.pk, slot__counsellor__user_id=actor.pk)
