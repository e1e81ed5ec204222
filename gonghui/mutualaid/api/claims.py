"""API for mutual-aid claims: the queues, a claim, submitting for a worker, the preview, the
adjudication run, the reviewer's actions, a sample draw (and its re-run), the figures; the
worker's own claims. The same selectors and services as the pages."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gonghui.core.api import Date, Id, Money, OneOf, Pages, Text, staff_actor, worker_actor
from gonghui.core.scoping import NotFound
from gonghui.mutualaid.models import ClaimChannel, DocumentKind
from gonghui.mutualaid.selectors import claims as selectors
from gonghui.mutualaid.services import claims as services
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["职工医疗互助：理赔"])
figures_router = Router(tags=["职工医疗互助：统计"])
worker_router = Router(tags=["职工：互助理赔"])


class MAInvoiceIn(Schema):
    code: Annotated[str, Text(20)]
    number: Annotated[str, Text(20)]
    total: Money
    insurance_paid: Money = Decimal("0.00")
    eligible: Money
    issued_on: Date | None = None


class MAClaimIn(Schema):
    category: Annotated[str, Text(30)]
    hospital: Annotated[str, Text(100)]
    admitted_on: Date
    discharged_on: Date
    diagnosis: Annotated[str, Text(200)]
    invoices: Annotated[list[MAInvoiceIn], Field(min_length=1, max_length=services.MAX_INVOICES)]
    account_holder: Annotated[str, Text(50)] = ""
    bank_name: Annotated[str, Text(100)] = ""
    bank_card: Annotated[str, Text(30)] = ""

    def data(self) -> services.ClaimInput:
        return services.ClaimInput(
            category=self.category,
            hospital=self.hospital,
            admitted_on=self.admitted_on,
            discharged_on=self.discharged_on,
            diagnosis=self.diagnosis,
            invoices=[
                services.InvoiceInput(
                    code=i.code,
                    number=i.number,
                    total=i.total,
                    insurance_paid=i.insurance_paid,
                    eligible=i.eligible,
                    issued_on=i.issued_on,
                )
                for i in self.invoices
            ],
            account_holder=self.account_holder,
            bank_name=self.bank_name,
            bank_card=self.bank_card,
        )


class MAClerkClaimIn(MAClaimIn):
    person_id: Id
    channel: Annotated[str, OneOf([ClaimChannel.UNION, ClaimChannel.COUNTER])]
    counter_visit: bool = False


class MAPreviewIn(MAClaimIn):
    person_id: Id | None = None


class MAPreviewOut(Schema):
    period_id: int
    category: str
    eligible: Decimal
    deductible_used: Decimal
    benefit: Decimal
    explanation: list[str]


class MAInvoiceOut(Schema):
    code: str
    number: str
    total: Decimal
    insurance_paid: Decimal
    eligible: Decimal


class MADocumentOut(Schema):
    id: int
    kind: str
    name: str
    size: int


class MAClaimOut(Schema):
    id: int
    period_id: int
    person_id: int
    union_id: int
    category: str
    hospital: str
    admitted_on: datetime.date
    discharged_on: datetime.date
    diagnosis: str
    channel: str
    counter_visit: bool
    total: Decimal
    insurance_paid: Decimal
    eligible_claimed: Decimal
    eligible: Decimal
    adjust_reason: str
    deductible_used: Decimal
    benefit: Decimal
    explanation: list[str]
    flags: list[dict[str, str]]
    route: str
    draw_id: int | None
    status: str
    decision_note: str
    bank_card: str
    created_at: datetime.datetime
    payment_status: str
    invoices: list[MAInvoiceOut]
    documents: list[MADocumentOut]

    @staticmethod
    def resolve_diagnosis(obj: Any) -> str:
        return obj.diagnosis.masked() if obj.diagnosis else ""

    @staticmethod
    def resolve_bank_card(obj: Any) -> str:
        return obj.bank_card.masked() if obj.bank_card else ""

    @staticmethod
    def resolve_payment_status(obj: Any) -> str:
        item = selectors.payments_of([obj.pk]).get(obj.pk)
        return str(item.status) if item is not None else ""

    @staticmethod
    def resolve_invoices(obj: Any) -> list[Any]:
        return list(obj.invoices.all())

    @staticmethod
    def resolve_documents(obj: Any) -> list[Any]:
        return list(obj.documents.all())


class MAReasonIn(Schema):
    reason: Annotated[str, Text(300)] = ""


class MANoteIn(Schema):
    note: Annotated[str, Text(300)] = ""


class MAAdjustIn(Schema):
    eligible: Money
    reason: Annotated[str, Text(300)] = ""


class MARevealIn(Schema):
    reason: Annotated[str, Text(20)]


class MARevealOut(Schema):
    diagnosis: str


class MAAdjudicateOut(Schema):
    routed: dict[str, int]
    approved: int
    paid: int
    draw_ids: list[int]


class MADrawOut(Schema):
    id: int
    period_id: int
    seed: str
    percent: int
    pool: list[int]
    picked: list[int]
    drawn_at: datetime.datetime
    verified: bool

    @staticmethod
    def resolve_verified(obj: Any) -> bool:
        return services.draw_verify(obj)


def _prepared_out(prepared: services.Prepared) -> dict[str, Any]:
    return {
        "period_id": prepared.period.pk,
        "category": prepared.category.code,
        "eligible": prepared.eligible,
        "deductible_used": prepared.benefit.deductible_used,
        "benefit": prepared.benefit.amount,
        "explanation": list(prepared.benefit.lines),
    }


def _person(actor: Any, person_id: int) -> Any:
    from gonghui.members.models import Person
    from gonghui.mutualaid.models import Enrolment

    enrolled = Enrolment.objects.visible_to(actor).filter(person_id=person_id)
    person = Person.unscoped.filter(pk=person_id, pk__in=enrolled.values("person")).first()
    if person is None:
        raise NotFound
    return person


# --- staff ----------------------------------------------------------------------------------


@router.get("", response=list[MAClaimOut], summary="互助理赔（可按期和审核队列筛选）")
@paginate(Pages, page_size=50)
def list_claims(
    request: HttpRequest,
    period: Id | None = None,
    queue: Annotated[str, OneOf(list(selectors.QUEUES), blank=True)] = "",
) -> Any:
    actor = staff_actor(request)
    target = selectors.period_get(actor=actor, id=period) if period else None
    return selectors.claim_list(actor=actor, period=target, queue=queue).prefetch_related(
        "invoices", "documents"
    )


@router.post("", response={201: MAClaimOut}, summary="代职工提交互助理赔（工会代办或窗口受理）")
def submit_claim(request: HttpRequest, payload: MAClerkClaimIn) -> Any:
    actor = staff_actor(request)
    return services.claim_submit(
        actor=actor,
        person=_person(actor, payload.person_id),
        data=payload.data(),
        channel=payload.channel,
        counter_visit=payload.counter_visit,
    )


@router.post("/preview", response=MAPreviewOut, summary="试算赔付金额（不保存）")
def preview_claim(request: HttpRequest, payload: MAPreviewIn) -> Any:
    actor = staff_actor(request)
    if payload.person_id is None:
        raise NotFound
    person = _person(actor, payload.person_id)
    return _prepared_out(services.claim_preview(actor=actor, person=person, data=payload.data()))


class MAAdjudicateIn(Schema):
    period_id: Id


@router.post("/adjudicate", response=MAAdjudicateOut, summary="对待分配的理赔执行自动审核")
def adjudicate(request: HttpRequest, payload: MAAdjudicateIn) -> Any:
    actor = staff_actor(request)
    target = selectors.period_get(actor=actor, id=payload.period_id)
    result = services.claims_adjudicate(actor=actor, period=target)
    return {
        "routed": result.routed,
        "approved": result.approved,
        "paid": result.paid,
        "draw_ids": result.draws,
    }


@router.get(
    "/draws/{draw_id}", response=MADrawOut, summary="抽检批次（种子、候选与抽中理赔，可复核）"
)
def get_draw(request: HttpRequest, draw_id: Id) -> Any:
    return selectors.draw_get(actor=staff_actor(request), id=draw_id)


@router.get("/{claim_id}", response=MAClaimOut, summary="理赔详情")
def get_claim(request: HttpRequest, claim_id: Id) -> Any:
    return selectors.claim_get(actor=staff_actor(request), id=claim_id)


@router.post("/{claim_id}/approve", response=MAClaimOut, summary="核准理赔（提交发放）")
def approve_claim(request: HttpRequest, claim_id: Id, payload: MANoteIn) -> Any:
    actor = staff_actor(request)
    claim = selectors.claim_get(actor=actor, id=claim_id)
    return services.claim_approve(actor=actor, claim=claim, note=payload.note)


@router.post("/{claim_id}/refuse", response=MAClaimOut, summary="不予赔付（须写明原因）")
def refuse_claim(request: HttpRequest, claim_id: Id, payload: MAReasonIn) -> Any:
    actor = staff_actor(request)
    claim = selectors.claim_get(actor=actor, id=claim_id)
    return services.claim_refuse(actor=actor, claim=claim, reason=payload.reason)


@router.post("/{claim_id}/adjust", response=MAClaimOut, summary="调整核定政策内自付（须写明原因）")
def adjust_claim(request: HttpRequest, claim_id: Id, payload: MAAdjustIn) -> Any:
    actor = staff_actor(request)
    claim = selectors.claim_get(actor=actor, id=claim_id)
    return services.claim_adjust(
        actor=actor, claim=claim, eligible=payload.eligible, reason=payload.reason
    )


@router.post(
    "/{claim_id}/documents",
    response={201: MAClaimOut},
    summary="补充理赔材料（PDF、JPG 或 PNG，10 MB 以内；待审核时）",
)
def add_document(
    request: HttpRequest,
    claim_id: Id,
    kind: Annotated[str, OneOf(DocumentKind)] = Form(...),  # noqa: B008
    file: UploadedFile = File(...),  # noqa: B008
) -> Any:
    actor = staff_actor(request)
    claim = selectors.claim_get(actor=actor, id=claim_id)
    services.claim_documents_add(actor=actor, claim=claim, documents=[(kind, file)])
    return Status(201, selectors.claim_get(actor=actor, id=claim_id))


@router.post("/{claim_id}/diagnosis", response=MARevealOut, summary="查看诊断（记录查看日志）")
def reveal_diagnosis(request: HttpRequest, claim_id: Id, payload: MARevealIn) -> Any:
    from gonghui.core.web import client_ip

    actor = staff_actor(request)
    claim = selectors.claim_get(actor=actor, id=claim_id)
    text = services.diagnosis_reveal(
        actor=actor, claim=claim, reason=payload.reason, ip_address=client_ip(request)
    )
    return {"diagnosis": text}


# --- figures --------------------------------------------------------------------------------


class MACategoryOut(Schema):
    code: str
    name: str
    claims: int
    approved: int
    benefit: Decimal


class MAPeriodFiguresOut(Schema):
    period_id: int
    period: str
    insured: int
    claims: int
    approved: int
    refused: int
    benefit: Decimal
    paid: int
    avg_days_to_payment: Decimal | None
    zero_trip: int
    zero_trip_share: Decimal | None
    by_category: list[MACategoryOut]
    by_channel: dict[str, int]


class MAFiguresOut(Schema):
    organization_id: int
    periods: list[MAPeriodFiguresOut]


def figures_out(found: list[selectors.ClaimFigures]) -> list[dict[str, Any]]:
    return [
        {
            "period_id": f.period.pk,
            "period": f.period.name,
            "insured": f.insured,
            "claims": f.claims,
            "approved": f.approved,
            "refused": f.refused,
            "benefit": f.benefit,
            "paid": f.paid,
            "avg_days_to_payment": f.avg_days_to_payment,
            "zero_trip": f.zero_trip,
            "zero_trip_share": f.zero_trip_share,
            "by_category": [vars(line) for line in f.by_category],
            "by_channel": f.by_channel,
        }
        for f in found
    ]


@figures_router.get("/figures", response=MAFiguresOut, summary="互助保障统计（按期，组织含下级）")
def figures(request: HttpRequest, org: Id | None = None, period: Id | None = None) -> Any:
    """Every period's figures (or ``period``'s) for ``org``'s subtree (the actor's own
    organisation when not given; 404 outside the actor's scope)."""
    actor = staff_actor(request)
    organization = (
        org_selectors.organization_get(actor=actor, id=org) if org else actor.organization
    )
    if period:
        target = selectors.period_get(actor=actor, id=period)
        found = [selectors.claim_figures(actor=actor, organization=organization, period=target)]
    else:
        found = selectors.figures_series(actor=actor, organization=organization)
    return {"organization_id": organization.pk, "periods": figures_out(found)}


# --- the worker -----------------------------------------------------------------------------


@worker_router.get("", response=list[MAClaimOut], summary="我的互助理赔")
@paginate(Pages, page_size=50)
def my_claims(request: HttpRequest) -> Any:
    return selectors.worker_claims(user=worker_actor(request)).prefetch_related(
        "invoices", "documents"
    )


@worker_router.post("", response={201: MAClaimOut}, summary="申请互助理赔")
def my_submit(request: HttpRequest, payload: MAClaimIn) -> Any:
    user = worker_actor(request)
    return services.claim_submit(actor=user, person=user.person, data=payload.data())


@worker_router.post("/preview", response=MAPreviewOut, summary="试算赔付金额（不保存）")
def my_preview(request: HttpRequest, payload: MAClaimIn) -> Any:
    user = worker_actor(request)
    return _prepared_out(
        services.claim_preview(actor=user, person=user.person, data=payload.data())
    )


@worker_router.post(
    "/{claim_id}/documents",
    response={201: MAClaimOut},
    summary="补充理赔材料（PDF、JPG 或 PNG，10 MB 以内；待审核时）",
)
def my_add_document(
    request: HttpRequest,
    claim_id: Id,
    kind: Annotated[str, OneOf(DocumentKind)] = Form(...),  # noqa: B008
    file: UploadedFile = File(...),  # noqa: B008
) -> Any:
    user = worker_actor(request)
    claim = selectors.worker_claim_get(user=user, id=claim_id)
    services.claim_documents_add(actor=user, claim=claim, documents=[(kind, file)])
    return Status(201, selectors.worker_claim_get(user=user, id=claim_id))


@worker_router.get("/{claim_id}", response=MAClaimOut, summary="我的理赔详情")
def my_claim(request: HttpRequest, claim_id: Id) -> Any:
    return selectors.worker_claim_get(user=worker_actor(request), id=claim_id)


__all__ = ["DocumentKind", "figures_router", "router", "worker_router"]
