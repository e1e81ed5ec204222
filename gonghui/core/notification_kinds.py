"""The kinds of message a worker can receive, declared by each module.

A module declares its kinds in its own ``notifications.py`` and lists them in its
``module.py`` (``Module.notifications``), which registers them. ``core.notify`` refuses a kind
nobody declared, the worker's settings page lists them, and delivery reads whether the worker
may turn a kind's SMS off and whether it may wait for the end of the worker's quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass

from gonghui.core.text import StrOrPromise


@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: StrOrPromise
    # The worker may turn the SMS of this kind off (the in-app copy stays).
    optional: bool = False
    # Sent at once, even in the worker's quiet hours (a deadline that cannot wait).
    urgent: bool = False


_registry: dict[str, NotificationKind] = {}


def register(kind: NotificationKind) -> NotificationKind:
    """Make a kind known (the module registry does this); the same code again replaces it."""
    _registry[kind.code] = kind
    return kind


def unregister(code: str) -> None:
    _registry.pop(code, None)


def kinds() -> list[NotificationKind]:
    return list(_registry.values())


def is_registered(code: str) -> bool:
    return code in _registry


def kind_of(code: str) -> NotificationKind:
    """The registered kind. A code no module declares any more is treated as one the worker
    cannot turn off and that waits for the quiet hours to end."""
    return _registry.get(code) or NotificationKind(code, code)
