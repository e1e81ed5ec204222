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
