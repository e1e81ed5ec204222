"""When a backing service is down: the cache (Redis) or the database restarting.

Where the cache is only a cache, code works on without it (``cache_or_none``, and
``core.counts``). Where it guards something (the sign-in code limits), the request is refused
with ``ServiceUnavailable``: a Chinese message and HTTP 503 with ``Retry-After``, as JSON on
``/api/`` and as a page elsewhere. A database that is restarting gets the same answer
(``core.middleware.ServiceUnavailableMiddleware``, ``core.api``): the client may try again in
a few seconds, and the server reconnects by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_AFTER_SECONDS = 10
MESSAGE = _("服务暂时不可用，请稍后再试。")


class ServiceUnavailable(Exception):  # noqa: N818  (named like Django's Http404)
    """A backing service this request needs is down; answer 503 with ``message``."""

    def __init__(self, message: Any = MESSAGE) -> None:
        super().__init__(str(message))
        self.message = message


def cache_errors() -> tuple[type[BaseException], ...]:
    """What a cache backend raises when its server is unreachable."""
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError]
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    else:
        errors.append(RedisError)
    return tuple(errors)


def database_errors() -> tuple[type[BaseException], ...]:
    return (OperationalError, InterfaceError)


def broker_errors() -> tuple[type[BaseException], ...]:
    """What queueing a task raises when the broker (Redis in production) is unreachable."""
    from kombu.exceptions import OperationalError as BrokerOperationalError

    return (BrokerOperationalError,)


def unavailable_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "try again shortly", not "the server is broken"."""
    return (ServiceUnavailable, *cache_errors(), *database_errors(), *broker_errors())


def cache_or_none(call: Callable[[], T], what: str) -> T | None:
    """The cache's answer, or None when the cache is down (logged): for a cache that is only
    a cache, the caller then does the work without it."""
    try:
        return call()
    except cache_errors():
        logger.warning("cache unavailable (%s)", what, exc_info=True)
        return None


def guarded(call: Callable[[], T]) -> T:
    """A cache operation that guards something (a rate limit): when the cache is down the
    request is refused (503), never let through unguarded."""
    try:
        return call()
    except cache_errors() as exc:
        logger.warning("cache unavailable for a guard", exc_info=True)
        raise ServiceUnavailable(_("验证服务暂时不可用，请稍后再试。")) from exc
