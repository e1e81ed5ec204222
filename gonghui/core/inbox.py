"""The worker's "my requests" inbox (POR-1) is fed by a registry, not a fixed list.

Each module registers a request kind with a function that returns the person's items; the
portal and the API show them all, newest change first. A later module (casework, culture,
mutual aid) adds its kind in its ``AppConfig.ready`` and appears in the inbox without the
portal changing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gonghui.core.text import StrOrPromise


@dataclass(frozen=True)
class InboxItem:
    kind: str
    kind_label: str
    id: int
    title: str
    status: str
    status_label: str
    tone: str  # bootstrap contextual colour: "warning" while waiting, "success", "secondary"...
    created_at: datetime.datetime
    updated_at: datetime.datetime
    detail: str = ""
    handler: str = ""
    deadline: datetime.datetime | None = None
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # Still under way (waiting for someone, or for the worker): the portal home lists these.
    open: bool = False


Provider = Callable[[int], Iterable[InboxItem]]


@dataclass(frozen=True)
class RequestKind:
    key: str
    label: StrOrPromise
    provider: Provider


_registry: dict[str, RequestKind] = {}


def register(key: str, label: StrOrPromise, provider: Provider) -> None:
    """Add a request kind; registering the same key twice replaces it (module reloads)."""
    _registry[key] = RequestKind(key, label, provider)


def kinds() -> list[RequestKind]:
    return list(_registry.values())


def inbox_for(person_id: int, *, kind: str | None = None) -> list[InboxItem]:
    items: list[InboxItem] = []
    for request_kind in _registry.values():
        if kind is None or request_kind.key == kind:
            items.extend(request_kind.provider(person_id))
    return sorted(items, key=lambda i: i.updated_at, reverse=True)


def open_for(person_id: int) -> list[InboxItem]:
    """The person's requests still under way, newest change first."""
    return [item for item in inbox_for(person_id) if item.open]


def unregister(key: str) -> None:
    _registry.pop(key, None)
