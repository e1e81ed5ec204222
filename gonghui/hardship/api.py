"""API of the hardship roll (staff only), with the same services as the console pages.
Sealed values (address, incomes, health, ID numbers) are masked; the reveal operation gives
one in full to a role that may see it, with a reason, and logs it."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gonghui.core.api import Date, Id, Money, OneOf, Pages, Search, Text, Year, staff_actor
from gonghui.core.models import AccessReason, Decided
from gonghui.core.scoping import NotFound
from gonghui.core.web import client_ip
from gonghui.hardship import selectors, services
from gonghui.hardship.models import (
    HomeVisit,
    Household,
    HouseholdStatus,
    Relation,
)
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["困难职工档案"])


def _masked(value: Any) -> str:
    return "" if value is None else value.masked()


class HardshipMemberOut(Schema):
    id: int
    name: str
    relation: str
    # Sealed values, masked (``/reveal`` gives one in full, logged).
    id_number_masked: str
    yearly_income_masked: str
    health_masked: str
    work_capacity: str
    in_school: str
    person_id: int | None

    @staticmethod
    def resolve_id_number_masked(obj: Any) -> str:
        return _masked(obj.id_number)

    @staticmethod
    def resolve_yearly_income_masked(obj: Any) -> str:
        return _masked(obj.yearly_income)

    @staticmethod
    def resolve_health_masked(obj: Any) -> str:
        return _masked(obj.health)


class HardshipHouseholdOut(Schema):
    id: int
    union_id: int
    person_id: int
    name: str
    status: str
    level: str | None
    causes: list[str]
    member_count: int
    per_capita_income_masked: str
    above_line: bool
    address_masked: str
    filed_on: datetime.date | None
    reviewed_on: datetime.date | None
    helped_on: datetime.date | None
    left_on: datetime.date | None
    left_reason: str
    decision_note: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.person.name)

    @staticmethod
    def resolve_level(obj: Any) -> str | None:
        return obj.level.code if obj.level_id else None

    @staticmethod
    def resolve_causes(obj: Any) -> list[str]:
        return [c.code for c in obj.causes.all()]

    @staticmethod
    def resolve_per_capita_income_masked(obj: Any) -> str:
        return _masked(obj.per_capita_income)

    @staticmethod
    def resolve_address_masked(obj: Any) -> str:
        return _masked(obj.address)


class HardshipVisitOut(Schema):
    id: int
    visited_on: datetime.date
    visitors: str
    findings: str
    photo_count: int

    @staticmethod
    def resolve_photo_count(obj: Any) -> int:
        return len(obj.photos.all())


class HardshipFilingOut(Schema):
    id: int
    household_id: int
    kind: str
    status: str
    created_by_id: int
    decided_by_id: int | None
    decision_note: str


class HardshipHouseholdDetailOut(HardshipHouseholdOut):
    members: list[HardshipMemberOut]
    visits: list[HardshipVisitOut]
    pending_filing_id: int | None

    @staticmethod
    def resolve_members(obj: Any) -> list[Any]:
        return list(selectors.member_list(household=obj))

    @staticmethod
    def resolve_visits(obj: Any) -> list[Any]:
        return list(selectors.visit_list(household=obj)[:100])

    @staticmethod
    def resolve_pending_filing_id(obj: Any) -> int | None:
        pending = selectors.filing_pending(household=obj)
        return pending.pk if pending else None


class HardshipHouseholdIn(Schema):
    union_id: Id
    name: Annotated[str, Text(50)]
    id_number: Annotated[str, Text(30)]
    mobile: Annotated[str, Text(20)] = ""
    address: Annotated[str, Text(200)]
    causes: Annotated[list[Annotated[str, Text(30)]], Field(min_length=1, max_length=20)]
    cause_note: Annotated[str, Text.of(Household, "cause_note")] = ""
    yearly_income: Money | None = None
    health: Annotated[str, Text(200)] = ""
    work_capacity: Annotated[str, OneOf(services.WORK_CAPACITIES)] = "full"


class HardshipHouseholdEditIn(Schema):
    address: Annotated[str, Text(200)] | None = None
    causes: Annotated[list[Annotated[str, Text(30)]], Field(min_length=1, max_length=20)]
    cause_note: Annotated[str, Text.of(Household, "cause_note")] = ""


class HardshipMemberIn(Schema):
    name: Annotated[str, Text(50)]
    relation: Annotated[str, OneOf(Relation)]
    id_number: Annotated[str, Text(30)]
    yearly_income: Money | None = None
    health: Annotated[str, Text(200)] = ""
    work_capacity: Annotated[str, OneOf(services.WORK_CAPACITIES)] = "full"
    in_school: Annotated[str, Text(20)] = ""


class HardshipMemberEditIn(Schema):
    """Sealed fields left out (``null``) keep their stored values."""

    name: Annotated[str, Text(50)]
    relation: Annotated[str, OneOf(Relation)]
    id_number: Annotated[str, Text(30)] | None = None
    yearly_income: Money | None = None
    health: Annotated[str, Text(200)] | None = None
    work_capacity: Annotated[str, OneOf(services.WORK_CAPACITIES)] = "full"
    in_school: Annotated[str, Text(20)] = ""


class HardshipVisitIn(Schema):
    visited_on: Date
    visitors: Annotated[str, Text.of(HomeVisit, "visitors")]
    findings: Annotated[str, Text.of(HomeVisit, "findings")]


class HardshipDecisionIn(Schema):
    approve: bool
    note: Annotated[str, Text.of(Decided, "decision_note")] = ""


class HardshipReviewIn(Schema):
    reviewed_on: Date
    note: Annotated[str, Text(300)] = ""
    visit: HardshipVisitIn | None = None


class HardshipLeaveIn(Schema):
    left_on: Date
    reason: Annotated[str, Text.of(Household, "left_reason")]


class HardshipReenterIn(Schema):
    note: Annotated[str, Text(300)] = ""


class HardshipRevealIn(Schema):
    field: Annotated[str, Text(30)]
    member_id: Id | None = None
    reason: Annotated[str, OneOf(AccessReason)]
    reason_note: Annotated[str, Text(200)] = ""


class HardshipRevealOut(Schema):
    field: str
    value: str


class HardshipIncomeLineIn(Schema):
    organization_id: Id
    year: Year
    level: Annotated[str, Text(30)]
    line: Money


class HardshipIncomeLineOut(Schema):
    id: int
    organization_id: int
    year: int
    level: str
    line: str
    set_by_id: int

    @staticmethod
    def resolve_level(obj: Any) -> str:
        return str(obj.level.code)

    @staticmethod
    def resolve_line(obj: Any) -> str:
        return f"{obj.line:.2f}"


class HardshipReviewCountsOut(Schema):
    stale: int
    unhelped: int
    above: int


def _household(request: HttpRequest, household_id: int) -> tuple[Any, Any]:
    actor = staff_actor(request)
    return actor, selectors.household_get(actor=actor, id=household_id)


def _detail(actor: Any, household: Any) -> Any:
    return selectors.household_get(actor=actor, id=household.pk)


def _within(actor: Any, org_id: int | None) -> Any:
    if org_id is None:
        return None
    return org_selectors.organization_get(actor=actor, id=org_id)


# --- the roll ----------------------------------------------------------------------------


@router.get(
    "/households", response=list[HardshipHouseholdOut], summary="困难职工档案（按条件筛选）"
)
@paginate(Pages, page_size=100)
def list_households(
    request: HttpRequest,
    q: Search = "",
    org_id: Id | None = None,
    status: Annotated[str, OneOf(HouseholdStatus, blank=True)] = "",
    level: Annotated[str, Text(30)] = "",
    cause: Annotated[str, Text(30)] = "",
    review: Annotated[str, OneOf(selectors.REVIEW_LISTS, blank=True)] = "",
) -> Any:
    actor = staff_actor(request)
    return selectors.household_list(
        actor=actor,
        within=_within(actor, org_id),
        status=status,
        level=level,
        cause=cause,
        q=q,
        review=review,
    ).prefetch_related("causes")


@router.get(
    "/households/review-counts",
    response=HardshipReviewCountsOut,
    summary="一年未更新、建档未帮扶、应退出的户数",
)
def review_counts(request: HttpRequest, org_id: Id | None = None) -> Any:
    actor = staff_actor(request)
    return selectors.review_counts(actor=actor, within=_within(actor, org_id))


@router.post("/households", response={201: HardshipHouseholdDetailOut}, summary="建立困难职工档案")
def file_household(request: HttpRequest, payload: HardshipHouseholdIn) -> Any:
    actor = staff_actor(request)
    union = selectors.filing_union_list(actor=actor).filter(pk=payload.union_id).first()
    if union is None:
        if not org_selectors.organization_list(actor=actor).filter(pk=payload.union_id).exists():
            raise NotFound
        raise ValidationError({"union": ["困难职工档案由基层工会或镇（街道）总工会建立。"]})
    data = payload.dict()
    data.pop("union_id")
    if data["yearly_income"] is None:
        data["yearly_income"] = "0"
    household = services.household_file(actor=actor, union=union, **data)
    return Status(201, _detail(actor, household))


@router.get("/households/{household_id}", response=HardshipHouseholdDetailOut, summary="档案详情")
def get_household(request: HttpRequest, household_id: Id) -> Any:
    return _household(request, household_id)[1]


@router.put("/households/{household_id}", response=HardshipHouseholdDetailOut, summary="修改档案")
def edit_household(request: HttpRequest, household_id: Id, payload: HardshipHouseholdEditIn) -> Any:
    actor, household = _household(request, household_id)
    services.household_update(actor=actor, household=household, **payload.dict())
    return _detail(actor, household)


@router.post(
    "/households/{household_id}/members", response={201: HardshipMemberOut}, summary="添加家庭成员"
)
def add_member(request: HttpRequest, household_id: Id, payload: HardshipMemberIn) -> Any:
    actor, household = _household(request, household_id)
    data = payload.dict()
    if data["yearly_income"] is None:
        data["yearly_income"] = "0"
    member = services.member_add(
        actor=actor, household=household, data=services.MemberInput(**data)
    )
    return Status(201, member)


@router.put(
    "/households/{household_id}/members/{member_id}",
    response=HardshipMemberOut,
    summary="修改家庭成员（未提供的加密字段保持不变）",
)
def edit_member(
    request: HttpRequest, household_id: Id, member_id: Id, payload: HardshipMemberEditIn
) -> Any:
    actor, household = _household(request, household_id)
    member = selectors.member_get(household=household, id=member_id)
    return services.member_update(
        actor=actor, member=member, data=services.MemberInput(**payload.dict())
    )


@router.delete(
    "/households/{household_id}/members/{member_id}", response={204: None}, summary="移除家庭成员"
)
def remove_member(request: HttpRequest, household_id: Id, member_id: Id) -> Any:
    actor, household = _household(request, household_id)
    member = selectors.member_get(household=household, id=member_id)
    services.member_remove(actor=actor, member=member)
    return Status(204, None)


@router.post(
    "/households/{household_id}/visits", response={201: HardshipVisitOut}, summary="登记入户核查"
)
def record_visit(request: HttpRequest, household_id: Id, payload: HardshipVisitIn) -> Any:
    actor, household = _household(request, household_id)
    visit = services.visit_record(
        actor=actor,
        household=household,
        data=services.VisitInput(payload.visited_on, payload.visitors, payload.findings),
    )
    return Status(201, visit)


@router.post(
    "/households/{household_id}/visits/{visit_id}/photos",
    response={201: HardshipVisitOut},
    summary="上传入户核查照片（JPG 或 PNG，5 MB 以内）",
)
def add_photo(
    request: HttpRequest,
    household_id: Id,
    visit_id: Id,
    file: UploadedFile = File(...),  # noqa: B008
) -> Any:
    actor, household = _household(request, household_id)
    visit = selectors.visit_get(household=household, id=visit_id)
    services.visit_photo_add(actor=actor, visit=visit, upload=file)
    return Status(201, selectors.visit_get(household=household, id=visit_id))


@router.post(
    "/households/{household_id}/submit", response=HardshipFilingOut, summary="提交上级审批"
)
def submit_household(request: HttpRequest, household_id: Id) -> Any:
    actor, household = _household(request, household_id)
    return services.household_submit(actor=actor, household=household)


@router.post(
    "/filings/{filing_id}/decision",
    response=HardshipFilingOut,
    summary="审批困难职工档案（建档工会的上一级，非提交人）",
)
def decide_filing(request: HttpRequest, filing_id: Id, payload: HardshipDecisionIn) -> Any:
    actor = staff_actor(request)
    filing = selectors.filing_get(actor=actor, id=filing_id)
    return services.household_decide(
        actor=actor, filing=filing, approve=payload.approve, note=payload.note
    )


@router.post(
    "/households/{household_id}/review", response=HardshipHouseholdDetailOut, summary="年度核查"
)
def review_household(request: HttpRequest, household_id: Id, payload: HardshipReviewIn) -> Any:
    actor, household = _household(request, household_id)
    visit = None
    if payload.visit is not None:
        v = payload.visit
        visit = services.VisitInput(v.visited_on, v.visitors, v.findings)
    services.household_review(
        actor=actor,
        household=household,
        reviewed_on=payload.reviewed_on,
        note=payload.note,
        visit=visit,
    )
    return _detail(actor, household)


@router.post(
    "/households/{household_id}/leave", response=HardshipHouseholdDetailOut, summary="退出档案"
)
def leave_household(request: HttpRequest, household_id: Id, payload: HardshipLeaveIn) -> Any:
    actor, household = _household(request, household_id)
    services.household_leave(actor=actor, household=household, **payload.dict())
    return _detail(actor, household)


@router.post(
    "/households/{household_id}/reenter",
    response=HardshipFilingOut,
    summary="申请重新纳入（须再次审批）",
)
def reenter_household(request: HttpRequest, household_id: Id, payload: HardshipReenterIn) -> Any:
    actor, household = _household(request, household_id)
    return services.household_reenter(actor=actor, household=household, note=payload.note)


@router.post(
    "/households/{household_id}/reveal",
    response=HardshipRevealOut,
    summary="查看完整个人信息（住址、收入、健康状况、身份证号；记录日志）",
)
def reveal(request: HttpRequest, household_id: Id, payload: HardshipRevealIn) -> Any:
    actor, household = _household(request, household_id)
    member = None
    if payload.member_id is not None:
        member = selectors.member_get(household=household, id=payload.member_id)
    value = services.household_reveal(
        actor=actor,
        household=household,
        member=member,
        field=payload.field,
        reason=payload.reason,
        reason_note=payload.reason_note,
        ip_address=client_ip(request),
    )
    return {"field": payload.field, "value": value}


# --- income lines ------------------------------------------------------------------------


@router.get("/income-lines", response=list[HardshipIncomeLineOut], summary="困难职工认定标准")
@paginate(Pages, page_size=100)
def list_income_lines(request: HttpRequest) -> Any:
    return selectors.income_line_list(actor=staff_actor(request))


@router.post(
    "/income-lines",
    response=HardshipIncomeLineOut,
    summary="设定某年某等级的人均年收入标准（市总工会管理员；重新核定全市档案等级）",
)
def set_income_line(request: HttpRequest, payload: HardshipIncomeLineIn) -> Any:
    actor = staff_actor(request)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    level = selectors.level_list().filter(code=payload.level).first()
    if level is None:
        raise ValidationError({"level": ["困难等级不存在，请从困难等级中选择。"]})
    return services.income_line_set(
        actor=actor, organization=organization, year=payload.year, level=level, line=payload.line
    )
