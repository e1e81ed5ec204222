"""The platform's processes, run privately for the fault suite: a PostgreSQL 15 cluster and a
Redis server of its own on free local ports in a temporary directory (never the machine's
shared ones on 5432 and 6379), gunicorn, a Celery worker and Celery beat.

Every process is started here in a session of its own, so a Ctrl-C in the terminal reaches
the suite alone, which then stops them all in ``Stack.close`` (also after a failure). The
faults themselves are methods: ``Postgres.restart``, ``Redis.stop`` / ``start``,
``Gunicorn.kill_worker``, and ``kill`` of any pid the suite found.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "faults"
# Each SQL connection of a gunicorn worker, a Celery child, beat, the suite and its import
# children: well under this.
PG_MAX_CONNECTIONS = 100


# The machine's shared PostgreSQL and Redis: never ours, whatever the system hands out.
SHARED_PORTS = frozenset({5432, 6379})


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in SHARED_PORTS:
            return port


def _run(command: list[str]) -> None:
    """Run a command to its end; its error output in the exception when it fails."""
    done = subprocess.run(  # noqa: S603  (our own command lines)
        command,
        capture_output=True,
        text=True,
        # A postmaster started by pg_ctl outlives it: in a session of its own, a Ctrl-C in
        # the terminal does not stop it before the suite does.
        start_new_session=True,
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr or done.stdout}")


def _wait_for_port(port: int, *, seconds: float, alive: Process | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if alive is not None and not alive.running():
            raise RuntimeError(f"{alive.name} stopped:\n{alive.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds:.0f} s")


class Process:
    """A child process in a session (and process group) of its own, its output in a log."""

    def __init__(self, name: str, command: list[str], *, log: Path, env: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.log = log
        self.env = env
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603  (our own command line)
                self.command,
                cwd=BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.popen.pid

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def children(self) -> list[int]:
        """The pids of the process's direct children (gunicorn's workers, Celery's pool)."""
        if not self.running():
            return []
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def stop(self, *, timeout: float = 20) -> None:
        """SIGTERM (the graceful stop), SIGKILL to the whole group after ``timeout``."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        # Whatever the process left in its group (a pool child that outlived its parent).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def kill(pid: int) -> None:
    """``kill -9`` of one process the suite started or found among its children."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def files_open(pid: int) -> list[str]:
    """The paths a process holds open (to find the Celery child running an import: the one
    with the job's files open)."""
    found = []
    fd_dir = Path(f"/proc/{pid}/fd")
    with contextlib.suppress(OSError):
        for fd in fd_dir.iterdir():
            with contextlib.suppress(OSError):
                found.append(os.readlink(fd))
    return found


# --- PostgreSQL ----------------------------------------------------------------------------------


class Postgres:
    """A cluster of its own: trust authentication, 127.0.0.1 only, fsync off (a crash of the
    machine may lose it; nothing here outlives the run). PostgreSQL refuses to run as root,
    so as root its programs run as the ``postgres`` account."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "postgres"
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = free_port()
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            self.as_owner = ["/usr/sbin/runuser", "-u", "postgres", "--"]

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _options(self) -> str:
        return " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.dir}",
                f"-c max_connections={PG_MAX_CONNECTIONS}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )

    def _pg_ctl(self, *args: str) -> None:
        _run([*self.as_owner, str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args])

    def start(self) -> None:
        self.dir.mkdir()
        if self.as_owner:
            shutil.chown(self.dir, "postgres", "postgres")
        _run(
            [
                *self.as_owner,
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        self._pg_ctl("-l", str(self.log), "-w", "-t", "60", "-o", self._options(), "start")
        self.create_database(DATABASE)

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def restart(self) -> float:
        """``pg_ctl restart -m fast``: every connection is dropped, the server is down for a
        moment. Returns how long the command took."""
        started = time.monotonic()
        self._pg_ctl(
            "-l", str(self.log), "-w", "-t", "60", "-m", "fast", "-o", self._options(), "restart"
        )
        return time.monotonic() - started

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self._pg_ctl("-w", "-t", "30", "-m", "immediate", "stop")


# --- Redis ---------------------------------------------------------------------------------------


class Redis:
    """The cache and the broker: no persistence, so a stopped Redis comes back empty, as
    one that crashed would."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.dir = root / "redis"
        self.dir.mkdir()
        self.process = Process(
            "redis",
            [
                "/usr/bin/redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.dir),
            ],
            log=self.dir / "redis.log",
            env=env,
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process.start()
        _wait_for_port(self.port, seconds=20, alive=self.process)

    def stop(self) -> None:
        """The server really stops (not SIGSTOP): connections are refused until ``start``."""
        self.process.stop(timeout=10)


# --- the application -----------------------------------------------------------------------------


def app_environment(root: Path, *, database_url: str, redis_url: str) -> dict[str, str]:
    """What every process of the application gets: production settings (DEBUG off, collected
    static files, secrets from the environment: fresh ones, used by this run only), this
    run's database, Redis, media and SMS file, and short periods for the jobs the faults
    exercise."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GONGHUI_", "DATABASE_URL", "REDIS_URL", "CELERY_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "gonghui.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "GONGHUI_ENV": "production",
            "GONGHUI_DEBUG": "0",
            "GONGHUI_DEMO": "0",
            "GONGHUI_ALLOWED_HOSTS": "127.0.0.1",
            "GONGHUI_SSL_REDIRECT": "0",  # plain HTTP on the loopback, as behind nginx
            "GONGHUI_SECRET_KEY": secrets.token_urlsafe(50),
            "GONGHUI_DATA_KEYS": "1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "GONGHUI_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "GONGHUI_VAR_DIR": str(root / "var"),
            "GONGHUI_MEDIA_ROOT": str(root / "media"),
            "GONGHUI_STATIC_ROOT": str(root / "static"),
            "GONGHUI_SMS_BACKEND": "gonghui.core.sms.FileBackend",
            "GONGHUI_SMS_FILE": str(root / "sms.jsonl"),
            # A running import renews a lease of this length; a killed one is settled once it
            # lapsed (issue 11, point 1; docs/adr/0013), by the periodic job every few seconds.
            "GONGHUI_IMPORT_LEASE_SECONDS": "5",
            "GONGHUI_IMPORT_SETTLE_SECONDS": "2",
            # The outbox's periodic delivery: every few seconds instead of every minute.
            "GONGHUI_NOTIFY_SECONDS": "2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class Gunicorn:
    """Sync workers, ``--preload``, as ``bench/flash.py`` runs the flash crowd's server:
    gunicorn restarts a worker that died with the application already imported."""

    def __init__(self, root: Path, env: dict[str, str], *, workers: int) -> None:
        self.port = free_port()
        self.process = Process(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "gonghui.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={workers}",
                "--backlog=2048",
                "--preload",
                "--log-level=warning",
                "--error-logfile=-",
            ],
            log=root / "gunicorn.log",
            env=env,
        )
        self.workers = workers

    def start(self) -> None:
        self.process.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not self.process.running():
                raise RuntimeError(f"gunicorn stopped:\n{self.process.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/ping")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.process.log_tail()}")

    def worker_pids(self) -> list[int]:
        return self.process.children()

    def stop(self) -> None:
        self.process.stop(timeout=20)


class CeleryWorker:
    """``celery -A gonghui worker``, a prefork pool of ``concurrency`` children. The tasks
    acknowledge late and are rejected back to the queue when their child dies (settings)."""

    def __init__(self, root: Path, env: dict[str, str], *, concurrency: int) -> None:
        self.process = Process(
            "celery worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "gonghui",
                "worker",
                f"--concurrency={concurrency}",
                "--pool=prefork",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                f"--hostname=faults@{socket.gethostname()}",
            ],
            log=root / "celery-worker.log",
            env=env,
        )

    def start(self) -> None:
        self.process.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not self.process.running():
                raise RuntimeError(f"the Celery worker stopped:\n{self.process.log_tail()}")
            if " ready." in self.process.log_tail(200):
                return
            time.sleep(0.2)
        raise RuntimeError(f"the Celery worker is not ready:\n{self.process.log_tail()}")

    def child_pids(self) -> list[int]:
        return self.process.children()

    def stop(self) -> None:
        self.process.stop(timeout=20)


class CeleryBeat:
    """``celery -A gonghui beat``: the periodic jobs of the modules, its schedule file in the
    run's directory."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.process = Process(
            "celery beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "gonghui",
                "beat",
                "--loglevel=INFO",
                f"--schedule={root / 'celerybeat-schedule'}",
                f"--pidfile={root / 'celerybeat.pid'}",
            ],
            log=root / "celery-beat.log",
            env=env,
        )

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self.process.stop(timeout=10)


# --- the whole stack -----------------------------------------------------------------------------


@dataclass
class Stack:
    """Everything one run starts, stopped in reverse order by ``close``."""

    root: Path
    keep: bool
    postgres: Postgres
    redis: Redis
    env: dict[str, str]
    gunicorn: Gunicorn | None = None
    worker: CeleryWorker | None = None
    beat: CeleryBeat | None = None
    # Other processes the suite started (imports to kill): killed in ``close`` if still alive.
    others: list[subprocess.Popen[str]] = field(default_factory=list)
    closed: bool = False

    @classmethod
    def create(cls, *, keep: bool) -> Stack:
        root = Path(tempfile.mkdtemp(prefix="gonghui-faults-"))
        # The postgres account must reach its directory inside; nobody may list the rest.
        root.chmod(0o711)
        return cls(
            root=root,
            keep=keep,
            postgres=Postgres(root),
            redis=Redis(root, dict(os.environ)),
            env={},
        )

    def start_backing(self) -> None:
        """PostgreSQL and Redis, and the application's environment pointing at them."""
        self.postgres.start()
        self.redis.start()
        self.env = app_environment(
            self.root, database_url=self.postgres.url(), redis_url=self.redis.url
        )
        for name in ("var", "media", "static"):
            (self.root / name).mkdir(exist_ok=True)

    def start_application(self, *, gunicorn_workers: int, celery_concurrency: int) -> None:
        self.gunicorn = Gunicorn(self.root, self.env, workers=gunicorn_workers)
        self.gunicorn.start()
        self.worker = CeleryWorker(self.root, self.env, concurrency=celery_concurrency)
        self.worker.start()
        self.beat = CeleryBeat(self.root, self.env)
        self.beat.start()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for other in self.others:
            if other.poll() is None:
                kill(other.pid)
                other.wait()
        for service in (self.beat, self.worker, self.gunicorn):
            if service is not None:
                with contextlib.suppress(Exception):
                    service.stop()
        with contextlib.suppress(Exception):
            self.redis.stop()
        with contextlib.suppress(Exception):
            self.postgres.stop()
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
