"""Working days and office hours, for deadlines ("answer within 5 working days").

A working day follows the official Chinese calendar: Monday to Friday, except the days in
``WorkCalendarDay`` (public holidays on weekdays, adjusted working weekends 调休). A year that
has no rows yet follows Monday to Friday. Office hours are ``settings.GONGHUI_OFFICE_HOURS``
(opening, closing), ("09:00", "17:00") unless set. Dates are local dates in
``settings.TIME_ZONE`` (Asia/Shanghai); every datetime in and out is aware.

Each function call reads the calendar rows it needs in one query and keeps nothing afterwards,
so an administrator's change is seen by the next call. A caller computing many deadlines (the
overdue sweep) builds one ``WorkCalendar`` for the window its cases span and asks it instead.

A year is *official* when ``WorkCalendarYear`` has it (the package's years, a pasted State
Council notice, days entered one by one and confirmed). A deadline counted over a day of a year
that is not is provisional (``years_without_schedule``); every change of the calendar sends
``calendar_changed`` inside its transaction, so the deadlines stored elsewhere can be counted
again over the new days (``recount_deadline``) before the change commits.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal
from django.utils import timezone

from gonghui.core.models import WorkCalendarDay, WorkCalendarYear

_DEFAULT_OFFICE_HOURS = ("09:00", "17:00")
# The first read covers twice the calendar days the amount needs plus a month: enough for any
# holiday season, so a single call almost never needs a second query.
_SLACK_DAYS = 30
# When a computation runs past the window anyway, the window grows by at least this much.
_EXTEND_DAYS = 60

_ONE_DAY = datetime.timedelta(days=1)

# Sent by every calendar service, inside its transaction, after it changed whether some days
# are working days (a name alone is no change). Arguments: ``actor`` (None for the system) and
# ``previous``, each changed day mapped to what it was before: True or False for an entered
# exception, None for the default Monday-to-Friday rule. A receiver's writes commit or roll
# back with the change; it returns how many records it changed (the page reports the sum).
calendar_changed = Signal()


def _office_hours() -> tuple[datetime.time, datetime.time]:
    opening, closing = (
        value if isinstance(value, datetime.time) else datetime.time.fromisoformat(value)
        for value in getattr(settings, "GONGHUI_OFFICE_HOURS", _DEFAULT_OFFICE_HOURS)
    )
    if opening >= closing:
        raise ImproperlyConfigured("GONGHUI_OFFICE_HOURS: opening must come before closing")
    return opening, closing


def _window_days(amount: int, per_day: float = 1.0) -> int:
    """Calendar days to read first for ``amount`` units, ``per_day`` units in a working day."""
    return math.ceil(amount / per_day) * 2 + _SLACK_DAYS


def _require_amount(amount: int) -> None:
    if amount < 0:
        raise ValueError(f"a deadline counts forward: amount {amount} must not be negative")


class WorkCalendar:
    """The calendar read for the dates ``first`` to ``last`` in one query, with the same
    functions as the module. Answers are right for any date: asked beyond the window, it reads
    the next stretch (one more query). Nothing outlives the instance, so keep one for a batch,
    not for the life of the process."""

    def __init__(
        self,
        first: datetime.date,
        last: datetime.date,
        *,
        overrides: Mapping[datetime.date, bool | None] | None = None,
    ) -> None:
        """``overrides`` replaces what the table says of some days (None: the default rule),
        to ask the calendar as it was before a change: see ``calendar_changed``."""
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.opening, self.closing = _office_hours()
        self._overrides = dict(overrides or {})
        self._exceptions: dict[datetime.date, bool] = {}
        self._first = first
        self._last = first - _ONE_DAY  # nothing read yet
        self._read(first, max(first, last))

    def _read(self, first: datetime.date, last: datetime.date) -> None:
        rows = WorkCalendarDay.objects.filter(day__range=(first, last))
        self._exceptions.update(rows.values_list("day", "is_workday"))
        self._first = min(self._first, first)
        self._last = max(self._last, last)

    def _cover(self, day: datetime.date) -> None:
        if day > self._last:
            self._read(self._last + _ONE_DAY, max(day, self._last + _EXTEND_DAYS * _ONE_DAY))
        elif day < self._first:
            self._read(min(day, self._first - _EXTEND_DAYS * _ONE_DAY), self._first - _ONE_DAY)

    def is_workday(self, day: datetime.date) -> bool:
        if day in self._overrides:
            flag = self._overrides[day]
        else:
            self._cover(day)
            flag = self._exceptions.get(day)
        return day.weekday() < 5 if flag is None else flag

    def _next_workday(self, day: datetime.date) -> datetime.date:
        """The first working day after ``day``."""
        day += _ONE_DAY
        while not self.is_workday(day):
            day += _ONE_DAY
        return day

    def _at(self, day: datetime.date, time: datetime.time) -> datetime.datetime:
        return datetime.datetime.combine(day, time, tzinfo=self.zone)

    def _local(self, start: datetime.datetime) -> datetime.datetime:
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("deadlines are computed from an aware datetime")
        return start.astimezone(self.zone)

    def add_working_days(self, start: datetime.datetime, days: int) -> datetime.datetime:
        """Closing time on the ``days``-th working day after the local date of ``start`` (that
        date itself is not counted). ``days`` 0: closing time of the start date when it is a
        working day, even when ``start`` is later that evening; otherwise of the next working
        day."""
        _require_amount(days)
        day = self._local(start).date()
        if days == 0:
            if not self.is_workday(day):
                day = self._next_workday(day)
        else:
            for _ in range(days):
                day = self._next_workday(day)
        return self._at(day, self.closing)

    def add_working_hours(self, start: datetime.datetime, hours: int) -> datetime.datetime:
        """``start`` plus ``hours`` of office hours on working days. A start outside office
        hours counts from the next opening; a deadline that uses up a day's hours exactly is
        that day's closing time, not the next opening."""
        _require_amount(hours)
        local = self._local(start)
        day = local.date()
        if self.is_workday(day) and local.time() < self.closing:
            position = max(local, self._at(day, self.opening))
        else:
            day = self._next_workday(day)
            position = self._at(day, self.opening)
        remaining = datetime.timedelta(hours=hours)
        while True:
            available = self._at(day, self.closing) - position
            if remaining <= available:
                return position + remaining
            remaining -= available
            day = self._next_workday(day)
            position = self._at(day, self.opening)

    def working_deadline(
        self, start: datetime.datetime, amount: int, unit: str
    ) -> datetime.datetime:
        """``amount`` working days (``unit`` "workday") or office hours ("hour") after
        ``start``."""
        if unit == "workday":
            return self.add_working_days(start, amount)
        if unit == "hour":
            return self.add_working_hours(start, amount)
        raise ValueError(f"unknown deadline unit {unit!r}: use 'workday' or 'hour'")

    def working_days_between(self, start: datetime.datetime, end: datetime.datetime) -> int:
        """The working days after the local date of ``start`` up to and including that of
        ``end``: the ``days`` that ``add_working_days(start, days)`` counted to reach ``end``
        (for ``days`` of 1 or more)."""
        day, last = self._local(start).date(), self._local(end).date()
        count = 0
        while day < last:
            day += _ONE_DAY
            count += self.is_workday(day)
        return count

    def office_time_between(
        self, start: datetime.datetime, end: datetime.datetime
    ) -> datetime.timedelta:
        """Office hours on working days between two instants: the ``hours`` that
        ``add_working_hours(start, hours)`` counted to reach ``end``."""
        local_start, local_end = self._local(start), self._local(end)
        total = datetime.timedelta()
        day = local_start.date()
        while day <= local_end.date():
            if self.is_workday(day):
                opening = max(local_start, self._at(day, self.opening))
                closing = min(local_end, self._at(day, self.closing))
                total += max(closing - opening, datetime.timedelta())
            day += _ONE_DAY
        return total


def recount_deadline(
    *,
    before: WorkCalendar,
    after: WorkCalendar,
    start: datetime.datetime,
    due: datetime.datetime,
    unit: str,
) -> datetime.datetime:
    """A deadline set ``start`` plus some working days (``unit`` "workday") or office hours
    ("hour") on the calendar ``before``, counted again on ``after``: the same amount of working
    time, over the days as they are now. The amount is what ``before`` finds between ``start``
    and ``due``, so a limit changed since the deadline was set does not creep in."""
    if unit == "workday":
        return after.add_working_days(start, before.working_days_between(start, due))
    if unit == "hour":
        hours = before.office_time_between(start, due) / datetime.timedelta(hours=1)
        return after.add_working_hours(start, round(hours))
    raise ValueError(f"unknown deadline unit {unit!r}: use 'workday' or 'hour'")


def official_years() -> set[int]:
    """The years whose official schedule is in the calendar (one query)."""
    return set(WorkCalendarYear.objects.values_list("year", flat=True))


def years_without_schedule(
    first: datetime.date, last: datetime.date, official: set[int] | None = None
) -> list[int]:
    """The years from ``first`` to ``last`` with no official schedule: a deadline counted over
    them followed Monday to Friday and is provisional. ``official`` saves the query for a
    caller asking about many spans."""
    official = official_years() if official is None else official
    return [year for year in range(first.year, last.year + 1) if year not in official]


def schedule_missing(today: datetime.date | None = None) -> list[int]:
    """The years whose official schedule the administrators should enter now: this year when
    it has none, and from December on next year too (the State Council publishes it in
    November or December). ``today`` defaults to the platform's clock."""
    today = today or timezone.localdate()
    wanted = [today.year, today.year + 1] if today.month == 12 else [today.year]
    official = official_years()
    return [year for year in wanted if year not in official]


def _calendar_from(start: datetime.datetime, window_days: int) -> WorkCalendar:
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("deadlines are computed from an aware datetime")
    first = start.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    return WorkCalendar(first, first + datetime.timedelta(days=window_days))


def _hours_per_day() -> float:
    opening, closing = _office_hours()
    span = datetime.datetime.combine(datetime.date.min, closing) - datetime.datetime.combine(
        datetime.date.min, opening
    )
    return span / datetime.timedelta(hours=1)


def is_workday(day: datetime.date) -> bool:
    """Whether people work on ``day`` (a local date)."""
    return WorkCalendar(day, day).is_workday(day)


def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """See ``WorkCalendar.add_working_days``."""
    _require_amount(days)
    return _calendar_from(start, _window_days(days)).add_working_days(start, days)


def add_working_hours(start: datetime.datetime, hours: int) -> datetime.datetime:
    """See ``WorkCalendar.add_working_hours``."""
    _require_amount(hours)
    window = _window_days(hours, _hours_per_day())
    return _calendar_from(start, window).add_working_hours(start, hours)


def working_deadline(start: datetime.datetime, amount: int, unit: str) -> datetime.datetime:
    """``amount`` working days (``unit`` "workday") or office hours ("hour") after ``start``;
    ``ValueError`` for any other unit."""
    if unit == "workday":
        return add_working_days(start, amount)
    if unit == "hour":
        return add_working_hours(start, amount)
    raise ValueError(f"unknown deadline unit {unit!r}: use 'workday' or 'hour'")
