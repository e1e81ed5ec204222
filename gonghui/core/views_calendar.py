"""The working-day calendar page: every staff account may read it (city-wide reference data,
no personal data); the city administrator enters each year's holidays and 调休 on it."""

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

from gonghui.core import services
from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.models import WorkCalendarDay
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
    row = WorkCalendarDay.objects.filter(day=day).first()
    if row is None:
        return {"day": day}
    return {"day": day, "is_workday": "1" if row.is_workday else "0", "name": row.name}


@staff_required
@require_http_methods(["GET", "POST"])
def workcalendar(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    year = _year(request)
    form = DayForm(initial=_initial(request))
    if request.method == "POST":
        services.workcalendar_require_keeper(actor)
        if request.POST.get("action") == "remove":
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
        form = DayForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                row = services.workcalendar_day_save(
                    actor=actor, day=data["day"], is_workday=data["is_workday"], name=data["name"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已登记：%(row)s。") % {"row": row})
                return redirect(_page_url(row.day.year))
    may_change = services.workcalendar_may_change(actor)
    days = list(WorkCalendarDay.objects.filter(day__year=year).select_related("updated_by"))
    if wants_export(request):
        # Who changed a day is shown to those who may change the calendar, as on the page.
        columns = CALENDAR_COLUMNS + (CALENDAR_KEEPER_COLUMNS if may_change else [])
        return export_list(request, f"工作日历 {year}", columns, days)
    years = sorted(
        {d.year for d in WorkCalendarDay.objects.dates("day", "year")}
        | {today().year, today().year + 1, year}
    )
    return render(
        request,
        "console/workcalendar.html",
        {
            "year": year,
            "years": years,
            "days": [(d, WEEKDAYS[d.day.weekday()]) for d in days],
            "holiday_count": sum(1 for d in days if not d.is_workday),
            "workday_count": sum(1 for d in days if d.is_workday),
            "may_change": may_change,
            "form": form,
        },
    )
