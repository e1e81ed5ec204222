"""The demo city's medical mutual aid (样本四), generated through the services.

Shared by the three parts: ``run_periods`` (the city federation's fund and its four
periods), ``run_enrolment`` and ``run_claims`` (the other parts), each its own demo step.

The periods are modelled on a real Zhejiang scheme (ADR 0021): units enrol all their staff
through their union in a window before the year, for three items bought together,

- 36 yuan a year: self-paid in-patient and special out-patient costs, in-patient up to
  30,200 yuan a year (bands 50% / 60% / 70% over a 500-yuan deductible), special
  out-patient care up to 10,000 yuan (50% / 60% over 300 yuan);
- 60 yuan: serious illness, a hospital allowance of 60% of the self-paid costs, up to
  15,000 yuan a year;
- 20 yuan: women workers' cancers, a lump sum of 20,000 yuan once a year on diagnosis
  (women only);

so 116 yuan a person, one fee per period (the model has one; see the ADR). Claims are due
by the end of March of the next year; first-time enrolees wait 90 days. 第一期 (2014) is set
up by hand; each next period is copied from the one before by ``period_copy`` and
published, as a federation would do it. All four are left open: the enrolment and claims
steps work in them (the claims step may close the settled ones).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from gonghui.funds import services as funds_services
from gonghui.funds.models import SourceKind
from gonghui.mutualaid.models import Period
from gonghui.mutualaid.services import periods as period_services

if TYPE_CHECKING:
    from gonghui.demo.loader import DemoBuilder

FIRST_YEAR = 2014
YEARS = (2014, 2015, 2016, 2017)
FEE = Decimal("116.00")  # 36 + 60 + 20
FUND_NAME = "职工医疗互助保障基金"
SOURCE_KIND = "mutualaid"


def band(start: str, end: str | None, rate: str) -> dict[str, Any]:
    return {"start": start, "end": end, "rate": rate}


RULES: dict[str, Any] = {
    "yearly_cap": "75200.00",  # 30,200 + 10,000 + 15,000 + 20,000
    "categories": [
        {
            "code": "inpatient",
            "name": "住院",
            "deductible": "500.00",
            "bands": [
                band("0", "5000", "50"),
                band("5000", "20000", "60"),
                band("20000", None, "70"),
            ],
            "per_claim_cap": None,
            "yearly_cap": "30200.00",
        },
        {
            "code": "outpatient_special",
            "name": "门诊特殊病种",
            "deductible": "300.00",
            "bands": [band("0", "10000", "50"), band("10000", None, "60")],
            "per_claim_cap": None,
            "yearly_cap": "10000.00",
        },
        {
            "code": "serious_illness",
            "name": "重大疾病住院补助",
            "deductible": "0.00",
            "bands": [band("0", None, "60")],
            "per_claim_cap": None,
            "yearly_cap": "15000.00",
        },
        {
            "code": "women_cancer",
            "name": "女职工特殊疾病（乳腺癌、宫颈癌等）",
            "deductible": "0.00",
            "bands": [],
            "lump_sum": "20000.00",
            "per_claim_cap": None,
            "yearly_cap": None,
            "sex": "F",
        },
    ],
}


def first_settings(fund: Any) -> period_services.PeriodSettings:
    year = FIRST_YEAR
    return period_services.PeriodSettings(
        name=period_services.default_name(1, year),
        starts_on=datetime.date(year, 1, 1),
        ends_on=datetime.date(year, 12, 31),
        enrol_opens_on=datetime.date(year - 1, 11, 1),
        enrol_closes_on=datetime.date(year - 1, 12, 31),
        fee=FEE,
        fund=fund,
        waiting_days=90,
        claim_days=None,
        claims_close_on=datetime.date(year + 1, 3, 31),
        auto_approve_below=Decimal("3000.00"),
        sample_percent=5,
        flag_multiple=Decimal("3"),
    )


def run_periods(builder: DemoBuilder) -> list[Period]:
    """The city federation's mutual-aid fund and its periods 第一期 2014 … 第四期 2017."""
    city = builder.city
    slug = builder.data["city"]["slug"]
    clerk = builder.staff[f"{slug}-clerk"]
    kind = SourceKind.objects.filter(code=SOURCE_KIND).first() or SourceKind.objects.get(
        code="budget"
    )
    fund = funds_services.fund_create(
        actor=clerk,
        organization=city,
        name=FUND_NAME,
        source_kind=kind,
        purpose="职工医疗互助保障：参保单位缴纳的互助金，用于支付职工住院、门诊特殊病种、"
        "重大疾病和女职工特殊疾病的互助保障金。",
    )
    period = period_services.period_create(
        actor=clerk, organization=city, settings=first_settings(fund), rules_data=RULES
    )
    periods = [period_services.period_publish(actor=clerk, period=period)]
    for _year in YEARS[1:]:
        copied = period_services.period_copy(actor=clerk, source=periods[-1])
        periods.append(period_services.period_publish(actor=clerk, period=copied))
    builder.log(f"医疗互助：{fund.name}，保障期 {'、'.join(p.name for p in periods)}")
    return periods
