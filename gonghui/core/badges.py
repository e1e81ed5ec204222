"""Counts shown beside the console's menu entries (pending approvals), contributed by apps.

Core cannot import domain apps, so each app registers a function of the actor in its
``AppConfig.ready``; the context processor evaluates them lazily, only on pages that show them.
With a ``topic``, a count is kept in the cache until that topic's records change
(``core.counts``), so most pages do not count at all.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from gonghui.core import counts as cached

_providers: dict[str, tuple[Callable[[Any], int], str | None]] = {}


def register(key: str, provider: Callable[[Any], int], *, topic: str | None = None) -> None:
    _providers[key] = (provider, topic)


def counts(actor: Any) -> dict[str, int]:
    result = {}
    for key, (provider, topic) in _providers.items():
        if topic is None:
            result[key] = provider(actor)
        else:
            scope = ("badge", key, getattr(actor, "scope_path", None))
            result[key] = cached.cached_count(topic, scope, partial(provider, actor))
    return result
