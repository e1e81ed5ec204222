"""Issue 13's scale benchmark (point 17): hardship files, a round of applications and the
payments on PostgreSQL, in a database of its own (``<bench database>_assistance``).

Builds 200,000 hardship files (households and their members, incomes sealed, levels and
``above_line`` as the hardship services would set them from the city's income lines) across
a city of 10 districts, 100 towns and 1,000 grassroots unions, and a city round of 春节送温暖
with 100,000 applications (written in bulk, as ``applications_from_proposals`` writes them,
with bank accounts). Prints:

- the time of the "eligible and not yet applied" list (``selectors.proposal_list``) for one
  district and for the whole city (target: city <= 2 s);
- the rate of bulk approval through ``services.application_bulk_approve`` (target >= 5,000/s);
- the rate of a payment batch of 50,000 lines through ``funds.services.batch_create``,
  ``batch_decide`` and ``batch_results_record``, ledger included (target >= 5,000 lines/s);
- 100 payment requests at once (a one-line batch made and approved, each in its own thread
  and connection) against a fund that covers only some: payments/s, and the balance exact
  (``Fund.balance`` equal to the sum of its ledger, never negative).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import pstats
import random
import threading
import time
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bench import database

PROPOSALS_TARGET_S = 2.0
APPROVAL_TARGET = 5_000.0
BATCH_TARGET = 5_000.0
DISTRICTS = 10
TOWNS_PER_DISTRICT = 10
CHUNK = 5_000
CARD = "6228480328123456789"
DEEP_LINE = Decimal("6000.00")
RELATIVE_LINE = Decimal("12000.00")
CONCURRENT = 100
CONCURRENT_AMOUNT = Decimal("1000.00")
CONCURRENT_COVERED = 37


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--assistance-files", type=int, default=200_000)
    group.add_argument("--assistance-applications", type=int, default=100_000)
    group.add_argument("--assistance-unions", type=int, default=1_000)
    group.add_argument(
        "--assistance-approvals",
        type=int,
        default=10_000,
        help="how many of the applications the bulk approval decides (in chunks of its limit)",
    )
    group.add_argument("--assistance-batch-lines", type=int, default=50_000)
    group.add_argument(
        "--assistance-keep",
        action="store_true",
        help="reuse the assistance database built by an earlier run (measure again on it)",
    )
    group.add_argument(
        "--assistance-profile",
        action="store_true",
        help="profile 150 more bulk approvals and the payment batch: where the time goes",
    )


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


# --- the database ----------------------------------------------------------------------------


# --- the data --------------------------------------------------------------------------------


def build_tree(unions: int) -> dict[str, Any]:
    """City → 10 districts → 100 towns → ``unions`` grassroots unions, through the services,
    with the city's staff (clerk, reviewer, admin) and a district clerk."""
    from django.contrib.auth.hashers import make_password

    from gonghui.accounts import services as account_services
    from gonghui.organizations import services as org_services
    from gonghui.organizations.models import OrgKind

    city = org_services.organization_create(
        actor=None, parent=None, name="助困基准市总工会", kind=OrgKind.CITY, code="AB"
    )
    password = make_password("bench-pass-2018")
    staff = {}
    for role in ("admin", "clerk", "reviewer"):
        staff[role] = account_services.staff_create(
            actor=None,
            organization=city,
            username=f"ab-{role}",
            full_name=role,
            roles=[role],
            password_hash=password,
        )
    districts, towns = [], []
    for d in range(DISTRICTS):
        district = org_services.organization_create(
            actor=None, parent=city, name=f"第{d + 1}区总工会", kind=OrgKind.DISTRICT, code=f"AD{d}"
        )
        districts.append(district)
        for t in range(TOWNS_PER_DISTRICT):
            towns.append(
                org_services.organization_create(
                    actor=None,
                    parent=district,
                    name=f"第{d + 1}区第{t + 1}镇总工会",
                    kind=OrgKind.TOWN,
                    code=f"AT{d}{t:02d}",
                )
            )
    union_ids = []
    for u in range(unions):
        union = org_services.organization_create(
            actor=None,
            parent=towns[u % len(towns)],
            name=f"助困基准企业{u:05d}工会",
            kind=OrgKind.GRASSROOTS,
            grassroots_kind="enterprise",
            code=f"AU{u:05d}",
        )
        union_ids.append(union.pk)
    staff["district-clerk"] = account_services.staff_create(
        actor=None,
        organization=districts[0],
        username="ab-d0-clerk",
        full_name="区经办",
        roles=["clerk"],
        password_hash=password,
    )
    return {
        "city": city,
        "districts": districts,
        "unions": union_ids,
        "staff": staff,
    }


def _income_lines(city: Any, admin: Any) -> dict[str, int]:
    """The city's lines for this year, through the service (no household yet to recompute)."""
    from django.utils import timezone

    from gonghui.hardship import services as hardship_services
    from gonghui.hardship.models import HardshipLevel

    levels = {level.code: level for level in HardshipLevel.objects.all()}
    year = timezone.localdate().year
    for code, line in (("deep", DEEP_LINE), ("relative", RELATIVE_LINE)):
        hardship_services.income_line_set(
            actor=admin, organization=city, year=year, level=levels[code], line=line
        )
    return {code: level.pk for code, level in levels.items()}


def generate_files(tree: dict[str, Any], files: int) -> None:
    """``files`` people, each heading a household on the roll, with 1 to 4 members; what
    ``household_file`` + approval would leave: status active, the members' sealed incomes,
    the sealed per-capita income, the level by the city's lines, ``above_line``."""
    from gonghui.core.crypto import seal
    from gonghui.demo import people
    from gonghui.hardship.models import (
        INCOME_PURPOSE,
        Household,
        HouseholdMember,
        HouseholdStatus,
    )
    from gonghui.members.models import ID_NUMBER_PURPOSE, Person
    from gonghui.members.services import id_number_hash

    clerk = tree["staff"]["clerk"]
    levels = _income_lines(tree["city"], tree["staff"]["admin"])
    rng = random.Random(13_017)
    unions = tree["unions"]
    seen: set[str] = set()
    regions = people.LOCAL_REGIONS + people.MIGRANT_REGIONS
    started = time.monotonic()
    members_made = 0
    for start in range(0, files, CHUNK):
        size = min(CHUNK, files - start)
        persons = []
        for _ in range(size):
            while True:
                birth = people.birth_date(rng, oldest=1960, youngest=1998)
                number = people.id_number(rng, region=rng.choice(regions), birth=birth)
                if number not in seen:
                    seen.add(number)
                    break
            persons.append(
                Person(
                    name=people.name(rng),
                    id_number=seal(number, purpose=ID_NUMBER_PURPOSE),
                    id_number_hash=id_number_hash(number),
                    birth_date=birth,
                    sex="M" if int(number[16]) % 2 else "F",
                    household=rng.choice(["urban", "rural"]),
                )
            )
        Person.unscoped.bulk_create(persons, batch_size=1000)
        households, member_sets = [], []
        for person in persons:
            incomes = [Decimal(rng.randint(0, 30_000)) for _ in range(rng.randint(1, 4))]
            if rng.random() < 0.3:
                incomes[-1] = Decimal("0.00")  # a child at school
            per_capita = (sum(incomes, Decimal("0")) / len(incomes)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            if per_capita <= DEEP_LINE:
                level, above = levels["deep"], False
            elif per_capita <= RELATIVE_LINE:
                level, above = levels["relative"], False
            else:  # above every line: keeps the level it was filed at, flagged to leave
                level, above = levels["relative"], True
            households.append(
                Household(
                    union_id=rng.choice(unions),
                    person=person,
                    status=HouseholdStatus.ACTIVE,
                    level_id=level,
                    per_capita_income=seal(str(per_capita), purpose=INCOME_PURPOSE),
                    member_count=len(incomes),
                    above_line=above,
                    filed_on=datetime.date(2016, 1, 1) + datetime.timedelta(rng.randint(0, 700)),
                    created_by=clerk,
                    decided_by=tree["staff"]["reviewer"],
                )
            )
            member_sets.append((person, incomes))
        Household.unscoped.bulk_create(households, batch_size=1000)
        members = []
        for household, (person, incomes) in zip(households, member_sets, strict=True):
            for i, income in enumerate(incomes):
                members.append(
                    HouseholdMember(
                        household=household,
                        person=person if i == 0 else None,
                        name=person.name if i == 0 else people.name(rng),
                        relation="self" if i == 0 else rng.choice(["spouse", "child", "parent"]),
                        yearly_income=seal(str(income), purpose=INCOME_PURPOSE),
                    )
                )
        HouseholdMember.unscoped.bulk_create(members, batch_size=1000)
        members_made += len(members)
    print(
        f"困难档案 / hardship files: {files:,} 户, {members_made:,} 名家庭成员, "
        f"{time.monotonic() - started:.1f} s (bulk)"
    )


def build_round(tree: dict[str, Any], applications: int, batch_lines: int) -> dict[str, int]:
    """A city programme and round (春节送温暖, reviewed by the city alone), its fund with money
    for every application and the batch, through the services; then ``applications``
    applications of the first households, written in bulk as ``applications_from_proposals``
    writes them, with bank accounts."""
    from django.utils import timezone

    from gonghui.assistance import rules
    from gonghui.assistance import services as assistance_services
    from gonghui.assistance.models import BANK_CARD_PURPOSE, Application, Channel
    from gonghui.core.crypto import seal
    from gonghui.funds import services as funds_services
    from gonghui.funds.models import SourceKind
    from gonghui.hardship.models import Household

    city, clerk = tree["city"], tree["staff"]["clerk"]
    kind, _created = SourceKind.objects.get_or_create(
        code="budget", defaults={"name": "财政预算", "order": 1}
    )
    fund = funds_services.fund_create(
        actor=clerk, organization=city, name="春节送温暖基金", source_kind=kind
    )
    amount = Decimal("2000.00")
    funds_services.income_record(
        actor=clerk,
        fund=fund,
        donor="市财政",
        amount=amount * (applications + batch_lines + 10),
        received_on=timezone.localdate(),
        receipt_number="AB000001",
        kind="allocation",
        purpose="春节送温暖",
    )
    programme = assistance_services.programme_create(
        actor=clerk, organization=city, kind="hardship", name="春节送温暖"
    )
    _label, rule, table = rules.TEMPLATES["spring"]
    today = timezone.localdate()
    round = assistance_services.round_save(
        actor=clerk,
        programme=programme,
        name=f"{today.year} 春节送温暖",
        year=today.year,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=20),
        tiers=("city",),
        rules_data=rule,
        amounts=table,
        funds=[fund],
    )
    started = time.monotonic()
    rows = Household.unscoped.order_by("pk").values_list(
        "pk", "person_id", "person__name", "union_id"
    )
    card = seal(CARD, purpose=BANK_CARD_PURPOSE)
    batch = []
    for pk, person_id, name, union_id in rows[:applications].iterator(chunk_size=CHUNK):
        batch.append(
            Application(
                round=round,
                person_id=person_id,
                union_id=union_id,
                household_id=pk,
                channel=Channel.PROPOSAL,
                beneficiary="self",
                beneficiary_name=name,
                amount=amount,
                account_holder=name,
                bank_name="中国农业银行嘉兴分行",
                bank_card=card,
                tiers="city",
                waiting_at=city,
                created_by=clerk,
            )
        )
        if len(batch) == CHUNK:
            Application.unscoped.bulk_create(batch, batch_size=1000)
            batch = []
    Application.unscoped.bulk_create(batch, batch_size=1000)
    print(
        f"帮扶申请 / applications: {applications:,} 份 (bulk), {time.monotonic() - started:.1f} s"
    )
    return {"round": round.pk, "fund": fund.pk}


def existing_tree() -> dict[str, Any] | None:
    """The tree an earlier run built (``--assistance-keep``), or None."""
    from gonghui.accounts.models import User
    from gonghui.organizations.models import Organization, OrgKind

    city = Organization.unscoped.filter(kind=OrgKind.CITY, code="AB").first()
    if city is None:
        return None
    named = {"admin": "ab-admin", "clerk": "ab-clerk", "reviewer": "ab-reviewer"}
    named["district-clerk"] = "ab-d0-clerk"
    staff = {role: User.objects.get(username=username) for role, username in named.items()}
    below = Organization.unscoped.filter(path__startswith=city.path)
    return {
        "city": city,
        "districts": list(below.filter(kind=OrgKind.DISTRICT).order_by("code")),
        "unions": list(
            below.filter(kind=OrgKind.GRASSROOTS).order_by("code").values_list("pk", flat=True)
        ),
        "staff": staff,
    }


# --- measuring -------------------------------------------------------------------------------


@contextlib.contextmanager
def queued_tasks() -> Iterator[None]:
    """Tasks handed to a queue as in production (the in-memory transport; nothing runs them
    here), where a Celery worker sends the SMS after commit: without a broker they would run
    in-process inside the timed call. ``measure_delivery`` times that worker's part alone."""
    from gonghui.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


def measure_delivery(label: str) -> None:
    """The SMS of the messages just written, sent as the worker's task would send them."""
    from gonghui.core import delivery

    started = time.perf_counter()
    result = delivery.deliver()
    elapsed = time.perf_counter() - started
    count = result.sent + result.skipped + result.held + result.retried + result.failed
    if count:
        print(
            f"  (after commit, by the worker) SMS of {label}: {count:,} messages in "
            f"{elapsed:.1f} s = {count / elapsed:,.0f}/s"
        )


def measure_proposals(tree: dict[str, Any], round: Any) -> None:
    from gonghui.assistance import selectors

    clerk = tree["staff"]["clerk"]
    print()
    print("== 符合条件未申请名单 / eligible and not yet applied (selectors.proposal_list) ==")
    for label, org in (("one district", tree["districts"][0]), ("whole city", tree["city"])):
        selectors.proposal_list(actor=clerk, round=round, organization=org)  # warm
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            found = selectors.proposal_list(actor=clerk, round=round, organization=org)
            timings.append(time.perf_counter() - started)
        best = min(timings)
        note = ""
        if label == "whole city":
            note = (
                f"   (target <= {PROPOSALS_TARGET_S:.0f} s) {verdict(best <= PROPOSALS_TARGET_S)}"
            )
        print(f"  {label + ':':12} {len(found):8,} households   {best:6.2f} s (best of 3){note}")


def measure_approval(tree: dict[str, Any], round: Any, count: int, *, profile: bool) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gonghui.assistance import services
    from gonghui.assistance.models import Application, ApplicationStatus

    reviewer = tree["staff"]["reviewer"]
    pending = list(
        Application.unscoped.filter(round=round, status=ApplicationStatus.PENDING)
        .select_related("union")
        .order_by("pk")[:count]
    )
    print()
    print("== 批量审批 / bulk approval (services.application_bulk_approve, final step) ==")
    done = problems = 0
    started = time.perf_counter()
    for start in range(0, len(pending), services.MAX_BULK):
        result = services.application_bulk_approve(
            actor=reviewer, applications=pending[start : start + services.MAX_BULK]
        )
        done += len(result.done)
        problems += len(result.problems)
        if result.problems and problems == len(result.problems):
            print(f"  first problem: {result.problems[0][1]}")
    elapsed = time.perf_counter() - started
    rate = done / elapsed if elapsed else 0.0
    print(
        f"  approved:   {done:,} of {len(pending):,} ({problems:,} refused) in {elapsed:.1f} s "
        f"= {rate:,.0f} applications/s   (target >= {APPROVAL_TARGET:,.0f}) "
        f"{verdict(rate >= APPROVAL_TARGET)}"
    )
    more = list(
        Application.unscoped.filter(round=round, status=ApplicationStatus.PENDING)
        .select_related("union")
        .order_by("pk")[:200]
    )
    if more:
        with CaptureQueriesContext(connection) as queries:
            services.application_bulk_approve(actor=reviewer, applications=more[:50])
        print(f"  SQL statements per application: {len(queries) / len(more[:50]):.1f}")
    if profile and len(more) > 50:
        profiler = cProfile.Profile()
        profiler.enable()
        services.application_bulk_approve(actor=reviewer, applications=more[50:])
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(30)


# What tells this run's items, fund and receipt from an earlier run's on a kept database.
RUN = str(int(time.time()))


def _items(tree: dict[str, Any], fund: Any, count: int, amount: Decimal, kind: str) -> list[Any]:
    """``count`` pending payable items as ``payable_submit`` makes them, written in bulk."""
    from gonghui.core.crypto import seal
    from gonghui.funds.models import BANK_CARD_PURPOSE, PayableItem
    from gonghui.hardship.models import Household

    clerk = tree["staff"]["reviewer"]
    card = seal(CARD, purpose=BANK_CARD_PURPOSE)
    rows = list(
        Household.unscoped.order_by("-pk").values_list(
            "pk", "person_id", "person__name", "union_id"
        )[:count]
    )
    made = [
        PayableItem(
            organization_id=union_id,
            fund=fund,
            person_id=person_id,
            account_holder=name,
            bank_name="中国农业银行嘉兴分行",
            bank_card=card,
            amount=amount,
            source_kind=kind,
            source_id=pk,
            label="春节送温暖",
            created_by=clerk,
        )
        for pk, person_id, name, union_id in rows
    ]
    return PayableItem.unscoped.bulk_create(made, batch_size=1000)


def measure_batch(tree: dict[str, Any], fund: Any, lines: int) -> None:
    from gonghui.funds import selectors
    from gonghui.funds import services as funds_services
    from gonghui.funds.models import PaymentLine

    items = _items(tree, fund, lines, Decimal("2000.00"), f"bench.batch.{RUN}")
    reviewer, admin = tree["staff"]["reviewer"], tree["staff"]["admin"]
    print()
    print(f"== 发放批次 / a payment batch of {len(items):,} lines (funds.services) ==")
    timings: list[tuple[str, float]] = []
    started = time.perf_counter()
    batch = funds_services.batch_create(
        actor=reviewer, organization=tree["city"], title="春节送温暖第一批", items=items
    )
    timings.append(("batch_create", time.perf_counter() - started))
    step = time.perf_counter()
    batch = funds_services.batch_decide(actor=admin, batch=batch, approve=True)
    timings.append(("batch_decide (ledger)", time.perf_counter() - step))
    step = time.perf_counter()
    line_ids = list(
        PaymentLine.unscoped.filter(batch=batch).order_by("pk").values_list("pk", flat=True)
    )
    results = [
        funds_services.LineResult(pk, paid=i % 100 != 0, reason="" if i % 100 else "账号不存在")
        for i, pk in enumerate(line_ids)
    ]
    funds_services.batch_results_record(actor=tree["staff"]["clerk"], batch=batch, results=results)
    timings.append(("batch_results_record", time.perf_counter() - step))
    elapsed = time.perf_counter() - started
    for label, seconds in timings:
        print(f"  {label + ':':24} {seconds:6.2f} s = {len(items) / seconds:9,.0f} lines/s")
    rate = len(items) / elapsed
    print(
        f"  end to end:              {elapsed:6.2f} s = {rate:9,.0f} lines/s   "
        f"(target >= {BATCH_TARGET:,.0f}) {verdict(rate >= BATCH_TARGET)}"
    )
    fund.refresh_from_db()
    exact = fund.balance == selectors.fund_ledger_sum(fund=fund) and fund.balance >= 0
    print(f"  fund balance {fund.balance} = ledger sum: {exact}")


def _connect(retries: list[int]) -> None:
    """Open this thread's connection; while the server has no free slot (``max_connections``
    is shared with other clients), wait and try again: nothing was done yet."""
    from django.db import OperationalError, connection

    for attempt in range(200):
        try:
            connection.ensure_connection()
            return
        except OperationalError as exc:
            if "too many clients" not in str(exc):
                raise
            retries.append(attempt)
            time.sleep(0.02)
    connection.ensure_connection()


def measure_concurrent(tree: dict[str, Any]) -> None:
    """100 one-line payment requests at once against a fund that covers 37 of them."""
    from django.core.exceptions import ValidationError
    from django.db import connection
    from django.utils import timezone

    from gonghui.funds import selectors
    from gonghui.funds import services as funds_services
    from gonghui.funds.models import EntryKind, LedgerEntry, SourceKind

    clerk = tree["staff"]["clerk"]
    kind = SourceKind.objects.get(code="budget")
    fund = funds_services.fund_create(
        actor=clerk, organization=tree["city"], name=f"并发发放基金{RUN}", source_kind=kind
    )
    start_balance = CONCURRENT_AMOUNT * CONCURRENT_COVERED + Decimal("0.50")
    funds_services.income_record(
        actor=clerk,
        fund=fund,
        donor="市财政",
        amount=start_balance,
        received_on=timezone.localdate(),
        receipt_number=f"AB{RUN}",
        kind="allocation",
    )
    items = _items(tree, fund, CONCURRENT, CONCURRENT_AMOUNT, f"bench.concurrent.{RUN}")
    reviewer, admin, city = tree["staff"]["reviewer"], tree["staff"]["admin"], tree["city"]
    barrier = threading.Barrier(len(items))
    outcomes: list[str] = []
    retries: list[int] = []
    lock = threading.Lock()

    def request(item: Any) -> Callable[[], None]:
        def run() -> None:
            try:
                barrier.wait(timeout=60)
                _connect(retries)
                batch = funds_services.batch_create(
                    actor=reviewer, organization=city, title=f"并发 {item.pk}", items=[item]
                )
                funds_services.batch_decide(actor=admin, batch=batch, approve=True)
                result = "paid"
            except ValidationError:
                result = "refused"
            except Exception as exc:  # noqa: BLE001 (reported below)
                result = f"error {type(exc).__name__}: {exc}"
            finally:
                connection.close()
            with lock:
                outcomes.append(result)

        return run

    threads = [threading.Thread(target=request(item)) for item in items]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    elapsed = time.perf_counter() - started
    fund.refresh_from_db()
    ledger = selectors.fund_ledger_sum(fund=fund)
    paid = outcomes.count("paid")
    reserves = LedgerEntry.unscoped.filter(fund=fund, kind=EntryKind.RESERVE).count()
    running, never_negative = Decimal("0"), True
    for amount, after in (
        LedgerEntry.unscoped.filter(fund=fund).order_by("pk").values_list("amount", "balance_after")
    ):
        running += amount
        never_negative = never_negative and after == running and running >= 0
    exact = (
        fund.balance == ledger == start_balance - CONCURRENT_AMOUNT * paid
        and reserves == paid
        and fund.balance >= 0
    )
    errors = [o for o in outcomes if o.startswith("error")]
    print()
    print(
        f"== 并发发放 / {len(items)} payment requests at once (batch_create + batch_decide, "
        f"one thread and connection each) against a fund covering {CONCURRENT_COVERED} =="
    )
    print(
        f"  paid {paid}, refused {outcomes.count('refused')}, errors {len(errors)}; "
        f"{elapsed:.2f} s = {len(items) / elapsed:,.0f} requests/s, "
        f"{paid / elapsed:,.0f} payments/s"
    )
    print(
        f"  balance {fund.balance} (from {start_balance}), ledger sum {ledger}: "
        f"exact {verdict(exact)}, never negative {verdict(never_negative)}, "
        f"no more paid than covered {verdict(paid <= CONCURRENT_COVERED)}"
    )
    if retries:
        print(
            f"  ({len(retries)} connection attempts waited for a free server slot: "
            "max_connections is shared with other clients)"
        )
    for error in errors[:3]:
        print(f"  {error}")


# --- the entry point -------------------------------------------------------------------------


def main(args: argparse.Namespace) -> None:
    url = database.own("assistance", fresh=not args.assistance_keep)
    from django.core.management import call_command
    from django.db import connection

    from gonghui.assistance.models import Round
    from gonghui.funds.models import Fund

    print(f"基准数据库 / database: {url}")
    call_command("migrate", verbosity=0)
    files = args.assistance_files
    applications = min(args.assistance_applications, files)
    tree = existing_tree() if args.assistance_keep else None
    if tree is not None:
        round = Round.unscoped.select_related("programme__organization").get(
            programme__organization=tree["city"], programme__name="春节送温暖"
        )
        fund = Fund.unscoped.get(organization=tree["city"], name="春节送温暖基金")
        print("kept database: the data of an earlier run, measured again")
    else:
        started = time.monotonic()
        tree = build_tree(args.assistance_unions)
        print(
            f"组织树 / tree: {args.assistance_unions:,} 个基层工会, "
            f"{time.monotonic() - started:.1f} s"
        )
        generate_files(tree, files)
        made = build_round(tree, applications, args.assistance_batch_lines)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        round = Round.unscoped.select_related("programme__organization").get(pk=made["round"])
        fund = Fund.unscoped.get(pk=made["fund"])
    measure_proposals(tree, round)
    with queued_tasks():
        measure_approval(
            tree,
            round,
            min(args.assistance_approvals, applications),
            profile=args.assistance_profile,
        )
    measure_delivery("the approvals' messages")
    if args.assistance_profile:
        profiler = cProfile.Profile()
        profiler.enable()
    with queued_tasks():
        measure_batch(tree, fund, min(args.assistance_batch_lines, files))
    if args.assistance_profile:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    measure_delivery("the batch's messages")
    measure_concurrent(tree)
