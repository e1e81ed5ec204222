"""Counts shown beside the console's menu entries (pending approvals), contributed by apps.

Core cannot import domain apps, so each app registers a function of the actor in its
``AppConfig.ready``; the context processor evaluates them lazily, only on pages that show them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_providers: dict[str, Callable[[Any], int]] = {}


def register(key: str, provider: Callable[[Any], int]) -> None:
    _providers[key] = provider


def counts(actor: Any) -> dict[str, int]:
    return {key: provider(actor) for key, provider in _providers.items()}
