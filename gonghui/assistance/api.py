"""API for the five helps: programmes, rounds, applications, their review, the proposals
from the hardship files and the figures (staff); the worker's rounds and applications. The
same selectors and services as the pages."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from gonghui.assistance import rules, selectors, services
from gonghui.assistance.models import (
    TIER_KINDS,
    Application,
    ApplicationStatus,
    Beneficiary,
    HelpKind,
    Programme,
    Round,
)
from gonghui.core.api import Date, Id, OneOf, Pages, Text, Year, staff_actor, worker_actor
from gonghui.core.models import Decided
from gonghui.funds import selectors as funds_selectors
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["五助帮扶"])
worker_router = Router(tags=["职工：五助帮扶"])


class ProgrammeOut(Schema):
    id: int
    organization_id: int
    kind: str
    name: str
    description: str
    active: bool


class ProgrammeIn(Schema):
    organization_id: Id
    kind: Annotated[str, OneOf(HelpKind)]
    name: Annotated[str, Text.of(Programme, "name")]
    description: Annotated[str, Text.of(Programme, "description")] = ""


class RoundOut(Schema):
    id: int
    programme_id: int
    name: str
    year: int
    opens_on: datetime.date
    closes_on: datetime.date
    tiers: list[str]
    once_per_household: bool
    documents_required: bool
    rules: dict[str, Any]
    amounts: dict[str, Any]
    fund_ids: list[int]

    @staticmethod
    def resolve_tiers(obj: Any) -> list[str]:
        return list(obj.tier_list)

    @staticmethod
    def resolve_fund_ids(obj: Any) -> list[int]:
        return sorted(obj.funds.values_list("pk", flat=True))


class RoundIn(Schema):
    name: Annotated[str, Text.of(Round, "name")]
    year: Year
    opens_on: Date
    closes_on: Date
    tiers: Annotated[list[Annotated[str, OneOf(TIER_KINDS)]], Field(min_length=1, max_length=4)]
    fund_ids: Annotated[list[Id], Field(min_length=1, max_length=20)]
    rules: dict[str, Any] = Field(default_factory=dict)
    amounts: dict[str, Any]
    once_per_household: bool = False
    documents_required: bool = False
    documents_hint: Annotated[str, Text.of(Round, "documents_hint")] = ""


class ApplicationOut(Schema):
    id: int
    round_id: int
    person_id: int
    union_id: int
    household_id: int | None
    channel: str
    beneficiary: str
    beneficiary_name: str
    school: str
    facts: dict[str, Any]
    amount: Decimal
    status: str
    tiers: list[str]
    waiting_at_id: int | None
    bank_card: str
    decision_note: str
    created_at: datetime.datetime
    payment_status: str

    @staticmethod
    def resolve_tiers(obj: Any) -> list[str]:
        return list(obj.tier_list)

    @staticmethod
    def resolve_bank_card(obj: Any) -> str:
        return obj.bank_card.masked() if obj.bank_card else ""

    @staticmethod
    def resolve_payment_status(obj: Any) -> str:
        item = selectors.payments_of([obj.pk]).get(obj.pk)
        return str(item.status) if item is not None else ""


class DeclaredIn(Schema):
    beneficiary: Annotated[str, OneOf(Beneficiary)] = Beneficiary.SELF
    beneficiary_name: Annotated[str, Text.of(Application, "beneficiary_name")]
    school: Annotated[str, Text.of(Application, "school")] = ""
    education_level: Annotated[str, OneOf([c for c, _l in rules.EDUCATION_LEVELS], blank=True)] = ""
    admission_year: Annotated[int, Field(ge=1990, le=2099)] | None = None
    condition: Annotated[str, OneOf([c for c, _l in rules.CONDITIONS], blank=True)] = ""
    note: Annotated[str, Text.of(Application, "note")] = ""
    account_holder: Annotated[str, Text.of(Application, "account_holder")] = ""
    bank_name: Annotated[str, Text.of(Application, "bank_name")] = ""
    bank_card: Annotated[str, Text(30)] = ""

    def declared(self) -> services.Declared:
        return services.Declared(
            beneficiary=self.beneficiary,
            beneficiary_name=self.beneficiary_name,
            school=self.school,
            education_level=self.education_level,
            admission_year=self.admission_year,
            condition=self.condition,
            note=self.note,
        )


class ClerkApplicationIn(DeclaredIn):
    round_id: Id
    id_number: Annotated[str, Text(18)]


class DecisionIn(Schema):
    approve: bool
    note: Annotated[str, Text.of(Decided, "decision_note")] = ""


class BulkApproveIn(Schema):
    application_ids: Annotated[list[Id], Field(min_length=1, max_length=services.MAX_BULK)]
    note: Annotated[str, Text.of(Decided, "decision_note")] = ""


class BulkProblemOut(Schema):
    application_id: int
    message: str


class BulkApproveOut(Schema):
    approved: list[int]
    problems: list[BulkProblemOut]


class ProposalOut(Schema):
    household_id: int
    person_id: int
    name: str
    union_id: int
    union_name: str
    level: str
    amount: Decimal | None
    complete: bool
    missing: list[str]


class ProposalsIn(Schema):
    organization_id: Id
    household_ids: Annotated[list[Id], Field(min_length=1, max_length=services.MAX_BULK)]


class MadeOut(Schema):
    created: int


class FigureOut(Schema):
    key: str
    label: str
    unit: str
    value: Decimal


class SourceFiguresOut(Schema):
    code: str
    label: str
    raised: Decimal
    paid: Decimal


class AssistanceFiguresOut(Schema):
    year: int
    organization_id: int
    figures: list[FigureOut]
    by_source: list[SourceFiguresOut]


class OpenRoundOut(Schema):
    round: RoundOut
    may_apply: bool
    reasons: list[str]
    application_id: int | None


# --- programmes and rounds ------------------------------------------------------------------


@router.get("/programmes", response=list[ProgrammeOut], summary="帮扶项目")
@paginate(Pages, page_size=50)
def list_programmes(
    request: HttpRequest, kind: Annotated[str, OneOf(HelpKind, blank=True)] = ""
) -> Any:
    return selectors.programme_list(actor=staff_actor(request), kind=kind)


@router.post("/programmes", response={201: ProgrammeOut}, summary="建立帮扶项目")
def create_programme(request: HttpRequest, payload: ProgrammeIn) -> Any:
    actor = staff_actor(request)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    return services.programme_create(
        actor=actor,
        organization=organization,
        kind=payload.kind,
        name=payload.name,
        description=payload.description,
    )


@router.get("/programmes/{programme_id}/rounds", response=list[RoundOut], summary="项目的批次")
def list_rounds(request: HttpRequest, programme_id: Id) -> Any:
    actor = staff_actor(request)
    programme = selectors.programme_get(actor=actor, id=programme_id)
    return list(selectors.round_list(actor=actor, programme=programme)[:200])


def _funds(actor: Any, ids: list[int]) -> list[Any]:
    found = list(funds_selectors.fund_list(actor=actor).filter(pk__in=set(ids)))
    if len(found) != len(set(ids)):
        from gonghui.core.scoping import NotFound

        raise NotFound
    return found


@router.post("/programmes/{programme_id}/rounds", response={201: RoundOut}, summary="设立批次")
def create_round(request: HttpRequest, programme_id: Id, payload: RoundIn) -> Any:
    actor = staff_actor(request)
    programme = selectors.programme_get(actor=actor, id=programme_id)
    return _round_save(actor, programme, None, payload)


def _round_save(actor: Any, programme: Any, round: Any, payload: RoundIn) -> Any:
    return services.round_save(
        actor=actor,
        programme=programme,
        round=round,
        name=payload.name,
        year=payload.year,
        opens_on=payload.opens_on,
        closes_on=payload.closes_on,
        tiers=payload.tiers,
        rules_data=payload.rules,
        amounts=payload.amounts,
        funds=_funds(actor, payload.fund_ids),
        once_per_household=payload.once_per_household,
        documents_required=payload.documents_required,
        documents_hint=payload.documents_hint,
    )


@router.get("/rounds/{round_id}", response=RoundOut, summary="批次详情")
def get_round(request: HttpRequest, round_id: Id) -> Any:
    return selectors.round_get(actor=staff_actor(request), id=round_id)


@router.put("/rounds/{round_id}", response=RoundOut, summary="修改批次")
def update_round(request: HttpRequest, round_id: Id, payload: RoundIn) -> Any:
    actor = staff_actor(request)
    round = selectors.round_get(actor=actor, id=round_id)
    return _round_save(actor, round.programme, round, payload)


# --- applications ---------------------------------------------------------------------------


@router.get("/applications", response=list[ApplicationOut], summary="帮扶申请（可按层级筛选）")
@paginate(Pages, page_size=100)
def list_applications(
    request: HttpRequest,
    round_id: Id | None = None,
    status: Annotated[str, OneOf(ApplicationStatus, blank=True)] = "",
    tier: Annotated[str, OneOf(TIER_KINDS, blank=True)] = "",
    mine: bool = False,
) -> Any:
    actor = staff_actor(request)
    round = selectors.round_get(actor=actor, id=round_id) if round_id else None
    return selectors.application_list(
        actor=actor, round=round, status=status, tier=tier, mine=mine
    ).order_by("created_at", "pk")


@router.post("/applications", response={201: ApplicationOut}, summary="代职工登记申请")
def create_application(request: HttpRequest, payload: ClerkApplicationIn) -> Any:
    actor = staff_actor(request)
    round = selectors.round_get(actor=actor, id=payload.round_id)
    person = selectors.applicant_lookup(actor=actor, id_number=payload.id_number)
    if person is None:
        raise ValidationError(
            {"id_number": ["本单位没有该身份证号的会员或困难职工档案，请先登记。"]}
        )
    return services.application_create(
        actor=actor,
        round=round,
        person=person,
        declared=payload.declared(),
        account_holder=payload.account_holder,
        bank_name=payload.bank_name,
        bank_card=payload.bank_card,
    )


@router.post(
    "/applications/bulk-approve", response=BulkApproveOut, summary="批量批准本级待审核申请"
)
def bulk_approve(request: HttpRequest, payload: BulkApproveIn) -> Any:
    actor = staff_actor(request)
    applications = selectors.applications_get(actor=actor, ids=payload.application_ids)
    result = services.application_bulk_approve(
        actor=actor, applications=applications, reason=payload.note
    )
    return {
        "approved": result.done,
        "problems": [{"application_id": a.pk, "message": m} for a, m in result.problems],
    }


@router.get("/applications/{application_id}", response=ApplicationOut, summary="申请详情")
def get_application(request: HttpRequest, application_id: Id) -> Any:
    return selectors.application_get(actor=staff_actor(request), id=application_id)


@router.post(
    "/applications/{application_id}/decision",
    response=ApplicationOut,
    summary="审核申请（按批次的层级依次，非登记人）",
)
def decide_application(request: HttpRequest, application_id: Id, payload: DecisionIn) -> Any:
    actor = staff_actor(request)
    application = selectors.application_get(actor=actor, id=application_id)
    return services.application_decide(
        actor=actor, application=application, approve=payload.approve, reason=payload.note
    )


# --- proposals ------------------------------------------------------------------------------


@router.get(
    "/rounds/{round_id}/proposals",
    response=list[ProposalOut],
    summary="困难档案推荐名单（符合条件、尚未申请）",
)
@paginate(Pages, page_size=100)
def list_proposals(request: HttpRequest, round_id: Id, org: Id | None = None) -> Any:
    actor = staff_actor(request)
    round = selectors.round_get(actor=actor, id=round_id)
    organization = (
        org_selectors.organization_get(actor=actor, id=org) if org else actor.organization
    )
    return selectors.proposal_list(actor=actor, round=round, organization=organization)


@router.post(
    "/rounds/{round_id}/proposals", response={201: MadeOut}, summary="将推荐名单批量登记为申请"
)
def enter_proposals(request: HttpRequest, round_id: Id, payload: ProposalsIn) -> Any:
    actor = staff_actor(request)
    round = selectors.round_get(actor=actor, id=round_id)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    made = services.applications_from_proposals(
        actor=actor, round=round, organization=organization, household_ids=payload.household_ids
    )
    return {"created": made}


# --- figures --------------------------------------------------------------------------------


@router.get(
    "/figures", response=AssistanceFiguresOut, summary="帮扶相关统计（按年度和组织，含下级）"
)
def figures(request: HttpRequest, year: Year | None = None, org: Id | None = None) -> Any:
    """``year``: this year when not given; ``org``: the actor's own organisation."""
    actor = staff_actor(request)
    if year is None:
        from django.utils import timezone

        year = timezone.localdate().year
    organization = (
        org_selectors.organization_get(actor=actor, id=org) if org else actor.organization
    )
    found = selectors.assistance_figures(actor=actor, organization=organization, year=year)
    return {
        "year": year,
        "organization_id": organization.pk,
        "figures": [
            {"key": x.key, "label": x.label, "unit": x.unit, "value": x.value}
            for x in found.figures
        ],
        "by_source": [
            {"code": row.key, "label": row.label, "raised": row.raised, "paid": row.paid}
            for row in found.by_source
        ],
    }


# --- the worker -----------------------------------------------------------------------------


@worker_router.get("/rounds", response=list[OpenRoundOut], summary="我可以申请的帮扶批次")
def my_rounds(request: HttpRequest) -> Any:
    user = worker_actor(request)
    return [
        {
            "round": shown.round,
            "may_apply": shown.may_apply,
            "reasons": list(shown.reasons),
            "application_id": shown.applied.pk if shown.applied else None,
        }
        for shown in selectors.rounds_for_worker(user=user)
    ]


@worker_router.get("/applications", response=list[ApplicationOut], summary="我的帮扶申请")
@paginate(Pages, page_size=50)
def my_applications(request: HttpRequest) -> Any:
    return selectors.worker_applications(user=worker_actor(request))


@worker_router.post(
    "/rounds/{round_id}/applications", response={201: ApplicationOut}, summary="申请帮扶"
)
def my_apply(request: HttpRequest, round_id: Id, payload: DeclaredIn) -> Any:
    user = worker_actor(request)
    shown = {r.round.pk: r for r in selectors.rounds_for_worker(user=user)}
    if round_id not in shown:
        from gonghui.core.scoping import NotFound

        raise NotFound
    return services.application_create(
        actor=user,
        round=shown[round_id].round,
        person=user.person,
        declared=payload.declared(),
        account_holder=payload.account_holder,
        bank_name=payload.bank_name,
        bank_card=payload.bank_card,
    )


@worker_router.get(
    "/applications/{application_id}", response=ApplicationOut, summary="我的申请详情"
)
def my_application(request: HttpRequest, application_id: Id) -> Any:
    return selectors.worker_application_get(user=worker_actor(request), id=application_id)
