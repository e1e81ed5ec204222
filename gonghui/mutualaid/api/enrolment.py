"""API of enrolment (staff: enrolments, refunds, bills, payments received, figures; the
worker: their enrolments and enrolling alone), with the same services as the pages."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module.

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from gonghui.core.api import Date, Id, Money, OneOf, Pages, Text, staff_actor, worker_actor
from gonghui.core.scoping import NotFound
from gonghui.mutualaid.models import BillStatus, EnrolmentStatus
from gonghui.mutualaid.selectors import enrolment as selectors
from gonghui.mutualaid.services import enrolment as services
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["医疗互助：参保"])
me_router = Router(tags=["医疗互助：我的参保"])


class MAEnrolmentOut(Schema):
    id: int
    period_id: int
    person_id: int
    person_name: str
    union_id: int
    bill_id: int | None
    channel: str
    status: str
    continuous: bool
    effective_on: datetime.date | None
    covered_from: datetime.date | None
    ended_on: datetime.date | None

    @staticmethod
    def resolve_person_name(obj: Any) -> str:
        return str(obj.person.name)


class MAMyEnrolmentOut(Schema):
    id: int
    period_id: int
    period_name: str
    union_name: str
    channel: str
    status: str
    continuous: bool
    effective_on: datetime.date | None
    covered_from: datetime.date | None

    @staticmethod
    def resolve_period_name(obj: Any) -> str:
        return str(obj.period.name)

    @staticmethod
    def resolve_union_name(obj: Any) -> str:
        return str(obj.union.name)


class MAEnrolIn(Schema):
    period_id: Id
    id_number: Annotated[str, Text(30)]


class MASelfEnrolIn(Schema):
    period_id: Id


class MARefundIn(Schema):
    left_on: Date
    reason: Annotated[str, Text(200)]
    account_holder: Annotated[str, Text(50)] = ""
    bank_name: Annotated[str, Text(100)] = ""
    bank_card: Annotated[str, Text(40)] = ""


class MABillOut(Schema):
    id: int
    number: str
    period_id: int
    union_id: int
    union_name: str
    people: int
    amount: Decimal
    received: Decimal
    refunded: Decimal
    status: str

    @staticmethod
    def resolve_union_name(obj: Any) -> str:
        return str(obj.union.name)


class MAFeePaymentIn(Schema):
    amount: Money
    paid_on: Date
    bank_reference: Annotated[str, Text(60)]
    note: Annotated[str, Text(200)] = ""


class MAFeePaymentOut(Schema):
    id: int
    bill_id: int
    kind: str
    amount: Decimal
    paid_on: datetime.date
    bank_reference: str
    income_id: int | None


class MAEnrolmentFiguresOut(Schema):
    period: int
    name: str
    insured: int
    enrolled: int
    unions: int
    billed: Decimal
    received: Decimal
    refunded: Decimal
    members: int
    coverage: float | None


@router.get("/enrolments", response=list[MAEnrolmentOut], summary="参保登记")
@paginate(Pages, page_size=100)
def list_enrolments(
    request: HttpRequest,
    period: Id | None = None,
    status: Annotated[str, OneOf(EnrolmentStatus, blank=True)] = "",
) -> Any:
    actor = staff_actor(request)
    found = selectors.period_get(actor=actor, id=period) if period else None
    return selectors.enrolment_list(actor=actor, period=found, status=status)


@router.post("/enrolments", response={201: MAEnrolmentOut}, summary="单个会员参保")
def enrol(request: HttpRequest, payload: MAEnrolIn) -> Any:
    actor = staff_actor(request)
    period = selectors.period_get(actor=actor, id=payload.period_id)
    enrolment = services.enrolment_create_by_id(
        actor=actor, period=period, id_number=payload.id_number
    )
    return selectors.enrolment_get(actor=actor, id=enrolment.pk)


@router.get("/enrolments/{ma_enrolment_id}", response=MAEnrolmentOut, summary="参保登记详情")
def get_enrolment(request: HttpRequest, ma_enrolment_id: Id) -> Any:
    return selectors.enrolment_get(actor=staff_actor(request), id=ma_enrolment_id)


@router.post("/enrolments/{ma_enrolment_id}/refund", response=MAEnrolmentOut, summary="退保退费")
def refund(request: HttpRequest, ma_enrolment_id: Id, payload: MARefundIn) -> Any:
    actor = staff_actor(request)
    enrolment = selectors.enrolment_get(actor=actor, id=ma_enrolment_id)
    services.enrolment_refund(actor=actor, enrolment=enrolment, **payload.dict())
    return selectors.enrolment_get(actor=actor, id=ma_enrolment_id)


@router.get("/bills", response=list[MABillOut], summary="缴费通知单")
@paginate(Pages, page_size=100)
def list_bills(
    request: HttpRequest,
    period: Id | None = None,
    status: Annotated[str, OneOf(BillStatus, blank=True)] = "",
) -> Any:
    actor = staff_actor(request)
    found = selectors.period_get(actor=actor, id=period) if period else None
    return selectors.bill_list(actor=actor, period=found, status=status)


@router.get("/bills/{ma_bill_id}", response=MABillOut, summary="缴费通知单详情")
def get_bill(request: HttpRequest, ma_bill_id: Id) -> Any:
    return selectors.bill_get(actor=staff_actor(request), id=ma_bill_id)


@router.get(
    "/bills/{ma_bill_id}/payments", response=list[MAFeePaymentOut], summary="缴费与退费记录"
)
def list_payments(request: HttpRequest, ma_bill_id: Id) -> Any:
    actor = staff_actor(request)
    bill = selectors.bill_get(actor=actor, id=ma_bill_id)
    return list(selectors.bill_payments(actor=actor, bill=bill))


@router.post(
    "/bills/{ma_bill_id}/payments", response={201: MAFeePaymentOut}, summary="登记收到缴费（市总）"
)
def record_payment(request: HttpRequest, ma_bill_id: Id, payload: MAFeePaymentIn) -> Any:
    actor = staff_actor(request)
    bill = selectors.bill_get(actor=actor, id=ma_bill_id)
    return services.fee_payment_record(actor=actor, bill=bill, **payload.dict())


@router.get("/figures", response=MAEnrolmentFiguresOut, summary="参保统计（按期、按辖区）")
def figures(request: HttpRequest, period: Id | None = None, org: Id | None = None) -> Any:
    """One period's figures (the latest the actor can see unless ``period`` names one)."""
    actor = staff_actor(request)
    found = (
        selectors.period_get(actor=actor, id=period)
        if period
        else selectors.enrolment_periods(actor=actor).first()
    )
    if found is None:
        raise NotFound
    organization = org_selectors.organization_get(actor=actor, id=org) if org else None
    return selectors.enrolment_figures(actor=actor, period=found, org=organization)


@me_router.get("/enrolments", response=list[MAMyEnrolmentOut], summary="我的医疗互助参保")
def my_enrolments(request: HttpRequest) -> Any:
    user = worker_actor(request)
    return list(selectors.my_enrolments(person_id=user.person_id))


@me_router.post("/enrolments", response={201: MAMyEnrolmentOut}, summary="个人参保")
def self_enrol(request: HttpRequest, payload: MASelfEnrolIn) -> Any:
    user = worker_actor(request)
    period = selectors.self_enrol_period(actor=user, id=payload.period_id)
    if period is None:
        raise NotFound
    enrolment = services.enrolment_self(actor=user, period=period)
    return selectors.my_enrolments(person_id=user.person_id).get(pk=enrolment.pk)
