"""Writes to the union tree, enterprises and the service network. One transaction each."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext as _

from gonghui.core.locks import LockSpace, lock_rows
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import require_within
from gonghui.core.services import counter_take
from gonghui.core.validators import (
    clean_field,
    normalize_credit_code,
    normalize_division_code,
    raise_errors,
)
from gonghui.organizations.models import (
    KIND_RANK,
    Enterprise,
    GrassrootsKind,
    OpeningPeriod,
    Organization,
    OrganizationMove,
    OrgKind,
    ServicePlace,
    ServiceTier,
    ServiceType,
    TimeUnit,
)

ORG_TEXT_FIELDS = ("name", "short_name", "address", "phone", "chair_name")


def _check_child_kind(parent: Organization | None, kind: str, grassroots_kind: str) -> None:
    if kind not in KIND_RANK:
        raise ValidationError({"kind": _("请选择组织层级。")})
    if grassroots_kind and grassroots_kind not in GrassrootsKind.values:
        raise ValidationError({"grassroots_kind": _("请选择基层工会类型。")})
    if kind == OrgKind.GRASSROOTS and not grassroots_kind:
        raise ValidationError({"grassroots_kind": _("请选择基层工会类型。")})
    if kind != OrgKind.GRASSROOTS and grassroots_kind:
        raise ValidationError({"grassroots_kind": _("只有基层工会需要填写类型。")})
    if parent is None:
        return
    if parent.kind == OrgKind.GRASSROOTS:
        raise ValidationError({"parent": _("基层工会下不能再设下级组织。")})
    if KIND_RANK[kind] < KIND_RANK[parent.kind]:
        raise ValidationError(
            {
                "kind": _("“%(kind)s”不能设在“%(parent)s”之下。")
                % {"kind": OrgKind(kind).label, "parent": OrgKind(parent.kind).label}
            }
        )


def _clean_org_fields(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for name in ORG_TEXT_FIELDS:
        if name in fields:
            fields[name] = clean_field(Organization, name, fields[name], errors)
    if not fields.get("name", "x"):
        errors.setdefault("name", []).append(_("请填写名称。"))
    for name, normalize in (
        ("division_code", normalize_division_code),
        ("credit_code", normalize_credit_code),
    ):
        if fields.get(name):
            try:
                fields[name] = normalize(fields[name])
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return fields


def sibling_named(parent: Organization | None, name: str, *, exclude_pk: int | None = None) -> bool:
    """Whether ``parent`` already has a child called ``name``: two organisations of one name
    under one parent cannot be told apart in any list, picker or report."""
    siblings = Organization.unscoped.filter(parent=parent, name=name)
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    return siblings.exists()


def _sibling_name_error(parent: Organization | None, name: str) -> ValidationError:
    return ValidationError(
        {
            "name": _("“%(p)s”下已有名为“%(n)s”的组织，请换一个名称。")
            % {"p": parent.name if parent else "", "n": name}
        }
    )


def _check_unique(
    fields: dict[str, Any],
    *,
    exclude_pk: int | None = None,
    parent: Organization | None = None,
    check_name: bool = False,
) -> None:
    if (
        check_name
        and fields.get("name")
        and sibling_named(parent, fields["name"], exclude_pk=exclude_pk)
    ):
        raise _sibling_name_error(parent, fields["name"])
    others = Organization.unscoped.all()
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if fields.get("code") and others.filter(code=fields["code"]).exists():
        raise ValidationError({"code": _("组织编码 %(c)s 已被使用。") % {"c": fields["code"]}})
    if fields.get("credit_code") and others.filter(credit_code=fields["credit_code"]).exists():
        raise ValidationError({"credit_code": _("该统一社会信用代码已登记为其他组织。")})


@transaction.atomic
def organization_create(
    *,
    actor: Any,
    parent: Organization | None,
    name: str,
    kind: str,
    grassroots_kind: str = "",
    code: str = "",
    division_code: str = "",
    credit_code: str = "",
    short_name: str = "",
    address: str = "",
    phone: str = "",
    chair_name: str = "",
    established_on: datetime.date | None = None,
    permission: Perm = Perm.MANAGE_ORGS,
) -> Organization:
    """Add a node to the tree. Only the system (``actor=None``: set-up and data loading) may
    create a root; everyone else adds below an organisation in their subtree.

    ``permission`` names what authorises the creation: managing the tree, by default, or a
    reviewer's approval of a founding application (``Perm.APPROVE``)."""
    if parent is None:
        if actor is not None:
            raise ValidationError({"parent": _("请选择上级组织。")})
    else:
        if actor is not None:
            require_within(actor, parent)
            require(actor, permission)
    _check_child_kind(parent, kind, grassroots_kind)
    fields = _clean_org_fields(
        {
            "name": name,
            "short_name": short_name,
            "address": address,
            "phone": phone,
            "chair_name": chair_name,
            "division_code": division_code,
            "credit_code": credit_code,
            "code": code.strip(),
        }
    )
    _check_unique(fields, parent=parent, check_name=True)
    while not fields["code"]:
        # Automatic codes skip any that someone typed by hand.
        code = f"G{counter_take(name='organization_code'):07d}"
        if not Organization.unscoped.filter(code=code).exists():
            fields["code"] = code
    org = Organization(
        parent=parent,
        kind=kind,
        grassroots_kind=grassroots_kind,
        established_on=established_on,
        depth=(parent.depth + 1) if parent else 0,
        # A unique placeholder until the primary key is known.
        path=f"~{uuid.uuid4().hex}",
        **fields,
    )
    org._history_user = actor  # type: ignore[attr-defined]
    org.save()
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    Organization.unscoped.filter(pk=org.pk).update(path=org.path)
    return org


@transaction.atomic
def organization_update(*, actor: Any, org: Organization, **changes: Any) -> Organization:
    require_within(actor, org)
    require(actor, Perm.MANAGE_ORGS)
    allowed = {*ORG_TEXT_FIELDS, "division_code", "credit_code", "code", "established_on"}
    allowed |= {"is_active", "grassroots_kind"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    text = _clean_org_fields({k: v for k, v in changes.items() if k not in {"is_active"}})
    if "grassroots_kind" in changes:
        _check_child_kind(org.parent, org.kind, changes["grassroots_kind"])
    _check_unique(text, exclude_pk=org.pk, parent=org.parent, check_name="name" in text)
    for key, value in {**changes, **text}.items():
        setattr(org, key, value)
    org._history_user = actor  # type: ignore[attr-defined]
    org.save()
    return org


@transaction.atomic
def organization_move(
    *, actor: Any, org: Organization, new_parent: Organization, reason: str
) -> OrganizationMove:
    """Move ``org`` and its whole subtree under ``new_parent``: one audited operation.

    Every descendant's path is rewritten in the same UPDATE, inside one transaction, so the
    tree is never seen half-moved; records that point at organisations (memberships,
    enterprises, staff) follow by their foreign keys and need no change."""
    require_within(actor, org)
    require_within(actor, new_parent)
    require(actor, Perm.MANAGE_ORGS)
    errors: dict[str, list[str]] = {}
    reason = clean_field(OrganizationMove, "reason", reason, errors)
    raise_errors(errors)
    if not reason:
        raise ValidationError({"reason": _("请填写调整原因。")})
    if org.parent_id is None:
        raise ValidationError({"new_parent": _("最上级组织不能移动。")})
    if actor.organization_id == org.pk:
        raise ValidationError({"new_parent": _("不能移动本人所在的组织。")})
    if new_parent.path.startswith(org.path):
        raise ValidationError({"new_parent": _("不能移到自己或自己的下级组织之下。")})
    if new_parent.pk == org.parent_id:
        raise ValidationError({"new_parent": _("已经在该组织之下，无需移动。")})
    _check_child_kind(new_parent, org.kind, org.grassroots_kind)
    if sibling_named(new_parent, org.name):
        raise ValidationError(
            {
                "new_parent": _("“%(p)s”下已有名为“%(n)s”的组织，请先改名再移动。")
                % {"p": new_parent.name, "n": org.name}
            }
        )

    # Lock the moved root and the new parent in primary-key order, so two moves that touch the
    # same nodes cannot interleave and build a cycle.
    lock_rows(LockSpace.ORGANIZATION, Organization.unscoped.filter(pk__in=[org.pk, new_parent.pk]))
    old_path, old_parent_id = org.path, org.parent_id
    new_path = f"{new_parent.path}{org.pk}/"
    depth_shift = new_parent.depth + 1 - org.depth
    subtree = Organization.unscoped.filter(path__startswith=old_path)
    descendants = subtree.count() - 1
    subtree.update(
        path=Concat(Value(new_path), Substr("path", Length(Value(old_path)) + 1)),
        depth=F("depth") + depth_shift,
    )
    org.refresh_from_db()
    org.parent = new_parent
    org._history_user = actor  # type: ignore[attr-defined]
    org._change_reason = reason  # type: ignore[attr-defined]
    org.save(update_fields=["parent"])
    return OrganizationMove.objects.create(
        organization=org,
        old_parent_id=old_parent_id,
        new_parent=new_parent,
        old_path=old_path,
        new_path=new_path,
        descendants=descendants,
        reason=reason,
        actor=actor,
    )


# --- enterprises ----------------------------------------------------------------------------

ENTERPRISE_FIELDS = ("name", "credit_code", "industry", "employee_count", "address", "area")


def _clean_enterprise(actor: Any, fields: dict[str, Any], *, exclude_pk: int | None) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("name", "address"):
        if name in fields:
            fields[name] = clean_field(Enterprise, name, fields[name], errors)
    if "name" in fields and not fields["name"]:
        errors.setdefault("name", []).append(_("请填写企业名称。"))
    if "credit_code" in fields:
        try:
            fields["credit_code"] = normalize_credit_code(fields["credit_code"])
        except ValidationError as exc:
            errors.setdefault("credit_code", []).extend(exc.messages)
        else:
            clash = (
                Enterprise.unscoped.filter(credit_code=fields["credit_code"])
                .exclude(pk=exclude_pk or 0)
                .first()
            )
            if clash is not None:
                errors.setdefault("credit_code", []).append(
                    _("该统一社会信用代码已登记为“%(name)s”。") % {"name": clash.name}
                )
    if "employee_count" in fields and (
        fields["employee_count"] is None or int(fields["employee_count"]) < 0
    ):
        errors.setdefault("employee_count", []).append(_("职工人数应为不小于 0 的整数。"))
    area = fields.get("area")
    if area is not None:
        if area.kind == OrgKind.GRASSROOTS:
            errors.setdefault("area", []).append(_("所在地应为镇（街道）或以上的组织。"))
        elif actor is not None and not area.path.startswith(actor.scope_path or "\0"):
            errors.setdefault("area", []).append(_("只能登记在本组织范围内的企业。"))
    union = fields.get("union")
    if union is not None:
        if union.kind != OrgKind.GRASSROOTS:
            errors.setdefault("union", []).append(_("覆盖企业的应是基层工会。"))
        elif actor is not None and not union.path.startswith(actor.scope_path or "\0"):
            errors.setdefault("union", []).append(_("只能选择本组织范围内的基层工会。"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def enterprise_create(
    *,
    actor: Any,
    name: str,
    credit_code: str,
    industry: str,
    employee_count: int,
    area: Organization,
    address: str = "",
    union: Organization | None = None,
) -> Enterprise:
    if actor is not None:
        require(actor, Perm.EDIT_RECORDS)
    fields: dict[str, Any] = {
        "name": name,
        "credit_code": credit_code,
        "industry": industry,
        "employee_count": employee_count,
        "address": address,
        "area": area,
        "union": union,
    }
    _clean_enterprise(actor, fields, exclude_pk=None)
    enterprise = Enterprise(**fields)
    enterprise._history_user = actor  # type: ignore[attr-defined]
    enterprise.full_clean(validate_unique=False)
    enterprise.save()
    return enterprise


@transaction.atomic
def enterprise_update(*, actor: Any, enterprise: Enterprise, **changes: Any) -> Enterprise:
    require(actor, Perm.EDIT_RECORDS)
    unknown = set(changes) - {*ENTERPRISE_FIELDS, "union", "is_active"}
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    _clean_enterprise(actor, changes, exclude_pk=enterprise.pk)
    for key, value in changes.items():
        setattr(enterprise, key, value)
    enterprise._history_user = actor  # type: ignore[attr-defined]
    enterprise.full_clean(validate_unique=False)
    enterprise.save()
    return enterprise


# --- service network ------------------------------------------------------------------------


@transaction.atomic
def service_place_save(
    *,
    actor: Any,
    place: ServicePlace | None,
    organization: Organization,
    tier: str,
    name: str,
    address: str,
    phone: str = "",
    service_types: Iterable[ServiceType] = (),
    staff: Iterable[Any] = (),
    opening: Iterable[tuple[int, datetime.time, datetime.time]] = (),
    is_active: bool = True,
) -> ServicePlace:
    """Create or update a service centre, station or point with its weekly opening hours."""
    if actor is not None:
        require_within(actor, organization)
        require(actor, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    name = clean_field(ServicePlace, "name", name, errors)
    address = clean_field(ServicePlace, "address", address, errors)
    phone = clean_field(ServicePlace, "phone", phone, errors)
    if not name:
        errors.setdefault("name", []).append(_("请填写名称。"))
    if not address:
        errors.setdefault("address", []).append(_("请填写地址。"))
    staff = list(staff)
    if any(
        not s.organization or not s.organization.path.startswith(organization.path) for s in staff
    ):
        errors.setdefault("staff", []).append(_("值守人员须是本组织或下级组织的工作人员。"))
    periods = sorted(opening)
    for (day_a, _open_a, close_a), (day_b, open_b, _close_b) in zip(
        periods, periods[1:], strict=False
    ):
        if day_a == day_b and open_b < close_a:
            errors.setdefault("opening", []).append(_("同一天的开放时段不能重叠。"))
            break
    for _day, opens, closes in periods:
        if opens >= closes:
            errors.setdefault("opening", []).append(_("开放时段的开始时间应早于结束时间。"))
            break
    if errors:
        raise ValidationError(errors)
    if place is None:
        place = ServicePlace(organization=organization)
    place.tier, place.name, place.address, place.phone = tier, name, address, phone
    place.is_active = is_active
    place._history_user = actor  # type: ignore[attr-defined]
    place.save()
    place.service_types.set(list(service_types))
    place.staff.set(staff)
    place.opening.all().delete()
    OpeningPeriod.objects.bulk_create(
        OpeningPeriod(place=place, weekday=day, opens=opens, closes=closes)
        for day, opens, closes in periods
    )
    return place


@transaction.atomic
def enterprises_assign_union(
    *, actor: Any, union: Organization, enterprises: Iterable[Enterprise], reason: str
) -> int:
    """Record that ``union`` now covers ``enterprises`` (after a founding is approved). The
    caller has checked the permission its workflow requires."""
    require_within(actor, union)
    count = 0
    for enterprise in enterprises:
        enterprise.union = union
        enterprise._history_user = actor  # type: ignore[attr-defined]
        enterprise._change_reason = reason  # type: ignore[attr-defined]
        enterprise.save(update_fields=["union"])
        count += 1
    return count


def may_keep_reference_data(actor: Any) -> bool:
    """City-wide reference data (service types) is kept by the root organisation's admins."""
    org = getattr(actor, "organization", None)
    return org is not None and org.parent_id is None and has_perm(actor, Perm.MANAGE_ORGS)


def _require_federation_admin(actor: Any) -> None:
    if not may_keep_reference_data(actor):
        raise PermissionDenied(_("服务类型全市统一，只能由市总工会的管理员维护。"))


@transaction.atomic
def service_type_update(
    *,
    actor: Any,
    service_type: ServiceType,
    response_limit: int,
    response_unit: str,
    resolution_limit: int,
    resolution_unit: str,
    tiers: Iterable[str],
    auto_close_days: int,
    is_active: bool,
) -> ServiceType:
    """Change a type's deadlines, the tiers that may handle it, and whether it is offered.
    Cases already open keep the deadlines they were given."""
    _require_federation_admin(actor)
    errors: dict[str, list[str]] = {}
    tiers = [t for t in ServiceTier.values if t in set(tiers)]
    if not tiers:
        errors.setdefault("tiers", []).append(_("至少选择一个可办理的层级。"))
    for field, unit in (("response_unit", response_unit), ("resolution_unit", resolution_unit)):
        if unit not in TimeUnit.values:
            errors.setdefault(field, []).append(_("请选择工作日或工作小时。"))
    if not 1 <= response_limit <= 720:
        errors.setdefault("response_limit", []).append(_("响应时限为 1 到 720。"))
    if not 1 <= resolution_limit <= 720:
        errors.setdefault("resolution_limit", []).append(_("办结时限为 1 到 720。"))
    if not 1 <= auto_close_days <= 90:
        errors.setdefault("auto_close_days", []).append(_("自动关闭天数为 1 到 90。"))
    if errors:
        raise ValidationError(errors)
    service_type.response_limit, service_type.response_unit = response_limit, response_unit
    service_type.resolution_limit, service_type.resolution_unit = resolution_limit, resolution_unit
    service_type.tiers, service_type.auto_close_days = tiers, auto_close_days
    service_type.is_active = is_active
    service_type._history_user = actor  # type: ignore[attr-defined]
    service_type.save()
    return service_type
