"""Exact totals of big lists, kept in Django's cache until the data behind them changes.

Each topic (``"members"``) has a version number in the cache; every write to its records bumps
it (model signals, and the bulk importer after it commits), which makes every cached total of
that topic stale at once. A total is therefore never out of date, only recomputed less often.
Production uses Redis for the cache, so all processes share versions and totals.

The cache is only a cache here: with it down, a bump is skipped (logged) and a total is counted
afresh, so a committed change is never reported as failed because the cache was unreachable.
A total cached before the outage can then be stale for up to ``TTL_SECONDS`` after it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

TTL_SECONDS = 600
logger = logging.getLogger(__name__)


def _version_key(topic: str) -> str:
    return f"count-version:{topic}"


def bump(topic: str) -> None:
    """Call after any write to the topic's records has committed."""
    key = _version_key(topic)
    try:
        if not cache.add(key, 1, timeout=None):
            try:
                cache.incr(key)
            except ValueError:  # evicted between add and incr
                cache.set(key, 1, timeout=None)
    except Exception:  # the cache is down: the write itself is done and stays done
        logger.warning("count version of %r not bumped: cache unavailable", topic, exc_info=True)


def cached_count(topic: str, key: Any, count: Callable[[], int]) -> int:
    try:
        version = cache.get_or_set(_version_key(topic), 1, timeout=None)
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
        cache_key = f"count:{topic}:{version}:{digest}"
        total = cache.get(cache_key)
    except Exception:  # the cache is down: count without it
        logger.warning("count of %r not cached: cache unavailable", topic, exc_info=True)
        return int(count())
    if total is None:
        total = count()
        try:
            cache.set(cache_key, total, timeout=TTL_SECONDS)
        except Exception:
            logger.warning("count of %r not cached: cache unavailable", topic, exc_info=True)
    return int(total)
