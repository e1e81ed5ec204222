"""Cached totals when the cache is down: the write stays done, the total is counted afresh."""

import pytest
from django.core.cache import cache

from gonghui.core import counts


@pytest.fixture
def cache_down(monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    for name in ("add", "incr", "set", "get", "get_or_set"):
        monkeypatch.setattr(cache, name, down)


def test_a_bump_with_the_cache_down_is_skipped_not_raised(cache_down):
    counts.bump("members")  # no exception: the caller's write has committed


def test_a_total_with_the_cache_down_is_counted_afresh(cache_down):
    calls = []
    assert counts.cached_count("members", ("k",), lambda: calls.append(1) or 7) == 7
    assert counts.cached_count("members", ("k",), lambda: calls.append(1) or 8) == 8
    assert len(calls) == 2


def test_a_total_is_cached_until_its_topic_is_bumped():
    assert counts.cached_count("members", ("k",), lambda: 7) == 7
    assert counts.cached_count("members", ("k",), lambda: 8) == 7
    counts.bump("members")
    assert counts.cached_count("members", ("k",), lambda: 8) == 8
