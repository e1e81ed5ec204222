"""The published booking rule: a worker's standing (no-shows, suspension, lottery weight)
and the city administrators' edits of the rule."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core.availability import cache_or_none
from gonghui.core.locks import LockSpace, lock_one
from gonghui.core.permissions import Perm, require
from gonghui.core.validators import raise_errors
from gonghui.culture.models import (
    Booking,
    BookingRules,
    BookingState,
)

# --- the rule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """A worker's standing under the published no-show rule, shown before they book."""

    no_shows: int
    penalised_until: datetime.datetime | None
    weight_divisor: int

    @property
    def penalised(self) -> bool:
        return self.penalised_until is not None


def lookback_of(rules: BookingRules) -> datetime.timedelta:
    """How far back a no-show can still matter: one that, with the others of its window,
    started a suspension still running."""
    return datetime.timedelta(days=rules.no_show_window_days + rules.suspension_days)


def standing_from(
    rules: BookingRules, person_id: int, recent: int, now: datetime.datetime
) -> Standing:
    """``recent``: the worker's no-shows within ``lookback_of`` (0 for almost everyone, so the
    dates are read only when they could add up to a suspension). A suspension runs for the
    rule's days from the no-show that reached the limit within the rule's window, whatever
    later slides out of the window."""
    if recent < rules.no_show_limit:
        return Standing(recent, None, 1)
    dates = sorted(
        Booking.unscoped.filter(
            person_id=person_id,
            state=BookingState.NO_SHOW,
            session__starts_at__gte=now - lookback_of(rules),
        ).values_list("session__starts_at", flat=True)
    )
    window = datetime.timedelta(days=rules.no_show_window_days)
    since = now - window
    counted = sum(1 for d in dates if d >= since)
    until = None
    for i, day in enumerate(dates):
        if sum(1 for d in dates[: i + 1] if d >= day - window) >= rules.no_show_limit:
            until = day + datetime.timedelta(days=rules.suspension_days)
    if until is not None and until > now:
        return Standing(counted, until, rules.lottery_divisor)
    return Standing(counted, None, 1)


def standing_of(*, person_id: int, now: datetime.datetime | None = None) -> Standing:
    now = now or timezone.now()
    rules = BookingRules.current()
    recent = Booking.unscoped.filter(
        person_id=person_id,
        state=BookingState.NO_SHOW,
        session__starts_at__gte=now - lookback_of(rules),
    ).count()
    return standing_from(rules, person_id, recent, now)


def week_of(moment: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """Monday 00:00 to the next Monday 00:00 (local time) around ``moment``."""
    local = timezone.localtime(moment)
    monday = (local - datetime.timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday, monday + datetime.timedelta(days=7)


def states_sql(states: tuple[str, ...]) -> str:
    """An SQL list of booking states (code constants, so safe to write into the statement)."""
    return ", ".join(f"'{state}'" for state in states)


# The booking path is the one a flash crowd hits (bench/flash.py), so it is written as plain
# SQL, the same on SQLite and PostgreSQL: a few short statements instead of ORM querysets
# whose building would cost several times their execution. Datetime parameters go through
RULES_CACHE_KEY = "culture:booking-rules"


def rules_current() -> BookingRules:
    """The published rule, read through Django's cache when that cache is shared by every
    process (Redis in production: a booking rush reads it thousands of times a second, and
    ``rules_update`` drops the copy); straight from the database otherwise."""
    if "LocMemCache" in settings.CACHES["default"]["BACKEND"]:
        return BookingRules.current()
    # Only a cache: with Redis down the rule is read from the database.
    rules: BookingRules | None = cache_or_none(lambda: cache.get(RULES_CACHE_KEY), "rules")
    if rules is None:
        rules = BookingRules.current()
        cache_or_none(lambda: cache.set(RULES_CACHE_KEY, rules, 60), "rules")
    return rules


# --- the rule, edited ---------------------------------------------------------------------------


@transaction.atomic
def rules_update(*, actor: Any, **values: int) -> BookingRules:
    """The city's administrators change the published rule."""
    require(actor, Perm.MANAGE_ORGS)
    if actor.organization.parent_id is not None:
        raise PermissionDenied(_("预约规则由市总工会统一设置。"))
    limits = {
        "weekly_limit": (1, 20),
        "no_show_limit": (1, 10),
        "no_show_window_days": (7, 365),
        "suspension_days": (1, 365),
        "lottery_divisor": (1, 10),
    }
    errors: dict[str, list[str]] = {}
    rules = lock_one(LockSpace.BOOKING_RULES, BookingRules, BookingRules.current().pk)
    for name, value in values.items():
        low, high = limits[name]
        if value is None or not low <= value <= high:
            errors.setdefault(name, []).append(
                _("应在 %(a)s 到 %(b)s 之间。") % {"a": low, "b": high}
            )
        else:
            setattr(rules, name, value)
    raise_errors(errors)
    rules.updated_by = actor
    rules.save()
    transaction.on_commit(lambda: cache.delete(RULES_CACHE_KEY), robust=True)
    return rules
