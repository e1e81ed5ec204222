"""Accounts: staff of the union tree, workers signing in to the portal, and enterprise contacts
signing in to the enterprise area."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gonghui.core.crypto import mask_mobile
from gonghui.core.fields import SealedField
from gonghui.core.permissions import Role
from gonghui.core.scoping import ScopedManager, ScopedModel, subtree_q

CONTACT_MOBILE_PURPOSE = "account.contact_mobile"


class AccountKind(models.TextChoices):
    STAFF = "staff", _("工作人员")
    WORKER = "worker", _("职工")
    ENTERPRISE = "enterprise", _("企业联系人")


class User(AbstractUser, ScopedModel):
    """A staff account belongs to one organisation and holds roles; a worker account belongs to
    one person; an enterprise contact account acts for one enterprise. A staff account acts on
    its organisation's subtree and nothing else; a contact has no organisation scope and no
    role, and sees only its enterprise's records (``ScopedModel.enterprise_field``)."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    kind = models.CharField(_("类型"), max_length=10, choices=AccountKind.choices)
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("所属组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    roles = models.JSONField(_("角色"), default=list, blank=True)
    person = models.OneToOneField(
        "members.Person",
        verbose_name=_("实名职工"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account",
    )
    enterprise = models.ForeignKey(
        "organizations.Enterprise",
        verbose_name=_("所属企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
    )
    # An enterprise contact signs in with this mobile; sealed at rest, found by its blind index.
    mobile = SealedField(_("手机号"), purpose=CONTACT_MOBILE_PURPOSE, masker=mask_mobile, null=True)
    mobile_hash = models.CharField(_("手机号索引"), max_length=32, null=True, blank=True)
    invited_by = models.ForeignKey(
        "self",
        verbose_name=_("邀请人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["password", "last_login"])
    scoped = ScopedManager["User"]()

    class Meta:
        verbose_name = _("账号")
        # Authentication and related managers read accounts through Django's manager;
        # selectors use ``User.scoped.visible_to(actor)``.
        default_manager_name = "objects"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="staff",
                        organization__isnull=False,
                        person__isnull=True,
                        enterprise__isnull=True,
                    )
                    | Q(kind="worker", organization__isnull=True, enterprise__isnull=True)
                    | Q(
                        kind="enterprise",
                        organization__isnull=True,
                        person__isnull=True,
                        enterprise__isnull=False,
                        mobile_hash__isnull=False,
                    )
                ),
                name="user_kind_matches_links",
            ),
            # One mobile opens one contact account (it may also be a worker's: the two sign
            # in at different entries, see docs/adr/0012).
            models.UniqueConstraint(
                fields=["mobile_hash"],
                condition=Q(kind="enterprise"),
                name="user_contact_mobile_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_staff_account(self) -> bool:
        return self.kind == AccountKind.STAFF and self.organization_id is not None

    @property
    def is_worker_account(self) -> bool:
        return self.kind == AccountKind.WORKER

    @property
    def is_enterprise_account(self) -> bool:
        return self.kind == AccountKind.ENTERPRISE and self.enterprise_id is not None

    @property
    def enterprise_id_or_none(self) -> int | None:
        return self.enterprise_id if self.is_enterprise_account and self.is_active else None

    @classmethod
    def staff_scope(cls, path: str) -> Q:
        """Staff of the subtree, and the contacts of the enterprises it covers
        (``Enterprise.covering``)."""
        return (
            subtree_q("organization", path)
            | subtree_q("enterprise__union", path)
            | (Q(enterprise__union__isnull=True) & subtree_q("enterprise__area", path))
        )

    @property
    def scope_path(self) -> str | None:
        if self.is_staff_account and self.is_active and self.organization is not None:
            return self.organization.path
        return None

    @property
    def person_id_or_none(self) -> int | None:
        return self.person_id if self.is_worker_account else None

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(r, r)) for r in self.roles]


class OneTimeCode(models.Model):
    """A sign-in code sent by SMS. Only a hash of the code and of the mobile is stored."""

    mobile_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["mobile_hash", "created_at"])]

    def __str__(self) -> str:
        return f"otp {self.mobile_hash[:8]} {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token for the mini-program. The key is shown once; only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    name = models.CharField(max_length=50, default="mini-program")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"


class SignInChannel(models.TextChoices):
    CONSOLE = "console", _("工作台")
    PORTAL = "portal", _("职工端")
    ENTERPRISE = "enterprise", _("企业端")
    API = "api", _("接口")


class SignInFailure(models.Model):
    """A password sign-in that failed (or is being checked right now: the row is written
    before the password is, and deleted if it was right). The throttle counts these rows,
    so it holds across processes and servers without a shared cache; rows older than the
    longest window are pruned as new ones arrive.

    The account is a blind index of the normalised login (a mobile number is never stored);
    the address is the client's IP, an IPv6 address as its /64 (one subscriber's range)."""

    at = models.DateTimeField(db_index=True)
    account_key = models.CharField(max_length=32)
    address = models.CharField(max_length=50, blank=True)
    channel = models.CharField(max_length=10, choices=SignInChannel.choices)
    # Cleared by the account's next successful sign-in; the address still counts the row.
    counts_for_account = models.BooleanField(default=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["account_key", "at"], name="signin_failure_account"),
            models.Index(fields=["address", "at"], name="signin_failure_address"),
        ]

    def __str__(self) -> str:
        return f"sign-in failure {self.address} {self.at:%Y-%m-%d %H:%M:%S}"


class ConsentEnd(models.TextChoices):
    WITHDRAWN = "withdrawn", _("本人撤回")
    SUPERSEDED = "superseded", _("已同意新版告知书")


class PrivacyConsent(models.Model):
    """A worker's explicit consent to one version of the privacy notice (Personal Information
    Protection Law, arts. 14, 15 and 29: ID numbers and health data are sensitive personal
    information, processed only with separate, explicit consent that can be withdrawn).

    One row per consent given: who, which version, when, through which channel. Withdrawing it,
    or agreeing to a newer version, ends the row (``ended_at``, ``end_reason``, ``ended_channel``)
    and never deletes it, so what was agreed to and for how long stays provable. At most one
    row of a user is in force (not ended)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="privacy_consents")
    version = models.CharField(_("告知书版本"), max_length=20)
    channel = models.CharField(_("同意渠道"), max_length=10, choices=SignInChannel.choices)
    given_at = models.DateTimeField(_("同意时间"))
    ended_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    end_reason = models.CharField(
        _("终止原因"), max_length=12, choices=ConsentEnd.choices, blank=True
    )
    ended_channel = models.CharField(
        _("撤回渠道"), max_length=10, choices=SignInChannel.choices, blank=True
    )

    class Meta:
        verbose_name = _("个人信息处理同意记录")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(ended_at__isnull=True),
                name="privacy_consent_one_in_force",
            )
        ]
        indexes: ClassVar = [models.Index(fields=["user", "given_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} v{self.version} {self.given_at:%Y-%m-%d %H:%M}"
