"""Issue 14's scale benchmark, claims half (point 16): an adjudication batch of 100,000
claims on PostgreSQL, in a database of its own (``<bench database>_claims``).

Set-up (not timed): a small city, one open period with its rules and fund, 100,000 enrolled
people and their pending claims (one invoice each, some with a second claim in the year,
a few sharing an uploaded file), written in bulk with their benefits computed by the rules.

Timed: ``claims_adjudicate`` over all of them in one run, as the periodic task does it: the
period's averages per category and hospital, the flags (far above an average, a file shared
with another live claim), the threshold, the seeded sample draw, the automatic approvals
written in a few statements, their payable items in the period's fund (one COPY) and the
workers' notifications (one COPY). Prints claims adjudicated per second (target >= 10,000),
and apart from it the rate of ``rules.compute`` alone (what a claim's submission, its
adjustment and a later claim's recomputation cost).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/maclaims_bench \\
        python -m bench.mutualaid_claims --mutualaid-claims 100000
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import time
from decimal import Decimal
from typing import Any

from bench import database

TARGET = 10_000.0
CHUNK = 20_000
CATEGORIES = (("inpatient", 70), ("outpatient", 25), ("women", 5))
HOSPITALS = tuple(f"第{i + 1}人民医院" for i in range(40))


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--mutualaid-claims", type=int, default=100_000)


def _period(tree: dict[str, Any]) -> Any:
    from django.utils import timezone

    from gonghui.funds import services as fund_services
    from gonghui.funds.models import SourceKind
    from gonghui.mutualaid.models import Period
    from gonghui.mutualaid.tests.claims_helpers import RULES

    admin = tree["staff"]["admin"]
    today = timezone.localdate()
    fund = fund_services.fund_create(
        actor=admin,
        organization=tree["city"],
        name="职工医疗互助保障基金（理赔基准）",
        source_kind=SourceKind.objects.get(code="system"),
    )
    return Period.unscoped.create(
        organization=tree["city"],
        number=1,
        name="理赔基准期",
        starts_on=today - datetime.timedelta(days=300),
        ends_on=today + datetime.timedelta(days=64),
        enrol_opens_on=today - datetime.timedelta(days=340),
        enrol_closes_on=today - datetime.timedelta(days=301),
        fee=Decimal("36.00"),
        claim_days=180,
        rules=RULES,
        auto_approve_below=Decimal("3000.00"),
        sample_percent=5,
        flag_multiple=Decimal("4"),
        fund=fund,
        status="open",
        created_by=admin,
    )


def build_claims(tree: dict[str, Any], period: Any, count: int) -> None:
    """``count`` pending claims of about ``0.9 × count`` enrolled people, as submission
    leaves them (benefit computed by the rules over the member's earlier claims)."""
    from django.db import transaction
    from django.utils import timezone

    from gonghui.core import bulk
    from gonghui.core.crypto import seal
    from gonghui.members.importers import PERSON_COLUMNS
    from gonghui.members.models import ID_NUMBER_PURPOSE, Person
    from gonghui.mutualaid import rules
    from gonghui.mutualaid.models import (
        BANK_CARD_PURPOSE,
        DIAGNOSIS_PURPOSE,
        Claim,
        ClaimDocument,
        Enrolment,
        Invoice,
    )

    rng = random.Random(14)
    people = int(count * 0.9)
    unions = tree["unions"]
    admin = tree["staff"]["admin"]
    now = timezone.now()
    ruleset = rules.parse(period.rules)
    card = seal("6228480328123456789", purpose=BANK_CARD_PURPOSE)
    diagnosis = seal("肺炎", purpose=DIAGNOSIS_PURPOSE)
    id_token = seal("330402198001011234", purpose=ID_NUMBER_PURPOSE)
    memo: dict[tuple[str, Decimal], rules.Benefit] = {}
    person_ids = bulk.allocate_ids(Person, people)
    enrolment_ids = bulk.allocate_ids(Enrolment, people)
    union_of = [unions[i % len(unions)] for i in range(people)]
    with transaction.atomic():
        for start in range(0, people, CHUNK):
            rows = [
                (pid, f"职工{i:07d}", id_token, f"h{i:031d}", None, None)
                + (datetime.date(1980, 1, 1), "F" if i % 2 else "M", "", "", None, now)
                + (None, None)
                for i, pid in enumerate(person_ids[start : start + CHUNK], start)
            ]
            bulk.insert_rows(Person, PERSON_COLUMNS, rows)
        columns = (
            "id",
            "period_id",
            "person_id",
            "union_id",
            "channel",
            "status",
            "continuous",
            "effective_on",
            "covered_from",
            "end_reason",
            "created_by_id",
            "created_at",
        )
        enrolment_rows: list[tuple[Any, ...]] = [
            (eid, period.pk, pid, union_of[i], "import", "active", True)
            + (period.starts_on, period.starts_on, "", admin.pk, now)
            for i, (eid, pid) in enumerate(zip(enrolment_ids, person_ids, strict=True))
        ]
        bulk.insert_rows(Enrolment, columns, enrolment_rows)
    claim_ids = bulk.allocate_ids(Claim, count)
    # The first ``people`` claims are one per person; the rest a second claim of some.
    owners = list(range(people)) + [rng.randrange(people) for _ in range(count - people)]
    earlier: dict[int, list[rules.Earlier]] = {}
    claim_rows: list[tuple[Any, ...]] = []
    invoice_rows: list[tuple[Any, ...]] = []
    document_rows: list[tuple[Any, ...]] = []
    invoice_ids = bulk.allocate_ids(Invoice, count)
    document_ids = bulk.allocate_ids(ClaimDocument, count // 50)
    admitted = period.starts_on + datetime.timedelta(days=100)
    weights = [w for _c, w in CATEGORIES]
    for n, (claim_id, owner) in enumerate(zip(claim_ids, owners, strict=True)):
        category = rng.choices([c for c, _w in CATEGORIES], weights)[0]
        if category == "women" and owner % 2 == 0:
            category = "outpatient"
        eligible = Decimal(rng.choice((300, 800, 1500, 1500, 2500, 2500, 4000, 6000, 12000)))
        eligible += Decimal(rng.randrange(100)) / 100
        total = eligible * 2
        before = earlier.setdefault(owner, [])
        if before:
            benefit = rules.compute(ruleset, category, eligible, before)
        else:
            key = (category, eligible)
            if key not in memo:
                memo[key] = rules.compute(ruleset, category, eligible, ())
            benefit = memo[key]
        before.append(rules.Earlier(category, eligible, benefit.deductible_used, benefit.amount))
        hospital = HOSPITALS[rng.randrange(len(HOSPITALS))]
        claim_rows.append(
            (claim_id, period.pk, enrolment_ids[owner], person_ids[owner], union_of[owner])
            + (category, hospital, admitted, admitted + datetime.timedelta(days=5), diagnosis)
            + ("portal" if n % 10 else "union", False, total, ZERO, eligible, eligible, "")
            + (benefit.deductible_used, benefit.amount, list(benefit.lines), [], "", None)
            + ("pending", "职工", "农业银行", card, now, None)
            + (now, admin.pk, None, None, "")
        )
        invoice_rows.append(
            (invoice_ids[n], claim_id, "033001900111", f"{n:010d}", None, total, ZERO, eligible)
            + (True,)
        )
        if n % 50 == 0:
            digest = f"{(n // 100):064d}"  # two claims in a hundred share a file
            document_rows.append(
                (document_ids[n // 50], claim_id, "invoice", "发票.jpg", "image/jpeg", 10)
                + (digest, "mutualaid/bench.sealed", admin.pk, now)
            )
    claim_columns = (
        "id",
        "period_id",
        "enrolment_id",
        "person_id",
        "union_id",
        "category",
        "hospital",
        "admitted_on",
        "discharged_on",
        "diagnosis",
        "channel",
        "counter_visit",
        "total",
        "insurance_paid",
        "eligible_claimed",
        "eligible",
        "adjust_reason",
        "deductible_used",
        "benefit",
        "explanation",
        "flags",
        "route",
        "draw_id",
        "status",
        "account_holder",
        "bank_name",
        "bank_card",
        "updated_at",
        "paid_at",
        "created_at",
        "created_by_id",
        "decided_at",
        "decided_by_id",
        "decision_note",
    )
    import json

    with transaction.atomic():
        for start in range(0, count, CHUNK):
            chunk = [
                row[:19] + (json.dumps(row[19], ensure_ascii=False), "[]") + row[21:]
                for row in claim_rows[start : start + CHUNK]
            ]
            bulk.insert_rows(Claim, claim_columns, chunk)
            bulk.insert_rows(
                Invoice,
                (
                    "id",
                    "claim_id",
                    "code",
                    "number",
                    "issued_on",
                    "total",
                    "insurance_paid",
                    "eligible",
                    "live",
                ),
                invoice_rows[start : start + CHUNK],
            )
        bulk.insert_rows(
            ClaimDocument,
            (
                "id",
                "claim_id",
                "kind",
                "name",
                "content_type",
                "size",
                "digest",
                "file",
                "uploaded_by_id",
                "uploaded_at",
            ),
            document_rows,
        )


ZERO = Decimal("0.00")


def rules_rate(period: Any, samples: int = 5_000) -> float:
    """Claims per second of ``rules.compute`` alone, with the member's earlier claims."""
    from gonghui.mutualaid import rules

    ruleset = rules.parse(period.rules)
    rng = random.Random(7)
    earlier = [rules.Earlier("inpatient", Decimal("3000.00"), Decimal("500.00"), Decimal("1250"))]
    amounts = [Decimal(rng.randrange(30000, 3000000)) / 100 for _ in range(samples)]
    started = time.perf_counter()
    for i, amount in enumerate(amounts):
        rules.compute(ruleset, "inpatient", amount, earlier if i % 3 else ())
    return samples / (time.perf_counter() - started)


def adjudication(args: argparse.Namespace) -> None:
    """The claims half: build, then time one adjudication run over every pending claim."""
    from django.core.management import call_command
    from django.db import connection

    from bench.assistance import build_tree
    from gonghui.funds.models import PayableItem
    from gonghui.mutualaid.models import Claim, SampleDraw
    from gonghui.mutualaid.services import claims as claim_services

    count = args.mutualaid_claims
    url = database.own("claims")
    print(f"基准数据库 / database: {url}")
    call_command("migrate", verbosity=0)
    tree = build_tree(50)
    period = _period(tree)
    started = time.monotonic()
    build_claims(tree, period, count)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"理赔数据 / {count:,} pending claims built in {time.monotonic() - started:.1f} s")
    reviewer = tree["staff"]["reviewer"]
    # A worker process has its URL map loaded (the run links each notification to the claim).
    from django.urls import reverse

    reverse("portal:mutualaid_claims")
    # Notifications are sent by Celery workers after commit in production; without a broker
    # that task would run inline here: collect what it would be given instead.
    from gonghui.core import notify

    queued: list[list[int]] = []
    inline = notify.enqueue
    notify.enqueue = queued.append  # type: ignore[assignment]
    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    started = time.perf_counter()
    result = claim_services.claims_adjudicate(actor=reviewer, period=period)
    took = time.perf_counter() - started
    notify.enqueue = inline
    if profile is not None:
        import pstats

        profile.disable()
        pstats.Stats(profile).sort_stats("cumtime").print_stats(30)
    rate = result.total / took
    items = PayableItem.unscoped.filter(source_kind=claim_services.SOURCE_KIND).count()
    draw = SampleDraw.unscoped.get()
    assert result.total == count == Claim.unscoped.exclude(route="").count()  # noqa: S101
    assert claim_services.draw_verify(draw)  # noqa: S101
    print(f"自动审核 / adjudication of {count:,} claims in {took:.2f} s:")
    print(
        f"  routed: {result.routed}; approved at once {result.approved:,}, "
        f"payable items {items:,}, sample of {len(draw.picked):,} in {len(draw.pool):,}"
    )
    print(
        f"  {rate:>10,.0f} claims/s (flags, duplicate files, draw, approvals, payable items "
        f"and {sum(len(q) for q in queued):,} notifications written; target >= {TARGET:,.0f}: "
        f"{'met' if rate >= TARGET else 'MISSED'})"
    )
    print(f"  rules.compute alone: {rules_rate(period):,.0f} claims/s (one process)")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
    from bench import database
    from bench.members import setup_django

    database.point()
    setup_django()
    parser = argparse.ArgumentParser(prog="python -m bench.mutualaid_claims")
    add_arguments(parser.add_argument_group("mutualaid claims"))
    adjudication(parser.parse_args())


if __name__ == "__main__":
    main()
