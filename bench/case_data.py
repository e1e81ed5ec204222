"""The data of the casework benchmark (``bench/cases.py``): a million cases on the member
benchmark's base, written with COPY, and put back as generated before a re-run.

The cases build on the member benchmark's base (city → 10 districts → 100 towns → grassroots
unions, a million members), which is built first when the database does not have it. Each case
follows a worker of a union and is handled at the union's service point, the town's station or
the district's centre (as the type's tiers allow); its timeline (opened, accepted, resolved,
closed …: about three and a half events a case) is written too. The sweep changes the data, so
the open and resolved cases are also kept in a side table (``bench_case_snapshot``); ``reset``
puts them back as they were generated, moved forward by the time elapsed since.
"""

from __future__ import annotations

import bisect
import datetime
import random
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

SEED = 3_000_000
CHUNK = 20_000
SNAPSHOT = "bench_case_snapshot"
META = "bench_case_meta"

# The share of each state (the rest, about 75%, is closed).
REJECTED, WITHDRAWN, RESOLVED, OPEN_ON_TIME, OPEN_OVERDUE = 0.03, 0.02, 0.10, 0.05, 0.05
# Where a case is handled: the worker's grassroots union's service point, the town's station,
# the district's centre (moved up when the type may not be handled at that tier).
AT_UNION, AT_TOWN = 0.45, 0.90
# Cases that came from a lower organisation (escalated or referred up before).
MOVED_UP = 0.08
# Resolved cases were resolved within this many days (auto-close after 7 or 10 days).
RESOLVED_WITHIN_DAYS = 12
TYPE_WEIGHTS = {
    "petition": 14,
    "employment": 16,
    "hardship": 14,
    "counselling": 6,
    "legal_aid": 16,
    "mediation": 14,
    "mutual_aid": 14,
    "grassroots": 6,
}
CHANNELS = (
    ("portal", 0.50, "网上申请"),
    ("counter", 0.85, "窗口受理"),
    ("hotline", 1.0, "热线电话"),
)
TIER_OF_KIND = {"grassroots": "point", "town": "station", "district": "centre", "city": "centre"}

CASE_COLUMNS = tuple(
    "id number person_id service_type_id channel title description origin_id handler_id "
    "tier assignee_id state created_by_id created_at updated_at response_due "
    "resolution_due responded_at responded_on_time resolved_at resolved_on_time "
    "resolution reject_reason closed_at auto_closed rating rating_comment visits "
    "escalations idempotency_key applicant_name".split()
)
EVENT_COLUMNS = ("case_id", "kind", "at", "actor_id", "from_org_id", "to_org_id", "note", "public")
# The columns the sweep (or anything else a run does) may change on an open or resolved case.
SNAPSHOT_COLUMNS = tuple(
    "handler_id tier state assignee_id created_at updated_at response_due resolution_due "
    "responded_at responded_on_time resolved_at resolved_on_time closed_at auto_closed "
    "escalations".split()
)
SHIFTED = {c for c in SNAPSHOT_COLUMNS if c.endswith("_at") or c.endswith("_due")}

HOUR = 3600.0
DAY = 86400.0


# --- the base: tree, people, staff -------------------------------------------------------------


@dataclass
class Base:
    parent: dict[int, int]
    kind: dict[int, str]
    name: dict[int, str]
    # Active memberships, side by side: person i belongs to union unions[i].
    persons: list[int]
    unions: list[int]
    # One clerk per town, district and the city.
    clerk: dict[int, int]


def ensure_base(*, members: int, unions: int) -> None:
    from bench import members as member_bench
    from gonghui.members.models import Membership
    from gonghui.organizations.models import Organization

    if Organization.unscoped.filter(code="BM", kind="city").exists():
        if not Membership.unscoped.filter(status="active").exists():
            raise SystemExit(
                "The benchmark database has the tree but no members (an interrupted build?): "
                "run `python -m bench --only members` once to rebuild it."
            )
        print("基础数据 / base: 复用会员基准的组织树和会员 (reusing the member benchmark's data)")
        return
    if Organization.unscoped.exists():
        raise SystemExit(
            "The benchmark database holds another tree: `python -m bench --only members` "
            "rebuilds it."
        )
    print(f"基础数据 / base: 先建会员基准的组织树和 {members:,} 名会员 (building the base)")
    member_bench.build_base(members=members, unions=unions)


def _ensure_clerks(orgs: list[tuple[int, str, str, str]]) -> dict[int, int]:
    """A clerk for every town and district (the member benchmark made the city's and one
    district's); created through the service, once."""
    from django.contrib.auth.hashers import make_password

    from gonghui.accounts import services as account_services
    from gonghui.accounts.models import User
    from gonghui.organizations.models import Organization

    clerk: dict[int, int] = {}
    for user_id, org_id in (
        User.objects.filter(kind="staff", is_active=True, roles__contains=["clerk"])
        .order_by("-id")
        .values_list("id", "organization_id")
    ):
        if org_id is not None:
            clerk[org_id] = user_id
    missing = [o for o in orgs if o[1] in {"city", "district", "town"} and o[0] not in clerk]
    if missing:
        password = make_password("bench-pass-2018")
        by_id = Organization.unscoped.in_bulk([o[0] for o in missing])
        for org_id, _kind, code, _name in missing:
            user = account_services.staff_create(
                actor=None,
                organization=by_id[org_id],
                username=f"bm-{code.lower()}-clerk",
                full_name=f"{code}经办",
                roles=["clerk"],
                password_hash=password,
            )
            clerk[org_id] = user.pk
        print(f"经办人 / staff: 新建 {len(missing)} 个镇、区经办账号")
    return clerk


def load_base() -> Base:
    from django.db import connection

    from gonghui.organizations.models import Organization

    orgs = list(Organization.unscoped.values_list("id", "kind", "code", "name"))
    parents = dict(Organization.unscoped.values_list("id", "parent_id"))
    clerk = _ensure_clerks(orgs)
    persons: list[int] = []
    unions: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT person_id, union_id FROM members_membership WHERE status = 'active' ORDER BY id"
        )
        for person_id, union_id in cursor.fetchall():
            persons.append(person_id)
            unions.append(union_id)
    return Base(
        parent={k: v for k, v in parents.items() if v is not None},
        kind={o[0]: o[1] for o in orgs},
        name={o[0]: o[3] for o in orgs},
        persons=persons,
        unions=unions,
        clerk=clerk,
    )


# --- generating cases --------------------------------------------------------------------------


@dataclass
class TypeRule:
    id: int
    code: str
    name: str
    tiers: frozenset[str]
    response: tuple[int, str]
    resolution: tuple[int, str]
    auto_close_days: int

    @property
    def resolution_span_days(self) -> float:
        """Calendar days the resolution limit spans, roughly (a working week is 7/5 days)."""
        amount, unit = self.resolution
        return amount * 1.4 if unit == "workday" else amount / 8 * 1.4


class Deadlines:
    """``services.deadlines`` for a million start times: the working-day deadlines depend only
    on the local start date, so each (amount, date) is asked of the calendar once."""

    def __init__(self, first: datetime.date, last: datetime.date) -> None:
        from gonghui.core.workdays import WorkCalendar

        self.calendar = WorkCalendar(first, last)
        self.days: dict[tuple[int, datetime.date], datetime.datetime] = {}

    def due(self, start: datetime.datetime, limit: tuple[int, str]) -> datetime.datetime:
        amount, unit = limit
        if unit == "workday":
            key = (amount, start.date())
            found = self.days.get(key)
            if found is None:
                found = self.days[key] = self.calendar.add_working_days(start, amount)
            return found
        return self.calendar.add_working_hours(start, amount)

    def both(self, start: datetime.datetime, rule: TypeRule) -> tuple[Any, Any]:
        return self.due(start, rule.response), self.due(start, rule.resolution)


def _text_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)  # the generated texts hold no tab, newline or backslash


def _line(values: tuple[Any, ...]) -> str:
    return "\t".join(_text_value(v) for v in values) + "\n"


@dataclass
class Generated:
    states: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    events: int = 0


class CaseGenerator:
    """One case at a time, deterministic for a seed, relative to ``now``."""

    def __init__(self, base: Base, rules: list[TypeRule], now: datetime.datetime) -> None:
        self.base = base
        self.rules = rules
        self.now = now
        total = sum(TYPE_WEIGHTS.get(r.code, 10) for r in rules)
        acc = 0.0
        self.type_cuts: list[float] = []
        for rule in rules:
            acc += TYPE_WEIGHTS.get(rule.code, 10) / total
            self.type_cuts.append(acc)
        today = now.date()
        self.deadlines = Deadlines(today - datetime.timedelta(days=800), today)
        self.rng = random.Random(SEED)
        self.summary = Generated()

    def _ago(self, seconds: float) -> datetime.datetime:
        return self.now - datetime.timedelta(seconds=seconds)

    def _clerk_above(self, org: int) -> int:
        """The clerk of ``org``, else of the nearest organisation above it that has one."""
        clerk = self.base.clerk
        while org not in clerk:
            org = self.base.parent[org]
        return clerk[org]

    def _open_times(
        self, rule: TypeRule, *, overdue: bool, submitted: bool
    ) -> tuple[datetime.datetime, datetime.datetime, datetime.datetime]:
        """A creation time whose deadlines put the case on time or past due, as asked."""
        rng, now, span = self.rng, self.now, rule.resolution_span_days
        for attempt in range(30):
            shrink = 0.5 ** (attempt // 10)
            if overdue:
                created = self._ago(rng.uniform(span + 3, span + 90) * DAY)
            elif submitted:
                created = self._ago(rng.uniform(0, 20 * HOUR) * shrink)
            else:
                created = self._ago(rng.uniform(0, span * 0.8 * DAY) * shrink)
            response_due, resolution_due = self.deadlines.both(created, rule)
            late = resolution_due < now or (submitted and response_due < now)
            if late == overdue:
                return created, response_due, resolution_due
        raise AssertionError(f"no {'overdue' if overdue else 'open'} time for {rule.code}")

    def case(self, pk: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        rng, base, now = self.rng, self.base, self.now
        rule = self.rules[bisect.bisect_left(self.type_cuts, rng.random() * self.type_cuts[-1])]
        k = rng.randrange(len(base.persons))
        person, union = base.persons[k], base.unions[k]
        town = base.parent[union]
        district = base.parent[town]
        where = rng.random()
        handler = union if where < AT_UNION else town if where < AT_TOWN else district
        if handler == union and "point" not in rule.tiers:
            handler = town
        if handler == town and "station" not in rule.tiers:
            handler = district
        origin, escalations = handler, 0
        if handler != union and rng.random() < MOVED_UP:
            origin = union if handler == town else town
            escalations = 1
        tier = TIER_OF_KIND[base.kind[handler]]
        r = rng.random()
        channel, channel_label = next((c, label) for c, cut, label in CHANNELS if r < cut)
        created_by = self._clerk_above(origin)
        handler_clerk = base.clerk.get(handler)
        actor = handler_clerk or created_by
        assignee = None
        responded_at = resolved_at = closed_at = rating = None
        resolution = reject_reason = ""
        auto_closed = False

        r = rng.random()
        if r < OPEN_OVERDUE + OPEN_ON_TIME:
            overdue = r < OPEN_OVERDUE
            submitted = rng.random() < (0.3 if overdue else 0.25)
            state = "submitted" if submitted else "accepted"
            created, response_due, resolution_due = self._open_times(
                rule, overdue=overdue, submitted=submitted
            )
            if not submitted:
                assignee = handler_clerk
                latest = min(now, response_due + datetime.timedelta(hours=8))
                window = max(60.0, (latest - created).total_seconds())
                responded_at = created + datetime.timedelta(seconds=rng.uniform(60, window))
                responded_at = min(responded_at, now)
            if overdue:
                self.summary.states["overdue"] += 1
        else:
            if r < OPEN_OVERDUE + OPEN_ON_TIME + RESOLVED:
                state = "resolved"
                # Waiting for the worker's confirmation; those past the type's auto-close days
                # (about a third) are closed by the sweep.
                resolved_at = self._ago(rng.uniform(0, RESOLVED_WITHIN_DAYS) * DAY)
                created = resolved_at - datetime.timedelta(days=rng.uniform(1, 25))
                if resolved_at < now - datetime.timedelta(days=rule.auto_close_days):
                    self.summary.states["closable"] += 1
            else:
                # Old enough for every step below to lie in the past.
                created = self._ago(rng.uniform(40, 730) * DAY)
                cut = r - (OPEN_OVERDUE + OPEN_ON_TIME + RESOLVED)
                state = (
                    "rejected"
                    if cut < REJECTED
                    else "withdrawn"
                    if cut < REJECTED + WITHDRAWN
                    else "closed"
                )
            response_due, resolution_due = self.deadlines.both(created, rule)
            if state != "withdrawn" or rng.random() < 0.5:
                responded_at = created + datetime.timedelta(hours=rng.uniform(0.5, 40))
                if resolved_at is not None:
                    responded_at = min(responded_at, resolved_at)
                assignee = handler_clerk if state != "rejected" else None
            if state == "withdrawn":
                closed_at = (responded_at or created) + datetime.timedelta(days=rng.uniform(0, 5))
                assignee = None if responded_at is None else assignee
            elif state == "rejected":
                assert responded_at is not None
                closed_at = responded_at
                reject_reason = "不属于工会受理范围，已告知职工向有关部门反映"
            else:
                if resolved_at is None:
                    resolved_at = created + datetime.timedelta(days=rng.uniform(1, 25))
                resolution = f"{rule.name}事项已办结，办理结果已告知职工"
                if state == "closed":
                    auto_closed = rng.random() < 0.35
                    if auto_closed:
                        closed_at = resolved_at + datetime.timedelta(days=rule.auto_close_days)
                    else:
                        closed_at = resolved_at + datetime.timedelta(hours=rng.uniform(1, 120))
                        rating = rng.choices((5, 4, 3, 2, 1), (60, 25, 8, 4, 3))[0]
        self.summary.states[state] += 1

        # The timeline.
        events: list[tuple[Any, ...]] = [
            (pk, "opened", created, created_by, None, origin, channel_label, True)
        ]
        if escalations:
            moved_at = created + datetime.timedelta(minutes=rng.uniform(5, 600))
            events.append(
                (pk, "escalated", moved_at, created_by, origin, handler, "需上级工会协调", True)
            )
        if responded_at is not None and state != "rejected":
            events.append((pk, "accepted", responded_at, actor, None, None, "", True))
        if resolved_at is not None:
            events.append((pk, "resolved", resolved_at, actor, None, None, resolution, True))
        if state == "closed":
            kind = "auto_closed" if auto_closed else "confirmed"
            note = (
                f"办结后{rule.auto_close_days}天未评价，自动关闭。" if auto_closed else f"{rating}★"
            )
            by = None if auto_closed else actor
            events.append((pk, kind, closed_at, by, None, None, note, True))
        elif state == "rejected":
            events.append((pk, "rejected", closed_at, actor, None, None, reject_reason, True))
        elif state == "withdrawn":
            events.append((pk, "withdrawn", closed_at, None, None, None, "", True))
        updated_at = max(e[2] for e in events)

        row = (
            pk,
            f"FW{created.year}{pk:08d}",
            person,
            rule.id,
            channel,
            f"{rule.name}：职工诉求{pk % 997}",
            f"职工通过{channel_label}提出{rule.name}诉求，请依规办理。",
            origin,
            handler,
            tier,
            assignee,
            state,
            created_by,
            created,
            updated_at,
            response_due,
            resolution_due,
            responded_at,
            None if responded_at is None else responded_at <= response_due,
            resolved_at,
            None if resolved_at is None else resolved_at <= resolution_due,
            resolution,
            reject_reason,
            closed_at,
            auto_closed,
            rating,
            "",
            1 if channel == "counter" else 0,
            escalations,
            "",
            f"职工{person}",
        )
        self.summary.events += len(events)
        return row, events

    def chunks(self, cases: int) -> Iterator[tuple[str, str]]:
        for start in range(1, cases + 1, CHUNK):
            case_lines: list[str] = []
            event_lines: list[str] = []
            for pk in range(start, min(cases + 1, start + CHUNK)):
                row, events = self.case(pk)
                case_lines.append(_line(row))
                event_lines.extend(_line(e) for e in events)
            yield "".join(case_lines), "".join(event_lines)


def _check_columns() -> None:
    """Fail loudly when the model gained a column the generator does not fill."""
    from gonghui.casework.models import Case, CaseEvent

    for model, columns in ((Case, CASE_COLUMNS), (CaseEvent, ("id", *EVENT_COLUMNS))):
        actual = {f.column for f in model._meta.concrete_fields}
        if actual != set(columns):
            raise SystemExit(
                f"bench/cases.py is out of date with {model.__name__}: "
                f"missing {sorted(actual - set(columns))}, extra {sorted(set(columns) - actual)}"
            )


def generate(base: Base, cases: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from gonghui.organizations.models import ServiceType

    _check_columns()
    rules = [
        TypeRule(
            id=t.pk,
            code=t.code,
            name=t.name,
            tiers=frozenset(t.tiers),
            response=(t.response_limit, t.response_unit),
            resolution=(t.resolution_limit, t.resolution_unit),
            auto_close_days=t.auto_close_days,
        )
        for t in ServiceType.objects.order_by("sort_order")
    ]
    now = timezone.localtime()
    generator = CaseGenerator(base, rules, now)
    started = time.monotonic()
    case_copy = f"COPY casework_case ({', '.join(CASE_COLUMNS)}) FROM STDIN"
    event_copy = f"COPY casework_caseevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE casework_case, casework_caseevent RESTART IDENTITY CASCADE; "
            f"DROP TABLE IF EXISTS {SNAPSHOT}; DROP TABLE IF EXISTS {META}"
        )
        # The rows are consistent by construction (ids read from the tables above); skipping
        # the per-row foreign-key triggers saves millions of deferred checks. Checked below.
        # Only a superuser may; others load with the checks.
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        raw = cursor.cursor
        for case_text, event_text in generator.chunks(cases):
            with raw.copy(case_copy) as copy:
                copy.write(case_text)
            with raw.copy(event_copy) as copy:
                copy.write(event_text)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        loaded = time.monotonic() - started
        cursor.execute(
            "SELECT count(*) FROM casework_case c WHERE "
            "NOT EXISTS (SELECT 1 FROM members_person p WHERE p.id = c.person_id) OR "
            "NOT EXISTS (SELECT 1 FROM organizations_organization o WHERE o.id = c.handler_id) OR "
            "NOT EXISTS (SELECT 1 FROM organizations_organization o WHERE o.id = c.origin_id) OR "
            "NOT EXISTS (SELECT 1 FROM accounts_user u WHERE u.id = c.created_by_id) OR "
            "(c.assignee_id IS NOT NULL AND "
            " NOT EXISTS (SELECT 1 FROM accounts_user u WHERE u.id = c.assignee_id))"
        )
        broken = cursor.fetchone()[0]
        if broken:
            raise SystemExit(f"{broken} generated cases point at missing rows")
        cursor.execute("SELECT setval(pg_get_serial_sequence('casework_case', 'id'), %s)", [cases])
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('casework_caseevent', 'id'), "
            "(SELECT max(id) FROM casework_caseevent))"
        )
        # New cases opened on this database must not take a generated number.
        cursor.execute("SELECT setval('gonghui_counter_case', %s)", [cases])
        cursor.execute(
            f"CREATE TABLE {SNAPSHOT} AS SELECT id, {', '.join(SNAPSHOT_COLUMNS)} "
            "FROM casework_case WHERE state IN ('submitted', 'accepted', 'resolved')"
        )
        cursor.execute(f"ALTER TABLE {SNAPSHOT} ADD PRIMARY KEY (id)")
        cursor.execute(
            f"CREATE TABLE {META} AS SELECT %s::timestamptz AS generated_at, "
            "%s::integer AS cases, max(id) AS last_event_id FROM casework_caseevent",
            [now, cases],
        )
    states = generator.summary.states
    print(
        f"生成事项 / cases: {cases:,} 件 (COPY), {generator.summary.events:,} 条办理记录 "
        f"(timeline events), {loaded:.1f} s"
    )
    print(
        "  "
        + ", ".join(
            f"{s} {states[s] / cases:.1%}"
            for s in ("closed", "rejected", "withdrawn", "resolved", "accepted", "submitted")
        )
        + f"; open and past due {states['overdue']:,} ({states['overdue'] / cases:.1%})"
    )
    print(f"  resolved and past the type's auto-close days: {states['closable']:,}")
    _vacuum()


def _vacuum() -> None:
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE casework_case")
        cursor.execute("VACUUM ANALYZE casework_caseevent")
    print(f"  VACUUM ANALYZE: {time.monotonic() - started:.1f} s")


def generated(cases: int) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s), to_regclass(%s)", [SNAPSHOT, META])
        if None in cursor.fetchone():
            return False
        cursor.execute(f"SELECT cases FROM {META}")
        row = cursor.fetchone()
        if row is None or row[0] != cases:
            return False
        cursor.execute("SELECT max(id) FROM casework_case")
        return bool(cursor.fetchone()[0] == cases)


def reset() -> None:
    """Put the open and resolved cases back as generated, moved forward by the time elapsed
    since, and drop the timeline rows written after generation: a re-run sweeps the same
    backlog against the same clock distance (the notifications of earlier sweeps go too)."""
    from django.db import connection, transaction
    from django.utils import timezone

    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT generated_at, last_event_id FROM {META}")
        generated_at, last_event_id = cursor.fetchone()
        shift = timezone.now() - generated_at
        cursor.execute("DELETE FROM casework_caseevent WHERE id > %s", [last_event_id])
        # The workers' messages of earlier sweeps (the generator writes none).
        cursor.execute(
            "DELETE FROM core_notification WHERE kind LIKE 'casework.%%' AND created_at > %s",
            [generated_at],
        )
        sets = ", ".join(
            f"{c} = s.{c} + %(shift)s" if c in SHIFTED else f"{c} = s.{c}" for c in SNAPSHOT_COLUMNS
        )
        cursor.execute(
            f"UPDATE casework_case c SET {sets} FROM {SNAPSHOT} s WHERE c.id = s.id",
            {"shift": shift},
        )
        restored = cursor.rowcount
        # The sweep touches open and resolved cases only, all of them in the snapshot.
        cursor.execute(
            "SELECT count(*) FROM casework_case WHERE (state = 'submitted' AND response_due < %s)"
            " OR (state IN ('submitted', 'accepted') AND resolution_due < %s)",
            [timezone.now(), timezone.now()],
        )
        overdue = cursor.fetchone()[0]
    print(
        f"复位 / reset: {restored:,} 件办理中和待评价事项恢复到生成时的状态 "
        f"(open and resolved cases as generated, moved {shift} forward), "
        f"{time.monotonic() - started:.1f} s; open and past due {overdue:,}"
    )
    _vacuum()
