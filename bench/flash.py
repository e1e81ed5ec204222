"""Issue 4's flash-crowd benchmark (point 12): one first-come class session of 100 seats opens
and 5,000 distinct workers press "book" at once, 200 requests in flight at any moment, against
a real server: gunicorn with several worker processes, production settings, PostgreSQL.

Prints: bookings made (must be exactly 100), waiting-list entries, HTTP errors (must be 0), the
throughput and p50/p99 latency of the booking endpoint and, in the same run against the same
server, those of a trivial endpoint (``GET /api/ping``), with the ratio of the two throughputs.
Targets: ratio >= 0.5, booking p99 <= 500 ms. The database is checked afterwards: 100 booked,
every other request on the waiting list, no seat left, nobody in the session twice.

The workers are people of the member benchmark's base, given worker accounts and API tokens
(written in bulk, the tokens hashed as ``accounts.services.api_token_issue`` hashes them). The
session and its bookings, the tokens and (unless ``--keep``) the accounts are deleted
afterwards, so a re-run starts from the same state.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import database
from bench.case_data import ensure_base
from bench.timing import quantile

SEATS = 100
RATIO_TARGET = 0.5
P99_TARGET_MS = 500.0

TRIVIAL_PATH = "/api/ping"
BOOKING_PATH = "/api/culture/sessions/{id}/bookings"
WARMUP_REQUESTS = 400
REQUEST_TIMEOUT_S = 60.0
USERNAME_PREFIX = "bm-flash-"
TOKEN_NAME = "flash-bench"  # noqa: S105  (a label, not a secret)
COURSE_TITLE = "抢课基准课（flash-crowd benchmark）"
# The server's cache and broker: a Redis database of its own, so nothing the benchmark server
# caches or queues can meet a development server's keys (or a Celery worker's queue).
REDIS_URL = os.environ.get("GONGHUI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
BASE_DIR = Path(__file__).resolve().parent.parent


# --- the crowd: worker accounts and their tokens ---------------------------------------------


@dataclass
class Crowd:
    user_ids: list[int]
    keys: list[str]  # the bearer tokens, in the order of user_ids
    new_accounts: int


def prepare_crowd(size: int) -> Crowd:
    """``size`` worker accounts on people of the base (those of an earlier run with ``--keep``
    first), each with a fresh API token."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from gonghui.accounts.models import AccountKind, ApiToken, User

    # The service's own hashing, so the server accepts the tokens exactly as issued ones.
    from gonghui.accounts.services import _token_hash

    with transaction.atomic():
        user_ids = list(
            User.objects.filter(username__startswith=USERNAME_PREFIX, kind=AccountKind.WORKER)
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        missing = size - len(user_ids)
        if missing > 0:
            with connection.cursor() as cursor:
                # Members of unions spread over the whole tree, without an account yet.
                cursor.execute(
                    "SELECT p.id FROM members_person p "
                    "WHERE EXISTS (SELECT 1 FROM members_membership m "
                    "              WHERE m.person_id = p.id AND m.status = 'active') "
                    "AND NOT EXISTS (SELECT 1 FROM accounts_user u WHERE u.person_id = p.id) "
                    "ORDER BY md5(p.id::text) LIMIT %s",
                    [missing],
                )
                persons = [row[0] for row in cursor.fetchall()]
            if len(persons) < missing:
                raise SystemExit(f"The base has only {len(persons):,} members without an account.")
            password = make_password(None)  # unusable: these workers only hold tokens
            created = User.objects.bulk_create(
                [
                    User(
                        username=f"{USERNAME_PREFIX}{person_id}",
                        kind=AccountKind.WORKER,
                        person_id=person_id,
                        password=password,
                    )
                    for person_id in persons
                ],
                batch_size=1000,
            )
            user_ids += [u.pk for u in created]
        ApiToken.objects.filter(user_id__in=user_ids).delete()
        now = timezone.now()
        keys = ["gh_" + secrets.token_urlsafe(32) for _ in user_ids]
        ApiToken.objects.bulk_create(
            [
                ApiToken(
                    user_id=user_id,
                    key_hash=_token_hash(key),
                    prefix=key[:8],
                    name=TOKEN_NAME,
                    expires_at=now + datetime.timedelta(days=1),
                    # Each worker had the app open on the session's page a moment before the
                    # window opened, as in a real rush: the booking request is not the token's
                    # first use (which would also write ``last_used_at``).
                    last_used_at=now,
                )
                for user_id, key in zip(user_ids, keys, strict=True)
            ],
            batch_size=1000,
        )
    return Crowd(user_ids=user_ids, keys=keys, new_accounts=max(missing, 0))


def drop_crowd(crowd: Crowd, *, keep: bool) -> None:
    """The tokens always go (their keys are not kept); the accounts too unless ``keep``."""
    from django.db import connection, transaction

    from gonghui.accounts.models import ApiToken, User

    with transaction.atomic():
        ApiToken.objects.filter(user_id__in=crowd.user_ids).delete()
        if not keep:
            # Not through the ORM: a model delete would write 5,000 history rows for accounts
            # whose creation (bulk) wrote none.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {User._meta.db_table} WHERE id = ANY(%s)", [crowd.user_ids]
                )


# --- the session -------------------------------------------------------------------------------


def publish_session(seats: int) -> Any:
    """A first-come session of the city's, open for booking from this moment, through the
    service; as staff, the member benchmark's city clerk."""
    from django.utils import timezone

    from gonghui.accounts.models import User
    from gonghui.culture.models import Course, Series
    from gonghui.culture.services import sessions as sessions_services
    from gonghui.organizations.models import Organization

    city = Organization.unscoped.get(code="BM", kind="city")
    clerk = User.objects.select_related("organization").get(username="bm-clerk")
    course = Course.objects.create(
        organization=city, series=Series.objects.all()[0], category="instrument", title=COURSE_TITLE
    )
    now = timezone.now()
    starts_at = now + datetime.timedelta(days=3)
    return sessions_services.session_publish(
        actor=clerk,
        course=course,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        capacity=seats,
        mode="first_come",
        opens_at=now,
        closes_at=starts_at - datetime.timedelta(hours=1),
        place="基准市职工文化宫",
    )


def clear_sessions() -> int:
    """Delete the benchmark's courses, with their sessions and bookings (this run's, or those
    an interrupted run left). Returns the number of bookings deleted."""
    from django.db import transaction

    from gonghui.culture.models import Booking, ClassSession, Course

    with transaction.atomic():
        courses = Course.unscoped.filter(title=COURSE_TITLE, organization__code="BM")
        deleted, _ = Booking.unscoped.filter(session__course__in=courses).delete()
        ClassSession.unscoped.filter(course__in=courses).delete()
        courses.delete()
    return deleted


@dataclass
class Verified:
    states: dict[str, int]
    seats_left: int
    twice: int  # workers holding two active places in the session


def verify(session_id: int) -> Verified:
    from django.db.models import Count

    from gonghui.culture.models import ACTIVE_STATES, Booking, ClassSession

    bookings = Booking.unscoped.filter(session_id=session_id)
    states = dict(bookings.values_list("state").annotate(n=Count("pk")).order_by())
    twice = (
        bookings.filter(state__in=ACTIVE_STATES)
        .values("person")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    seats_left = ClassSession.unscoped.values_list("seats_left", flat=True).get(pk=session_id)
    return Verified(states=states, seats_left=seats_left, twice=twice)


def booking_route_ready() -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(BOOKING_PATH.format(id=1))
    except Resolver404:
        return False
    return True


# --- the server --------------------------------------------------------------------------------


@dataclass
class Server:
    pid: int
    port: int
    log: Path
    config: str

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_up() -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def gunicorn(*, url: str, workers: int, threads: int) -> Iterator[Server]:
    """Run gunicorn on the benchmark database on a free local port until the block ends.

    The configuration, for a 2-core machine that also runs PostgreSQL and the load generator:
    sync workers, ``cores + 1`` of them by default. A sync worker is idle during each of the
    booking's few SQL round trips, so one process more than the cores keeps both busy; more
    only add context switches once the cores are saturated. Measured here with the booking
    path in plain SQL: 3 workers booked 431–433 req/s (p99 573–637 ms) against 5 workers'
    344–382 req/s (p99 744–765 ms). Earlier, with an ORM-built booking path, 3, 5 and 8 sync
    workers and gthread 2 × 4 and 4 × 2 all booked within 10% of each other, and the sync
    workers had the shorter tail. Keep-alive, the other
    thing gthread brings, is nginx's job in production (nginx speaks HTTP/1.0 upstream, a
    new connection per request, as the clients here do). ``--preload`` imports the
    application once before forking, so no request waits for a worker importing Django."""
    static_root = Path(tempfile.mkdtemp(prefix="gonghui-flash-static-"))
    log = Path(tempfile.mkstemp(prefix="gonghui-flash-", suffix=".log")[1])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gonghui.settings",
        "DATABASE_URL": url,
        # Production settings: DEBUG off, secure cookies, collected static files (none are
        # requested here: an empty directory keeps WhiteNoise quiet), a real SMS backend
        # required, for which the null one stands in (the first-come path sends none).
        "GONGHUI_ENV": "production",
        "GONGHUI_DEBUG": "0",
        "GONGHUI_DEMO": "0",
        "GONGHUI_ALLOWED_HOSTS": "127.0.0.1",
        "GONGHUI_STATIC_ROOT": str(static_root),
        "GONGHUI_SMS_BACKEND": "gonghui.core.sms.NullBackend",
        # Plain HTTP on the loopback, as behind nginx that ends TLS: no redirect to HTTPS.
        "GONGHUI_SSL_REDIRECT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    cache = "Redis cache"
    if _redis_up():
        env["REDIS_URL"] = env["CELERY_BROKER_URL"] = REDIS_URL
        # The shared Redis is shared: this run's cache keys carry its database's name.
        env["GONGHUI_CACHE_KEY_PREFIX"] = "bench-" + urllib.parse.urlsplit(url).path.strip("/")
    else:
        env.pop("REDIS_URL", None)
        cache = "no Redis (local-memory cache, eager tasks)"
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "gonghui.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--backlog=2048",
        "--preload",
        "--log-level=warning",
        "--error-logfile=-",
    ]
    kind = "sync"
    if threads > 1:
        kind = f"gthread × {threads} threads"
        command += ["--worker-class=gthread", f"--threads={threads}"]
    config = (
        f"gunicorn {workers} {kind} workers (--preload, backlog 2048), production settings, "
        f"DEBUG off, {cache}, persistent PostgreSQL connections"
    )
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(pid=process.pid, port=port, log=log, config=config)
    try:
        _wait_until_up(process, server)
        yield server
    finally:
        process.terminate()  # the master stops its workers (graceful: none is busy by now)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(static_root, ignore_errors=True)
        log.unlink(missing_ok=True)


def _wait_until_up(process: subprocess.Popen[bytes], server: Server) -> None:
    import http.client

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {process.returncode}):\n{server.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", TRIVIAL_PATH)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within 60 s:\n{server.log_tail()}")


# --- the load generator ------------------------------------------------------------------------
# One process, asyncio, HTTP/1.1 written by hand over plain sockets: the generator shares the
# two cores with the server and PostgreSQL, so it must cost as little CPU per request as
# possible (no client library's machinery), and each phase prints the share it used.
# Every request opens its own connection (``Connection: close``): a crowd of phones, each
# pressing once, reaching gunicorn the way nginx forwards them.


@dataclass
class Outcome:
    status: int  # 0: no HTTP response (connection refused or reset, timeout)
    ms: float
    body: bytes


def _request(method: str, path: str, port: int, key: str | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    body = b""
    if key is not None:
        lines.append(f"Authorization: Bearer {key}")
    if method == "POST":
        body = b"{}"
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _parse(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"\r\ntransfer-encoding: chunked" in head.lower():
        chunks, rest = [], body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            rest = rest[size + 2 :]
        body = b"".join(chunks)
    return status, body


async def _one(port: int, raw: bytes) -> Outcome:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(raw)
                response = await reader.read()  # to the end: the server closes
            finally:
                writer.close()
        status, body = _parse(response)
    except (OSError, TimeoutError, ValueError, IndexError) as exc:
        status, body = 0, repr(exc).encode()
    return Outcome(status, (time.perf_counter() - started) * 1000, body)


def _process_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rpartition(")")[2].split()
    except OSError:
        return 0  # gone meanwhile
    return int(fields[11]) + int(fields[12])  # utime, stime


@dataclass
class Ticks:
    """CPU time used since boot, in clock ticks: by the whole machine (``total``, ``busy``)
    and by each process of the groups watched (gunicorn, PostgreSQL, the load generator)."""

    total: int
    busy: int
    groups: dict[str, dict[int, int]]

    @classmethod
    def now(cls, server: Server) -> Ticks:
        with open("/proc/stat", encoding="ascii") as fh:
            values = [int(v) for v in fh.readline().split()[1:9]]
        try:
            with open(f"/proc/{server.pid}/task/{server.pid}/children", encoding="ascii") as fh:
                workers = [int(pid) for pid in fh.read().split()]
        except OSError:
            workers = []
        postgres = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    with open(f"/proc/{entry.name}/comm", encoding="ascii") as fh:
                        if fh.read().strip() == "postgres":
                            postgres.append(int(entry.name))
                except OSError:
                    continue
        groups = {
            "gunicorn": [server.pid, *workers],
            "postgres": postgres,
            "load generator": [os.getpid()],
        }
        return cls(
            total=sum(values),
            busy=sum(values) - values[3] - values[4],  # less idle and iowait
            groups={g: {pid: _process_ticks(pid) for pid in pids} for g, pids in groups.items()},
        )

    def shares_since(self, before: Ticks) -> dict[str, float]:
        """Shares of the machine's CPU time since ``before``: "busy" and each group's. A
        process that ended meanwhile is not counted (its time is in "busy" alone)."""
        total = max(1, self.total - before.total)
        shares = {"busy": (self.busy - before.busy) / total}
        for group, pids in self.groups.items():
            old = before.groups[group]
            used = sum(max(0, ticks - old.get(pid, 0)) for pid, ticks in pids.items())
            shares[group] = used / total
        return shares


@dataclass
class Phase:
    outcomes: list[Outcome]
    seconds: float
    # Shares of the machine's CPU time during the phase ("busy", "gunicorn", "postgres", ...).
    cpu: dict[str, float]

    @property
    def ok(self) -> list[Outcome]:
        return [o for o in self.outcomes if 200 <= o.status < 300]

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if not 200 <= o.status < 300]

    @property
    def throughput(self) -> float:
        return len(self.outcomes) / self.seconds

    def latency(self, q: float) -> float:
        return quantile(sorted(o.ms for o in self.outcomes), q)


def fire(server: Server, requests: list[bytes], clients: int) -> Phase:
    """Send ``requests`` with ``clients`` of them in flight at any moment (each client sends
    its next one as soon as its last is answered)."""

    async def crowd() -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(requests)
        pending = iter(enumerate(requests))

        async def client() -> None:
            for i, raw in pending:  # one event loop thread: the iterator needs no lock
                outcomes[i] = await _one(server.port, raw)

        await asyncio.gather(*(client() for _ in range(clients)))
        return [o for o in outcomes if o is not None]

    before = Ticks.now(server)
    started = time.perf_counter()
    outcomes = asyncio.run(crowd())
    seconds = time.perf_counter() - started
    return Phase(outcomes=outcomes, seconds=seconds, cpu=Ticks.now(server).shares_since(before))


def _print_phase(label: str, phase: Phase, server: Server) -> None:
    statuses = Counter(o.status for o in phase.outcomes)
    print(
        f"  {label}: {len(phase.outcomes):,} requests in {phase.seconds:.2f} s "
        f"= {phase.throughput:,.0f} req/s"
    )
    print(
        f"    latency: p50 {phase.latency(0.5):.0f} ms   p90 {phase.latency(0.9):.0f} ms   "
        f"p99 {phase.latency(0.99):.0f} ms   max {phase.latency(1.0):.0f} ms"
    )
    shown = ", ".join(f"{status or 'no response'} ×{n:,}" for status, n in sorted(statuses.items()))
    print(f"    responses: {shown}")
    cpu = phase.cpu
    other = cpu["busy"] - cpu["gunicorn"] - cpu["postgres"] - cpu["load generator"]
    print(
        f"    CPU {cpu['busy']:.0%} busy: gunicorn {cpu['gunicorn']:.0%}, PostgreSQL "
        f"{cpu['postgres']:.0%}, load generator {cpu['load generator']:.0%}, "
        f"other {max(0.0, other):.0%}"
    )
    seen: set[int] = set()
    for outcome in phase.errors:
        if outcome.status not in seen:
            seen.add(outcome.status)
            print(f"    e.g. {outcome.status}: {outcome.body[:300].decode(errors='replace')}")
    if any(o.status >= 500 or o.status == 0 for o in phase.errors):
        print("    server log (tail):")
        for line in server.log_tail().splitlines():
            print(f"      {line}")


# --- the run ---------------------------------------------------------------------------------


def run(
    *,
    crowd: int = 5_000,
    clients: int = 200,
    server_workers: int = 0,
    threads: int = 1,
    keep: bool = False,
    members: int = 1_000_000,
    unions: int = 5_000,
) -> None:
    """``keep``: leave the worker accounts for the next run (their tokens are issued anew).
    ``server_workers``: gunicorn worker processes, 0 for ``2 × CPUs + 1``; ``threads`` > 1
    runs gthread workers instead of sync ones."""
    url = database.prepare(fresh=False)
    from bench.members import setup_django

    setup_django()
    from django.core.management import call_command

    print()
    print(f"== 抢课基准 / flash-crowd benchmark: {url} ==")
    call_command("migrate", verbosity=0)
    ensure_base(members=members, unions=unions)
    has_route = booking_route_ready()
    leftovers = clear_sessions()
    if leftovers:
        print(f"  (deleted {leftovers:,} bookings an interrupted run left)")
    started = time.monotonic()
    people = prepare_crowd(crowd)
    print(
        f"  {len(people.user_ids):,} worker accounts ({people.new_accounts:,} new) and their "
        f"API tokens: {time.monotonic() - started:.1f} s"
    )
    server_workers = server_workers or (os.cpu_count() or 1) + 1
    session = None
    try:
        started = time.monotonic()
        with gunicorn(url=url, workers=server_workers, threads=threads) as server:
            print(f"  {server.config}")
            print(f"  server up in {time.monotonic() - started:.1f} s, port {server.port}")
            load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"  load average before the rush: {load}")
            trivial = [_request("GET", TRIVIAL_PATH, server.port)] * crowd
            warm = fire(server, trivial[:WARMUP_REQUESTS], clients)
            print(
                f"  warm-up: {WARMUP_REQUESTS} × GET {TRIVIAL_PATH}, "
                f"{len(warm.errors)} errors, {warm.throughput:,.0f} req/s"
            )
            booking = None
            if has_route:
                session = publish_session(SEATS)
                path = BOOKING_PATH.format(id=session.pk)
                requests = [_request("POST", path, server.port, key) for key in people.keys]
                print()
                print(
                    f"== 抢课 / the rush: {crowd:,} workers, {clients} at a time, "
                    f"one {SEATS}-seat first-come session =="
                )
                booking = fire(server, requests, clients)
                _print_phase(f"POST {path}", booking, server)
            else:
                print()
                print(f"  ✗ no booking endpoint yet ({BOOKING_PATH}): the rush is skipped")
            print()
            print(f"== 对照 / a trivial endpoint of the same server, {clients} at a time ==")
            plain = fire(server, trivial, clients)
            _print_phase(f"GET {TRIVIAL_PATH}", plain, server)
        checked = verify(session.pk) if session is not None else None
        _summary(booking, plain, checked, server.config, clients)
    finally:
        clear_sessions()
        drop_crowd(people, keep=keep)


def _summary(
    booking: Phase | None,
    plain: Phase,
    checked: Verified | None,
    config: str,
    clients: int,
) -> None:
    print()
    print("== 汇总 / summary (issue 4, point 12) ==")

    def row(label: str, figure: str, target: str = "", ok: bool | None = None) -> None:
        mark = "" if ok is None else ("✓" if ok else "✗")
        print(f"  {label + ':':46} {figure:>14}   {target:12} {mark}".rstrip())

    if booking is not None and checked is not None:
        answered = Counter(
            json.loads(o.body).get("state") for o in booking.ok if o.body.startswith(b"{")
        )
        booked = checked.states.get("booked", 0)
        waiting = checked.states.get("waiting", 0)
        row("bookings made (booked)", f"{booked:,}", f"= {SEATS}", booked == SEATS)
        row(
            "waiting-list entries",
            f"{waiting:,}",
            f"= {len(booking.ok) - SEATS:,}",
            waiting == len(booking.ok) - SEATS,
        )
        row(
            "responses saying booked / waiting",
            f"{answered['booked']:,} / {answered['waiting']:,}",
            "= the above",
            answered["booked"] == booked and answered["waiting"] == waiting,
        )
        row("seats left", f"{checked.seats_left}", "= 0", checked.seats_left == 0)
        row("workers in the session twice", f"{checked.twice}", "= 0", checked.twice == 0)
        row("HTTP errors", f"{len(booking.errors):,}", "= 0", not booking.errors)
        row("booking throughput", f"{booking.throughput:,.0f} req/s")
        row("booking latency p50", f"{booking.latency(0.5):,.0f} ms")
        p99 = booking.latency(0.99)
        target = f"<= {P99_TARGET_MS:.0f} ms"
        row("booking latency p99", f"{p99:,.0f} ms", target, p99 <= P99_TARGET_MS)
    else:
        row("booking endpoint", "missing", "", False)
    row("trivial endpoint HTTP errors", f"{len(plain.errors):,}", "= 0", not plain.errors)
    row("trivial endpoint throughput", f"{plain.throughput:,.0f} req/s")
    row(
        "trivial endpoint p50 / p99",
        f"{plain.latency(0.5):,.0f} / {plain.latency(0.99):,.0f} ms",
    )
    if booking is not None:
        ratio = booking.throughput / plain.throughput
        row("ratio booking / trivial", f"{ratio:.2f}", f">= {RATIO_TARGET}", ratio >= RATIO_TARGET)
    # Figures taken on a busy machine are not figures: say how busy it was.
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"  ({config}; {clients} clients in one asyncio process)")
    print(f"  (load average after the run: {load}; {os.cpu_count()} CPUs)")


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--crowd", type=int, default=5_000, help="flash: distinct workers, one booking each"
    )
    parser.add_argument("--clients", type=int, default=200, help="flash: requests in flight")
    parser.add_argument(
        "--gunicorn-workers",
        type=int,
        default=0,
        help="flash: gunicorn worker processes (default CPUs + 1)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="flash: threads per gunicorn worker (> 1: gthread)"
    )


def main(args: Any) -> None:
    """The module registry's entry (``python -m bench``): on the member benchmark's base;
    ``--keep`` leaves its worker accounts for next time."""
    run(
        crowd=args.crowd,
        clients=args.clients,
        server_workers=args.gunicorn_workers,
        threads=args.threads,
        keep=args.keep,
        members=args.members,
        unions=args.unions,
    )
