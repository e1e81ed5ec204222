"""Platform writes: counters, the personal-data access log, the working-day calendar and a
worker's messages (read marks, SMS settings; messages themselves are written by
``core.notify``)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from gonghui.core import holiday_notice, notification_kinds
from gonghui.core.crypto import Sealed
from gonghui.core.locks import LockSpace, lock_one
from gonghui.core.models import (
    AccessReason,
    Counter,
    Notification,
    NotificationSettings,
    PersonalDataAccess,
    ScheduleSource,
    WorkCalendarDay,
    WorkCalendarYear,
)
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.validators import check_plain_text
from gonghui.core.workdays import calendar_changed


def counter_values(*, name: str, count: int = 1) -> list[int]:
    """Take ``count`` fresh values of the named counter (member card numbers, codes).

    On PostgreSQL a counter is a sequence: ``nextval`` never hands a value out twice and holds
    no lock, so a long import does not block a clerk enrolling one member meanwhile; a
    rolled-back caller leaves gaps, which numbers of this kind allow. On SQLite, whose immediate
    transactions already serialise writers, the ``Counter`` row is advanced by ``count``."""
    if connection.vendor == "postgresql":
        # The sequence exists: migrations create one per counter (core 0002).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                [f"gonghui_counter_{name}", count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
    with transaction.atomic():
        Counter.objects.get_or_create(name=name)
        Counter.objects.filter(name=name).update(value=F("value") + count)
        last = int(Counter.objects.filter(name=name).values_list("value", flat=True).get())
    return list(range(last - count + 1, last + 1))


def counter_take(*, name: str) -> int:
    return counter_values(name=name)[0]


@dataclass(frozen=True)
class Subject:
    """Whose personal data was looked at."""

    type: str
    id: int
    label: str

    @classmethod
    def of(cls, instance: models.Model) -> Subject:
        meta = instance._meta
        return cls(f"{meta.app_label}.{meta.model_name}", int(instance.pk), str(instance)[:100])


def personal_data_reveal(
    *,
    actor: Any,
    subject: models.Model,
    field: str,
    value: Sealed,
    reason: str,
    reason_note: str = "",
    ip_address: str | None = None,
) -> str:
    """Return the plaintext of ``value`` after checking the role and logging the view."""
    require(actor, Perm.REVEAL_PERSONAL)
    if reason not in AccessReason.values:
        raise ValueError(f"unknown reason {reason!r}")
    with transaction.atomic():
        personal_data_log(
            actor=actor,
            subjects=[Subject.of(subject)],
            fields=[field],
            reason=reason,
            reason_note=reason_note,
            ip_address=ip_address,
        )
    return value.reveal()


def personal_data_log(
    *,
    actor: Any,
    subjects: Iterable[Subject],
    fields: Iterable[str],
    reason: str,
    reason_note: str = "",
    channel: str = "page",
    ip_address: str | None = None,
) -> int:
    """Write one access-log row per subject and field; must run inside the transaction that
    hands out the plaintext, so a view is never shown without its log row."""
    field_list = list(fields)
    rows = [
        PersonalDataAccess(
            actor=actor,
            actor_organization_id=actor.organization_id,
            subject_type=s.type,
            subject_id=s.id,
            subject_label=s.label,
            field=f,
            reason=reason,
            reason_note=reason_note[:200],
            channel=channel,
            ip_address=ip_address,
        )
        for s in subjects
        for f in field_list
    ]
    PersonalDataAccess.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# --- The working-day calendar ----------------------------------------------------------------

# The names chinesecalendar gives its holidays (``chinese_calendar.constants.Holiday``), in the
# words of the State Council notices. A name the package adds later is kept in English until
# it is added here; the day itself is stored all the same.
PACKAGE_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def workcalendar_package_days() -> dict[datetime.date, tuple[bool, str]]:
    """The exceptions to Monday-to-Friday in the installed chinesecalendar release:
    day -> (is_workday, Chinese name). Holidays that fall on a weekend, and working days
    that fall on a weekday, are the default rule and are left out.

    Reads the package only (no database). Migration 0004 imports it to seed the table: keep
    its name and signature."""
    from chinese_calendar import constants

    days: dict[datetime.date, tuple[bool, str]] = {}
    for day, english in constants.holidays.items():
        if day.weekday() < 5:
            days[day] = (False, PACKAGE_HOLIDAY_NAMES.get(english, english)[:40])
    for day, english in constants.workdays.items():
        if day.weekday() >= 5:
            festival = PACKAGE_HOLIDAY_NAMES.get(english, "") if english else ""
            days[day] = (True, f"{festival}调休上班"[:40])
    return days


def workcalendar_package_years() -> set[int]:
    """The years the installed chinesecalendar release holds the official schedule of."""
    from chinese_calendar import constants

    return {day.year for day in constants.holidays}


def workcalendar_package_note() -> str:
    """The package release, as the calendar page names the source of its years. Migration
    0005 imports it: keep its name."""
    from importlib.metadata import version

    return f"chinesecalendar {version('chinesecalendar')}"


def _calendar_changed(actor: Any, previous: dict[datetime.date, bool | None]) -> int:
    """Tell the listeners (casework recounts its deadlines) which days changed, inside the
    caller's transaction; returns how many records they changed."""
    if not previous:
        return 0
    responses: list[tuple[Any, Any]] = calendar_changed.send(
        sender=WorkCalendarDay, actor=actor, previous=previous
    )
    return sum(r for _receiver, r in responses if isinstance(r, int))


def workcalendar_may_change(actor: Any) -> bool:
    """The calendar is one for the whole city: only an administrator of the root of the union
    tree (the city federation) keeps it."""
    organization = getattr(actor, "organization", None)
    return (
        getattr(actor, "is_staff_account", False)
        and organization is not None
        and organization.parent_id is None
        and has_perm(actor, Perm.MANAGE_ORGS)
    )


def workcalendar_require_keeper(actor: Any) -> None:
    if not workcalendar_may_change(actor):
        raise PermissionDenied(
            _("工作日历全市统一，只能由市总工会的管理员维护；如需调整，请联系市总工会。")
        )


@transaction.atomic
def workcalendar_day_save(
    *, actor: Any, day: datetime.date, is_workday: bool, name: str
) -> WorkCalendarDay:
    """Enter or change one exception day: a holiday on a weekday or a working weekend."""
    workcalendar_require_keeper(actor)
    name = (name or "").strip()
    errors: dict[str, Any] = {}
    try:
        check_plain_text(name)
    except ValidationError as exc:
        errors["name"] = exc.messages
    if len(name) > 40:
        errors["name"] = _("名称最多 40 个字，当前 %(n)s 个字，请缩短。") % {"n": len(name)}
    weekday = WEEKDAYS[day.weekday()]
    if is_workday and day.weekday() < 5:
        errors["is_workday"] = _(
            "%(day)s 是%(weekday)s，按常规即为工作日，无需登记；"
            "如要取消该日已登记的假日，请删除该日。"
        ) % {"day": day.isoformat(), "weekday": weekday}
    elif not is_workday and day.weekday() >= 5:
        errors["is_workday"] = _(
            "%(day)s 是%(weekday)s，按常规即为休息日，无需登记；"
            "如要取消该日已登记的调休上班，请删除该日。"
        ) % {"day": day.isoformat(), "weekday": weekday}
    if errors:
        raise ValidationError(errors)
    row = WorkCalendarDay.objects.filter(day=day).first() or WorkCalendarDay(day=day)
    before = row.is_workday if row.pk else None
    row.is_workday = is_workday
    row.name = name
    row.updated_by = actor
    row._history_user = actor  # type: ignore[attr-defined]
    row.save()
    if before != is_workday:
        _calendar_changed(actor, {day: before})
    return row


@transaction.atomic
def workcalendar_day_delete(*, actor: Any, day: datetime.date) -> None:
    """Remove an exception day: the day follows the default rule again."""
    workcalendar_require_keeper(actor)
    row = WorkCalendarDay.objects.filter(day=day).first()
    if row is None:
        raise ValidationError(
            {"day": _("%(day)s 没有登记为假日或调休，无需删除。") % {"day": day.isoformat()}}
        )
    row._history_user = actor  # type: ignore[attr-defined]
    row.delete()
    _calendar_changed(actor, {day: row.is_workday})


@transaction.atomic
def workcalendar_sync_from_package(*, actor: Any = None) -> int:
    """Bring the installed chinesecalendar release into the table; returns how many days were
    added or changed. Idempotent. For the days the package knows, the package wins (it follows
    the State Council notices); days it does not know, such as a year an administrator entered
    before the package had it, are left alone. The years it covers are marked as its own.
    ``actor`` None is the system (the command)."""
    if actor is not None:
        workcalendar_require_keeper(actor)
    package = workcalendar_package_days()
    current = {
        row.day: (row.is_workday, row.name)
        for row in WorkCalendarDay.objects.filter(day__in=list(package))
    }
    changed = 0
    previous: dict[datetime.date, bool | None] = {}
    for day, (is_workday, name) in sorted(package.items()):
        if current.get(day) == (is_workday, name):
            continue
        row = WorkCalendarDay.objects.filter(day=day).first() or WorkCalendarDay(day=day)
        if (row.is_workday if row.pk else None) != is_workday:
            previous[day] = row.is_workday if row.pk else None
        row.is_workday, row.name, row.updated_by = is_workday, name, actor
        row._history_user = actor  # type: ignore[attr-defined]
        row.save()
        changed += 1
    note = workcalendar_package_note()
    for year in sorted(workcalendar_package_years()):
        marker = WorkCalendarYear.objects.filter(year=year).first()
        if marker is None or (marker.source, marker.note) != (ScheduleSource.PACKAGE, note):
            WorkCalendarYear.objects.update_or_create(
                year=year,
                defaults={
                    "source": ScheduleSource.PACKAGE,
                    "note": note,
                    "notice": "",
                    "entered_by": actor,
                },
            )
    _calendar_changed(actor, previous)
    return changed


NOTICE_MAX_CHARS = 20000


@dataclass(frozen=True)
class NoticeRow:
    """A day of a pasted notice, and what saving it would do: "add" or "change" an entered
    day, leave one that already says the same ("same"), or nothing for a day the default rule
    already gives ("default": a holiday on a weekend)."""

    day: holiday_notice.NoticeDay
    action: str


@dataclass(frozen=True)
class NoticePlan:
    year: int
    parsed: holiday_notice.ParsedNotice
    rows: list[NoticeRow]
    # Days of the year entered before that the notice does not name: saving removes them.
    remove: list[WorkCalendarDay]

    @property
    def problems(self) -> list[str]:
        return [
            _("第 %(n)s 行：%(m)s") % {"n": p.line, "m": p.message} if p.line else p.message
            for p in self.parsed.problems
        ]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def count_add(self) -> int:
        return self.count("add")

    @property
    def count_change(self) -> int:
        return self.count("change")

    @property
    def count_same(self) -> int:
        return self.count("same")


def workcalendar_notice_plan(*, year: int, text: str) -> NoticePlan:
    """What saving the pasted notice ``text`` as ``year``'s schedule would do (a read: the
    page shows it for confirmation, and ``workcalendar_notice_save`` carries it out)."""
    parsed = holiday_notice.parse(text, year=year)
    exceptions = parsed.exceptions
    entered = {
        row.day: row
        for row in WorkCalendarDay.objects.filter(
            models.Q(day__year=year) | models.Q(day__in=list(exceptions))
        )
    }
    rows = []
    for day in parsed.days:
        row = entered.get(day.day)
        if not day.is_exception:
            action = "default"
        elif row is None:
            action = "add"
        elif (row.is_workday, row.name) == (day.is_workday, day.name):
            action = "same"
        else:
            action = "change"
        rows.append(NoticeRow(day, action))
    remove = [
        row for day, row in sorted(entered.items()) if day.year == year and day not in exceptions
    ]
    return NoticePlan(year=year, parsed=parsed, rows=rows, remove=remove)


@dataclass(frozen=True)
class NoticeSaved:
    added: int
    changed: int
    removed: int
    recounted: int  # records whose deadlines moved (see ``calendar_changed``)


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("年份应在 2000 到 2100 之间。")})


@transaction.atomic
def workcalendar_notice_save(*, actor: Any, year: int, text: str) -> NoticeSaved:
    """Enter ``year``'s official schedule from the State Council's notice, pasted as it is:
    its holidays on weekdays and its adjusted working weekends are stored, the year's other
    entered days are removed, and the year is marked as entered from this notice, by whom and
    when. Refused as a whole, nothing saved, while any line cannot be read."""
    workcalendar_require_keeper(actor)
    _check_year(year)
    text = (text or "").strip()
    if len(text) > NOTICE_MAX_CHARS:
        raise ValidationError(
            {
                "text": _("通知最多 %(max)s 个字，当前 %(n)s 个字；只需粘贴通知正文。")
                % {"max": NOTICE_MAX_CHARS, "n": len(text)}
            }
        )
    try:
        text = check_plain_text(text, multiline=True)
    except ValidationError as exc:
        raise ValidationError({"text": exc.messages}) from None
    # Two administrators saving the same year one after the other, not interleaved.
    marker, _created = WorkCalendarYear.objects.get_or_create(
        year=year, defaults={"source": ScheduleSource.NOTICE}
    )
    lock_one(LockSpace.WORK_CALENDAR_YEAR, WorkCalendarYear, marker.pk)
    plan = workcalendar_notice_plan(year=year, text=text)
    if plan.problems:
        raise ValidationError({"text": plan.problems})
    previous: dict[datetime.date, bool | None] = {}
    entered = {
        row.day: row
        for row in WorkCalendarDay.objects.filter(day__in=[r.day.day for r in plan.rows])
    }
    for item in plan.rows:
        if item.action not in ("add", "change"):
            continue
        day = item.day
        row = entered.get(day.day) or WorkCalendarDay(day=day.day)
        if (row.is_workday if row.pk else None) != day.is_workday:
            previous[day.day] = row.is_workday if row.pk else None
        row.is_workday, row.name, row.updated_by = day.is_workday, day.name, actor
        row._history_user = actor  # type: ignore[attr-defined]
        row.save()
    for row in plan.remove:
        previous[row.day] = row.is_workday
        row._history_user = actor  # type: ignore[attr-defined]
        row.delete()
    marker.source, marker.note, marker.notice = ScheduleSource.NOTICE, "", text
    marker.entered_by = actor
    marker.save()
    return NoticeSaved(
        added=plan.count("add"),
        changed=plan.count("change"),
        removed=len(plan.remove),
        recounted=_calendar_changed(actor, previous),
    )


@transaction.atomic
def workcalendar_year_confirm(*, actor: Any, year: int) -> WorkCalendarYear:
    """Mark ``year`` as holding its official schedule after its days were entered one by one
    (the days change nothing here, so no deadline moves: each day's entry recounted them)."""
    workcalendar_require_keeper(actor)
    _check_year(year)
    if WorkCalendarYear.objects.filter(year=year).exists():
        raise ValidationError({"year": _("%(y)s 年已登记官方安排，无需再次确认。") % {"y": year}})
    if not WorkCalendarDay.objects.filter(day__year=year, is_workday=False).exists():
        raise ValidationError(
            {
                "year": _(
                    "%(y)s 年还没有登记任何放假日，不能确认。请先粘贴国务院办公厅的通知，"
                    "或逐日登记放假和调休上班的日期。"
                )
                % {"y": year}
            }
        )
    return WorkCalendarYear.objects.create(
        year=year, source=ScheduleSource.MANUAL, entered_by=actor
    )


# --- a worker's messages ----------------------------------------------------------------------


def _own_person_id(actor: Any) -> int:
    person_id = getattr(actor, "person_id_or_none", None)
    if person_id is None:
        raise NotFound
    return int(person_id)


@transaction.atomic
def notifications_mark_read(*, actor: Any, ids: Iterable[int]) -> int:
    """Mark the worker's own messages among ``ids`` as read; returns how many changed."""
    return (
        Notification.objects.visible_to(actor)
        .filter(pk__in=list(ids), read_at__isnull=True)
        .update(read_at=timezone.now())
    )


@transaction.atomic
def notification_settings_save(
    *,
    actor: Any,
    sms_off: Iterable[str],
    quiet_from: datetime.time | None,
    quiet_until: datetime.time | None,
) -> NotificationSettings:
    """The worker's SMS settings: the kinds they do not want by SMS (only kinds that allow it)
    and quiet hours (both ends or neither; a start after the end crosses midnight)."""
    person_id = _own_person_id(actor)
    optional = {k.code for k in notification_kinds.kinds() if k.optional}
    errors: dict[str, list[str]] = {}
    off = sorted(set(sms_off))
    if set(off) - optional:
        errors["sms_off"] = [_("所选的消息类型必须接收短信，不能关闭。")]
    if (quiet_from is None) != (quiet_until is None):
        errors["quiet_until" if quiet_until is None else "quiet_from"] = [
            _("免打扰时段请同时填写开始和结束时间，或都不填。")
        ]
    elif quiet_from is not None and quiet_from == quiet_until:
        errors["quiet_until"] = [_("免打扰的开始和结束时间不能相同。")]
    if errors:
        raise ValidationError(errors)
    # Locks the worker's row (or catches the insert of a save from another device at the same
    # moment), so each save is kept whole.
    choice, _created = NotificationSettings.objects.update_or_create(
        person_id=person_id,
        defaults={"sms_off": off, "quiet_from": quiet_from, "quiet_until": quiet_until},
    )
    return choice
