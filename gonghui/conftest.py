"""Fixtures shared by every app's tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from gonghui.core.sms import MemoryBackend
from gonghui.testing.world import World, build_world


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Hashing is deliberately slow in production; tests create many accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Uploaded files of the whole run go to a temporary folder, never to var/.
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="gonghui-media-")


@pytest.fixture(autouse=True)
def _isolated(settings) -> Iterator[None]:
    settings.GONGHUI_SMS_BACKEND = "gonghui.core.sms.MemoryBackend"
    settings.GONGHUI_DEMO = False
    MemoryBackend.outbox.clear()
    cache.clear()
    yield


@pytest.fixture
def outbox() -> list[tuple[str, str]]:
    return MemoryBackend.outbox


@pytest.fixture
def world(db) -> World:
    return build_world()


def sms_code(outbox: list[tuple[str, str]]) -> str:
    text = outbox[-1][1]
    return text.split("验证码是 ")[1][:6]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Make skipped browser tests impossible to miss."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "test_browser" in getattr(report, "nodeid", "") and "Chromium" in str(report.longrepr)
    ]
    if skipped:
        terminalreporter.write_sep(
            "!",
            f"{len(skipped)} BROWSER TESTS SKIPPED: Chromium is not installed "
            "(apt-get install chromium; CI installs it)",
            red=True,
            bold=True,
        )
