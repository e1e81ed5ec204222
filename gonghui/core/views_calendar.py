"""The working-day calendar page: every staff account may read it (city-wide reference data,
no personal data); the city administrator enters each year's holidays and 调休 on it: the
State Council's notice pasted as it is (previewed, then confirmed), or day by day."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from gonghui.core import selectors, services, workdays
from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.validators import today
from gonghui.core.web import apply_errors, error_text, staff_required

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DayForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("日期"), widget=_DATE)
    is_workday = forms.TypedChoiceField(
        label=gettext_lazy("安排"),
        choices=[("0", gettext_lazy("休息（节假日放假）")), ("1", gettext_lazy("上班（调休）"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("如“国庆节”“春节调休上班”"),
    )


class RemoveForm(forms.Form):
    day = forms.DateField()


class NoticeForm(forms.Form):
    year = forms.IntegerField(
        label=gettext_lazy("年份"),
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": gettext_lazy("请填写年份。"),
            "invalid": gettext_lazy("年份应为四位数字，如 2027。"),
            "min_value": gettext_lazy("年份应在 2000 到 2100 之间。"),
            "max_value": gettext_lazy("年份应在 2000 到 2100 之间。"),
        },
    )
    text = forms.CharField(
        label=gettext_lazy("通知全文"),
        max_length=services.NOTICE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 9, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "从中国政府网复制《国务院办公厅关于某年部分节假日安排的通知》全文，原样粘贴即可；"
            "识别后先预览，确认无误再保存。"
        ),
        error_messages={
            "required": gettext_lazy("请粘贴通知全文。"),
            "max_length": gettext_lazy(
                "通知最多 %(limit_value)d 个字，当前 %(show_value)d 个字；只需粘贴通知正文。"
            ),
        },
    )


class ConfirmYearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)


CALENDAR_COLUMNS = [
    Column("日期", lambda d: d.day, 12),
    Column("星期", lambda d: str(WEEKDAYS[d.day.weekday()]), 8),
    Column("安排", lambda d: "上班" if d.is_workday else "休息", 8),
    Column("名称", lambda d: d.name, 20),
    Column("修改时间", lambda d: d.updated_at, 18),
]
CALENDAR_KEEPER_COLUMNS = [
    Column("修改人", lambda d: str(d.updated_by) if d.updated_by else "系统导入", 16)
]


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return today().year
    return year if 2000 <= year <= 2100 else today().year


def _page_url(year: int) -> str:
    return f"{reverse('console:workcalendar')}?year={year}"


def _initial(request: HttpRequest) -> dict[str, Any]:
    """``?day=`` fills the form with that day, to change its entry."""
    try:
        day = datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return {}
    row = selectors.workcalendar_day(day=day)
    if row is None:
        return {"day": day}
    return {"day": day, "is_workday": "1" if row.is_workday else "0", "name": row.name}


def missing_schedules(actor: Any) -> list[int]:
    """The years whose official schedule the actor should enter now (see
    ``workdays.schedule_missing``); none for anyone who may not change the calendar. The
    console home shows it through ``console/_workcalendar_missing.html``."""
    if not services.workcalendar_may_change(actor):
        return []
    return workdays.schedule_missing()


def _saved_message(year: int, saved: services.NoticeSaved) -> str:
    text = _("已保存 %(y)s 年的放假安排：新增 %(a)s 天，修改 %(c)s 天，删除 %(r)s 天。") % {
        "y": year,
        "a": saved.added,
        "c": saved.changed,
        "r": saved.removed,
    }
    if saved.recounted:
        text += _("%(n)s 件办理中的服务事项期限已按新安排重算，并记入其办理过程。") % {
            "n": saved.recounted
        }
    return text


@staff_required
@require_http_methods(["GET", "POST"])
def workcalendar(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    year = _year(request)
    form = DayForm(initial=_initial(request))
    notice_form = NoticeForm(initial={"year": year})
    plan: services.NoticePlan | None = None
    if request.method == "POST":
        services.workcalendar_require_keeper(actor)
        action = request.POST.get("action")
        if action == "remove":
            removed = RemoveForm(request.POST)
            if removed.is_valid():
                day = removed.cleaned_data["day"]
                try:
                    services.workcalendar_day_delete(actor=actor, day=day)
                except ValidationError as exc:
                    messages.error(request, error_text(exc))
                else:
                    messages.success(
                        request,
                        _("已删除 %(day)s 的登记，该日恢复按周一至周五计算。")
                        % {"day": day.isoformat()},
                    )
                return redirect(_page_url(day.year))
            messages.error(request, _("要删除的日期不正确，请刷新页面后重试。"))
            return redirect(_page_url(year))
        if action == "confirm_year":
            confirm = ConfirmYearForm(request.POST)
            if not confirm.is_valid():
                messages.error(request, _("要确认的年份不正确，请刷新页面后重试。"))
                return redirect(_page_url(year))
            year = confirm.cleaned_data["year"]
            try:
                services.workcalendar_year_confirm(actor=actor, year=year)
            except ValidationError as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(
                    request, _("已确认 %(y)s 年按官方安排逐日登记完毕。") % {"y": year}
                )
            return redirect(_page_url(year))
        if action in ("preview", "notice"):
            notice_form = NoticeForm(request.POST)
            if notice_form.is_valid():
                year = notice_form.cleaned_data["year"]
                text = notice_form.cleaned_data["text"]
                if action == "notice":
                    try:
                        saved = services.workcalendar_notice_save(actor=actor, year=year, text=text)
                    except ValidationError as exc:
                        apply_errors(notice_form, exc)
                    else:
                        messages.success(request, _saved_message(year, saved))
                        return redirect(_page_url(year))
                plan = services.workcalendar_notice_plan(year=year, text=text)
        else:
            form = DayForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    row = services.workcalendar_day_save(
                        actor=actor,
                        day=data["day"],
                        is_workday=data["is_workday"],
                        name=data["name"],
                    )
                except ValidationError as exc:
                    apply_errors(form, exc)
                else:
                    messages.success(request, _("已登记：%(row)s。") % {"row": row})
                    return redirect(_page_url(row.day.year))
    may_change = services.workcalendar_may_change(actor)
    days = selectors.workcalendar_days(year=year)
    if wants_export(request):
        # Who changed a day is shown to those who may change the calendar, as on the page.
        columns = CALENDAR_COLUMNS + (CALENDAR_KEEPER_COLUMNS if may_change else [])
        return export_list(request, f"工作日历 {year}", columns, days)
    years = sorted(selectors.workcalendar_years() | {today().year, today().year + 1, year})
    return render(
        request,
        "console/workcalendar.html",
        {
            "year": year,
            "years": years,
            "schedule": selectors.workcalendar_schedule(year=year),
            "days": [(d, WEEKDAYS[d.day.weekday()]) for d in days],
            "holiday_count": sum(1 for d in days if not d.is_workday),
            "workday_count": sum(1 for d in days if d.is_workday),
            "may_change": may_change,
            # The year shown says it itself, with the form beside it.
            "workcalendar_missing": [y for y in missing_schedules(actor) if y != year],
            "form": form,
            "notice_form": notice_form,
            "plan": plan,
            "plan_rows": [(row, WEEKDAYS[row.day.day.weekday()]) for row in plan.rows]
            if plan
            else [],
        },
    )
