"""API for the union tree, enterprises and the service network (staff only)."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from gonghui.core.api import (
    Count,
    Date,
    Id,
    OneOf,
    Pages,
    Search,
    Text,
    omitted,
    staff_actor,
)
from gonghui.core.permissions import Perm, require
from gonghui.organizations import selectors, services
from gonghui.organizations.models import (
    Enterprise,
    GrassrootsKind,
    Industry,
    Organization,
    OrganizationMove,
    OrgKind,
)

router = Router(tags=["组织与企业"])


class OrgOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    kind_label: str
    grassroots_kind: str
    code: str
    parent_id: int | None
    depth: int
    division_code: str
    credit_code: str
    chair_name: str
    address: str
    phone: str
    established_on: datetime.date | None
    is_active: bool


class OrgIn(Schema):
    name: Annotated[str, Text.of(Organization, "name")]
    kind: Annotated[str, OneOf(OrgKind)]
    grassroots_kind: Annotated[str, OneOf(GrassrootsKind, blank=True)] = ""
    code: Annotated[str, Text.of(Organization, "code")] = ""
    division_code: Annotated[str, Text.of(Organization, "division_code")] = ""
    credit_code: Annotated[str, Text.of(Organization, "credit_code")] = ""
    short_name: Annotated[str, Text.of(Organization, "short_name")] = ""
    address: Annotated[str, Text.of(Organization, "address")] = ""
    phone: Annotated[str, Text.of(Organization, "phone")] = ""
    chair_name: Annotated[str, Text.of(Organization, "chair_name")] = ""
    established_on: Date | None = None


class OrgPatch(Schema):
    """Only the fields sent change; ``null`` only where a value may be cleared."""

    name: Annotated[str, Text.of(Organization, "name")] = omitted()
    short_name: Annotated[str, Text.of(Organization, "short_name")] = omitted()
    code: Annotated[str, Text.of(Organization, "code")] = omitted()
    division_code: Annotated[str, Text.of(Organization, "division_code")] = omitted()
    credit_code: Annotated[str, Text.of(Organization, "credit_code")] = omitted()
    chair_name: Annotated[str, Text.of(Organization, "chair_name")] = omitted()
    address: Annotated[str, Text.of(Organization, "address")] = omitted()
    phone: Annotated[str, Text.of(Organization, "phone")] = omitted()
    established_on: Date | None = None
    is_active: bool = omitted()


class MoveIn(Schema):
    new_parent_id: Id
    reason: Annotated[str, Text.of(OrganizationMove, "reason")]


class MoveOut(Schema):
    organization_id: int
    new_parent_id: int
    descendants: int


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    industry: str
    employee_count: int
    address: str
    area_id: int
    union_id: int | None
    is_active: bool


class EnterpriseIn(Schema):
    name: Annotated[str, Text.of(Enterprise, "name")]
    credit_code: Annotated[str, Text(30)]
    industry: Annotated[str, OneOf(Industry)]
    employee_count: Count
    area_id: Id
    union_id: Id | None = None
    address: Annotated[str, Text.of(Enterprise, "address")] = ""


class EnterprisePatch(Schema):
    """Only the fields sent change; ``union_id: null`` means no union covers it."""

    name: Annotated[str, Text.of(Enterprise, "name")] = omitted()
    credit_code: Annotated[str, Text(30)] = omitted()
    industry: Annotated[str, OneOf(Industry)] = omitted()
    employee_count: Count = omitted()
    address: Annotated[str, Text.of(Enterprise, "address")] = omitted()
    area_id: Id = omitted()
    union_id: Id | None = None
    is_active: bool = omitted()


class OpeningOut(Schema):
    """Local wall-clock times ("08:30"), not instants: no time zone."""

    weekday: int
    opens: Annotated[str, Field(pattern=r"^[0-2][0-9]:[0-5][0-9]$")]
    closes: Annotated[str, Field(pattern=r"^[0-2][0-9]:[0-5][0-9]$")]

    @staticmethod
    def resolve_opens(obj: Any) -> str:
        return f"{obj.opens:%H:%M}"

    @staticmethod
    def resolve_closes(obj: Any) -> str:
        return f"{obj.closes:%H:%M}"


class PlaceOut(Schema):
    id: int
    organization_id: int
    tier: str
    name: str
    address: str
    phone: str
    is_active: bool
    service_types: list[str]
    opening: list[OpeningOut]

    @staticmethod
    def resolve_service_types(obj: Any) -> list[str]:
        return [t.name for t in obj.service_types.all()]

    @staticmethod
    def resolve_opening(obj: Any) -> list[Any]:
        return list(obj.opening.all())


@router.get("/organizations", response=list[OrgOut], summary="组织列表（管辖范围内）")
@paginate(Pages, page_size=50)
def list_organizations(request: HttpRequest, q: Search = "", kind: Search = "") -> Any:
    return selectors.organization_list(actor=staff_actor(request), q=q, kind=kind)


@router.get("/organizations/{org_id}", response=OrgOut, summary="组织详情")
def get_organization(request: HttpRequest, org_id: Id) -> Any:
    return selectors.organization_get(actor=staff_actor(request), id=org_id)


@router.get("/organizations/{org_id}/children", response=list[OrgOut], summary="下级组织")
def list_children(request: HttpRequest, org_id: Id) -> Any:
    actor = staff_actor(request)
    org = selectors.organization_get(actor=actor, id=org_id)
    return list(selectors.organization_children(actor=actor, org=org))


@router.post("/organizations/{org_id}/children", response={201: OrgOut}, summary="新增下级组织")
def create_child(request: HttpRequest, org_id: Id, payload: OrgIn) -> Any:
    actor = staff_actor(request)
    parent = selectors.organization_get(actor=actor, id=org_id)
    return services.organization_create(actor=actor, parent=parent, **payload.dict())


@router.patch("/organizations/{org_id}", response=OrgOut, summary="修改组织")
def update_organization(request: HttpRequest, org_id: Id, payload: OrgPatch) -> Any:
    actor = staff_actor(request)
    org = selectors.organization_get(actor=actor, id=org_id)
    return services.organization_update(actor=actor, org=org, **payload.dict(exclude_unset=True))


@router.post("/organizations/{org_id}/move", response=MoveOut, summary="调整隶属关系（整棵子树）")
def move_organization(request: HttpRequest, org_id: Id, payload: MoveIn) -> Any:
    actor = staff_actor(request)
    org = selectors.organization_get(actor=actor, id=org_id)
    new_parent = selectors.organization_get(actor=actor, id=payload.new_parent_id)
    move = services.organization_move(
        actor=actor, org=org, new_parent=new_parent, reason=payload.reason
    )
    return {
        "organization_id": org.pk,
        "new_parent_id": new_parent.pk,
        "descendants": move.descendants,
    }


@router.get("/enterprises", response=list[EnterpriseOut], summary="企业名录")
@paginate(Pages, page_size=50)
def list_enterprises(
    request: HttpRequest, q: Search = "", industry: Search = "", unionised: Search = ""
) -> Any:
    return selectors.enterprise_list(
        actor=staff_actor(request), q=q, industry=industry, unionised=unionised
    )


def _enterprise_refs(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    if "area_id" in data:
        data["area"] = selectors.organization_get(actor=actor, id=data.pop("area_id"))
    if "union_id" in data:
        union_id = data.pop("union_id")
        data["union"] = selectors.organization_get(actor=actor, id=union_id) if union_id else None
    return data


@router.post("/enterprises", response={201: EnterpriseOut}, summary="登记企业")
def create_enterprise(request: HttpRequest, payload: EnterpriseIn) -> Any:
    actor = staff_actor(request)
    require(actor, Perm.EDIT_RECORDS)
    data = _enterprise_refs(actor, payload.dict())
    return services.enterprise_create(actor=actor, **data)


@router.get("/enterprises/{enterprise_id}", response=EnterpriseOut, summary="企业详情")
def get_enterprise(request: HttpRequest, enterprise_id: Id) -> Any:
    return selectors.enterprise_get(actor=staff_actor(request), id=enterprise_id)


@router.patch("/enterprises/{enterprise_id}", response=EnterpriseOut, summary="修改企业")
def update_enterprise(request: HttpRequest, enterprise_id: Id, payload: EnterprisePatch) -> Any:
    actor = staff_actor(request)
    enterprise = selectors.enterprise_get(actor=actor, id=enterprise_id)
    data = _enterprise_refs(actor, payload.dict(exclude_unset=True))
    return services.enterprise_update(actor=actor, enterprise=enterprise, **data)


@router.get("/places", response=list[PlaceOut], summary="服务阵地（中心、站、点）")
@paginate(Pages, page_size=50)
def list_places(request: HttpRequest, tier: Search = "") -> Any:
    return selectors.service_place_list(actor=staff_actor(request), tier=tier)


@router.get("/places/{place_id}", response=PlaceOut, summary="服务阵地详情")
def get_place(request: HttpRequest, place_id: Id) -> Any:
    return selectors.service_place_get(actor=staff_actor(request), id=place_id)
