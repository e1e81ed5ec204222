"""Console pages of class sessions: the list, publishing, a session's bookings and lottery,
cancelling, and check-in at the door (scanning the booking's QR code with the phone's camera).
Thin: parse, call a selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.permissions import Perm, has_perm
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, error_text, paginate, staff_required
from gonghui.culture import forms
from gonghui.culture.models import BookingState
from gonghui.culture.selectors import booking as booking_selectors
from gonghui.culture.selectors import catalogue as catalogue_selectors
from gonghui.culture.services import attendance as attendance_services
from gonghui.culture.services import lottery as lottery_services
from gonghui.culture.services import sessions as sessions_services
from gonghui.organizations import selectors as org_selectors

BOOKING_COLUMNS = [
    Column("凭证号", lambda b: b.code, 10),
    Column("姓名", lambda b: b.person.name, 10),
    Column("状态", lambda b: b.get_state_display(), 14),
    Column("顺位", lambda b: b.rank or None, 6),
    Column("预约时间", lambda b: b.created_at, 18),
    Column("签到时间", lambda b: b.checked_in_at, 18),
]
SESSION_COLUMNS = [
    Column("课程", lambda s: s.course.title, 24),
    Column("系列", lambda s: s.course.series.name, 10),
    Column("开课单位", lambda s: s.organization.name, 24),
    Column("上课地点", lambda s: s.place, 30),
    Column("开始时间", lambda s: s.starts_at, 18),
    Column("结束时间", lambda s: s.ends_at, 18),
    Column("预约方式", lambda s: s.get_mode_display(), 10),
    Column("开放预约时间", lambda s: s.opens_at, 18),
    Column("截止预约时间", lambda s: s.closes_at, 18),
    Column("名额", lambda s: s.capacity, 8),
    # An undrawn lottery has no seats taken yet: its page shows the capacity only.
    Column("剩余名额", lambda s: None if s.is_lottery and not s.drawn_at else s.seats_left, 8),
    Column("状态", lambda s: s.get_state_display(), 8),
    Column("抽签时间", lambda s: s.drawn_at, 18),
]


@staff_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponseBase:
    upcoming = request.GET.get("when", "upcoming") != "all"
    sessions = booking_selectors.session_list(
        actor=request.user, upcoming=upcoming, q=request.GET.get("q", "").strip()[:50]
    )
    if wants_export(request):
        return export_list(request, "课程场次", SESSION_COLUMNS, sessions)
    return render(
        request,
        "culture/session_list.html",
        {"page_obj": paginate(request, sessions), "upcoming": upcoming},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = forms.SessionForm(
        request.POST or None,
        courses=catalogue_selectors.course_list(actor=user).filter(is_active=True),
        venues=catalogue_selectors.venue_list(actor=user).filter(is_active=True),
        audiences=org_selectors.organization_list(actor=user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = sessions_services.session_publish(actor=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已发布。"))
            return redirect("console:culture_session", session.pk)
    return render(request, "culture/session_new.html", {"form": form})


@staff_required
@require_GET
def session_detail(request: HttpRequest, session_id: int) -> HttpResponseBase:
    session = booking_selectors.session_get(actor=request.user, id=session_id)
    state = request.GET.get("state", "")
    if state not in BookingState.values:
        state = ""
    bookings = booking_selectors.session_bookings(actor=request.user, session=session, state=state)
    if wants_export(request):
        return export_list(request, _("预约名单 %(s)s") % {"s": session}, BOOKING_COLUMNS, bookings)
    return render(
        request,
        "culture/session_detail.html",
        {
            "session": session,
            "counts": booking_selectors.session_counts(session),
            "states": BookingState.choices,
            "state": state,
            "page_obj": paginate(request, bookings),
            "record": lottery_services.draw_record(session),
            "cancel_form": forms.ReasonForm(),
            "may_edit": has_perm(request.user, Perm.EDIT_RECORDS),
            "ended": session.ends_at <= timezone.now(),
        },
    )


@staff_required
@require_POST
def session_act(request: HttpRequest, session_id: int, op: str) -> HttpResponse:
    session = booking_selectors.session_get(actor=request.user, id=session_id)
    try:
        if op == "draw":
            lottery_services.lottery_draw(actor=request.user, session=session)
            messages.success(request, _("已抽签，结果与随机种子已公示。"))
        elif op == "cancel":
            form = forms.ReasonForm(request.POST)
            sessions_services.session_cancel(
                actor=request.user, session=session, reason=form.data.get("reason", "")
            )
            messages.success(request, _("已取消本节课程，并通知已预约的职工。"))
        else:
            raise NotFound
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("console:culture_session", session.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def session_checkin(request: HttpRequest, session_id: int) -> HttpResponse:
    """The door: the camera reads the QR code and posts its token here (HTMX), or the clerk
    types the code. Answers with a line saying who was checked in, or why not."""
    session = booking_selectors.session_get(actor=request.user, id=session_id)
    form = forms.CheckInForm(request.POST or None)
    result: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            booking = attendance_services.booking_check_in(
                actor=request.user, session=session, token=form.cleaned_data["token"]
            )
        except ValidationError as exc:
            result = {"ok": False, "text": error_text(exc)}
        else:
            result = {
                "ok": True,
                "text": _("%(n)s 签到成功（%(c)s）")
                % {
                    "n": booking.person.name,
                    "c": booking.code,
                },
            }
    context = {
        "session": session,
        "form": forms.CheckInForm(),
        "result": result,
        "counts": booking_selectors.session_counts(session),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "culture/_checkin_result.html", context)
    return render(request, "culture/session_checkin.html", context)
