"""API for casework: the worker's own cases and counselling bookings (``/api/me/...``) and the
staff queues and transitions. Same selectors and services as the pages."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gonghui.casework import selectors
from gonghui.casework.models import (
    Case,
    CaseEvent,
    Channel,
    LegalAid,
    LegalAidOutcome,
)
from gonghui.casework.services import cases as cases_services
from gonghui.casework.services import counselling as counselling_services
from gonghui.casework.services import legal_aid as legal_aid_services
from gonghui.casework.services import materials as materials_services
from gonghui.core.api import (
    Id,
    IdempotencyKey,
    Money,
    OneOf,
    Pages,
    Search,
    Text,
    staff_actor,
    worker_actor,
)
from gonghui.members.models import Person
from gonghui.organizations.models import ServiceType

router = Router(tags=["职工服务（工作人员）"])
worker_router = Router(tags=["职工：服务事项"])


class CaseOut(Schema):
    id: int
    number: str
    service_type: str
    channel: str
    title: str
    description: str
    state: str
    state_label: str
    handler_id: int
    handler_name: str
    tier: str
    person_name: str
    created_at: datetime.datetime
    response_due: datetime.datetime
    resolution_due: datetime.datetime
    next_deadline: datetime.datetime | None
    resolution: str
    reject_reason: str
    rating: int | None
    rating_comment: str
    visits: int
    escalations: int

    @staticmethod
    def resolve_service_type(obj: Case) -> str:
        return obj.service_type.code

    @staticmethod
    def resolve_state_label(obj: Case) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_handler_name(obj: Case) -> str:
        return obj.handler.name

    @staticmethod
    def resolve_person_name(obj: Case) -> str:
        return obj.applicant_name


class EventOut(Schema):
    kind: str
    kind_label: str
    at: datetime.datetime
    from_org: str | None
    to_org: str | None
    note: str

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_from_org(obj: Any) -> str | None:
        return obj.from_org.name if obj.from_org_id else None

    @staticmethod
    def resolve_to_org(obj: Any) -> str | None:
        return obj.to_org.name if obj.to_org_id else None


class CaseDetailOut(CaseOut):
    timeline: list[EventOut]
    deadline_provisional: bool = Field(
        description="A running deadline (the response deadline before acceptance, the "
        "resolution deadline while open) was counted Monday to Friday over days of a year whose "
        "official holiday schedule is not entered yet; it is recounted when the schedule is "
        "entered (待官方节假日安排公布后重算)."
    )


class MaterialOut(Schema):
    id: int
    name: str
    size: int
    content_type: str


def _detail(case: Case, *, public_only: bool) -> Case:
    """The case with its timeline attached, for ``CaseDetailOut``."""
    case.timeline = list(  # type: ignore[attr-defined]
        selectors.case_timeline(case=case, public_only=public_only)
    )
    case.deadline_provisional = selectors.case_deadline_status(  # type: ignore[attr-defined]
        case=case
    ).provisional
    return case


# --- the worker's own ---------------------------------------------------------------------------


class CaseIn(Schema):
    service_type: Search
    title: Annotated[str, Text.of(Case, "title")]
    description: Annotated[str, Text.of(Case, "description")]
    place_id: Id | None = None
    idempotency_key: IdempotencyKey = ""


class ConfirmIn(Schema):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, Text(300, multiline=True)] = ""


class WithdrawIn(Schema):
    reason: Annotated[str, Text(300, multiline=True)] = ""


class SlotOut(Schema):
    id: int
    counsellor: str
    organization: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    case_id: int | None

    @staticmethod
    def resolve_counsellor(obj: Any) -> str:
        return obj.counsellor.name

    @staticmethod
    def resolve_organization(obj: Any) -> str:
        return obj.counsellor.organization.name


class BookIn(Schema):
    topic: Annotated[str, Text(100)]
    idempotency_key: IdempotencyKey = ""


def _my_case(request: HttpRequest, case_id: Id) -> tuple[Any, Case]:
    user = worker_actor(request)
    return user, selectors.case_get(actor=user, id=case_id)


def _service_type(code: str) -> ServiceType:
    found = selectors.service_type_by_code(code, active_only=True)
    if found is None:
        raise ValidationError({"service_type": [_("没有这个服务类型。")]})
    return found


@worker_router.get("", response=list[CaseOut], summary="我的服务事项")
def my_cases(request: HttpRequest) -> Any:
    user = worker_actor(request)
    return selectors.person_cases(person_id=user.person_id).select_related("person")


@worker_router.post("", response={201: CaseDetailOut, 200: CaseDetailOut}, summary="我要求助")
def open_case(request: HttpRequest, payload: CaseIn) -> Any:
    user = worker_actor(request)
    place = None
    if payload.place_id is not None:
        place = selectors.service_place_open_get(id=payload.place_id)
        if place is None:
            raise ValidationError({"place_id": [_("没有这个服务站（点）。")]})
    key = payload.idempotency_key
    before = selectors.case_opened_with_key(actor=user, key=key)
    case = cases_services.case_open(
        actor=user,
        person=user.person,
        service_type=_service_type(payload.service_type),
        title=payload.title,
        description=payload.description,
        place=place,
        idempotency_key=key,
    )
    return Status(200 if before else 201, _detail(case, public_only=True))


@worker_router.get("/{case_id}", response=CaseDetailOut, summary="服务事项详情和进度")
def my_case(request: HttpRequest, case_id: Id) -> Any:
    _user, case = _my_case(request, case_id)
    return _detail(case, public_only=True)


@worker_router.post("/{case_id}/withdraw", response=CaseDetailOut, summary="撤回")
def withdraw(request: HttpRequest, case_id: Id, payload: WithdrawIn) -> Any:
    user, case = _my_case(request, case_id)
    case = cases_services.case_withdraw(actor=user, case=case, reason=payload.reason)
    return _detail(case, public_only=True)


@worker_router.post("/{case_id}/confirm", response=CaseDetailOut, summary="确认结果并评价")
def confirm(request: HttpRequest, case_id: Id, payload: ConfirmIn) -> Any:
    user, case = _my_case(request, case_id)
    case = cases_services.case_confirm(
        actor=user, case=case, rating=payload.rating, comment=payload.comment
    )
    return _detail(case, public_only=True)


@worker_router.post("/{case_id}/materials", response={201: MaterialOut}, summary="补充材料")
def add_material(request: HttpRequest, case_id: Id, file: UploadedFile = File(...)) -> Any:  # noqa: B008
    user, case = _my_case(request, case_id)
    return Status(201, materials_services.case_material_add(actor=user, case=case, upload=file))


counselling_router = Router(tags=["职工：心理咨询"])


@counselling_router.get("/slots", response=list[SlotOut], summary="可预约的心理咨询时段")
def open_slots(request: HttpRequest) -> Any:
    worker_actor(request)
    return selectors.open_slots()[:200]


@counselling_router.get("/bookings", response=list[SlotOut], summary="我的预约")
def my_bookings(request: HttpRequest) -> Any:
    user = worker_actor(request)
    return selectors.person_slots(person_id=user.person_id)


@counselling_router.post("/slots/{slot_id}/book", response=SlotOut, summary="预约心理咨询")
def book(request: HttpRequest, slot_id: Id, payload: BookIn) -> Any:
    user = worker_actor(request)
    slot = selectors.open_slot_get(id=slot_id)
    return counselling_services.slot_book(
        actor=user, slot=slot, topic=payload.topic, idempotency_key=payload.idempotency_key
    )


@counselling_router.post("/bookings/{slot_id}/cancel", response=SlotOut, summary="取消预约")
def cancel(request: HttpRequest, slot_id: Id) -> Any:
    user = worker_actor(request)
    slot = selectors.person_slot_get(person_id=user.person_id, id=slot_id)
    return counselling_services.slot_cancel(actor=user, slot=slot)


# --- staff ----------------------------------------------------------------------------------------


class CounterCaseIn(Schema):
    channel: Annotated[str, OneOf([Channel.COUNTER, Channel.HOTLINE])]
    id_number: Annotated[str, Text(30)]
    name: Annotated[str, Text.of(Person, "name")]
    mobile: Annotated[str, Text(30)] = ""
    service_type: Search
    title: Annotated[str, Text.of(Case, "title")]
    description: Annotated[str, Text.of(Case, "description")]
    idempotency_key: IdempotencyKey = ""


class ReasonIn(Schema):
    reason: Annotated[str, Text(300, multiline=True)]


class ReferIn(Schema):
    to_org_id: Id
    reason: Annotated[str, Text(300, multiline=True)]


class ResolveIn(Schema):
    resolution: Annotated[str, Text.of(Case, "resolution")]


class NoteIn(Schema):
    note: Annotated[str, Text.of(CaseEvent, "note")]
    public: bool = False


class AssignIn(Schema):
    case_ids: Annotated[list[Id], Field(min_length=1, max_length=500)]
    assignee_id: Id


class LegalOutcomeIn(Schema):
    outcome: Annotated[str, OneOf(LegalAidOutcome)]
    note: Annotated[str, Text.of(LegalAid, "outcome_note")] = ""
    recovered_amount: Money | None = None


class FiguresOut(Schema):
    organization: str
    month: str
    total: int
    by_type: list[dict[str, Any]]
    response_on_time: float | None
    resolution_on_time: float | None
    escalated_cases: int
    escalations: int
    satisfaction: float | None
    one_trip: float | None


def _case(request: HttpRequest, case_id: Id) -> tuple[Any, Case]:
    actor = staff_actor(request)
    return actor, selectors.case_get(actor=actor, id=case_id)


@router.get("/cases", response=list[CaseOut], summary="服务事项队列")
@paginate(Pages, page_size=50)
def list_cases(
    request: HttpRequest, queue: Search = "handling", service_type: Search = "", state: Search = ""
) -> Any:
    actor = staff_actor(request)
    if queue not in selectors.QUEUES:
        raise ValidationError({"queue": [_("没有这个队列。")]})
    kind = selectors.service_type_by_code(service_type)
    return selectors.case_list(actor=actor, queue=queue, service_type=kind, state=state)


@router.post("/cases", response={201: CaseDetailOut}, summary="窗口或热线登记服务事项")
def open_counter_case(request: HttpRequest, payload: CounterCaseIn) -> Any:
    actor = staff_actor(request)
    case = cases_services.case_open_at_counter(
        actor=actor,
        id_number=payload.id_number,
        name=payload.name,
        mobile=payload.mobile,
        service_type=_service_type(payload.service_type),
        title=payload.title,
        description=payload.description,
        channel=payload.channel,
        idempotency_key=payload.idempotency_key,
    )
    return Status(201, _detail(case, public_only=False))


@router.get("/cases/figures", response=FiguresOut, summary="服务统计（按组织和月份）")
def figures(request: HttpRequest, month: Search = "", org_id: Id | None = None) -> Any:
    """``month`` as YYYY-MM, this month when omitted; ``org_id`` defaults to one's own."""
    actor = staff_actor(request)
    organization = selectors.figures_organization(actor=actor, id=org_id)
    try:
        if month:
            year, mon = (int(p) for p in month.split("-", 1))
            if not 2000 <= year <= 2099:
                raise ValueError(month)
            first = datetime.date(year, mon, 1)
        else:
            first = timezone.localdate().replace(day=1)
    except (ValueError, TypeError):
        raise ValidationError({"month": [_("月份格式为 YYYY-MM。")]}) from None
    f = selectors.case_figures(actor=actor, organization=organization, month=first)
    return {
        "organization": organization.name,
        "month": f"{first:%Y-%m}",
        "total": f.total,
        "by_type": f.by_type,
        "response_on_time": f.response_on_time,
        "resolution_on_time": f.resolution_on_time,
        "escalated_cases": f.escalated_cases,
        "escalations": f.escalations,
        "satisfaction": f.satisfaction,
        "one_trip": f.one_trip,
    }


@router.post("/cases/assign", response=dict[str, int], summary="批量分派")
def assign(request: HttpRequest, payload: AssignIn) -> Any:
    actor = staff_actor(request)
    cases = [selectors.case_get(actor=actor, id=i) for i in payload.case_ids]
    assignee = selectors.organization_staff(actor=actor).filter(pk=payload.assignee_id).first()
    if assignee is None:
        raise ValidationError({"assignee_id": [_("经办人必须是本单位在职的工作人员。")]})
    return {"assigned": cases_services.case_assign(actor=actor, cases=cases, assignee=assignee)}


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="服务事项详情")
def get_case(request: HttpRequest, case_id: Id) -> Any:
    _actor, case = _case(request, case_id)
    return _detail(case, public_only=False)


@router.post("/cases/{case_id}/accept", response=CaseDetailOut, summary="受理")
def accept(request: HttpRequest, case_id: Id) -> Any:
    actor, case = _case(request, case_id)
    return _detail(cases_services.case_accept(actor=actor, case=case), public_only=False)


@router.post("/cases/{case_id}/refer", response=CaseDetailOut, summary="转办")
def refer(request: HttpRequest, case_id: Id, payload: ReferIn) -> Any:
    actor, case = _case(request, case_id)
    to_org = selectors.referral_target_get(id=payload.to_org_id)
    if to_org is None:
        raise ValidationError({"to_org_id": [_("没有这个组织。")]})
    case = cases_services.case_refer(actor=actor, case=case, to_org=to_org, reason=payload.reason)
    return _detail(case, public_only=False)


@router.post("/cases/{case_id}/escalate", response=CaseDetailOut, summary="上报上级")
def escalate(request: HttpRequest, case_id: Id, payload: ReasonIn) -> Any:
    actor, case = _case(request, case_id)
    case = cases_services.case_escalate(actor=actor, case=case, reason=payload.reason)
    return _detail(case, public_only=False)


@router.post("/cases/{case_id}/resolve", response=CaseDetailOut, summary="办结")
def resolve(request: HttpRequest, case_id: Id, payload: ResolveIn) -> Any:
    actor, case = _case(request, case_id)
    case = cases_services.case_resolve(actor=actor, case=case, resolution=payload.resolution)
    return _detail(case, public_only=False)


@router.post("/cases/{case_id}/reject", response=CaseDetailOut, summary="不予受理")
def reject(request: HttpRequest, case_id: Id, payload: ReasonIn) -> Any:
    actor, case = _case(request, case_id)
    case = cases_services.case_reject(actor=actor, case=case, reason=payload.reason)
    return _detail(case, public_only=False)


@router.post("/cases/{case_id}/notes", response=CaseDetailOut, summary="办理记录")
def note(request: HttpRequest, case_id: Id, payload: NoteIn) -> Any:
    actor, case = _case(request, case_id)
    case = cases_services.case_note(
        actor=actor, case=case, note=payload.note, public=payload.public
    )
    return _detail(case, public_only=False)


@router.post("/cases/{case_id}/visits", response=CaseDetailOut, summary="记录职工到场")
def visit(request: HttpRequest, case_id: Id, payload: WithdrawIn) -> Any:
    actor, case = _case(request, case_id)
    case = cases_services.case_visit_record(actor=actor, case=case, note=payload.reason)
    return _detail(case, public_only=False)


@router.post("/cases/{case_id}/legal-aid/outcome", response=dict[str, str], summary="援助结果")
def legal_outcome(request: HttpRequest, case_id: Id, payload: LegalOutcomeIn) -> Any:
    actor, case = _case(request, case_id)
    aid = legal_aid_services.legal_aid_record_outcome(
        actor=actor,
        case=case,
        outcome=payload.outcome,
        note=payload.note,
        recovered_amount=payload.recovered_amount,
    )
    return {"outcome": aid.outcome}
