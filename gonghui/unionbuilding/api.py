"""API for 三建联动, brand projects and coverage figures (staff only)."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from gonghui.core.api import Amount, Count, Date, Id, OneOf, Pages, Search, Text, Year, staff_actor
from gonghui.core.models import Decided
from gonghui.organizations import selectors as org_selectors
from gonghui.organizations.models import GrassrootsKind
from gonghui.unionbuilding import selectors, services
from gonghui.unionbuilding.models import BrandProject, FoundingApplication

router = Router(tags=["三建联动"])


class FoundingOut(Schema):
    id: int
    parent_id: int
    proposed_name: str
    grassroots_kind: str
    enterprise_ids: list[int]
    chair_name: str
    initial_members: int
    planned_on: datetime.date
    note: str
    status: str
    decision_note: str
    union_id: int | None

    @staticmethod
    def resolve_enterprise_ids(obj: Any) -> list[int]:
        return [e.pk for e in obj.enterprises.all()]


class FoundingIn(Schema):
    parent_id: Id
    proposed_name: Annotated[str, Text.of(FoundingApplication, "proposed_name")]
    grassroots_kind: Annotated[str, OneOf(GrassrootsKind)]
    enterprise_ids: Annotated[list[Id], Field(max_length=100)]
    chair_name: Annotated[str, Text.of(FoundingApplication, "chair_name")]
    initial_members: Count
    planned_on: Date
    note: Annotated[str, Text.of(FoundingApplication, "note")] = ""


class DecisionIn(Schema):
    approve: bool
    note: Annotated[str, Text.of(Decided, "decision_note")] = ""


class ScoreOut(Schema):
    item_id: int
    score: Decimal
    note: str


class HomeOut(Schema):
    id: int
    union_id: int
    assessed_on: datetime.date
    total_score: Decimal
    rating: str | None
    status: str
    scores: list[ScoreOut]

    @staticmethod
    def resolve_rating(obj: Any) -> str | None:
        return obj.rating.name if obj.rating else None

    @staticmethod
    def resolve_scores(obj: Any) -> list[Any]:
        return [{"item_id": s.item_id, "score": s.score, "note": s.note} for s in obj.scores.all()]


class BrandOut(Schema):
    id: int
    organization_id: int
    year: int
    title: str
    description: str
    score: Decimal | None
    score_note: str


class BrandScoreIn(Schema):
    score: Annotated[Decimal, Amount("0", "100", places=1)]
    note: Annotated[str, Text.of(BrandProject, "score_note")] = ""


class CoverageRow(Schema):
    organization_id: int | None
    label: str
    enterprises: int
    unionised: int
    unionisation_rate: Decimal | None
    employees: int
    members: int
    membership_rate: Decimal | None
    grassroots: int
    homes: int
    home_rate: Decimal | None

    @staticmethod
    def resolve_organization_id(obj: Any) -> int | None:
        return obj.org.pk if obj.org else None


class CoverageOut(CoverageRow):
    children: list[CoverageRow]


@router.get("/foundings", response=list[FoundingOut], summary="建会申请")
@paginate(Pages, page_size=50)
def list_foundings(request: HttpRequest, status: Search = "") -> Any:
    return selectors.founding_list(actor=staff_actor(request), status=status).prefetch_related(
        "enterprises"
    )


@router.post("/foundings", response={201: FoundingOut}, summary="申请建会")
def apply_founding(request: HttpRequest, payload: FoundingIn) -> Any:
    actor = staff_actor(request)
    data = payload.dict()
    parent = org_selectors.organization_get(actor=actor, id=data.pop("parent_id"))
    enterprises = [
        org_selectors.enterprise_get(actor=actor, id=e) for e in data.pop("enterprise_ids")
    ]
    return services.founding_apply(actor=actor, parent=parent, enterprises=enterprises, **data)


@router.get("/foundings/{founding_id}", response=FoundingOut, summary="建会申请详情")
def get_founding(request: HttpRequest, founding_id: Id) -> Any:
    return selectors.founding_get(actor=staff_actor(request), id=founding_id)


@router.post("/foundings/{founding_id}/decision", response=FoundingOut, summary="上级工会审批建会")
def decide_founding(request: HttpRequest, founding_id: Id, payload: DecisionIn) -> Any:
    actor = staff_actor(request)
    application = selectors.founding_get(actor=actor, id=founding_id)
    return services.founding_decide(
        actor=actor, application=application, approve=payload.approve, note=payload.note
    )


@router.get("/homes", response=list[HomeOut], summary="职工之家评定")
@paginate(Pages, page_size=50)
def list_homes(request: HttpRequest, status: Search = "") -> Any:
    return selectors.home_assessment_list(
        actor=staff_actor(request), status=status
    ).prefetch_related("scores")


@router.get("/homes/{assessment_id}", response=HomeOut, summary="评定详情")
def get_home(request: HttpRequest, assessment_id: Id) -> Any:
    return selectors.home_assessment_get(actor=staff_actor(request), id=assessment_id)


@router.post("/homes/{assessment_id}/decision", response=HomeOut, summary="审核认定")
def decide_home(request: HttpRequest, assessment_id: Id, payload: DecisionIn) -> Any:
    actor = staff_actor(request)
    assessment = selectors.home_assessment_get(actor=actor, id=assessment_id)
    return services.home_decide(
        actor=actor, assessment=assessment, approve=payload.approve, note=payload.note
    )


@router.get("/brands", response=list[BrandOut], summary="品牌项目")
@paginate(Pages, page_size=50)
def list_brands(request: HttpRequest, year: Year | None = None) -> Any:
    return selectors.brand_list(actor=staff_actor(request), year=year)


@router.get("/brands/{brand_id}", response=BrandOut, summary="品牌项目详情")
def get_brand(request: HttpRequest, brand_id: Id) -> Any:
    return selectors.brand_get(actor=staff_actor(request), id=brand_id)


@router.post("/brands/{brand_id}/score", response=BrandOut, summary="项目化考核打分")
def score_brand(request: HttpRequest, brand_id: Id, payload: BrandScoreIn) -> Any:
    actor = staff_actor(request)
    project = selectors.brand_get(actor=actor, id=brand_id)
    return services.brand_score(
        actor=actor, project=project, score=payload.score, note=payload.note
    )


@router.get(
    "/organizations/{org_id}/coverage", response=CoverageOut, summary="建会率、入会率、创建率"
)
def coverage(request: HttpRequest, org_id: Id) -> Any:
    actor = staff_actor(request)
    org = org_selectors.organization_get(actor=actor, id=org_id)
    return selectors.coverage_report(actor=actor, org=org)
