"""Reads of the platform's own records: the personal-data access log, import jobs, the
working-day calendar, a worker's messages. Scoped records go through ``visible_to``; the
calendar is city-wide reference data every staff account may read."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from gonghui.core import decisions, modules
from gonghui.core.models import (
    DecisionStep,
    ImportJob,
    ImportStatus,
    Notification,
    NotificationSettings,
    PersonalDataAccess,
    WorkCalendarDay,
    WorkCalendarYear,
)
from gonghui.core.scoping import NotFound, get_visible


def access_log(*, actor: Any, subject: str = "") -> QuerySet[PersonalDataAccess]:
    """Views of unmasked personal data in the actor's subtree, newest first."""
    rows = (
        PersonalDataAccess.objects.visible_to(actor)
        .select_related("actor", "actor_organization")
        .order_by("-at", "-id")
    )
    return rows.filter(subject_label=subject) if subject else rows


def import_job_list(*, actor: Any) -> QuerySet[ImportJob]:
    return ImportJob.objects.visible_to(actor).select_related("created_by")


def imports_waiting_count(actor: Any) -> int:
    """The actor's own imports waiting for them: checked and not confirmed, or interrupted
    (home tile)."""
    return (
        ImportJob.objects.visible_to(actor)
        .filter(created_by=actor, status__in=[ImportStatus.CHECKED, ImportStatus.INTERRUPTED])
        .count()
    )


def import_job_get(*, actor: Any, id: int) -> ImportJob:
    return get_visible(ImportJob.objects.visible_to(actor), pk=id)


def workcalendar_day(*, day: datetime.date) -> WorkCalendarDay | None:
    return WorkCalendarDay.objects.filter(day=day).first()


def workcalendar_days(*, year: int) -> list[WorkCalendarDay]:
    return list(WorkCalendarDay.objects.filter(day__year=year).select_related("updated_by"))


def workcalendar_years() -> set[int]:
    """The years with at least one day entered."""
    return {d.year for d in WorkCalendarDay.objects.dates("day", "year")}


def workcalendar_schedule(*, year: int) -> WorkCalendarYear | None:
    """Where the year's official schedule came from, if it has one."""
    return WorkCalendarYear.objects.filter(year=year).select_related("entered_by").first()


def decision_step_list(*, actor: Any, request: Any) -> list[DecisionStep]:
    """The recorded decision steps of a request the actor can see (staff of its scope, or
    the worker who owns it); "not found" otherwise, like the request itself."""
    if not decisions.request_visible(actor, request):
        raise NotFound
    return decisions.steps_of(request)


def notification_list(*, actor: Any) -> QuerySet[Notification]:
    """The worker's own messages, newest first (nobody else's: the scope is the person)."""
    return Notification.objects.visible_to(actor).order_by("-created_at", "-id")


def notification_unread_count(*, actor: Any) -> int:
    return Notification.objects.visible_to(actor).filter(read_at__isnull=True).count()


def notification_settings_get(*, actor: Any) -> NotificationSettings:
    """The worker's SMS settings; unsaved defaults (every SMS, at any hour) when none."""
    person_id = getattr(actor, "person_id_or_none", None)
    if person_id is None:
        raise NotFound
    found = NotificationSettings.objects.filter(person_id=person_id).first()
    return found or NotificationSettings(person_id=person_id)


# --- the staff home -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """A flow figure of the actor's subtree: this month against last, the year so far, and
    its last twelve months for the trend chart."""

    key: str
    label: str
    unit: str
    months: list[tuple[str, int]]

    @property
    def this_month(self) -> int:
        return self.months[-1][1]

    @property
    def last_month(self) -> int:
        return self.months[-2][1]

    @property
    def change(self) -> int:
        return self.this_month - self.last_month

    @property
    def year_to_date(self) -> int:
        year = self.months[-1][0][:4]
        return sum(n for label, n in self.months if label.startswith(year))


def home_activity(*, actor: Any, today: datetime.date | None = None) -> list[Activity]:
    """Every module's flow figures (``Figure.dated_by``) for the actor's own subtree."""
    org = actor.organization
    return [
        Activity(
            figure.key,
            str(figure.label),
            str(figure.unit),
            modules.figure_months(figure.key, actor=actor, org=org, months=12, today=today),
        )
        for figure in modules.figures()
        if figure.dated_by and figure.home
    ]


def home_stocks(*, actor: Any, year: int) -> list[tuple[str, str, int]]:
    """The subtree's figures that are stocks (members in force): label, unit, value."""
    org = actor.organization
    return [
        (
            str(f.label),
            str(f.unit),
            int(modules.figure_value(f.key, actor=actor, org=org, year=year)),
        )
        for f in modules.figures()
        if not f.dated_by and f.home
    ]
