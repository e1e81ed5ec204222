"""API for funds, incomes, payable items and payment batches (staff only), with the same
services as the console pages."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from gonghui.core.api import Date, Id, Money, OneOf, Pages, Search, Text, Year, staff_actor
from gonghui.core.models import AccessReason, Decided
from gonghui.core.money import CENT
from gonghui.core.web import client_ip
from gonghui.funds import receipts, selectors, services
from gonghui.funds.models import (
    BatchStatus,
    Fund,
    Income,
    IncomeKind,
    ItemStatus,
    PaymentBatch,
    PaymentLine,
)
from gonghui.funds.views import income_verify_url
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["资金管理"])
payments_router = Router(tags=["资金管理：发放"])


class FundOut(Schema):
    id: int
    organization_id: int
    name: str
    source_kind: str
    purpose: str
    active: bool
    balance: Decimal
    raised: Decimal
    paid_out: Decimal

    @staticmethod
    def resolve_source_kind(obj: Any) -> str:
        return str(obj.source_kind.code)

    @staticmethod
    def resolve_raised(obj: Any) -> Decimal:
        return Decimal(getattr(obj, "raised", 0) or 0).quantize(CENT)

    @staticmethod
    def resolve_paid_out(obj: Any) -> Decimal:
        return Decimal(getattr(obj, "paid_out", 0) or 0).quantize(CENT)


class FundIn(Schema):
    organization_id: Id
    name: Annotated[str, Text.of(Fund, "name")]
    source_kind: Annotated[str, Text(30)]
    purpose: Annotated[str, Text.of(Fund, "purpose")] = ""


class FundIncomeIn(Schema):
    kind: Annotated[str, OneOf(IncomeKind)] = IncomeKind.DONATION
    donor: Annotated[str, Text.of(Income, "donor")]
    amount: Money
    received_on: Date
    receipt_number: Annotated[str, Text.of(Income, "receipt_number")]
    purpose: Annotated[str, Text.of(Income, "purpose")] = ""


class FundIncomeOut(Schema):
    id: int
    fund_id: int
    kind: str
    donor: str
    amount: Decimal
    received_on: datetime.date
    receipt_number: str
    purpose: str
    recorded_by_id: int


class IncomeDetailOut(FundIncomeOut):
    verify_url: str


class RaisedPaidOut(Schema):
    label: str
    key: str
    raised: Decimal
    paid: Decimal

    @staticmethod
    def resolve_key(obj: Any) -> str:
        return str(obj.key)


class RaisedPaidReportOut(Schema):
    organization_id: int
    year: int
    total: RaisedPaidOut
    by_fund: list[RaisedPaidOut]
    by_source_kind: list[RaisedPaidOut]
    by_child: list[RaisedPaidOut]
    by_month: list[RaisedPaidOut]

    @staticmethod
    def resolve_organization_id(obj: Any) -> int:
        return int(obj.organization.pk)


class LedgerEntryOut(Schema):
    id: int
    kind: str
    amount: Decimal
    balance_after: Decimal
    note: str
    at: datetime.datetime
    income_id: int | None
    line_id: int | None


class PayableItemOut(Schema):
    id: int
    organization_id: int
    fund_id: int
    person_id: int
    account_holder: str
    bank_name: str
    bank_card: str
    amount: Decimal
    source_kind: str
    source_id: int
    label: str
    status: str

    @staticmethod
    def resolve_bank_card(obj: Any) -> str:
        return obj.bank_card.masked()


class PaymentLineOut(Schema):
    id: int
    item_id: int
    fund_id: int
    amount: Decimal
    status: str
    failure_reason: str


class PaymentBatchOut(Schema):
    id: int
    organization_id: int
    title: str
    status: str
    total: Decimal
    line_count: int
    created_by_id: int
    decided_by_id: int | None
    decision_note: str


class PaymentBatchDetailOut(PaymentBatchOut):
    lines: list[PaymentLineOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(PaymentLine.unscoped.filter(batch=obj).order_by("pk")[:1000])


class PaymentBatchIn(Schema):
    organization_id: Id
    title: Annotated[str, Text.of(PaymentBatch, "title")]
    item_ids: Annotated[list[Id], Field(min_length=1, max_length=services.MAX_BATCH_LINES)]


class PaymentBatchDecisionIn(Schema):
    approve: bool
    note: Annotated[str, Text.of(Decided, "decision_note")] = ""


class PaymentResultIn(Schema):
    line_id: Id
    paid: bool
    reason: Annotated[str, Text.of(PaymentLine, "failure_reason")] = ""


class PaymentResultsIn(Schema):
    results: Annotated[
        list[PaymentResultIn], Field(min_length=1, max_length=services.MAX_BATCH_LINES)
    ]
    paid_on: Date | None = None


class BankFileIn(Schema):
    unmasked: bool = False
    reason: Annotated[str, OneOf(AccessReason, blank=True)] = ""
    reason_note: Annotated[str, Text(200)] = ""


class BankFileRowOut(Schema):
    index: int
    account_holder: str
    bank_card: str
    bank_name: str
    amount: Decimal
    label: str
    status: str


# --- funds ------------------------------------------------------------------------------------


@router.get("", response=list[FundOut], summary="基金")
@paginate(Pages, page_size=50)
def list_funds(request: HttpRequest, q: Search = "") -> Any:
    return selectors.fund_list(actor=staff_actor(request), q=q)


@router.post("", response={201: FundOut}, summary="建立基金")
def create_fund(request: HttpRequest, payload: FundIn) -> Any:
    actor = staff_actor(request)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    kind = selectors.source_kind_list().filter(code=payload.source_kind).first()
    if kind is None:
        raise ValidationError({"source_kind": ["资金来源不存在，请从资金来源类别中选择。"]})
    fund = services.fund_create(
        actor=actor,
        organization=organization,
        name=payload.name,
        source_kind=kind,
        purpose=payload.purpose,
    )
    return selectors.fund_get(actor=actor, id=fund.pk)


@router.get(
    "/raised-paid",
    response=RaisedPaidReportOut,
    summary="筹集与发放（按基金、资金来源、下级组织、月份）",
)
def raised_paid(request: HttpRequest, year: Year | None = None, org: Id | None = None) -> Any:
    actor = staff_actor(request)
    year = year or timezone.localdate().year
    organization = org_selectors.organization_get(
        actor=actor, id=org if org is not None else actor.organization_id
    )
    return selectors.raised_paid_report(actor=actor, organization=organization, year=year)


@router.get("/{fund_id}", response=FundOut, summary="基金详情（余额、累计入账和支出）")
def get_fund(request: HttpRequest, fund_id: Id) -> Any:
    return selectors.fund_get(actor=staff_actor(request), id=fund_id)


@router.get("/{fund_id}/ledger", response=list[LedgerEntryOut], summary="基金流水")
@paginate(Pages, page_size=100)
def list_ledger(request: HttpRequest, fund_id: Id) -> Any:
    actor = staff_actor(request)
    fund = selectors.fund_get(actor=actor, id=fund_id)
    return selectors.ledger_list(actor=actor, fund=fund)


@router.post("/{fund_id}/incomes", response={201: FundIncomeOut}, summary="登记入账（捐赠、拨款）")
def record_income(request: HttpRequest, fund_id: Id, payload: FundIncomeIn) -> Any:
    actor = staff_actor(request)
    fund = selectors.fund_get(actor=actor, id=fund_id)
    return services.income_record(actor=actor, fund=fund, **payload.dict())


@router.get("/incomes/{income_id}", response=IncomeDetailOut, summary="入账详情（含核验地址）")
def get_income(request: HttpRequest, income_id: Id) -> Any:
    income = selectors.income_get(actor=staff_actor(request), id=income_id)
    income.verify_url = income_verify_url(request, income)  # type: ignore[attr-defined]
    return income


@router.get(
    "/incomes/{income_id}/acknowledgement",
    summary="入账确认书（PDF，带核验二维码）",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def income_acknowledgement(request: HttpRequest, income_id: Id) -> Any:
    income = selectors.income_get(actor=staff_actor(request), id=income_id)
    return receipts.acknowledgement_response(income, verify_url=income_verify_url(request, income))


# --- payable items and batches -----------------------------------------------------------------


@payments_router.get("/items", response=list[PayableItemOut], summary="待发放款项")
@paginate(Pages, page_size=100)
def list_items(
    request: HttpRequest, status: Annotated[str, OneOf(ItemStatus, blank=True)] = "pending"
) -> Any:
    return selectors.payable_list(actor=staff_actor(request), status=status)


@payments_router.get("/items/{item_id}", response=PayableItemOut, summary="款项详情")
def get_item(request: HttpRequest, item_id: Id) -> Any:
    return selectors.payable_get(actor=staff_actor(request), id=item_id)


@payments_router.get("/batches", response=list[PaymentBatchOut], summary="发放批次")
@paginate(Pages, page_size=50)
def list_batches(
    request: HttpRequest, status: Annotated[str, OneOf(BatchStatus, blank=True)] = ""
) -> Any:
    return selectors.batch_list(actor=staff_actor(request), status=status)


@payments_router.post("/batches", response={201: PaymentBatchDetailOut}, summary="生成发放批次")
def create_batch(request: HttpRequest, payload: PaymentBatchIn) -> Any:
    actor = staff_actor(request)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    items = selectors.payable_items_get(actor=actor, ids=list(payload.item_ids))
    batch = services.batch_create(
        actor=actor, organization=organization, title=payload.title, items=items
    )
    return batch


@payments_router.get("/batches/{batch_id}", response=PaymentBatchDetailOut, summary="批次详情")
def get_batch(request: HttpRequest, batch_id: Id) -> Any:
    return selectors.batch_get(actor=staff_actor(request), id=batch_id)


@payments_router.post(
    "/batches/{batch_id}/decision",
    response=PaymentBatchDetailOut,
    summary="审批发放批次（非制单人）",
)
def decide_batch(request: HttpRequest, batch_id: Id, payload: PaymentBatchDecisionIn) -> Any:
    actor = staff_actor(request)
    batch = selectors.batch_get(actor=actor, id=batch_id)
    return services.batch_decide(
        actor=actor, batch=batch, approve=payload.approve, note=payload.note
    )


@payments_router.post(
    "/batches/{batch_id}/results", response=PaymentBatchDetailOut, summary="登记银行发放结果"
)
def record_results(request: HttpRequest, batch_id: Id, payload: PaymentResultsIn) -> Any:
    actor = staff_actor(request)
    batch = selectors.batch_get(actor=actor, id=batch_id)
    results = [services.LineResult(r.line_id, r.paid, r.reason) for r in payload.results]
    return services.batch_results_record(
        actor=actor, batch=batch, results=results, paid_on=payload.paid_on
    )


@payments_router.post(
    "/batches/{batch_id}/bank-file",
    response=list[BankFileRowOut],
    summary="银行代发明细（卡号默认脱敏；完整卡号须说明原因并记录）",
)
def bank_file(request: HttpRequest, batch_id: Id, payload: BankFileIn) -> Any:
    actor = staff_actor(request)
    batch = selectors.batch_get(actor=actor, id=batch_id)
    return services.batch_bank_file(
        actor=actor,
        batch=batch,
        reveal=payload.unmasked,
        reason=payload.reason,
        reason_note=payload.reason_note,
        ip_address=client_ip(request),
    )
