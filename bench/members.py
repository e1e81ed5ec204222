"""Issue 2's scale benchmark: a million members across 5,000 grassroots unions on PostgreSQL.

Prints: the member import rate (dry run, commit, end to end) and the import's peak memory; p50/p95
server time of a district clerk's member list page; p50/p95 of an exact ID-number look-up.
Targets: import >= 20,000 rows/s, list p95 <= 50 ms, look-up p95 <= 5 ms, import peak <= 400 MB.
"""

from __future__ import annotations

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
from urllib.parse import urlsplit

from bench import database
from bench.timing import measure

DISTRICTS = 10
TOWNS_PER_DISTRICT = 10
SAMPLE_IDS = 2000
# What the last full build put in the benchmark database (tree, sample ID numbers, import figures).
# What the build made (tree, sample, import figures), kept beside this checkout and named by
# the benchmark database, so two checkouts or two databases never read each other's.
STATE_DIR = Path(os.environ.get("GONGHUI_BENCH_STATE_DIR", Path(__file__).parent.parent / "var"))


def _state_path() -> Path:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def state_file() -> Path:
    """The state of the benchmark database ``DATABASE_URL`` names (set by ``database.point``)."""
    name = urlsplit(os.environ.get("DATABASE_URL", "")).path.strip("/") or "default"
    return STATE_DIR / "bench" / f"{name}.json"


def setup_django() -> None:
    os.environ["GONGHUI_DEBUG"] = "0"  # no query log, no debug toolbar of any kind
    os.environ.setdefault("GONGHUI_MEDIA_ROOT", tempfile.mkdtemp(prefix="gonghui-bench-"))
    import django

    django.setup()


def build_tree(unions: int) -> dict[str, Any]:
    """City → 10 districts → 100 towns → ``unions`` grassroots unions, through the services."""
    from django.contrib.auth.hashers import make_password

    from gonghui.accounts import services as account_services
    from gonghui.organizations import services as org_services
    from gonghui.organizations.models import OrgKind

    city = org_services.organization_create(
        actor=None, parent=None, name="基准市总工会", kind=OrgKind.CITY, code="BM"
    )
    password = make_password("bench-pass-2018")
    staff = {}
    for role in ("admin", "clerk"):
        staff[f"city-{role}"] = account_services.staff_create(
            actor=None,
            organization=city,
            username=f"bm-{role}",
            full_name=role,
            roles=[role],
            password_hash=password,
        )
    districts, towns, codes = [], [], []
    for d in range(DISTRICTS):
        district = org_services.organization_create(
            actor=None,
            parent=city,
            name=f"第{d + 1}区总工会",
            kind=OrgKind.DISTRICT,
            code=f"D{d:02d}",
        )
        districts.append(district)
        for t in range(TOWNS_PER_DISTRICT):
            towns.append(
                org_services.organization_create(
                    actor=None,
                    parent=district,
                    name=f"第{d + 1}区第{t + 1}镇总工会",
                    kind=OrgKind.TOWN,
                    code=f"T{d:02d}{t:02d}",
                )
            )
    for u in range(unions):
        town = towns[u % len(towns)]
        code = f"U{u:05d}"
        org_services.organization_create(
            actor=None,
            parent=town,
            name=f"基准企业{u:05d}工会",
            kind=OrgKind.GRASSROOTS,
            grassroots_kind="enterprise",
            code=code,
        )
        codes.append(code)
    staff["district-clerk"] = account_services.staff_create(
        actor=None,
        organization=districts[0],
        username="bm-d0-clerk",
        full_name="区经办",
        roles=["clerk"],
        password_hash=password,
    )
    return {"codes": codes, "staff": {k: v.pk for k, v in staff.items()}}


def write_csv(path: Path, rows: int, codes: list[str]) -> list[str]:
    """The member roll as a union would send it; returns some ID numbers of district 1."""
    from gonghui.core import validators
    from gonghui.demo import people

    rng = random.Random(1_000_000)
    ids, mobiles = people.Unique(), people.Unique()
    district_one = {
        c
        for i, c in enumerate(codes)
        if (i % (DISTRICTS * TOWNS_PER_DISTRICT)) // TOWNS_PER_DISTRICT == 0
    }
    sample: list[str] = []
    regions = people.LOCAL_REGIONS + people.MIGRANT_REGIONS
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["姓名", "身份证号", "手机号", "工会编码", "入会日期", "户籍类型", "学历"])
        for _ in range(rows):
            number = ids.take(
                people.id_number(
                    rng,
                    region=rng.choice(regions),
                    birth=people.birth_date(rng, oldest=1966, youngest=2004),
                )
                for _ in iter(int, 1)
            )
            birth = validators.id_number_birth_date(number)
            code = rng.choice(codes)
            if code in district_one and len(sample) < SAMPLE_IDS:
                sample.append(number)
            mobile = mobiles.take(people.mobiles(rng)) if rng.random() < 0.9 else ""
            joined = datetime.date(
                2010 + rng.randint(0, 14), rng.randint(1, 12), rng.randint(1, 28)
            )
            joined = max(joined, datetime.date(birth.year + 17, 1, 1))
            writer.writerow(
                [
                    people.name(rng),
                    number,
                    mobile,
                    code,
                    joined.isoformat(),
                    rng.choice(["城镇户籍", "农村户籍", ""]),
                    "",
                ]
            )
    return sample


def import_in_child(path: Path, actor_id: int, rows: int) -> dict[str, Any]:
    """Run the import in a fresh process, so its peak memory is the import's alone."""
    env = {
        **os.environ,
        "GONGHUI_IMPORT_MAX_ROWS": str(rows + 10),
        "GONGHUI_IMPORT_MAX_BYTES": str(path.stat().st_size + 1),
    }
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.import_members", str(path), str(actor_id)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def build_base(*, members: int, unions: int) -> None:
    """The organisation tree and the member roll (imported through the pipeline), into the
    benchmark database that ``run`` prepared; what was built is kept in ``state_file()``. The
    casework benchmark builds on the same base."""
    from django.db import connection

    started = time.monotonic()
    tree = build_tree(unions)
    print(f"组织树 / tree: {unions:,} 个基层工会, {time.monotonic() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "members.csv"
        started = time.monotonic()
        sample = write_csv(path, members, tree["codes"])
        size = path.stat().st_size / (1 << 20)
        print(f"生成名册 / CSV: {members:,} 行, {size:.0f} MB, {time.monotonic() - started:.1f} s")
        result = import_in_child(path, tree["staff"]["city-clerk"], members)
    _state_path().write_text(json.dumps({"tree": tree, "sample": sample, "import": result}))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def run(*, members: int, unions: int, samples: int, keep: bool) -> None:
    url = database.prepare(fresh=not keep)
    setup_django()
    from django.core.management import call_command

    from gonghui.organizations.models import Organization

    print(f"基准数据库 / database: {url}")
    call_command("migrate", verbosity=0)
    if not (keep and Organization.unscoped.exists() and state_file().exists()):
        build_base(members=members, unions=unions)
    state = json.loads(state_file().read_text())
    result, sample = state["import"], state["sample"]
    print()
    print("== 会员导入 / member import (CSV, through the import pipeline) ==")
    print(f"  rows:                {result['rows']:,}  (status {result['status']})")
    rows = result["rows"]
    total = result["check_s"] + result["commit_s"]
    for label, seconds, note in (
        ("dry run (check)", result["check_s"], ""),
        ("commit", result["commit_s"], ""),
        ("end to end", total, "   (target >= 20,000)"),
    ):
        print(f"  {label + ':':20} {seconds:6.1f} s  = {rows / seconds:8,.0f} rows/s{note}")
    print(f"  peak memory (RSS):   {result['maxrss_mb']:.0f} MB   (target <= 400)")
    measure_reads(state, samples, sample)


def measure_reads(state: dict[str, Any], samples: int, sample: list[str]) -> None:
    from django.test import Client

    from gonghui.accounts.models import User
    from gonghui.accounts.services import api_token_issue
    from gonghui.core import counts
    from gonghui.members import selectors
    from gonghui.members.models import Membership

    clerk = User.objects.select_related("organization").get(
        pk=state["tree"]["staff"]["district-clerk"]
    )
    in_scope = Membership.objects.visible_to(clerk).filter(status="active").count()
    client = Client()
    client.force_login(clerk)

    def page(i: int) -> None:
        response = client.get("/console/members/")
        assert response.status_code == 200  # noqa: S101

    def page_recounted(i: int) -> None:
        counts.bump("members")  # as after a change: the total is counted again
        page(i)

    def deep_page(i: int) -> None:
        response = client.get(f"/console/members/?page={1 + (i * 37) % 200}")
        assert response.status_code == 200  # noqa: S101

    def lookup_selector(i: int) -> None:
        found = selectors.membership_lookup(actor=clerk, id_number=sample[i % len(sample)])
        assert found  # noqa: S101

    key, _ = api_token_issue(user=clerk)
    api = Client()

    def lookup_api(i: int) -> None:
        response = api.post(
            "/api/members/lookup",
            json.dumps({"id_number": sample[i % len(sample)]}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert response.status_code == 200 and response.json()  # noqa: S101

    print()
    print(f"== 区经办会员名册 / a district clerk's member list ({in_scope:,} members in scope) ==")
    p50, p95 = measure(page, samples)
    print(f"  page 1:              p50 {p50:.1f} ms   p95 {p95:.1f} ms   (target p95 <= 50)")
    p50, p95 = measure(page_recounted, samples)
    print(f"  page 1, total recounted: p50 {p50:.1f} ms   p95 {p95:.1f} ms   (after any change)")
    p50, p95 = measure(deep_page, samples)
    print(f"  pages 1-200:         p50 {p50:.1f} ms   p95 {p95:.1f} ms")
    measure_city_list(state, samples)
    print()
    print("== 按身份证号精确查找 / exact ID-number look-up ==")
    p50, p95 = measure(lookup_selector, samples)
    print(f"  selector (scoped):   p50 {p50:.2f} ms  p95 {p95:.2f} ms   (target p95 <= 5)")
    p50, p95 = measure(lookup_api, samples)
    print(f"  API request:         p50 {p50:.2f} ms  p95 {p95:.2f} ms")


def measure_city_list(state: dict[str, Any], samples: int) -> None:
    """The city clerk's member list (the whole roll in scope): pages anywhere in it, in the
    default order and sorted by a column, and a filtered list (a district, a join-date range,
    by join date). A page is jumped to by its number (``page``), as from the page input."""
    from django.conf import settings
    from django.test import Client

    from gonghui.accounts.models import User
    from gonghui.members.models import Membership
    from gonghui.organizations.models import Organization

    clerk = User.objects.select_related("organization").get(pk=state["tree"]["staff"]["city-clerk"])
    in_scope = Membership.objects.visible_to(clerk).filter(status="active").count()
    last = max(1, in_scope // settings.GONGHUI_PAGE_SIZE)
    district = Organization.unscoped.filter(kind="district").order_by("path").first()
    client = Client()
    client.force_login(clerk)

    def get(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200  # noqa: S101

    filtered = f"org={district.pk if district else ''}&joined_from=2012-01-01&joined_to=2019-12-31"
    print()
    print(f"== 市经办会员名册 / the city clerk's member list ({in_scope:,} members in scope) ==")
    for label, url in (
        ("any page, newest first:", "/console/members/?page={}"),
        ("any page, by name:", "/console/members/?sort=name&page={}"),
        ("any page, by union:", "/console/members/?sort=union&page={}"),
        (
            "district + dates, by join date:",
            f"/console/members/?{filtered}&sort=-joined&page={{}}",
        ),
    ):
        p50, p95 = measure(
            lambda i, u=url: get(u.format(1 + (i * 7919) % last)),  # type: ignore[misc]
            samples,
        )
        print(f"  {label:34} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
    p50, p95 = measure(lambda i: get(f"/console/members/?page={last - i % 5}"), samples)
    print(f"  {'the last pages, newest first:':34} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")


def main(args: Any) -> None:
    """The module registry's entry (``python -m bench``)."""
    run(members=args.members, unions=args.unions, samples=args.samples, keep=args.keep)
