"""Production refuses to start on a development set-up, and passes ``check --deploy`` cleanly
when given what it needs (docs/adr/0007). Each case runs Django in a subprocess, as a server
would start."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from gonghui.localenv import GENERATED_KEYS

BASE_DIR = Path(__file__).resolve().parents[2]


def production_keys() -> dict[str, str]:
    return {
        "GONGHUI_SECRET_KEY": secrets.token_urlsafe(50),
        "GONGHUI_DATA_KEYS": "1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "GONGHUI_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def run(var_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` with a clean production environment: none of this run's keys or
    ``GONGHUI_*`` switches leak in; ``var_dir`` is the process's ``var/``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GONGHUI_", "DJANGO_"))}
    base.update(
        GONGHUI_ENV="production",
        GONGHUI_VAR_DIR=str(var_dir),
        GONGHUI_STATIC_ROOT=str(var_dir / "static"),
        GONGHUI_ALLOWED_HOSTS="gonghui.example.org",
        GONGHUI_SMS_BACKEND="gonghui.core.sms.NullBackend",
    )
    base.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=base,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    """A ``var/`` holding a development ``local.env``, as on a machine that once ran
    ``make run``."""
    lines = [f"{k}={v}" for k, v in production_keys().items()]
    (tmp_path / "local.env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("missing", GENERATED_KEYS)
def test_production_without_its_keys_refuses_to_start_even_with_a_local_env(var_dir, missing):
    given = {k: v for k, v in production_keys().items() if k != missing}
    result = run(var_dir, "check", "--deploy", **given)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr
    assert "not read in production" in result.stderr


def test_production_never_writes_a_local_env(tmp_path):
    result = run(tmp_path, "check")
    assert result.returncode != 0 and not (tmp_path / "local.env").exists()


def test_a_malformed_data_key_stops_the_start(var_dir):
    keys = {**production_keys(), "GONGHUI_DATA_KEYS": "1:c2hvcnQ="}
    result = run(var_dir, "check", **keys)
    assert result.returncode != 0 and "GONGHUI_DATA_KEYS[1] must be 32 bytes" in result.stderr


def test_production_with_an_sms_backend_that_does_not_import_refuses_to_start(var_dir):
    result = run(
        var_dir, "check", GONGHUI_SMS_BACKEND="gonghui.core.sms.NoSuchBackend", **production_keys()
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: GONGHUI_SMS_BACKEND='gonghui.core.sms.NoSuchBackend'" in (
        result.stderr
    )
    assert "cannot be imported" in result.stderr


def test_check_deploy_is_clean_in_production_with_its_environment(var_dir):
    result = run(var_dir, "check", "--deploy", "--fail-level", "DEBUG", **production_keys())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


def test_production_turns_on_https_redirect_and_hsts_with_settings_to_change_them(var_dir):
    show = (
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    default = run(var_dir, "shell", "-v", "0", "-c", show, **production_keys())
    assert default.stdout.split() == ["True", "31536000", "True", "None"], default.stderr
    changed = run(
        var_dir,
        "shell",
        "-v",
        "0",
        "-c",
        show,
        GONGHUI_SSL_REDIRECT="0",
        GONGHUI_HSTS_SECONDS="600",
        GONGHUI_HSTS_INCLUDE_SUBDOMAINS="0",
        GONGHUI_PROXY_SSL_HEADER="X-Forwarded-Proto",
        **production_keys(),
    )
    assert changed.stdout.strip() == "False 600 False ('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_task_whose_worker_died_is_queued_again():
    """Acknowledged late and rejected (re-queued) when the worker process is lost, so a
    killed import is re-run rather than dropped (issue 11, point 3)."""
    from gonghui.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan cache")
def test_postgresql_plans_each_execution_for_its_own_parameters():
    # A scoped query's selectivity depends on the actor's subtree; a generic plan made the
    # district staff home 20 times slower after a few executions (bench pages).
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_custom_plan"
