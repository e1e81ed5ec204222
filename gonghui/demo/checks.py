"""Checks on a loaded demo city: each is a query over the data and returns what is wrong (an
empty list when all is well), so the demo test and ``manage.py check_demo`` (on the full demo)
find the same mistakes. Each names a mistake a reviewer once found in the demo."""

from __future__ import annotations

import datetime
import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Sum
from django.utils import timezone

from gonghui.core import imports
from gonghui.core.validators import normalize_credit_code, normalize_id_number, normalize_mobile
from gonghui.demo import people
from gonghui.members.models import Membership, MembershipStatus, Person
from gonghui.organizations.models import Enterprise, Organization, OrgKind
from gonghui.unionbuilding.models import HomeAssessment, Mechanism

_ID_LIKE = re.compile(rb"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_MOBILE_LIKE = re.compile(rb"(?<![0-9])1[0-9]{10}(?![0-9])")


def plaintext_people_files(root: Path | None = None) -> list[str]:
    """Files under ``root`` (default VAR_DIR, which holds the media too) holding a demo
    person's ID number or mobile in plaintext. The database holds them sealed; nothing else
    may hold them at all (issue 9: ``var/demo/members.csv`` kept 20,040 of each)."""
    root = Path(root or settings.VAR_DIR)
    numbers: set[bytes] = set()
    for person in Person.unscoped.only("id_number", "mobile").iterator(chunk_size=2000):
        numbers.add(person.id_number.reveal().encode())
        if person.mobile:
            numbers.add(person.mobile.reveal().encode())
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            # Whole megabytes at a time, overlapping by a number's length, so a number
            # across two reads is still seen.
            tail = b""
            while block := handle.read(1 << 20):
                data = tail + block
                hits = {m.upper() for m in _ID_LIKE.findall(data)} | set(_MOBILE_LIKE.findall(data))
                if hits & numbers:
                    found.append(str(path.relative_to(root)))
                    break
                tail = data[-18:]
    return found


def duplicate_sibling_names() -> list[str]:
    """Two organisations of one name under one parent (明珠包装 twice under 凤桥镇), or two
    enterprises of one name."""
    problems = [
        f"{row['parent__name']} › {row['name']} ×{row['n']}"
        for row in Organization.unscoped.values("parent", "parent__name", "name")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    ]
    problems += [
        f"企业 {row['name']} ×{row['n']}"
        for row in Enterprise.unscoped.values("name").annotate(n=Count("id")).filter(n__gt=1)
    ]
    return problems


def names_against_sex() -> list[str]:
    """A name from the demo's lists of men's or women's given names (or a listed demo worker)
    whose ID number's sex digit says otherwise (任丽, 男)."""
    data = json.loads((Path(__file__).parent / "data" / "jiaxing.json").read_text("utf-8"))
    listed = {w["name"]: w["sex"] for w in data["demo_workers"]}
    problems = []
    for person in Person.unscoped.only("name", "id_number").iterator(chunk_size=2000):
        expected = listed.get(person.name) or people.sex_of_name(person.name)
        actual = people.sex_of(person.id_number.reveal())
        if expected is not None and expected != actual:
            problems.append(f"{person.name}: {actual}")
    return problems


def dates_before_founding() -> list[str]:
    """Mechanisms established, homes assessed or members joined before their union was
    founded (a union founded today with mechanisms dated years before)."""
    problems = [
        f"{m.union.name}: {m.type.name} {m.established_on} < {m.union.established_on}"
        for m in Mechanism.unscoped.filter(
            established_on__lt=F("union__established_on")
        ).select_related("union", "type")
    ]
    problems += [
        f"{a.union.name}: 评定 {a.assessed_on} < {a.union.established_on}"
        for a in HomeAssessment.unscoped.filter(
            assessed_on__lt=F("union__established_on")
        ).select_related("union")
    ]
    joined_early = Membership.unscoped.filter(
        previous__isnull=True, joined_on__lt=F("union__established_on")
    )
    problems += [f"会籍 {pk}: 入会早于建会" for pk in joined_early.values_list("pk", flat=True)]
    problems += [
        f"{name}: 无成立日期"
        for name in Organization.unscoped.filter(
            kind=OrgKind.GRASSROOTS, established_on__isnull=True
        ).values_list("name", flat=True)
    ]
    return problems


def members_over_employees() -> list[str]:
    """A grassroots union with more members than its enterprises employ (the demo draws its
    members from those employees): "12 名会员 / 0 名职工"."""
    employed = dict(
        Enterprise.unscoped.filter(union__isnull=False, is_active=True)
        .values("union")
        .annotate(n=Sum("employee_count"))
        .values_list("union", "n")
    )
    members = (
        Membership.unscoped.filter(status=MembershipStatus.ACTIVE)
        .values("union", "union__name")
        .annotate(n=Count("id"))
    )
    return [
        f"{row['union__name']}: {row['n']} 名会员 / {employed.get(row['union'], 0)} 名职工"
        for row in members
        if row["n"] > (employed.get(row["union"]) or 0)
    ]


def overlapping_memberships() -> list[str]:
    """A person's memberships, one after the other: a membership ends no earlier than it
    starts, one transferred in starts the day the previous ended, and no two overlap. The
    start in a union is the joining date, or for a transfer the day it was accepted
    (``joined_on`` keeps the first joining date, for the length of membership)."""
    today = timezone.localdate()
    trails: dict[int, list[tuple[datetime.date, datetime.date, int]]] = defaultdict(list)
    rows = Membership.unscoped.values_list(
        "pk", "person_id", "joined_on", "ended_on", "status", "previous__ended_on", "previous"
    )
    problems = []
    for pk, person, joined, ended, status, previous_ended, previous in rows:
        start = joined if previous is None else previous_ended
        if start is None:
            problems.append(f"会籍 {pk}: 转入自未终止的会籍")
            continue
        end = ended or today
        if (ended is None) != (status == MembershipStatus.ACTIVE) or end < start:
            problems.append(f"会籍 {pk}: {start} — {ended}（{status}）")
        trails[person].append((start, end, pk))
    for periods in trails.values():
        periods.sort()
        for (_s1, end, first), (start, _e2, second) in zip(periods, periods[1:], strict=False):
            if start < end:
                problems.append(f"会籍 {first} 与 {second} 时间重叠")
    return problems


def template_examples() -> list[str]:
    """The example values every import template shows pass the platform's own validators
    (the member template's example ID number failed its checksum)."""
    validators: dict[str, Callable[[str], str]] = {
        "id_number": normalize_id_number,
        "mobile": normalize_mobile,
        "credit_code": normalize_credit_code,
    }
    problems = []
    for importer in imports.importers():
        for column in importer.columns:
            validate = validators.get(column.key)
            if validate is None or not column.example:
                continue
            try:
                validate(column.example)
            except ValidationError as exc:
                problems.append(f"{importer.kind}.{column.key} {column.example}: {exc.messages[0]}")
    return problems


CHECKS: dict[str, Callable[[], list[str]]] = {
    "plaintext_people_files": plaintext_people_files,
    "duplicate_sibling_names": duplicate_sibling_names,
    "names_against_sex": names_against_sex,
    "dates_before_founding": dates_before_founding,
    "members_over_employees": members_over_employees,
    "overlapping_memberships": overlapping_memberships,
    "template_examples": template_examples,
}


def run_all() -> dict[str, list[str]]:
    """Every check's findings, by name; all empty for a sound demo."""
    return {name: check() for name, check in CHECKS.items()}
