"""Claims' test set-up: a city period with rules and a fund, active enrolments made by a
small factory (enrolment services are built elsewhere), and claim input."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gonghui.funds import services as funds_services
from gonghui.funds.models import SourceKind
from gonghui.mutualaid.models import EnrolChannel, Enrolment, EnrolmentStatus, Period
from gonghui.mutualaid.services import claims as services

RULES: dict[str, Any] = {
    "yearly_cap": "50000.00",
    "categories": [
        {
            "code": "inpatient",
            "name": "住院",
            "deductible": "500.00",
            "bands": [
                {"start": "0.00", "end": "5000.00", "rate": "50"},
                {"start": "5000.00", "end": "20000.00", "rate": "60"},
                {"start": "20000.00", "end": None, "rate": "70"},
            ],
            "per_claim_cap": None,
            "yearly_cap": "30200.00",
            "lump_sum": None,
            "sex": None,
        },
        {
            "code": "outpatient",
            "name": "门诊特殊病种",
            "deductible": "0.00",
            "bands": [{"start": "0.00", "end": None, "rate": "50"}],
            "per_claim_cap": "2000.00",
            "yearly_cap": "10000.00",
            "lump_sum": None,
            "sex": None,
        },
        {
            "code": "women",
            "name": "女职工特殊疾病",
            "deductible": "0.00",
            "bands": [{"start": "0.00", "end": None, "rate": "100"}],
            "per_claim_cap": None,
            "yearly_cap": "20000.00",
            "lump_sum": None,
            "sex": "F",
        },
    ],
}
PDF = b"%PDF-1.4 invoice scan"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def period(world: Any, **fields: Any) -> Period:
    clerk = world.staff("city", "clerk")
    fund = funds_services.fund_create(
        actor=clerk,
        organization=world.city,
        name=fields.pop("fund_name", f"职工医疗互助保障基金{fields.get('number', 1)}"),
        source_kind=SourceKind.objects.get(code="system"),
    )
    funds_services.income_record(
        actor=clerk,
        fund=fund,
        donor="参保单位工会",
        amount="500000",
        received_on=days(-300),
        receipt_number=f"MA-{fund.pk}",
    )
    values = {
        "organization": world.city,
        "number": 1,
        "name": "第一期",
        "starts_on": days(-300),
        "ends_on": days(64),
        "enrol_opens_on": days(-340),
        "enrol_closes_on": days(-301),
        "fee": Decimal("36.00"),
        "waiting_days": 90,
        "claim_days": 90,
        "rules": RULES,
        "auto_approve_below": Decimal("3000.00"),
        "sample_percent": 10,
        "flag_multiple": Decimal("3"),
        "fund": fund,
        "status": "open",
        "created_by": world.staff("city", "admin"),
    }
    values.update(fields)
    return Period.unscoped.create(**values)


def enrol(
    world: Any, person: Any, target: Period, union: str = "union_b", **fields: Any
) -> Enrolment:
    values = {
        "period": target,
        "person": person,
        "union": world.orgs[union],
        "channel": EnrolChannel.IMPORT,
        "status": EnrolmentStatus.ACTIVE,
        "effective_on": target.starts_on,
        "covered_from": target.starts_on,
        "created_by": world.staff(union, "clerk"),
    }
    values.update(fields)
    return Enrolment.unscoped.create(**values)


_serial = [0]


def invoice(
    eligible: str = "2500.00", total: str = "4000.00", **fields: Any
) -> services.InvoiceInput:
    _serial[0] += 1
    values = {
        "code": "033001900111",
        "number": f"{_serial[0]:08d}",
        "total": total,
        "insurance_paid": "1000.00",
        "eligible": eligible,
    }
    values.update(fields)
    return services.InvoiceInput(**values)


def claim_input(*invoices: services.InvoiceInput, **fields: Any) -> services.ClaimInput:
    values = {
        "category": "inpatient",
        "hospital": "嘉兴市第一医院",
        "admitted_on": days(-20),
        "discharged_on": days(-12),
        "diagnosis": "急性阑尾炎",
        "invoices": list(invoices) or [invoice()],
        "account_holder": "王芳",
        "bank_name": "农业银行",
        "bank_card": "6228480328123456789",
    }
    values.update(fields)
    return services.ClaimInput(**values)


def document(name: str = "发票.pdf", data: bytes = PDF, kind: str = "invoice") -> tuple[str, Any]:
    content_type = "application/pdf" if name.endswith(".pdf") else "image/png"
    return kind, SimpleUploadedFile(name, data, content_type=content_type)


def enrolled_worker(world: Any, target: Period, union: str = "union_b", **fields: Any) -> Any:
    user = world.worker(union)
    enrol(world, user.person, target, union, **fields)
    return user


def submit(user: Any, *invoices: services.InvoiceInput, **fields: Any) -> Any:
    documents = fields.pop("documents", ())
    return services.claim_submit(
        actor=user, person=user.person, data=claim_input(*invoices, **fields), documents=documents
    )
