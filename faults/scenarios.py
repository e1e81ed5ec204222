"""The faults, each injected while the platform is at work, and the invariants checked after.

    pg-restart     PostgreSQL restarted (``pg_ctl restart -m fast``) during a booking rush
    gunicorn-kill  gunicorn workers killed (``kill -9``) again and again during a rush
    redis-down     Redis stopped during a sign-in code, a booking, a cancellation (whose offer
                   SMS must then go out once Redis is back) and an import commit
    celery-kill    the Celery child running an import commit killed mid-task
    import-kill    an import process killed during its dry run, early and late in its commit,
                   and after its last row

Each scenario returns one ``checks.Result`` per fault; the table is printed by ``__main__``.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faults import checks, load, servers, world
from faults.checks import Result
from faults.load import Request, Response, Rush

BOOKING_PATH = "/api/culture/sessions/{id}/bookings"
CANCEL_PATH = "/api/me/bookings/{id}/cancel"
OTP_PATH = "/api/auth/otp"
CONSOLE_PAGE = "/console/"
RECOVERY_REQUESTS = 40  # bookings by further workers once the fault is over
IMPORT_CHUNK = 5000  # the member importer's chunk: progress is reported after each


@dataclass
class Options:
    crowd: int = 1500
    seats: int = 1000
    clients: int = 50
    kills: int = 5
    import_rows: int = 20_000


@dataclass
class Run:
    """What every scenario works with: the servers, the city, the options."""

    stack: servers.Stack
    city: world.City
    roll: world.Roll
    options: Options
    started: float = field(default_factory=time.monotonic)

    def say(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {message}", flush=True)

    @property
    def port(self) -> int:
        assert self.stack.gunicorn is not None
        return self.stack.gunicorn.port

    @property
    def gunicorn(self) -> servers.Gunicorn:
        assert self.stack.gunicorn is not None
        return self.stack.gunicorn

    @property
    def worker(self) -> servers.CeleryWorker:
        assert self.stack.worker is not None
        return self.stack.worker

    @property
    def sms_file(self) -> Path:
        return Path(self.stack.env["GONGHUI_SMS_FILE"])

    @property
    def lease_seconds(self) -> float:
        return float(self.stack.env["GONGHUI_IMPORT_LEASE_SECONDS"])


def wait_until(condition: Callable[[], bool], *, timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def booking(session_id: int, worker: world.Worker) -> Request:
    return Request.post_json(
        BOOKING_PATH.format(id=session_id), bearer=worker.key, tag=worker.person_id
    )


class LogWatch:
    """What a server wrote to its log from now on: the tracebacks behind a 500."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def new_text(self) -> str:
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            return fh.read().decode(errors="replace")

    def first_traceback(self) -> str:
        """Django's report of the first 500 ("Internal Server Error: <path>") and the
        traceback after it, up to the next log record."""
        lines = self.new_text().splitlines()
        for i, line in enumerate(lines):
            if "Internal Server Error" in line:
                end = i + 1
                # Up to the next record: Django's start with the date, gunicorn's with "[".
                while end < len(lines) and not lines[end][:4].isdigit():
                    if lines[end].startswith("["):
                        break
                    end += 1
                return "\n".join(lines[i:end])
        return ""


def _note_errors(result: Result, responses: list[Response], log: LogWatch) -> None:
    """A 500 is an application defect: keep the request and the server's traceback."""
    errors = [r for r in responses if r.status >= 500 and r.status != 503]
    if errors:
        result.notes.append(f"first 500: {errors[0].describe()}")
        traceback = log.first_traceback()
        if traceback:
            result.notes.append("gunicorn log:\n" + traceback)


# --- bookings under a fault ----------------------------------------------------------------------


def _rush_with_fault(
    run: Run,
    result: Result,
    *,
    name: str,
    week: int,
    fault: Callable[[Rush], None],
    connections_lost: bool,
) -> list[Response]:
    """A first-come session of ``options.seats`` seats, ``options.crowd`` workers booking it
    (``options.clients`` at a time) while a clerk's console page is fetched over and over;
    ``fault`` is injected once a quarter of the bookings are answered. Then further workers
    book (the server must have recovered by itself) and the invariants are checked.
    ``connections_lost``: the fault may cut requests off without an answer (a killed worker);
    otherwise every request must be answered."""
    options = run.options
    session = world.publish_session(run.city, name=name, seats=options.seats, week=week)
    workers = run.city.workers
    crowd = workers[: options.crowd]
    after = workers[options.crowd : options.crowd + RECOVERY_REQUESTS]
    log = LogWatch(run.gunicorn.process.log)
    page = Request("GET", CONSOLE_PAGE, cookie=run.city.clerk_cookie, tag="console")
    rush = Rush(
        run.port,
        [booking(session.pk, w) for w in crowd],
        options.clients,
        pages=[page],
    ).start()
    rush.wait_for(lambda r: r.answered() >= len(crowd) // 4)
    fault(rush)
    rush.join()
    run.say(
        f"  the rush: {len(rush.responses):,} bookings in {rush.seconds:.1f} s, "
        f"{len(rush.page_responses)} console pages meanwhile"
    )
    recovery = load.run(run.port, [booking(session.pk, w) for w in after], clients=5)
    responses = rush.responses + recovery
    result.check(
        "the server recovers by itself: every booking after the fault answered 201",
        all(r.status == 201 for r in recovery),
        "; ".join(r.describe() for r in recovery if r.status != 201)[:400],
    )
    checks.answers_checks(result, responses, what="API")
    checks.answers_checks(result, rush.page_responses, what="pages")
    if not connections_lost:
        unanswered = [r for r in responses + rush.page_responses if r.status == 0]
        result.check(
            "every request answered",
            not unanswered,
            f"{len(unanswered)}, e.g. {unanswered[0].describe()}" if unanswered else "",
        )
    expected = (200, 503, 0) if connections_lost else (200, 503)
    odd_pages = [r for r in rush.page_responses if r.status not in expected]
    result.check(
        "pages: the console page or the friendly 503 page, nothing else",
        not odd_pages,
        "; ".join(r.describe() for r in odd_pages[:3]),
    )
    checks.booking_checks(
        result, session_id=session.pk, capacity=options.seats, responses=responses
    )
    result.figures.update(checks.count_answers(responses))
    pages = checks.count_answers(rush.page_responses)
    result.notes.append(
        f"console pages during the rush: {pages['2xx']} × 200, {pages['503']} × 503, "
        f"{pages['500']} × 500, {pages['no answer']} without answer"
    )
    _note_errors(result, responses + rush.page_responses, log)
    return responses + rush.page_responses


def pg_restart(run: Run) -> list[Result]:
    result = Result("PostgreSQL restart during a rush")
    run.say("PostgreSQL restarted (pg_ctl restart -m fast) during a booking rush")
    window: list[float] = []

    def restart(rush: Rush) -> None:
        started = time.monotonic()
        took = run.stack.postgres.restart()
        window.extend([started, time.monotonic()])
        run.say(f"  restarted PostgreSQL in {took:.2f} s, {rush.answered():,} answered before")

    responses = _rush_with_fault(
        run, result, name="PostgreSQL 重启", week=0, fault=restart, connections_lost=False
    )
    # What the clients got during the restart, and in the second after it.
    during = [r for r in responses if r.ended >= window[0] and r.started <= window[1] + 1.0]
    met = [r for r in during if r.status in (0, 503)]
    result.check(
        "the restart met the rush (requests in its window answered 503 or not at all)",
        bool(met),
        f"{len(during)} answers in the window, all {sorted({r.status for r in during})}",
    )
    shown = ", ".join(f"{s or 'none'} ×{n}" for s, n in sorted(load.statuses(during).items()))
    result.notes.append(f"answers during the restart and the second after it: {shown}")
    return [result]


def gunicorn_kill(run: Run) -> list[Result]:
    options = run.options
    result = Result(f"gunicorn workers kill -9 ×{options.kills} during a rush")
    run.say(f"gunicorn workers killed {options.kills} times during a booking rush")
    killed: list[int] = []
    rng = random.Random(7)

    def kill_workers(rush: Rush) -> None:
        for _ in range(options.kills):
            pids = run.gunicorn.worker_pids()
            if not pids or not rush.running():
                break
            pid = rng.choice(pids)
            servers.kill(pid)
            killed.append(pid)
            time.sleep(0.3)
        run.say(f"  killed {len(killed)} workers, {rush.answered():,} answered by then")

    _rush_with_fault(
        run, result, name="gunicorn 进程被杀", week=1, fault=kill_workers, connections_lost=True
    )
    result.check(
        f"every kill came during the rush ({options.kills})",
        len(killed) == options.kills,
        f"{len(killed)} kills",
    )
    replaced = wait_until(
        lambda: len(run.gunicorn.worker_pids()) == run.gunicorn.workers, timeout=15
    )
    result.check(
        "gunicorn replaced every killed worker",
        replaced and run.gunicorn.process.running(),
        f"{len(run.gunicorn.worker_pids())} of {run.gunicorn.workers} workers",
    )
    return [result]


# --- Redis down ----------------------------------------------------------------------------------


def _api(run: Run, request: Request) -> Response:
    return load.call(run.port, request)


def redis_down(run: Run) -> list[Result]:
    """Redis (cache and broker) really stopped, then started again on its port, empty."""
    run.say("Redis stopped during a sign-in code, a booking, a cancellation, an import commit")
    code = Result("Redis down: sign-in code (a guard)")
    book = Result("Redis down: booking (only a cache)")
    cancel = Result("Redis down: cancellation, offer SMS after")
    commit = Result("Redis down: import commit")
    city, workers = run.city, run.city.workers
    log = LogWatch(run.gunicorn.process.log)

    # Before: a two-seat session, two workers booked and a third waiting; a session with
    # seats for the bookings made while Redis is down; a checked import.
    small = world.publish_session(city, name="Redis 停止·递补", seats=2, week=2)
    holder, other, next_in_line = workers[0], workers[1], workers[2]
    before = [_api(run, booking(small.pk, w)) for w in (holder, other, next_in_line)]
    states = [(r.json() or {}).get("state") for r in before]
    if states != ["booked", "booked", "waiting"]:
        raise RuntimeError(f"the cancellation's session is not set up: {states} {before}")
    held = (before[0].json() or {})["id"]
    roomy = world.publish_session(city, name="Redis 停止·预约", seats=100, week=3)
    bookers = workers[3:8]
    job = _checked_import(run, "redis-down.csv")
    mobile, page_mobile = run.roll.fresh_mobile(), run.roll.fresh_mobile()
    code_form = _code_form(run)

    run.stack.redis.stop()
    down_at = time.monotonic()
    run.say("  Redis stopped")

    # A sign-in code, asked for through the API and through the portal's sign-in page: the
    # per-address limit lives in the cache, so no code is sent without it.
    answer = _api(run, Request.post_json(OTP_PATH, {"mobile": mobile}, tag="otp"))
    form_answer = _api(run, code_form(page_mobile))
    checks.answers_checks(code, [answer, form_answer], what="API and page")
    code.check(
        "the API refuses with 503 (JSON, Retry-After) while the guard is down",
        answer.status == 503 and answer.is_json and "retry-after" in answer.headers,
        answer.describe(),
    )
    code.check(
        "the sign-in page refuses with the friendly 503 page while the guard is down",
        form_answer.status == 503 and checks.FRIENDLY_PAGE in form_answer.text(2000),
        form_answer.describe(),
    )
    code.figures.update(checks.count_answers([answer, form_answer]))

    # A clerk's console page: its counts are only cached.
    console = _api(run, Request("GET", CONSOLE_PAGE, cookie=city.clerk_cookie))
    checks.answers_checks(book, [console], what="page")
    book.check("the console page answers 200 without the cache", console.status == 200)

    # Bookings: the booking rule is read from the database without its cache.
    booked = [_api(run, booking(roomy.pk, w)) for w in bookers]
    checks.answers_checks(book, booked, what="API")
    book.check(
        "every booking answered 201",
        all(r.status == 201 for r in booked),
        "; ".join(r.describe() for r in booked if r.status != 201),
    )
    checks.booking_checks(book, session_id=roomy.pk, capacity=100, responses=booked)
    book.figures.update(checks.count_answers(booked))

    # A cancellation: the seat goes to the next in line, whose offer is written to the outbox;
    # the task after commit cannot be queued (no broker).
    cancelled = _api(run, Request.post_json(CANCEL_PATH.format(id=held), bearer=holder.key))
    checks.answers_checks(cancel, [cancelled], what="API")
    cancel.check(
        "the cancellation answered 200",
        cancelled.status == 200 and (cancelled.json() or {}).get("state") == "cancelled",
        cancelled.describe(),
    )
    cancel.figures.update(checks.count_answers([cancelled]))
    offer = _offer_state(small.pk, next_in_line.person_id, holder.person_id)
    cancel.check(
        "the seat was offered to the next in line and the offer written",
        offer.get("holder") == "cancelled"
        and offer.get("next") == "offered"
        and offer.get("notification") is not None,
        str(offer),
    )

    # An import commit in a process of its own while Redis is down.
    child = _import_child(run, "commit", job.pk, log_name="redis-down-commit")
    child.wait(timeout=120)
    state = checks.import_state(job.pk, job.file.path)
    checks.import_checks(commit, state, expect={"done"})

    # Nothing is sent while the broker is down, and nothing is lost either.
    time.sleep(max(0.0, 3 * _notify_seconds(run) - (time.monotonic() - down_at)))
    waiting = _notification(offer.get("notification"))
    cancel.check(
        "the offer waits in the outbox while Redis is down",
        waiting is not None and waiting["sms_state"] in ("pending", "sending"),
        str(waiting),
    )
    run.stack.redis.start()
    run.say(f"  Redis started again after {time.monotonic() - down_at:.1f} s")

    # The guard works again: a code is sent, once.
    again = _api(run, Request.post_json(OTP_PATH, {"mobile": mobile}, tag="otp"))
    code.check("with Redis back, a code is sent (200)", again.status == 200, again.describe())
    sent_codes = checks.sms_sent(run.sms_file, mobile=mobile, contains="验证码")
    code.check("exactly one code SMS, none while Redis was down", sent_codes == 1, f"{sent_codes}")
    none_sent = checks.sms_sent(run.sms_file, mobile=page_mobile, contains="验证码")
    code.check("no code SMS for the page's refused request", none_sent == 0, f"{none_sent}")
    code.figures["sms"] = sent_codes + none_sent

    # The offer goes out through the periodic delivery, once.
    delivered = wait_until(
        lambda: (_notification(offer.get("notification")) or {}).get("sms_state") == "sent",
        timeout=60,
        every=0.5,
    )
    run.say(f"  the offer SMS {'sent' if delivered else 'NOT sent'}")
    time.sleep(3 * _notify_seconds(run))  # more rounds of the periodic delivery
    row = _notification(offer.get("notification")) or {}
    text = f"【{_signature()}】{row.get('text', '')}"
    sent = checks.sms_sent(run.sms_file, mobile=_mobile_of(next_in_line.person_id), text=text)
    cancel.check(
        "after Redis returns the offer SMS is delivered exactly once",
        delivered and row.get("attempts") == 1 and sent == 1,
        f"outbox: {row.get('sms_state')}, {row.get('attempts')} attempt(s); SMS file: {sent}"
        + _worker_tail(run, delivered),
    )
    cancel.figures["sms"] = sent
    for result in (code, book, cancel):
        _note_errors(result, [answer, form_answer, console, *booked, cancelled], log)
    return [code, book, cancel, commit]


def _worker_tail(run: Run, fine: bool) -> str:
    """The Celery worker's last log lines, to tell a failure that needs the worker why."""
    if fine or run.stack.worker is None:
        return ""
    return "\n  the Celery worker's log ends:\n" + run.worker.process.log_tail(25)


def _code_form(run: Run) -> Callable[[str], Request]:
    """The portal sign-in page's "send me a code" request (HTMX, with the page's CSRF token
    and cookie), for a mobile number."""
    from django.urls import reverse

    page = _api(run, Request("GET", reverse("portal:login")))
    cookie = page.cookies.get("csrftoken", "")
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text(200_000))
    if page.status != 200 or not cookie or not found:
        raise RuntimeError(f"the portal's sign-in page gave no CSRF token: {page.describe()}")
    token = found.group(1)

    def request(mobile: str) -> Request:
        return Request.post_form(
            reverse("portal:send_code"),
            {"csrfmiddlewaretoken": token, "otp-mobile": mobile},
            cookie=f"csrftoken={cookie}",
            headers=(("HX-Request", "true"),),
            tag="otp-page",
        )

    return request


def _notify_seconds(run: Run) -> float:
    return float(run.stack.env["GONGHUI_NOTIFY_SECONDS"])


def _signature() -> str:
    from django.conf import settings

    return str(settings.GONGHUI_SMS_SIGNATURE)


def _mobile_of(person_id: int) -> str:
    from gonghui.members.models import Person

    sealed: Any = Person.unscoped.values_list("mobile", flat=True).get(pk=person_id)
    return str(sealed.reveal())


def _offer_state(session_id: int, next_person: int, holder_person: int) -> dict[str, Any]:
    from django.db import connections

    from gonghui.core.models import Notification
    from gonghui.culture import notifications
    from gonghui.culture.models import Booking

    connections.close_all()
    states = dict(Booking.unscoped.filter(session_id=session_id).values_list("person_id", "state"))
    notification = (
        Notification.unscoped.filter(person_id=next_person, kind=notifications.OFFER)
        .values_list("pk", flat=True)
        .first()
    )
    return {
        "holder": states.get(holder_person),
        "next": states.get(next_person),
        "notification": notification,
    }


def _notification(pk: int | None) -> dict[str, Any] | None:
    from django.db import connections

    from gonghui.core.models import Notification

    if pk is None:
        return None
    connections.close_all()
    row = (
        Notification.unscoped.filter(pk=pk)
        .values("sms_state", "attempts", "text", "last_error")
        .first()
    )
    return dict(row) if row is not None else None


# --- imports killed ------------------------------------------------------------------------------


def _new_import(run: Run, name: str) -> Any:
    path = run.roll.write(run.stack.root / name, run.options.import_rows)
    return world.import_create(run.city.clerk(), path)


def _checked_import(run: Run, name: str) -> Any:
    from gonghui.core import imports

    job = _new_import(run, name)
    imports.run_check(job, run.city.clerk())
    if job.status != "checked":
        raise RuntimeError(f"the dry run of {name} did not pass: {job.message} {job.errors[:3]}")
    return job


def _import_child(
    run: Run, action: str, job_id: int, *, log_name: str, pause: bool = False
) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "faults.child", action, str(job_id), str(run.city.clerk_id)]
    if pause:
        command.append("--pause-after-commit")
    with (run.stack.root / f"{log_name}.log").open("w", encoding="utf-8") as log:
        child = subprocess.Popen(  # noqa: S603  (our own command line)
            command,
            cwd=servers.BASE_DIR,
            env=run.stack.env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
    run.stack.others.append(child)
    return child


def _progress(job_id: int) -> dict[str, Any]:
    from django.core.cache import cache

    try:
        return cache.get(f"import-progress:{job_id}") or {}
    except Exception:  # noqa: BLE001  (the cache is only a window on the job here)
        return {}


def _job_status(job_id: int) -> str:
    from gonghui.core.models import ImportJob

    return str(ImportJob.unscoped.values_list("status", flat=True).get(pk=job_id))


def _settle() -> None:
    """Settle the jobs whose lease lapsed, as the periodic job does; and remove the files no
    job names any more as its housekeeping does an hour later (``ORPHAN_AFTER``): a process
    killed after its commit leaves its files behind."""
    from django.utils import timezone

    from gonghui.core import imports

    imports.import_jobs_settle()
    imports.import_orphans_remove(now=timezone.now() + imports.ORPHAN_AFTER)


@dataclass
class Moment:
    """When to kill an import: its phase, and the rows done it waits for (or the child's
    ``committed``, after its transaction)."""

    name: str
    action: str
    phase: str = ""
    rows: Callable[[int], int] = lambda total: 0
    after_commit: bool = False
    expect: set[str] = field(default_factory=lambda: {"interrupted"})


MOMENTS = [
    Moment("kill -9 import: during the dry run", "check", "check", lambda total: IMPORT_CHUNK),
    Moment("kill -9 import: early in the commit", "commit", "commit", lambda total: IMPORT_CHUNK),
    Moment(
        "kill -9 import: late in the commit",
        "commit",
        "commit",
        lambda total: max(total - IMPORT_CHUNK, IMPORT_CHUNK),
    ),
    Moment("kill -9 import: after the last row", "commit", after_commit=True, expect={"done"}),
]


def import_kill(run: Run) -> list[Result]:
    """Each import runs in a process of its own (``faults.child``), killed at its moment;
    once the lease of the dead run has lapsed the jobs are settled and checked."""
    run.say(f"imports of {run.options.import_rows:,} rows killed at four moments")
    killed: list[tuple[Result, Moment, Any]] = []
    for i, moment in enumerate(MOMENTS):
        result = Result(moment.name)
        job = (
            _new_import(run, f"kill-{i}.csv")
            if moment.action == "check"
            else _checked_import(run, f"kill-{i}.csv")
        )
        child = _import_child(
            run, moment.action, job.pk, log_name=f"import-kill-{i}", pause=moment.after_commit
        )
        at = _kill_at(child, job.pk, moment, job.total_rows)
        result.check("killed at its moment (the import had not finished)", at is not None)
        run.say(f"  {moment.name}: {at or 'missed'}")
        killed.append((result, moment, job))
    time.sleep(run.lease_seconds + 1)  # the dead runs' leases lapse
    _settle()
    for result, moment, job in killed:
        checks.import_checks(
            result, checks.import_state(job.pk, job.file.path), expect=moment.expect
        )
    return [r for r, _, _ in killed]


def _kill_at(child: subprocess.Popen[str], job_id: int, moment: Moment, total: int) -> str | None:
    """Wait for the moment, then ``kill -9`` the child; what was seen, or None when the
    child finished first."""
    deadline = time.monotonic() + 120
    seen = ""
    if moment.after_commit:
        assert child.stdout is not None
        line = child.stdout.readline().strip()  # "committed": the child now sleeps
        seen = f"after commit ({line or 'no word'})"
        if line != "committed":
            child.wait(timeout=60)
            return None
    else:
        while time.monotonic() < deadline and child.poll() is None:
            progress = _progress(job_id)
            done = progress.get("done", 0)
            if progress.get("phase") == moment.phase and done >= moment.rows(total):
                if done < total:  # every row through: too late for this moment
                    seen = f"{moment.phase} {done:,}/{total:,} rows"
                break
            time.sleep(0.005)
    if child.poll() is not None or not seen:
        child.wait(timeout=120)
        return None
    servers.kill(child.pid)
    child.wait()
    return seen


def celery_kill(run: Run) -> list[Result]:
    """The commit queued as the console queues it; the pool child running it killed once its
    first chunk is written. The task must be re-delivered (late acknowledgement, rejected when
    its worker is lost) and, once the dead child's lease lapsed, the job end done with every
    row, or failed with none: never part of the file, never stuck (docs/adr/0013)."""
    from gonghui.core import tasks

    result = Result("Celery worker child kill -9 mid-import")
    run.say(f"the Celery child committing an import of {run.options.import_rows:,} rows killed")
    job = _checked_import(run, "celery-kill.csv")
    stage = f"{job.file.path}.stage"
    log = LogWatch(run.worker.process.log)
    task = tasks.import_commit.delay(job.pk, run.city.clerk_id)
    victim, seen = None, ""
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        progress = _progress(job.pk)
        if progress.get("phase") == "commit":
            if progress.get("done", 0) >= job.total_rows:
                break  # too late: the commit is through
            if progress.get("done", 0) >= IMPORT_CHUNK:
                children = run.worker.child_pids()
                victim = next((p for p in children if stage in servers.files_open(p)), None)
                seen = f"commit {progress['done']:,}/{job.total_rows:,} rows"
        time.sleep(0.005)
    if victim is not None:
        servers.kill(victim)
        run.say(f"  killed pool child {victim} at {seen}")
    result.check("the child running the commit was killed mid-task", victim is not None, seen)
    # The settling is the platform's (the task's retry, the periodic job): only waited for.
    ended = wait_until(
        lambda: _job_status(job.pk) in ("done", "failed"),
        timeout=run.lease_seconds + 45,
        every=0.5,
    )
    run.say(f"  the job is {_job_status(job.pk)}")
    received = log.new_text().count(f"[{task.id}] received")
    result.check(
        "the task was re-delivered after its child died",
        received >= 2,
        f"received {received} time(s)" + _worker_tail(run, received >= 2),
    )
    result.check("the job ends by itself", ended, f"still '{_job_status(job.pk)}'")
    checks.import_checks(
        result, checks.import_state(job.pk, job.file.path), expect={"done", "failed"}
    )
    return [result]


SCENARIOS: dict[str, Callable[[Run], list[Result]]] = {
    "pg-restart": pg_restart,
    "gunicorn-kill": gunicorn_kill,
    "redis-down": redis_down,
    "celery-kill": celery_kill,
    "import-kill": import_kill,
}
