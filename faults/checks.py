"""The invariants each fault must leave true, read from the database and the answers the
clients got, and the table of outcomes.

Bookings: never more seats taken than the session has (and the seats left plus the seats
taken are its capacity), nobody twice in a session, every 201 in the database as it said,
no request answered with an error left a booking. Answers: no 500 anywhere; a 503 on /api/
is JSON with ``Retry-After``, a page's 503 is the friendly Chinese page. Imports: a job's
rows are all in the database or none of them, and the job's state says which. Messages:
sent exactly once (the outbox row and the SMS file agree)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faults.load import Response

FRIENDLY_PAGE = "服务暂时不可用"  # the title of the 503 page (core/templates/503.html)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Result:
    """One fault's outcome: the checks, and the figures of the table's columns."""

    fault: str
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, bool(ok), detail))
        return bool(ok)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


# --- answers -------------------------------------------------------------------------------------


def answers_checks(result: Result, responses: list[Response], *, what: str) -> None:
    """No 500; every 503 of the API is JSON with Retry-After; every 503 of a page is the
    friendly page with Retry-After."""
    errors = [r for r in responses if r.status >= 500 and r.status != 503]
    result.check(
        f"{what}: no 500",
        not errors,
        "; ".join(r.describe() for r in errors[:3]),
    )
    unavailable = [r for r in responses if r.status == 503]
    bad = []
    for r in unavailable:
        if "retry-after" not in r.headers:
            bad.append(r)
        elif r.request.path.startswith("/api/"):
            if not (r.is_json and isinstance(r.json(), dict) and r.json().get("detail")):
                bad.append(r)
        elif FRIENDLY_PAGE not in r.body.decode(errors="replace"):
            bad.append(r)
    result.check(
        f"{what}: every 503 answers JSON (API) or the friendly page, with Retry-After",
        not bad,
        "; ".join(r.describe() for r in bad[:3]),
    )


def count_answers(responses: list[Response]) -> dict[str, int]:
    statuses = Counter(r.status for r in responses)
    return {
        "requests": len(responses),
        "2xx": sum(n for s, n in statuses.items() if 200 <= s < 300),
        "503": statuses[503],
        "500": sum(n for s, n in statuses.items() if s >= 500 and s != 503),
        "no answer": statuses[0],
        "other": sum(n for s, n in statuses.items() if 0 < s < 200 or 300 <= s < 500),
    }


# --- bookings ------------------------------------------------------------------------------------


def booking_checks(
    result: Result, *, session_id: int, capacity: int, responses: list[Response]
) -> None:
    """The booking invariants for the session the ``responses`` (each tagged with its
    worker's person id, one request per worker) booked."""
    from django.db import connections

    from gonghui.culture.models import ACTIVE_STATES, Booking, BookingState, ClassSession

    connections.close_all()  # a connection the fault broke is not reused
    rows = {
        pk: (person_id, state)
        for pk, person_id, state in Booking.unscoped.filter(session_id=session_id).values_list(
            "pk", "person_id", "state"
        )
    }
    by_person = Counter(person_id for person_id, state in rows.values() if state in ACTIVE_STATES)
    booked = sum(1 for _, state in rows.values() if state == BookingState.BOOKED)
    waiting = sum(1 for _, state in rows.values() if state == BookingState.WAITING)
    seats_left = ClassSession.unscoped.values_list("seats_left", flat=True).get(pk=session_id)
    twice = sum(1 for n in by_person.values() if n > 1)

    result.check(
        "seats: never more taken than the session has",
        booked <= capacity,
        f"{booked} booked, {capacity} seats",
    )
    result.check(
        "seats: taken + left = capacity",
        booked + seats_left == capacity,
        f"{booked} + {seats_left} ≠ {capacity}",
    )
    result.check(
        "waiting list only once the seats are gone",
        seats_left == 0 or waiting == 0,
        f"{waiting} waiting with {seats_left} seats left",
    )
    result.check("nobody twice in the session", twice == 0, f"{twice} people twice")

    missing, wrong = [], []
    for r in responses:
        if r.status != 201:
            continue
        body = r.json() or {}
        row = rows.get(int(body.get("id") or 0))
        if row is None:
            missing.append(r)
        elif row[0] != r.request.tag or row[1] != body.get("state"):
            wrong.append(r)
    result.check(
        "every 201 is in the database",
        not missing,
        f"{len(missing)} missing, e.g. {missing[0].describe()}" if missing else "",
    )
    result.check(
        "every 201 says what the database holds (person, booked or waiting)",
        not wrong,
        f"{len(wrong)} differ, e.g. {wrong[0].describe()}" if wrong else "",
    )
    persons_booked = set(by_person)
    refused = [r for r in responses if r.status >= 300 and r.request.tag in persons_booked]
    result.check(
        "no request answered with an error left a booking",
        not refused,
        f"{len(refused)}, e.g. {refused[0].describe()}" if refused else "",
    )
    unknown = [r for r in responses if 0 < r.status < 500 and r.status != 201]
    result.check(
        "no other answer than 201, 503 or none",
        not unknown,
        f"{len(unknown)}, e.g. {unknown[0].describe()}" if unknown else "",
    )
    lost = sum(1 for r in responses if r.status == 0 and r.request.tag in persons_booked)
    result.figures.update(
        {"booked": booked, "seats": capacity, "waiting": waiting, "twice": twice, "lost": lost}
    )
    if lost:
        result.notes.append(
            f"{lost} booking(s) committed whose answer was lost with the connection "
            "(the client saw no answer; the worker sees the booking when they look again)"
        )


# --- messages ------------------------------------------------------------------------------------


def sms_lines(path: Path) -> list[dict[str, str]]:
    """What the SMS file backend wrote (every process of the run)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def sms_sent(path: Path, *, mobile: str, text: str | None = None, contains: str = "") -> int:
    """How many SMS went to ``mobile`` with exactly ``text`` (the gateway's text: the
    signature and the message) or containing ``contains``."""
    from gonghui.core.crypto import mask_mobile

    masked = mask_mobile(mobile)
    return sum(
        1
        for line in sms_lines(path)
        if line["to"] == masked
        and (line["text"] == text if text is not None else contains in line["text"])
    )


# --- imports -------------------------------------------------------------------------------------


@dataclass
class ImportState:
    status: str
    people: int  # rows of the job in the database: people it registered
    memberships: int  # and memberships it wrote
    total: int  # rows of the file
    message: str
    has_file: bool
    files_left: list[str]

    def describe(self) -> str:
        return f"{self.status}, {self.memberships:,}/{self.total:,} rows"


def import_state(job_id: int, upload: str) -> ImportState:
    """The job as the database and the disk have it; ``upload``: where its file was stored."""
    from django.db import connections

    from gonghui.core.models import ImportJob
    from gonghui.members.models import Membership, Person

    connections.close_all()
    job = ImportJob.unscoped.get(pk=job_id)
    files = [str(p) for p in (Path(upload), Path(f"{upload}.stage"), Path(f"{upload}.lease"))]
    return ImportState(
        status=job.status,
        people=Person.unscoped.filter(source_import_id=job_id).count(),
        memberships=Membership.unscoped.filter(source_import_id=job_id).count(),
        total=job.total_rows,
        message=job.message,
        has_file=bool(job.file),
        files_left=[path for path in files if Path(path).exists()],
    )


RUNNING = {"uploaded", "checking", "checked", "committing"}


def import_checks(result: Result, state: ImportState, *, expect: set[str]) -> None:
    """All or nothing, the job's state true to its rows, not stuck, one of ``expect``."""
    result.check(
        "all rows or none",
        state.memberships in (0, state.total) and state.people in (0, state.total),
        f"{state.memberships:,} memberships and {state.people:,} people of {state.total:,} rows",
    )
    truthful = (state.status == "done" and state.memberships == state.total) or (
        state.status in {"failed", "interrupted"} and state.memberships == 0
    )
    result.check(
        "the job's state says what the database holds",
        truthful or state.status in RUNNING,
        f"{state.describe()}: {state.message}",
    )
    result.check(
        "the job is not left running",
        state.status not in RUNNING,
        f"still '{state.status}'",
    )
    result.check(
        f"the job ends {' or '.join(sorted(expect))}",
        state.status in expect,
        f"{state.describe()}: {state.message}",
    )
    if state.status in {"done", "failed"}:
        result.check(
            "a finished job's files (upload, stage, lease) are removed",
            not state.files_left,
            ", ".join(state.files_left),
        )
    result.figures.update({"job": state.status, "rows": f"{state.memberships:,}/{state.total:,}"})


# --- the table -----------------------------------------------------------------------------------

COLUMNS = [
    ("requests", "requests"),
    ("2xx", "2xx"),
    ("503", "503"),
    ("500", "500"),
    ("no answer", "no ans."),
    ("booked", "booked"),
    ("seats", "seats"),
    ("twice", "dup"),
    ("sms", "sms"),
    ("job", "import job"),
    ("rows", "rows"),
]


def print_table(results: list[Result], total_seconds: float) -> None:
    def cell(value: Any) -> str:
        if value is None:
            return "–"
        return f"{value:,}" if isinstance(value, int) else str(value)

    header = ["fault", "outcome"] + [title for _, title in COLUMNS]
    rows = [
        [r.fault, "PASS" if r.ok else "FAIL"] + [cell(r.figures.get(key)) for key, _ in COLUMNS]
        for r in results
    ]
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = []
        for i, text in enumerate(row):
            pad = " " * (widths[i] - _width(text))
            cells.append(text + pad if i < 2 else pad + text)
        return "  ".join(cells)

    print()
    print("== 故障演练结果 / fault × outcome ==")
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    failed = [r for r in results if not r.ok]
    passed = len(results) - len(failed)
    print(f"{passed} of {len(results)} passed in {total_seconds:.0f} s")
    for r in results:
        bad = [c for c in r.checks if not c.ok]
        if bad or r.notes:
            print()
            print(f"{r.fault}:")
        for c in bad:
            print(f"  ✗ {c.name}" + (f": {c.detail}" if c.detail else ""))
        for note in r.notes:
            print(f"  · {note}")


def _width(text: str) -> int:
    """Columns on a terminal: a CJK character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
