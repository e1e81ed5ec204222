"""API for virtual jobs (staff only), with the same services as the console pages."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module.

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from gonghui.core.api import Date, Id, Money, OneOf, Pages, Search, Text, staff_actor
from gonghui.funds import selectors as funds_selectors
from gonghui.organizations import selectors as org_selectors
from gonghui.virtualjobs import selectors, services
from gonghui.virtualjobs.models import Adoption, Post, PostStatus, Suspension

router = Router(tags=["虚拟岗位"])

Month = Annotated[str, Text(7)]


class PostOut(Schema):
    id: int
    organization_id: int
    household_id: int
    member_id: int
    member_name: str
    title: str
    duties: str
    monthly_amount: Decimal
    start_month: datetime.date
    end_month: datetime.date
    status: str
    adopter_name: str
    fund_id: int | None
    account_holder: str
    bank_name: str
    bank_card: str

    @staticmethod
    def resolve_member_name(obj: Any) -> str:
        return str(obj.member.name)

    @staticmethod
    def resolve_bank_card(obj: Any) -> str:
        return str(obj.bank_card.masked())


class PostIn(Schema):
    organization_id: Id
    household_id: Id
    member_id: Id
    title: Annotated[str, Text.of(Post, "title")]
    duties: Annotated[str, Text.of(Post, "duties")] = ""
    monthly_amount: Money
    start_month: Month
    end_month: Month
    account_holder: Annotated[str, Text.of(Post, "account_holder")]
    bank_name: Annotated[str, Text.of(Post, "bank_name")]
    bank_card: Annotated[str, Text(30)]


class AdoptIn(Schema):
    fund_id: Id
    enterprise_credit_code: Annotated[str, Text(18)] = ""
    adopter_name: Annotated[str, Text.of(Adoption, "adopter_name")] = ""
    from_month: Month = ""
    committed: Money | None = None
    received_on: Date | None = None
    receipt_number: Annotated[str, Text(40)] = ""


class SuspendIn(Schema):
    from_month: Month
    reason: Annotated[str, Text.of(Suspension, "reason")]


class ResumeIn(Schema):
    from_month: Month
    note: Annotated[str, Text(200)] = ""


class EndIn(Schema):
    last_month: Month
    reason: Annotated[str, Text(200)]


class PayRunIn(Schema):
    organization_id: Id
    month: Month


class PayRunOut(Schema):
    id: int
    organization_id: int
    month: datetime.date
    line_count: int
    total: Decimal
    created_at: datetime.datetime


class PayRunLineOut(Schema):
    id: int
    post_id: int
    month: datetime.date
    amount: Decimal
    fund_id: int
    adopter_name: str
    item_id: int | None


class PayRunDetailOut(PayRunOut):
    lines: list[PayRunLineOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.visible_lines)


# --- posts --------------------------------------------------------------------------------------


@router.get("/posts", response=list[PostOut], summary="虚拟岗位")
@paginate(Pages, page_size=100)
def list_posts(
    request: HttpRequest,
    status: Annotated[str, OneOf(PostStatus, blank=True)] = "",
    q: Search = "",
) -> Any:
    return selectors.post_list(actor=staff_actor(request), status=status, q=q)


@router.post("/posts", response={201: PostOut}, summary="设立虚拟岗位")
def create_post(request: HttpRequest, payload: PostIn) -> Any:
    actor = staff_actor(request)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    household = selectors.household_get(actor=actor, id=payload.household_id)
    member = selectors.household_member_get(actor=actor, household=household, id=payload.member_id)
    data = payload.dict(exclude={"organization_id", "household_id", "member_id"})
    return services.post_create(
        actor=actor, organization=organization, household=household, member=member, **data
    )


@router.get("/posts/{post_id}", response=PostOut, summary="岗位详情")
def get_post(request: HttpRequest, post_id: Id) -> Any:
    return selectors.post_get(actor=staff_actor(request), id=post_id)


@router.post("/posts/{post_id}/adopt", response=PostOut, summary="登记认领（或转认领）")
def adopt_post(request: HttpRequest, post_id: Id, payload: AdoptIn) -> Any:
    actor = staff_actor(request)
    post = selectors.post_get(actor=actor, id=post_id)
    fund = funds_selectors.fund_get(actor=actor, id=payload.fund_id)
    enterprise = None
    if payload.enterprise_credit_code:
        enterprise = selectors.enterprise_by_credit_code(
            actor=actor, credit_code=payload.enterprise_credit_code
        )
        if enterprise is None:
            raise ValidationError(
                {"enterprise_credit_code": ["没有找到该信用代码的企业，请核对，或填写单位名称。"]}
            )
    commitment = None
    if payload.committed is not None:
        commitment = services.Commitment(
            payload.committed, payload.received_on, payload.receipt_number
        )
    services.post_adopt(
        actor=actor,
        post=post,
        fund=fund,
        adopter_name=payload.adopter_name,
        enterprise=enterprise,
        from_month=payload.from_month or None,
        commitment=commitment,
    )
    return selectors.post_get(actor=actor, id=post.pk)


@router.post("/posts/{post_id}/suspend", response=PostOut, summary="暂停岗位")
def suspend_post(request: HttpRequest, post_id: Id, payload: SuspendIn) -> Any:
    actor = staff_actor(request)
    post = selectors.post_get(actor=actor, id=post_id)
    return services.post_suspend(actor=actor, post=post, **payload.dict())


@router.post("/posts/{post_id}/resume", response=PostOut, summary="恢复岗位")
def resume_post(request: HttpRequest, post_id: Id, payload: ResumeIn) -> Any:
    actor = staff_actor(request)
    post = selectors.post_get(actor=actor, id=post_id)
    return services.post_resume(actor=actor, post=post, **payload.dict())


@router.post("/posts/{post_id}/end", response=PostOut, summary="终止岗位")
def end_post(request: HttpRequest, post_id: Id, payload: EndIn) -> Any:
    actor = staff_actor(request)
    post = selectors.post_get(actor=actor, id=post_id)
    return services.post_end(actor=actor, post=post, **payload.dict())


# --- pay runs -----------------------------------------------------------------------------------


@router.get("/pay-runs", response=list[PayRunOut], summary="月度发放")
@paginate(Pages, page_size=100)
def list_runs(request: HttpRequest) -> Any:
    return selectors.run_list(actor=staff_actor(request))


@router.post("/pay-runs", response={201: PayRunDetailOut}, summary="按月发放（每岗每月一次）")
def create_run(request: HttpRequest, payload: PayRunIn) -> Any:
    actor = staff_actor(request)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    run = services.pay_run_create(actor=actor, organization=organization, month=payload.month)
    return _detail(actor, run.pk)


@router.get("/pay-runs/{run_id}", response=PayRunDetailOut, summary="月度发放详情")
def get_run(request: HttpRequest, run_id: Id) -> Any:
    return _detail(staff_actor(request), run_id)


def _detail(actor: Any, run_id: int) -> Any:
    run = selectors.run_get(actor=actor, id=run_id)
    run.visible_lines = selectors.run_lines(actor=actor, run=run)  # type: ignore[attr-defined]
    return run
