"""People, their memberships, and the requests that change them (ORG-4)."""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.crypto import mask_id_number, mask_mobile
from gonghui.core.fields import SealedField
from gonghui.core.models import Decided
from gonghui.core.scoping import ScopedManager, ScopedModel, subtree_q

ID_NUMBER_PURPOSE = "person.id_number"
MOBILE_PURPOSE = "person.mobile"


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Household(models.TextChoices):
    URBAN = "urban", _("城镇户籍")
    RURAL = "rural", _("农村户籍")


class Education(models.TextChoices):
    PRIMARY = "primary", _("小学及以下")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中、中专")
    COLLEGE = "college", _("大专")
    BACHELOR = "bachelor", _("本科")
    POSTGRADUATE = "postgraduate", _("研究生")


class Person(ScopedModel):
    """A worker. The ID number and mobile are sealed at rest; look-ups go through the keyed
    hashes beside them. Birth date and sex are derived from the ID number on every save."""

    # Names are searched by substring, which no b-tree serves; no index.
    name = models.CharField(_("姓名"), max_length=50)
    id_number = SealedField(_("身份证号"), purpose=ID_NUMBER_PURPOSE, masker=mask_id_number)
    # Keyed hashes (see core.crypto.blind_index). Their uniqueness is declared in Meta, not on
    # the field: on PostgreSQL a field-level index also gets a LIKE twin, and simple-history
    # would copy both into the history table, slowing every bulk import for nothing.
    id_number_hash = models.CharField(_("身份证号索引"), max_length=32)
    mobile = SealedField(_("手机号"), purpose=MOBILE_PURPOSE, masker=mask_mobile, null=True)
    mobile_hash = models.CharField(_("手机号索引"), max_length=32, null=True, blank=True)
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    household = models.CharField(
        _("户籍类型"), max_length=10, choices=Household.choices, blank=True
    )
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices, blank=True)
    employer = models.ForeignKey(
        "organizations.Enterprise",
        verbose_name=_("工作单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="workers",
        db_index=False,  # a partial index below: most people are imported without one
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    # Set on people registered by a spreadsheet import: the import is their creation record
    # (who, when, which row), see ``core.history``.
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

    # The history tables are read by record (``id``); their copies of foreign keys are not
    # searched, and every index costs each bulk-imported row.
    history = HistoricalRecords(no_db_index=["employer", "history_user", "source_import"])
    unscoped = models.Manager()
    objects = ScopedManager["Person"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        verbose_name = _("职工")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["id_number_hash"], name="person_id_number_unique"),
            models.UniqueConstraint(fields=["mobile_hash"], name="person_mobile_unique"),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["employer"],
                condition=Q(employer__isnull=False),
                name="person_employer_idx",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def staff_scope(cls, path: str) -> Q:
        # A person is known to a subtree that holds (or held) their membership, or that has
        # their pending join or transfer request in front of it, or where a module says so
        # (``Module.person_scopes``: a hardship file filed there).
        memberships = Membership.unscoped.filter(subtree_q("union", path), person=OuterRef("pk"))
        joins = JoinApplication.unscoped.filter(
            subtree_q("union", path), person=OuterRef("pk"), status=RequestStatus.PENDING
        )
        transfers = TransferRequest.unscoped.filter(
            subtree_q("to_union", path),
            membership__person=OuterRef("pk"),
            status=RequestStatus.PENDING,
        )
        known = Q(Exists(memberships)) | Q(Exists(joins)) | Q(Exists(transfers))
        from gonghui.core import modules  # the registry imports the apps' models

        for extra in modules.person_scopes(path):
            known |= extra
        return known

    @classmethod
    def owner_scope(cls, person_id: int) -> Q:
        return Q(pk=person_id)

    def age_on(self, day: datetime.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    TRANSFERRED = "transferred", _("已转出")
    LEFT = "left", _("已退会")


class LeaveReason(models.TextChoices):
    VOLUNTARY = "voluntary", _("本人申请退会")
    JOB_ENDED = "job_ended", _("离职且未转接")
    RETIRED = "retired", _("退休")
    DECEASED = "deceased", _("去世")
    OTHER = "other", _("其他")


class Membership(ScopedModel):
    """A person's membership of one grassroots union. A transfer ends one membership and starts
    the next, linked through ``previous``, so the whole path is kept. One active membership per
    person, enforced by the database."""

    scope_fields: ClassVar[tuple[str, ...]] = ("union",)
    owner_field: ClassVar[str | None] = "person"

    person = models.ForeignKey(
        Person, verbose_name=_("职工"), on_delete=models.PROTECT, related_name="memberships"
    )
    union = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所在工会"),
        on_delete=models.PROTECT,
        related_name="memberships",
        db_index=False,  # served by the (union, status, -id) index below
    )
    # Active card numbers are unique and indexed by the constraint below.
    card_number = models.CharField(_("会员卡号"), max_length=20)
    joined_on = models.DateField(_("入会日期"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=MembershipStatus.choices,
        default=MembershipStatus.ACTIVE,
    )
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    end_reason = models.CharField(_("终止原因"), max_length=20, blank=True)
    end_note = models.CharField(_("说明"), max_length=200, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("转入前会籍"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next",
        db_index=False,  # a partial unique constraint below: few memberships have one
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
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

    history = HistoricalRecords(
        no_db_index=["person", "union", "previous", "history_user", "source_import"]
    )
    unscoped = models.Manager()
    objects = ScopedManager["Membership"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        verbose_name = _("会籍")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="active"),
                name="membership_one_active_per_person",
            ),
            models.UniqueConstraint(
                fields=["card_number"],
                condition=Q(status="active"),
                name="membership_active_card_unique",
            ),
            # A membership is continued by at most one other (a transfer).
            models.UniqueConstraint(
                fields=["previous"],
                condition=Q(previous__isnull=False),
                name="membership_previous_unique",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["union", "status", "-id"])]

    def __str__(self) -> str:
        return _("会员卡 %(card)s（%(status)s）") % {
            "card": self.card_number,
            "status": self.get_status_display(),
        }

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REFUSED = "refused", _("未同意")
    WITHDRAWN = "withdrawn", _("已撤回")


class JoinApplication(ScopedModel, Decided):
    """A worker's application to join a grassroots union (入会), decided by that union."""

    scope_fields: ClassVar[tuple[str, ...]] = ("union",)
    owner_field: ClassVar[str | None] = "person"

    person = models.ForeignKey(
        Person, verbose_name=_("职工"), on_delete=models.PROTECT, related_name="join_applications"
    )
    union = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("申请加入的工会"),
        on_delete=models.PROTECT,
        related_name="join_applications",
    )
    employer_name = models.CharField(_("工作单位"), max_length=100)
    note = models.CharField(_("补充说明"), max_length=300, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    membership = models.OneToOneField(
        Membership,
        verbose_name=_("会籍"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["JoinApplication"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at",)
        verbose_name = _("入会申请")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="pending"),
                name="join_one_pending_per_person",
            )
        ]

    def __str__(self) -> str:
        return _("入会申请 #%(id)s（%(status)s）") % {
            "id": self.pk,
            "status": self.get_status_display(),
        }


class TransferInitiator(models.TextChoices):
    WORKER = "worker", _("本人申请")
    OLD_UNION = "old_union", _("原工会发起")


class TransferRequest(ScopedModel, Decided):
    """会员转接: moving an active membership to another union, accepted by the new union.

    Visible to both unions' subtrees and to the worker."""

    scope_fields: ClassVar[tuple[str, ...]] = ("membership__union", "to_union")

    membership = models.ForeignKey(
        Membership,
        verbose_name=_("转出会籍"),
        on_delete=models.PROTECT,
        related_name="transfer_requests",
    )
    to_union = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("转入工会"),
        on_delete=models.PROTECT,
        related_name="incoming_transfers",
    )
    initiator = models.CharField(_("发起方"), max_length=20, choices=TransferInitiator.choices)
    reason = models.CharField(_("转接原因"), max_length=300)
    status = models.CharField(
        _("状态"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    new_membership = models.OneToOneField(
        Membership,
        verbose_name=_("新会籍"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    unscoped = models.Manager()
    objects = ScopedManager["TransferRequest"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at",)
        verbose_name = _("会员转接")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["membership"],
                condition=Q(status="pending"),
                name="transfer_one_pending_per_membership",
            )
        ]

    def __str__(self) -> str:
        return _("转接申请 #%(id)s（%(status)s）") % {
            "id": self.pk,
            "status": self.get_status_display(),
        }

    @classmethod
    def owner_scope(cls, person_id: int) -> Q:
        return Q(membership__person_id=person_id)
