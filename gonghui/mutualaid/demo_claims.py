"""The demo city's claims (issue 14, point 14): a realistic year of claims in the latest
period with enrolments, across its categories, through the services — most by the workers
in the portal, some by their union, a few at the counter; the adjudication run (automatic
approvals, a seeded sample, the large and the odd ones to a reviewer); the reviewers'
approvals, adjustments and refusals; and the payment batches (made by a reviewer, approved
by the administrator, paid by the bank's return), which the next run reads back. Kept in
its own file (``demo.py`` holds the periods' step) so the parts merge cleanly; registered as
the ``mutualaid_claims`` step after the enrolments."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from gonghui.funds import selectors as funds_selectors
from gonghui.funds import services as funds_services
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import (
    Claim,
    ClaimChannel,
    ClaimRoute,
    ClaimStatus,
    Enrolment,
    EnrolmentStatus,
    Period,
)
from gonghui.mutualaid.services import claims as services

CLAIMS = 360
HOSPITALS = (
    "嘉兴市第一医院",
    "嘉兴市第二医院",
    "嘉兴市中医医院",
    "嘉兴学院附属医院",
    "平湖市第一人民医院",
    "海宁市人民医院",
    "桐乡市第一人民医院",
)
DIAGNOSES = ("肺炎", "急性阑尾炎", "腰椎间盘突出", "冠心病", "糖尿病", "骨折", "胆囊结石")
REFUSALS = ("发票为门诊费用，不属于住院类别", "出院小结与发票日期不符", "重复申请")


def _amount(rng: Any, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def run_claims(builder: Any) -> None:
    started = time.monotonic()
    rng = builder.rng
    city = builder.data["city"]["slug"]
    clerk = builder.staff[f"{city}-clerk"]
    reviewer = builder.staff[f"{city}-reviewer"]
    admin = builder.staff[f"{city}-admin"]
    today = timezone.localdate()
    period = (
        Period.unscoped.filter(enrolments__status=EnrolmentStatus.ACTIVE, starts_on__lte=today)
        .select_related("fund")
        .order_by("-starts_on")
        .first()
    )
    if period is None:
        builder.log("互助理赔：没有已生效的参保，跳过")
        return
    categories = list(rules.parse(period.rules).categories)
    enrolments = list(
        Enrolment.unscoped.filter(period=period, status=EnrolmentStatus.ACTIVE)
        .select_related("person")
        .order_by("pk")[: CLAIMS * 20]
    )
    # Spread over the unions: every n-th enrolment.
    enrolments = enrolments[:: max(1, len(enrolments) // CLAIMS)]
    last_day = min(period.ends_on, today - datetime.timedelta(days=5))
    span = (last_day - period.starts_on).days
    made: list[tuple[Claim, datetime.date]] = []
    refused_input = 0
    for n, enrolment in enumerate(enrolments):
        person = enrolment.person
        allowed = [c for c in categories if not c.sex or c.sex == person.sex]
        category = rng.choices(allowed, [6 if c.lump_sum is None else 1 for c in allowed])[0]
        start = max(enrolment.covered_from or period.starts_on, period.starts_on)
        days = (last_day - start).days
        if days < 10 or span < 10:
            continue
        admitted = start + datetime.timedelta(days=rng.randrange(days - 8))
        discharged = admitted + datetime.timedelta(days=rng.randint(1, 12))
        submitted = min(discharged + datetime.timedelta(days=rng.randint(2, 30)), today)
        if period.claims_close_on is not None:
            submitted = min(submitted, period.claims_close_on)
        eligible = _amount(rng, 300, 4000) if rng.random() < 0.8 else _amount(rng, 4000, 40000)
        total = (eligible * Decimal("2.4")).quantize(Decimal("0.01"))
        invoice = services.InvoiceInput(
            code="033001700111",
            number=f"{period.number:02d}{n:06d}",
            total=total,
            insurance_paid=(total - eligible) * Decimal("0.8"),
            eligible=eligible,
            issued_on=discharged,
        )
        data = services.ClaimInput(
            category=category.code,
            hospital=rng.choice(HOSPITALS),
            admitted_on=admitted,
            discharged_on=discharged,
            diagnosis=rng.choice(DIAGNOSES),
            invoices=[invoice],
            account_holder=person.name,
            bank_name="中国农业银行嘉兴分行",
            bank_card=f"62284803{rng.randrange(10**10, 10**11)}",
        )
        roll = rng.random()
        channel = (
            ClaimChannel.PORTAL
            if roll < 0.7
            else ClaimChannel.UNION
            if roll < 0.92
            else ClaimChannel.COUNTER
        )
        actor = _worker_account(person) if channel == ClaimChannel.PORTAL else clerk
        if actor is None:
            actor, channel = clerk, ClaimChannel.UNION
        try:
            claim = services.claim_submit(
                actor=actor,
                person=person,
                data=data,
                channel=channel,
                counter_visit=channel == ClaimChannel.UNION and rng.random() < 0.1,
                today=submitted,
            )
        except ValidationError:  # a person the rules turn away (a waiting period): not claimed
            refused_input += 1
            continue
        made.append((claim, submitted))
    # The claims' own dates (they came in through the year, not all today).
    for claim, submitted in made:
        when = timezone.make_aware(
            datetime.datetime.combine(submitted, datetime.time(rng.randint(8, 20)))
        )
        Claim.unscoped.filter(pk=claim.pk).update(created_at=when)
    result = services.claims_adjudicate(actor=reviewer, period=period)
    for claim in Claim.unscoped.filter(
        period=period,
        status=ClaimStatus.PENDING,
        route__in=(ClaimRoute.SAMPLED, ClaimRoute.ABOVE, ClaimRoute.FLAGGED),
    ).order_by("pk"):
        roll = rng.random()
        if roll < 0.1:
            services.claim_refuse(actor=reviewer, claim=claim, reason=rng.choice(REFUSALS))
            continue
        if roll < 0.25:
            claim = services.claim_adjust(
                actor=reviewer,
                claim=claim,
                eligible=(claim.eligible_claimed * Decimal("0.85")).quantize(Decimal("0.01")),
                reason="部分药品和材料为政策外自费，不计入",
            )
        services.claim_approve(actor=reviewer, claim=claim)
    paid = _pay(period, reviewer, admin, clerk)
    services.claims_adjudicate(actor=reviewer, period=period)  # reads the payments back
    builder.log(
        f"互助理赔：{period.name} {len(made)} 笔（{refused_input} 笔不符合条件未受理），"
        f"自动通过 {result.routed[ClaimRoute.AUTO]}，抽检 {result.routed[ClaimRoute.SAMPLED]}，"
        f"超限额 {result.routed[ClaimRoute.ABOVE]}，异常 {result.routed[ClaimRoute.FLAGGED]}；"
        f"已发放 {paid} 笔，{time.monotonic() - started:.1f} 秒"
    )


def _worker_account(person: Any) -> Any:
    """The worker's portal account, made on demand (as signing up with the mobile does)."""
    from gonghui.accounts.models import User

    return User.objects.filter(person=person, is_active=True).first()


def _pay(period: Period, reviewer: Any, admin: Any, clerk: Any) -> int:
    """One payment batch of the claims waiting to be paid: made by a reviewer, approved by
    the administrator, paid by the bank's return."""
    items = list(
        funds_selectors.payable_list(actor=reviewer).filter(
            source_kind=services.SOURCE_KIND, status="pending", fund=period.fund
        )
    )
    if not items:
        return 0
    batch = funds_services.batch_create(
        actor=reviewer,
        organization=period.organization,
        title=f"{period.name}互助理赔赔付",
        items=items,
    )
    batch = funds_services.batch_decide(actor=admin, batch=batch, approve=True)
    lines = funds_selectors.line_list(actor=clerk, batch=batch)
    funds_services.batch_results_record(
        actor=clerk,
        batch=batch,
        results=[funds_services.LineResult(line.pk, True) for line in lines],
    )
    return len(items)
