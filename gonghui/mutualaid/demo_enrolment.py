"""The demo city's enrolments (issue 14, point 14): the insured of each period reproduce the
seed's series (样本四) — 第一期 2014: 180,000; 2015: 370,000; 2016: 470,000; 2017: 490,000 or
more — with every fee received, all through the bulk path.

The demo's member roll is far smaller (about 21,000 people), as in the seed the scheme
reaches workers the federation's roll had not yet registered: each year's new enrolees are
registered as the enrolment import's "register" option does (a person and an active
membership of their union, weighted by the unions' workforce), then enrolled; people
enrolled in the year before continue (so their cover starts with the period), a few drop out
and some come back. Each period is one transaction of the set-based writer
(``services.enrolment.BulkEnrolment``), one bill per union, and the federation records the
payments received for every bill (a tenth of them in two parts), which makes them take
effect. Kept in its own file (not ``demo.py``, which the periods and the claims share) so the
parts merge cleanly; registered as the ``mutualaid_enrolment`` step after the periods.

The whole series registers about 470,000 people and writes 1.5 million enrolments, which
takes about half an hour on a 2-core machine: far over the five minutes ``make run`` may take.
So by default the demo enrols the roll's own members in the series' proportions (each period's
count scaled by roll ÷ population), and ``GONGHUI_DEMO_FULL=1`` enrols the seed's
series itself. Until the bulk path is fast enough for the full series in the default demo,
the seed's insured counts are reproduced only with that setting.
"""

from __future__ import annotations

import datetime
import os
import random
import time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from gonghui.core.imports import Outcome, Row
from gonghui.demo import people
from gonghui.members.models import Membership, MembershipStatus, Person
from gonghui.mutualaid.importers import EnrolmentImporter, EnrolmentRun
from gonghui.mutualaid.models import Bill, EnrolChannel, EnrolmentStatus, Period
from gonghui.mutualaid.services import enrolment as services
from gonghui.organizations.models import Organization, OrgKind

# Period number → insured persons (样本四: 18万 / 37万 / 47万 / 49万+).
INSURED = {1: 180_000, 2: 370_000, 3: 470_000, 4: 492_000}
# Each period enrols the window [start, start + insured) of the population: a few of the first
# year's enrolees drop out the next years, and some of them come back in the fourth.
WINDOW_START = {1: 0, 2: 3_000, 3: 5_000, 4: 3_000}
POPULATION = max(WINDOW_START[n] + INSURED[n] for n in INSURED)
CHUNK = 5000


def _new_person_rows(
    rng: random.Random, count: int, unions: list[Organization], weights: list[int], seen: set[str]
) -> list[tuple[str, str, Organization]]:
    rows: list[tuple[str, str, Organization]] = []
    regions = people.LOCAL_REGIONS * 3 + people.MIGRANT_REGIONS
    chosen = rng.choices(unions, weights=weights, k=count)
    for union in chosen:
        birth = people.birth_date(rng, oldest=1958, youngest=1994)
        region = rng.choice(regions)
        while True:
            number = people.id_number(rng, region=region, birth=birth)
            if number not in seen:
                seen.add(number)
                break
        rows.append((people.name(rng, sex=people.sex_of(number)), number, union))
    return rows


def _series(roll: int) -> tuple[dict[int, int], dict[int, int]]:
    """Each period's insured count and where its window starts in the population: the seed's
    series with ``GONGHUI_DEMO_FULL=1``, otherwise scaled to the roll (see above)."""
    if os.environ.get("GONGHUI_DEMO_FULL") == "1" or roll >= POPULATION:
        return dict(INSURED), dict(WINDOW_START)
    scale = roll / POPULATION
    return (
        {n: int(v * scale) for n, v in INSURED.items()},
        {n: int(v * scale) for n, v in WINDOW_START.items()},
    )


def _periods(builder: Any) -> list[Period]:
    found = list(Period.unscoped.filter(number__in=list(INSURED)).order_by("number"))
    if len(found) != len(INSURED):
        raise RuntimeError("demo enrolment: the periods 1-4 (2014-2017) must exist first")
    return found


def run_enrolment(builder: Any) -> None:
    started = time.monotonic()
    rng = random.Random(14)  # noqa: S311 (invented demo data, reproducible)
    periods = _periods(builder)
    city = periods[0].organization
    admin = builder.staff[f"{builder.data['city']['slug']}-admin"]
    unions = list(
        Organization.unscoped.filter(kind=OrgKind.GRASSROOTS, is_active=True)
        .prefetch_related("covered_enterprises")
        .order_by("pk")
    )
    weights = [1 + sum(e.employee_count for e in u.covered_enterprises.all()) for u in unions]
    # The population: the roll's active members first, then the people the scheme registers.
    roll = list(
        Membership.unscoped.filter(status=MembershipStatus.ACTIVE)
        .order_by("pk")
        .values_list("person_id", "union_id")[:POPULATION]
    )
    insured_of, window_of = _series(len(roll))
    population = max(window_of[n] + insured_of[n] for n in insured_of)
    fresh = _new_person_rows(
        rng, max(0, population - len(roll)), unions, weights, set(builder.ids.seen)
    )
    known: list[tuple[int, int] | None] = [*roll, *([None] * len(fresh))]
    headers = dict(EnrolmentImporter().headers)
    for period in periods:
        today = period.enrol_opens_on + datetime.timedelta(days=10)
        start, size = window_of[period.number], insured_of[period.number]
        registered_before = sum(1 for k in known if k is not None)
        with transaction.atomic():
            writer = services.BulkEnrolment(
                actor=admin,
                channel=EnrolChannel.IMPORT,
                history=False,
                now=timezone.make_aware(datetime.datetime.combine(today, datetime.time(9))),
            )
            enrollees = [
                services.Enrollee(k[0], k[1]) for k in known[start : start + size] if k is not None
            ]
            for chunk_start in range(0, len(enrollees), CHUNK):
                writer.add(period, enrollees[chunk_start : chunk_start + CHUNK])
            newcomers = [
                (index, fresh[index - len(roll)])
                for index in range(max(start, registered_before), start + size)
                if known[index] is None
            ]
            if newcomers:
                run = EnrolmentRun(
                    actor=admin,
                    register=True,
                    headers=headers,
                    today=today,
                    check_window=False,
                    periods=[period],
                )
                outcome = Outcome()
                rows = (
                    Row(index + 2, {"name": n, "id_number": i, "union_code": u.code, "period": ""})
                    for index, (n, i, u) in newcomers
                )
                run.open_periods = [period]
                run.run(rows, outcome, lambda done: None, writer=writer)
                if outcome.error_total:
                    raise RuntimeError(f"demo enrolment: {outcome.errors[:5]}")
            writer.finish()
        if newcomers:
            first = newcomers[0][0] + 2
            for person_id, union_id, row in (
                Person.unscoped.filter(
                    source_import__isnull=True,
                    source_row__gte=first,
                    source_row__lte=newcomers[-1][0] + 2,
                )
                .values_list("id", "memberships__union_id", "source_row")
                .iterator(chunk_size=CHUNK)
            ):
                index = (row or 0) - 2
                if 0 <= index < len(known) and known[index] is None:
                    known[index] = (person_id, union_id)
        _pay(period, admin, rng)
        insured = period.enrolments.filter(status=EnrolmentStatus.ACTIVE).count()
        builder.log(f"医疗互助{period.name}：参保 {insured:,} 人")
    received = Bill.unscoped.filter(period__organization=city).aggregate(s=Sum("received"))["s"]
    builder.log(f"医疗互助缴费：{received or Decimal(0):,} 元，{time.monotonic() - started:.0f} 秒")


def _pay(period: Period, admin: Any, rng: random.Random) -> None:
    """The federation records what each union paid, before the period began."""
    paid_on = period.enrol_closes_on
    for bill in Bill.unscoped.filter(period=period).order_by("pk"):
        parts = [bill.amount]
        if rng.random() < 0.1 and bill.people > 1:
            first = (bill.amount / 2).quantize(Decimal("0.01"))
            parts = [first, bill.amount - first]
        for n, amount in enumerate(parts, start=1):
            services.fee_payment_record(
                actor=admin,
                bill=bill,
                amount=amount,
                paid_on=paid_on - datetime.timedelta(days=len(parts) - n),
                bank_reference=f"YH{period.number:02d}{bill.pk:08d}{n}",
            )
