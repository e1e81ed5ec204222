"""Issue 14's scale benchmark (point 16) on PostgreSQL, in a database of its own
(``<bench database>_mutualaid``).

Enrolment half: a roll of 1,000,000 members across the city's grassroots unions (written in
bulk, as the member import writes them), an open period with its fund, and a spreadsheet of
500,000 rows of those members. The enrolment import runs in a child process (its peak memory
is its own), twice, on two periods:

- one pass (``imports.run_direct``): validate and write in one transaction that rolls back
  whole when any row is bad — the end-to-end figure (upload stored and counted included);
- the dry run, then the commit (``run_check``, ``run_commit``), for those who look first.

Prints rows/s of each and the peak memory. Targets: end to end >= 20,000 rows/s, peak memory
<= 400 MB. (The claims half, adjudication, is added beside it.)
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import database
from bench.mutualaid_claims import add_arguments as claims_arguments
from bench.mutualaid_claims import adjudication

ROWS_TARGET = 20_000.0
MEMORY_TARGET_MB = 400.0
CHUNK = 20_000
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_EPOCH = datetime.date(1966, 1, 1)


def add_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--mutualaid-roll", type=int, default=1_000_000)
    group.add_argument("--mutualaid-rows", type=int, default=500_000)
    group.add_argument("--mutualaid-unions", type=int, default=1_000)
    claims_arguments(group)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def id_number(i: int) -> str:
    """The ``i``-th of a million distinct valid ID numbers (GB 11643 check digit)."""
    birth = _EPOCH + datetime.timedelta(days=i // 900)
    body = f"330402{birth:%Y%m%d}{100 + i % 900:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def build_roll(tree: dict[str, Any], roll: int) -> list[tuple[str, str, int]]:
    """``roll`` people, each an active member of one of the unions, written as the member
    import writes them (COPY, sealed ID number, keyed hash). Returns (name, ID, union id)."""
    from django.db import transaction
    from django.utils import timezone

    from gonghui.core import bulk
    from gonghui.core.crypto import seal
    from gonghui.members.importers import MEMBERSHIP_COLUMNS, PERSON_COLUMNS
    from gonghui.members.models import ID_NUMBER_PURPOSE, Membership, Person
    from gonghui.members.services import id_number_hash

    unions = tree["unions"]
    now = timezone.now()
    joined = datetime.date(2015, 1, 1)
    people: list[tuple[str, str, int]] = []
    started = time.monotonic()
    for start in range(0, roll, CHUNK):
        with transaction.atomic():
            count = min(CHUNK, roll - start)
            person_ids = bulk.allocate_ids(Person, count)
            membership_ids = bulk.allocate_ids(Membership, count)
            person_rows, membership_rows = [], []
            for offset, (pid, mid) in enumerate(zip(person_ids, membership_ids, strict=True)):
                i = start + offset
                number = id_number(i)
                name = f"职工{i:07d}"
                union = unions[i % len(unions)]
                birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
                sex = "M" if int(number[16]) % 2 else "F"
                person_rows.append(
                    (
                        pid,
                        name,
                        seal(number, purpose=ID_NUMBER_PURPOSE),
                        id_number_hash(number),
                        None,
                        None,
                        birth,
                        sex,
                        "",
                        "",
                        None,
                        now,
                        None,
                        None,
                    )
                )
                membership_rows.append(
                    (mid, pid, union, f"AB{i:09d}0", joined, "active", None, "", "", None, now)
                    + (None, None)
                )
                people.append((name, number, union))
            bulk.insert_rows(Person, PERSON_COLUMNS, person_rows)
            bulk.insert_rows(Membership, MEMBERSHIP_COLUMNS, membership_rows)
    print(f"会员名册 / roll: {roll:,} 人, {time.monotonic() - started:.1f} s")
    return people


def open_period(tree: dict[str, Any], number: int) -> Any:
    from django.utils import timezone

    from gonghui.funds import services as fund_services
    from gonghui.funds.models import SourceKind
    from gonghui.mutualaid.models import Period

    admin = tree["staff"]["admin"]
    today = timezone.localdate()
    kind, _ = SourceKind.objects.get_or_create(
        code="mutualaid", defaults={"name": "职工医疗互助保障", "order": 9}
    )
    fund = fund_services.fund_create(
        actor=admin,
        organization=tree["city"],
        name=f"职工医疗互助保障基金（基准第{number}期）",
        source_kind=kind,
    )
    return Period.objects.create(
        organization=tree["city"],
        number=number,
        name=f"基准第{number}期",
        starts_on=today + datetime.timedelta(days=40),
        ends_on=today + datetime.timedelta(days=404),
        enrol_opens_on=today - datetime.timedelta(days=10),
        enrol_closes_on=today + datetime.timedelta(days=30),
        fee="36.00",
        fund=fund,
        status="open",
        created_by=admin,
    )


def write_csv(
    path: Path, people: list[tuple[str, str, int]], rows: int, codes: dict[int, str]
) -> None:
    picked = random.Random(14).sample(range(len(people)), rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "身份证号", "工会编码", "期数", "手机号"])
        for i in picked:
            name, number, union = people[i]
            writer.writerow([name, number, codes[union], "", ""])


def import_in_child(path: Path, actor_id: int, mode: str) -> dict[str, Any]:
    # A file of this size is above the default limits: the installation raises them, as the
    # member benchmark's does.
    rows = sum(1 for _line in path.open(encoding="utf-8"))
    env = {
        **os.environ,
        "GONGHUI_IMPORT_MAX_ROWS": str(rows + 10),
        "GONGHUI_IMPORT_MAX_BYTES": str(path.stat().st_size + 1),
    }
    out = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "bench.mutualaid", path.as_posix(), str(actor_id), mode],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode:
        raise SystemExit(f"the import ({mode}) failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def child(path: str, actor_id: str, mode: str) -> None:
    """In the child process: one import of the file, timed, as JSON on the last line."""
    import resource

    os.environ["GONGHUI_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonghui.settings")
    import django

    django.setup()
    from django.core.files import File

    from gonghui.accounts.models import User
    from gonghui.core import imports

    actor = User.objects.select_related("organization").get(pk=int(actor_id))
    started = time.perf_counter()
    with Path(path).open("rb") as fh:
        job = imports.import_job_create(
            actor=actor, kind="mutualaid.enrol", upload=File(fh, name="参保.csv")
        )
    upload = time.perf_counter() - started
    result: dict[str, Any] = {"rows": job.total_rows, "upload_s": upload}
    if mode == "direct":
        profile = None
        if os.environ.get("BENCH_PROFILE"):  # where the time goes: stats in BENCH_PROFILE
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        begun = time.perf_counter()
        imports.run_direct(job, actor)
        result["direct_s"] = time.perf_counter() - begun
        if profile is not None:
            profile.disable()
            profile.dump_stats(os.environ["BENCH_PROFILE"])
    else:
        begun = time.perf_counter()
        imports.run_check(job, actor)
        result["check_s"] = time.perf_counter() - begun
        if job.status != "checked":
            raise SystemExit(f"check failed: {job.message} {job.errors[:5]}")
        begun = time.perf_counter()
        imports.run_commit(job, actor)
        result["commit_s"] = time.perf_counter() - begun
    result["total_s"] = time.perf_counter() - started
    result["status"] = job.status
    result["summary"] = job.summary
    if job.status != "done":
        result["errors"] = job.errors[:5]
        result["message"] = job.message
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def enrolment(args: argparse.Namespace) -> None:
    """The enrolment half."""
    from django.core.management import call_command
    from django.db import connection

    from bench.assistance import build_tree
    from gonghui.organizations.models import Organization

    url = database.own("mutualaid")
    print(f"基准数据库 / database: {url}")
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    tree = build_tree(args.mutualaid_unions)
    took = time.monotonic() - started
    print(f"组织树 / tree: {args.mutualaid_unions:,} 个基层工会, {took:.1f} s")
    people = build_roll(tree, args.mutualaid_roll)
    codes = dict(Organization.unscoped.filter(pk__in=tree["unions"]).values_list("pk", "code"))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    rows = min(args.mutualaid_rows, len(people))
    actor = tree["staff"]["clerk"]
    figures = {}
    with tempfile.TemporaryDirectory(prefix="gonghui-bench-mutualaid-") as folder:
        path = Path(folder) / "enrol.csv"
        write_csv(path, people, rows, codes)
        del people
        connection.close()
        for number, mode in ((1, "direct"), (2, "two-pass")):
            period = open_period(tree, number)
            connection.close()
            figures[mode] = import_in_child(path, actor.pk, mode)
            if figures[mode]["status"] != "done":
                raise SystemExit(f"{mode}: {figures[mode]}")
            # Only one period is open for enrolment at a time (the file names none).
            period.status = "closed"
            period.save(update_fields=["status"])
    one, two = figures["direct"], figures["two-pass"]
    end_to_end = rows / one["total_s"]
    peak = max(one["maxrss_mb"], two["maxrss_mb"])
    print(f"参保导入 / enrolment import of {rows:,} rows, roll of {args.mutualaid_roll:,}:")
    print(f"  dry run:                {rows / two['check_s']:>10,.0f} rows/s")
    print(f"  commit (after dry run): {rows / two['commit_s']:>10,.0f} rows/s")
    print(f"  dry run + commit:       {rows / two['total_s']:>10,.0f} rows/s (upload included)")
    print(
        f"  one pass, end to end:   {end_to_end:>10,.0f} rows/s "
        f"(upload {one['upload_s']:.1f} s + validate-and-write {one['direct_s']:.1f} s; "
        f"target >= {ROWS_TARGET:,.0f}: {verdict(end_to_end >= ROWS_TARGET)})"
    )
    print(
        f"  peak memory:            {peak:>10,.0f} MB "
        f"(target <= {MEMORY_TARGET_MB:,.0f}: {verdict(peak <= MEMORY_TARGET_MB)})"
    )


def main(args: argparse.Namespace) -> None:
    """The module registry's entry (``python -m bench --only mutualaid``): the enrolment
    half, then the claims half (``bench.mutualaid_claims``) in a database of its own."""
    enrolment(args)
    adjudication(args)


if __name__ == "__main__":
    child(*sys.argv[1:])
