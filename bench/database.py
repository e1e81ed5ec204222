"""A dedicated PostgreSQL database for benchmarks, never the one the tests or a user use."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg


def point() -> str:
    """Point ``DATABASE_URL`` at ``<name>_bench`` on the same server (before Django is set
    up; nothing is connected or created here). Returns the URL."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    parts = urlsplit(base)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit("make bench needs PostgreSQL: set DATABASE_URL=postgres://…")
    name = parts.path.lstrip("/") or "postgres"
    bench_name = name if name.endswith("_bench") else f"gonghui_{name}_bench"
    url = urlunsplit(parts._replace(path=f"/{bench_name}"))
    os.environ["DATABASE_URL"] = url
    return url


def prepare(*, fresh: bool) -> str:
    """Point ``DATABASE_URL`` at ``<name>_bench`` on the same server; (re)create it when
    ``fresh``. Returns the URL."""
    url = point()
    parts = urlsplit(url)
    bench_name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [bench_name]
        ).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{bench_name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{bench_name}"')
    return url


def own(suffix: str, *, fresh: bool = True) -> str:
    """``<bench database>_<suffix>`` on the same server, for a benchmark that builds a world of
    its own; (re)created when ``fresh``. Django (already set up by ``python -m bench``) and
    ``DATABASE_URL`` (for the child processes a benchmark starts) are pointed at it before
    the first query. Returns its URL."""
    from django.conf import settings
    from django.db import connections

    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    if "_bench" not in parts.path:
        parts = urlsplit(point())
    # From another benchmark's own database (``…_bench_mutualaid``), the base again.
    name = parts.path.lstrip("/").split("_bench")[0] + f"_bench_{suffix}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    url = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    return url
