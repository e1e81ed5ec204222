"""Platform records shared by every domain app."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.scoping import ScopedManager, ScopedModel


class Counter(models.Model):
    """A named sequence (member card numbers, case numbers). Advanced with one conditional
    UPDATE, so two writers never take the same value."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Decided(models.Model):
    """Who asked and who decided, for requests an upper level approves or refuses. The
    decision fields hold the closing step, kept by ``core.decisions.decide``; every step is
    in ``DecisionStep``."""

    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)

    class Meta:
        abstract = True


class DecisionStep(models.Model):
    """One step of a request's decision (``core.decisions``): which step of which flow, the
    organisation that decided it, who, when, the outcome, the reason, and a snapshot of what
    the decision relied on (the request as the decider saw it).

    Steps are written in order and never changed. A request has at most one row per step
    index: a double click or two deciders at once cannot record a step twice. Not scoped by
    itself: the rows are read through the request, which the reader must be able to see
    (``core.selectors.decision_step_list``)."""

    # The request's model (``members.joinapplication``) and key. A label rather than a
    # content type: the rows need no table that tests flush and restore with other keys.
    request_type = models.CharField(max_length=100)
    object_id = models.PositiveBigIntegerField()
    flow = models.CharField(_("审批流程"), max_length=50)
    index = models.PositiveSmallIntegerField(_("步骤序号"))
    step = models.CharField(_("审批步骤"), max_length=30)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("审批组织"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"))
    approved = models.BooleanField(_("同意"))
    reason = models.CharField(_("审批意见"), max_length=300, blank=True)
    snapshot = models.JSONField(_("审批依据"), encoder=DjangoJSONEncoder, default=dict)

    class Meta:
        ordering = ("request_type", "object_id", "index")
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["request_type", "object_id", "index"],
                name="decision_step_once_per_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.flow}#{self.object_id} {self.index}:{self.step}"


class AccessReason(models.TextChoices):
    VERIFY_IDENTITY = "verify", _("核实身份")
    HANDLE_CASE = "case", _("办理业务")
    CONTACT = "contact", _("联系本人")
    REPORT = "report", _("上报材料")
    OTHER = "other", _("其他")


class PersonalDataAccess(ScopedModel):
    """One unmasked view of personal data: who saw whose what, when and why (PLT-1).

    Scoped by the organisation of the staff member who looked, so an administrator audits the
    views made in their subtree."""

    scope_fields: ClassVar[tuple[str, ...]] = ("actor_organization",)

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    subject_type = models.CharField(max_length=50)
    subject_id = models.BigIntegerField()
    subject_label = models.CharField(max_length=100)
    field = models.CharField(max_length=50)
    reason = models.CharField(max_length=20, choices=AccessReason.choices)
    reason_note = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=20, default="page")
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    unscoped = models.Manager()
    objects = ScopedManager["PersonalDataAccess"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        indexes: ClassVar = [models.Index(fields=["subject_type", "subject_id", "at"])]
        verbose_name = _("个人信息查看记录")

    def __str__(self) -> str:
        return f"{self.actor_id} {self.subject_type}:{self.subject_id} {self.field}"

    @property
    def field_label(self) -> str:
        """What was seen, in words (身份证号, 入户核查照片 #12), not the logged code."""
        from gonghui.core import modules

        return modules.personal_data_label(self.subject_type, self.field)


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    CHECKING = "checking", _("校验中")
    CHECKED = "checked", _("已校验")
    COMMITTING = "committing", _("导入中")
    DONE = "done", _("已导入")
    FAILED = "failed", _("未导入")
    # The process running the dry run or the commit died (its lease lapsed) and nothing was
    # imported: the file is kept for a day, to be retried or cancelled.
    INTERRUPTED = "interrupted", _("已中断")


# A job in these states has a process working on it, which holds the job's lease.
RUNNING_IMPORT_STATES = (ImportStatus.CHECKING, ImportStatus.COMMITTING)


class ImportJob(ScopedModel):
    """A spreadsheet import: uploaded, checked (dry run), then committed all-or-nothing."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    kind = models.CharField(_("导入内容"), max_length=30)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lease of the process running the dry run or the commit: who holds it, and until
    # when. The holder renews it while it works; a job whose lease lapsed is settled
    # (``imports.import_jobs_settle``).
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    unscoped = models.Manager()
    objects = ScopedManager["ImportJob"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at",)
        verbose_name = _("导入任务")

    def __str__(self) -> str:
        return f"{self.kind_label} #{self.pk}"

    @property
    def kind_label(self) -> str:
        """What the file holds, as the importer names it ("会员名册")."""
        from gonghui.core import imports

        try:
            return str(imports.importer_for(self.kind).label)
        except imports.SpreadsheetError:
            return self.kind


class WorkCalendarDay(models.Model):
    """A day on which the official calendar departs from the default rule (Monday to Friday
    work, Saturday and Sunday rest): a public holiday on a weekday (``is_workday`` false) or an
    adjusted working weekend, 调休 (``is_workday`` true). Only these exceptions are stored, so a
    year nobody has entered yet simply follows the default rule.

    City-wide reference data, not scoped: every deadline in every branch uses the same
    calendar. Seeded from the chinesecalendar package (migration 0004, ``workcalendar_sync``);
    the root administrator adds each new year's State Council notice, pasted
    (``workcalendar_notice_save``) or day by day (``workcalendar_day_save``); which years are
    complete is ``WorkCalendarYear``'s. Read through ``gonghui.core.workdays``."""

    day = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否上班"))
    name = models.CharField(_("名称"), max_length=40, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("day",)
        verbose_name = _("工作日历例外日")
        verbose_name_plural = _("工作日历例外日")

    def __str__(self) -> str:
        kind = _("上班") if self.is_workday else _("休息")
        return f"{self.day.isoformat()} {kind} {self.name}".rstrip()


class ScheduleSource(models.TextChoices):
    PACKAGE = "package", _("chinesecalendar 数据包")
    NOTICE = "notice", _("粘贴国务院办公厅通知")
    MANUAL = "manual", _("逐日登记")


class WorkCalendarYear(models.Model):
    """A year whose official schedule (the State Council's notice of holidays and adjusted
    working days) is in ``WorkCalendarDay``, and where it came from. A year without this row
    has no official data yet: its deadlines are counted Monday to Friday and shown as
    provisional (``core.workdays.years_without_schedule``). Rows alone do not make a year
    official: an administrator may enter a single day before the notice is out.

    Written by the calendar services only (package sync, a pasted notice, the confirmation of
    days entered one by one)."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=10, choices=ScheduleSource.choices)
    # The package release, for years it supplied ("chinesecalendar 1.11.0").
    note = models.CharField(_("说明"), max_length=100, blank=True)
    # The notice as pasted, kept so anyone can see later what the year was entered from.
    notice = models.TextField(_("通知原文"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    entered_at = models.DateTimeField(_("登记时间"), auto_now=True)

    class Meta:
        ordering = ("year",)
        verbose_name = _("工作日历年度安排")
        verbose_name_plural = _("工作日历年度安排")

    def __str__(self) -> str:
        return f"{self.year} {self.get_source_display()}"


class SmsState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    HELD = "held", _("免打扰时段暂缓")
    SENT = "sent", _("已发送")
    SKIPPED = "skipped", _("未发送")
    FAILED = "failed", _("发送失败")


# States in which a message still has its SMS to send (``next_attempt_at`` says when).
SMS_DUE_STATES = (SmsState.PENDING, SmsState.SENDING, SmsState.HELD)


class Notification(ScopedModel):
    """One message to one person: the in-app copy (``read_at``) and the state of its SMS.

    Written by ``core.notify`` inside the business transaction (the outbox), delivered after
    commit by ``core.delivery``. The mobile number is never stored here: it is read from the
    person's sealed field at the moment of sending. A worker sees their own messages only."""

    owner_field: ClassVar[str | None] = "person"

    person = models.ForeignKey(
        "members.Person", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(_("消息类型"), max_length=40)
    text = models.CharField(_("内容"), max_length=500)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    sms_state = models.CharField(
        _("短信状态"), max_length=10, choices=SmsState.choices, default=SmsState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    unscoped = models.Manager()
    objects = ScopedManager["Notification"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        indexes: ClassVar = [
            models.Index(fields=["person", "-created_at"], name="core_notification_inbox"),
            # The periodic delivery reads only the messages with an SMS still to send.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(sms_state__in=["pending", "sending", "held"]),
                name="core_notification_due",
            ),
        ]
        verbose_name = _("消息")
        verbose_name_plural = _("消息")

    def __str__(self) -> str:
        return f"{self.kind} → {self.person_id}: {self.text[:20]}"


class NotificationSettings(models.Model):
    """A worker's choices about SMS: the kinds they turned off (where the kind allows it) and
    quiet hours (local time; ``quiet_from`` after ``quiet_until`` crosses midnight). The in-app
    copy is always kept. No row: every SMS, at any hour."""

    person = models.OneToOneField(
        "members.Person", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    sms_off = models.JSONField(_("不接收短信的消息类型"), default=list, blank=True)
    quiet_from = models.TimeField(_("免打扰开始"), null=True, blank=True)
    quiet_until = models.TimeField(_("免打扰结束"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("消息设置")
        verbose_name_plural = _("消息设置")

    def __str__(self) -> str:
        return f"{self.person_id}"
