"""API for the periods of the scheme and their rules (staff), and the calculator: the same
selectors and services as the console's pages. Mounted at ``/api/mutualaid/periods``."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from gonghui.core.api import Amount, Date, Id, Money, OneOf, Pages, Text, staff_actor
from gonghui.core.scoping import NotFound
from gonghui.funds import selectors as funds_selectors
from gonghui.mutualaid.models import Period, PeriodStatus
from gonghui.mutualaid.selectors import periods as selectors
from gonghui.mutualaid.services import periods as services
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["医疗互助：保障期与规则"])


class MAPeriodOut(Schema):
    id: int
    organization_id: int
    number: int
    name: str
    starts_on: datetime.date
    ends_on: datetime.date
    enrol_opens_on: datetime.date
    enrol_closes_on: datetime.date
    fee: Decimal
    fund_id: int
    waiting_days: int
    claim_days: int | None
    claims_close_on: datetime.date | None
    auto_approve_below: Decimal
    sample_percent: int
    flag_multiple: Decimal
    status: str
    copied_from_id: int | None
    rules: dict[str, Any]


class MAPeriodSettingsIn(Schema):
    name: Annotated[str, Text.of(Period, "name")]
    starts_on: Date
    ends_on: Date
    enrol_opens_on: Date
    enrol_closes_on: Date
    fee: Money
    fund_id: Id
    waiting_days: Annotated[int, Field(ge=0, le=services.MAX_WAITING_DAYS)] = 90
    claim_days: Annotated[int, Field(ge=1, le=services.MAX_CLAIM_DAYS)] | None = None
    claims_close_on: Date | None = None
    auto_approve_below: Money = Decimal("0.00")
    sample_percent: Annotated[int, Field(ge=0, le=100)] = 0
    flag_multiple: Annotated[Decimal, Amount("1", "999.99")] = Decimal("3")

    def settings(self, actor: Any) -> services.PeriodSettings:
        fund = funds_selectors.fund_list(actor=actor).filter(pk=self.fund_id).first()
        if fund is None:
            raise NotFound
        return services.PeriodSettings(
            name=self.name,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            enrol_opens_on=self.enrol_opens_on,
            enrol_closes_on=self.enrol_closes_on,
            fee=self.fee,
            fund=fund,
            waiting_days=self.waiting_days,
            claim_days=self.claim_days,
            claims_close_on=self.claims_close_on,
            auto_approve_below=self.auto_approve_below,
            sample_percent=self.sample_percent,
            flag_multiple=self.flag_multiple,
        )


class MAPeriodIn(MAPeriodSettingsIn):
    organization_id: Id
    rules: dict[str, Any] | None = None


class MAPeriodCopyIn(Schema):
    name: Annotated[str, Text.of(Period, "name")] = ""
    years: Annotated[int, Field(ge=1, le=10)] = 1


class MARulesIn(Schema):
    """The rules as ``mutualaid.rules`` reads them: ``yearly_cap`` and ``categories``,
    each with its code, name, deductible, bands (start, end, rate in percent) and caps."""

    rules: dict[str, Any]


class MACalculationIn(Schema):
    category: Annotated[str, Text(30)]
    amounts: Annotated[list[Money], Field(min_length=1, max_length=selectors.MAX_TRY_AMOUNTS)]
    earlier_eligible: Money | None = None
    other_benefit: Money | None = None


class MACalculationOut(Schema):
    category: str
    eligible: Decimal
    benefit: Decimal
    deductible_used: Decimal
    lines: list[str]


@router.get("", response=list[MAPeriodOut], summary="互助保障期（含所在工会之上各级主办的）")
@paginate(Pages, page_size=50)
def list_periods(
    request: HttpRequest, status: Annotated[str, OneOf(PeriodStatus, blank=True)] = ""
) -> Any:
    return selectors.period_list(actor=staff_actor(request), status=status)


@router.post("", response={201: MAPeriodOut}, summary="新建互助保障期（草拟）")
def create_period(request: HttpRequest, payload: MAPeriodIn) -> Any:
    actor = staff_actor(request)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    return services.period_create(
        actor=actor,
        organization=organization,
        settings=payload.settings(actor),
        rules_data=payload.rules,
    )


@router.get("/{period_id}", response=MAPeriodOut, summary="互助保障期详情（含保障规则）")
def get_period(request: HttpRequest, period_id: Id) -> Any:
    return selectors.period_get(actor=staff_actor(request), id=period_id)


@router.put("/{period_id}", response=MAPeriodOut, summary="修改互助保障期设置")
def update_period(request: HttpRequest, period_id: Id, payload: MAPeriodSettingsIn) -> Any:
    actor = staff_actor(request)
    period = selectors.period_get(actor=actor, id=period_id)
    return services.period_update(actor=actor, period=period, settings=payload.settings(actor))


@router.put("/{period_id}/rules", response=MAPeriodOut, summary="修改保障规则")
def update_rules(request: HttpRequest, period_id: Id, payload: MARulesIn) -> Any:
    actor = staff_actor(request)
    period = selectors.period_get(actor=actor, id=period_id)
    return services.period_rules_save(actor=actor, period=period, rules_data=payload.rules)


@router.post("/{period_id}/copy", response={201: MAPeriodOut}, summary="复制为新一期（草拟）")
def copy_period(request: HttpRequest, period_id: Id, payload: MAPeriodCopyIn) -> Any:
    actor = staff_actor(request)
    source = selectors.period_get(actor=actor, id=period_id)
    return services.period_copy(actor=actor, source=source, name=payload.name, years=payload.years)


@router.post("/{period_id}/publish", response=MAPeriodOut, summary="发布互助保障期")
def publish_period(request: HttpRequest, period_id: Id) -> Any:
    actor = staff_actor(request)
    return services.period_publish(
        actor=actor, period=selectors.period_get(actor=actor, id=period_id)
    )


@router.post("/{period_id}/close", response=MAPeriodOut, summary="结束互助保障期")
def close_period(request: HttpRequest, period_id: Id) -> Any:
    actor = staff_actor(request)
    return services.period_close(
        actor=actor, period=selectors.period_get(actor=actor, id=period_id)
    )


@router.post(
    "/{period_id}/calculate", response=MACalculationOut, summary="赔付试算（只计算，不保存）"
)
def calculate(request: HttpRequest, period_id: Id, payload: MACalculationIn) -> Any:
    actor = staff_actor(request)
    period = selectors.period_get(actor=actor, id=period_id)
    trial = selectors.benefit_try(
        actor=actor,
        period=period,
        category=payload.category,
        amounts=list(payload.amounts),
        earlier_eligible=payload.earlier_eligible,
        other_benefit=payload.other_benefit,
    )
    return {
        "category": trial.category.code,
        "eligible": trial.eligible,
        "benefit": trial.benefit.amount,
        "deductible_used": trial.benefit.deductible_used,
        "lines": list(trial.benefit.lines),
    }
