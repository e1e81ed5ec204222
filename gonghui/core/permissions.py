"""Staff roles and what each may do. Scope (which records) is separate: see ``scoping``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Role(models.TextChoices):
    ADMIN = "admin", gettext_lazy("管理员")
    CLERK = "clerk", gettext_lazy("经办")
    REVIEWER = "reviewer", gettext_lazy("审核")
    LEADER = "leader", gettext_lazy("领导（只读）")


class Perm(StrEnum):
    VIEW = "view"
    EXPORT = "export"
    EDIT_RECORDS = "edit_records"
    DECIDE_MEMBERSHIP = "decide_membership"
    APPROVE = "approve"
    REVEAL_PERSONAL = "reveal_personal"
    MANAGE_ORGS = "manage_orgs"
    MANAGE_STAFF = "manage_staff"
    AUDIT = "audit"


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.CLERK: frozenset(
        {Perm.VIEW, Perm.EXPORT, Perm.EDIT_RECORDS, Perm.DECIDE_MEMBERSHIP, Perm.REVEAL_PERSONAL}
    ),
    Role.REVIEWER: frozenset(
        {Perm.VIEW, Perm.EXPORT, Perm.DECIDE_MEMBERSHIP, Perm.APPROVE, Perm.REVEAL_PERSONAL}
    ),
    Role.LEADER: frozenset({Perm.VIEW, Perm.EXPORT}),
}

PERM_LABELS: dict[Perm, Any] = {
    Perm.VIEW: gettext_lazy("查看"),
    Perm.EXPORT: gettext_lazy("导出"),
    Perm.EDIT_RECORDS: gettext_lazy("录入和修改业务数据"),
    Perm.DECIDE_MEMBERSHIP: gettext_lazy("审批入会和会员转接"),
    Perm.APPROVE: gettext_lazy("审核建会、职工之家和项目考核"),
    Perm.REVEAL_PERSONAL: gettext_lazy("查看完整个人信息"),
    Perm.MANAGE_ORGS: gettext_lazy("管理组织架构"),
    Perm.MANAGE_STAFF: gettext_lazy("管理工作人员账号"),
    Perm.AUDIT: gettext_lazy("查看个人信息访问日志"),
}


def roles_granting(perm: Perm) -> frozenset[str]:
    """The roles that grant ``perm``: for choosing, say, who a case may be assigned to
    without offering a read-only leader."""
    return frozenset(str(role) for role, perms in ROLE_PERMS.items() if perm in perms)


def perms_of(actor: Any) -> frozenset[Perm]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return frozenset()
    if not getattr(actor, "scope_path", None):
        return frozenset()
    result: set[Perm] = set()
    for role in getattr(actor, "roles", None) or ():
        result |= ROLE_PERMS.get(role, frozenset())
    return frozenset(result)


def has_perm(actor: Any, perm: Perm) -> bool:
    return perm in perms_of(actor)


def require(actor: Any, perm: Perm) -> None:
    """Raise ``PermissionDenied`` (HTTP 403) with a Chinese reason when the role lacks ``perm``.

    Call it after the record was fetched through a scoped selector: a record outside the
    scope is "not found" first, whatever the role."""
    if not has_perm(actor, perm):
        raise PermissionDenied(
            _("您的角色没有“%(perm)s”权限，请联系本单位管理员。") % {"perm": PERM_LABELS[perm]}
        )
