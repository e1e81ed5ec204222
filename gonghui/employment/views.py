"""Console pages for training courses, job fairs and placements. Thin: parse, call a service
or a selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.pagination import seek_page
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.web import apply_errors, error_text, staff_required
from gonghui.employment import selectors, services
from gonghui.employment.forms import (
    AttendanceForm,
    CompletionForm,
    CourseForm,
    EmployerForm,
    EnrolForm,
    FairForm,
    FollowUpForm,
    PlacementForm,
    PostForm,
    ServedForm,
    SessionForm,
    VisitorForm,
)
from gonghui.employment.models import EnrolmentStatus, PlacementSource, TrainingKind
from gonghui.members import selectors as member_selectors
from gonghui.organizations import selectors as org_selectors

ORDER = ("-starts_on", "-id")
FAIR_ORDER = ("-held_on", "-id")


def _actor(request: HttpRequest) -> Any:
    return request.user


def _year(request: HttpRequest) -> int | None:
    raw = request.GET.get("year", "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 1900 <= int(raw) <= 2099 else None


def _person(actor: Any, id_number: str) -> Any:
    """The person on the actor's roll with this ID number, or a message at the field."""
    try:
        found = member_selectors.membership_lookup(actor=actor, id_number=id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None
    if not found:
        raise ValidationError(
            {"id_number": [_("在您的管辖范围内没有找到该身份证号的职工，请核对，或先登记入会。")]}
        )
    return found[0].person


COURSE_COLUMNS = [
    Column("培训班名称", lambda c: c.title, 30),
    Column("培训项目", lambda c: c.course_type.name, 14),
    Column("类别", lambda c: c.course_type.get_kind_display(), 12),
    Column("主办工会", lambda c: c.organization.name, 24),
    Column("开班日期", lambda c: c.starts_on, 12),
    Column("结业日期", lambda c: c.ends_on, 12),
    Column("名额", lambda c: c.capacity, 8),
    Column("报名人数", lambda c: c.enrolled, 8),
    Column("场次", lambda c: c.session_count, 8),
    Column("培训地点", lambda c: c.place, 24),
]
ENROLMENT_COLUMNS = [
    Column("姓名", lambda e: e.person.name, 12),
    Column("身份证号", lambda e: e.person.id_number, 22),
    Column("出勤场次", lambda e: e.attended, 10),
    Column("状态", lambda e: e.get_status_display(), 10),
    Column("结业日期", lambda e: e.completed_on, 12),
    Column("结业说明", lambda e: e.completion_note, 30),
]
FAIR_COLUMNS = [
    Column("招聘会名称", lambda f: f.title, 30),
    Column("专项活动", lambda f: f.campaign, 12),
    Column("主办工会", lambda f: f.organization.name, 24),
    Column("举办日期", lambda f: f.held_on, 12),
    Column("举办地点", lambda f: f.place, 24),
    Column("参会单位", lambda f: f.employer_count, 10),
    Column("招聘人数", lambda f: f.post_total or 0, 10),
    Column("服务人数", lambda f: f.served_count, 10),
]
POST_COLUMNS = [
    Column("用人单位", lambda p: p.employer.name, 30),
    Column("岗位", lambda p: p.title, 20),
    Column("招聘人数", lambda p: p.count, 10),
    Column("月薪下限（元）", lambda p: p.wage_min, 14),
    Column("月薪上限（元）", lambda p: p.wage_max, 14),
]
PLACEMENT_COLUMNS = [
    Column("姓名", lambda p: p.person.name, 12),
    Column("用人单位", lambda p: p.employer_name, 30),
    Column("岗位", lambda p: p.post, 16),
    Column("月工资（元）", lambda p: p.monthly_wage, 14),
    Column("上岗日期", lambda p: p.starts_on, 12),
    Column("就业渠道", lambda p: p.get_source_display(), 10),
    Column("登记工会", lambda p: p.organization.name, 24),
    Column("回访日期", lambda p: p.followed_up_on, 12),
    Column(
        "仍在岗",
        lambda p: "" if p.still_employed is None else ("是" if p.still_employed else "否"),
        8,
    ),
]


# --- courses ---------------------------------------------------------------------------------


@staff_required
@require_GET
def training_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    q = request.GET.get("q", "").strip()[:50]
    kind = request.GET.get("kind", "")
    kind = kind if kind in TrainingKind.values else ""
    year = _year(request)
    qs = selectors.course_list(actor=actor, q=q, kind=kind, year=year)
    if wants_export(request):
        return export_list(request, "培训班", COURSE_COLUMNS, qs)
    return render(
        request,
        "employment/course_list.html",
        {
            "page_obj": seek_page(request, qs, order=ORDER),
            "q": q,
            "kind": kind,
            "kinds": TrainingKind.choices,
            "year": year or "",
            "filtered": bool(q or kind or year),
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


@staff_required
def training_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    form = CourseForm(
        request.POST or None,
        organizations=org_selectors.organization_list(actor=actor),
        kinds=selectors.course_type_list(),
        initial={"organization": actor.organization_id, "pass_percent": 80},
    )
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已建立培训班“%(t)s”，请登记场次。") % {"t": course.title})
            return redirect("console:training_detail", course.pk)
    return render(
        request,
        "employment/form.html",
        {"form": form, "title": _("建立培训班"), "back": "console:training_list"},
    )


@staff_required
@require_GET
def training_detail(request: HttpRequest, training_id: int) -> HttpResponseBase:
    actor = _actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    enrolments = selectors.enrolment_list(actor=actor, course=course)
    if wants_export(request):
        return export_list(request, f"{course.title}学员", ENROLMENT_COLUMNS, enrolments)
    sessions = list(selectors.session_list(actor=actor, course=course))
    return render(
        request,
        "employment/course_detail.html",
        {
            "course": course,
            "sessions": sessions,
            "enrolments": enrolments[:500],
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS) and not course.cancelled,
            "closed": enrolments.filter(
                status__in=[EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED]
            ).exists(),
            "completion_form": CompletionForm(),
        },
    )


@staff_required
def training_session_new(request: HttpRequest, training_id: int) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    require(actor, Perm.EDIT_RECORDS)
    form = SessionForm(request.POST or None, initial={"held_on": course.starts_on})
    if request.method == "POST" and form.is_valid():
        try:
            services.session_add(actor=actor, course=course, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记场次。"))
            return redirect("console:training_detail", course.pk)
    return render(
        request,
        "employment/form.html",
        {"form": form, "title": _("登记场次：%(t)s") % {"t": course.title}, "course": course},
    )


@staff_required
def training_enrol(request: HttpRequest, training_id: int) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    require(actor, Perm.EDIT_RECORDS)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = _person(actor, form.cleaned_data["id_number"])
            services.enrolment_create(actor=actor, course=course, person=person)
        except ValidationError as exc:
            errors = exc.message_dict
            errors["id_number"] = (
                errors.pop("person", []) + errors.pop("course", []) + errors.get("id_number", [])
            )
            apply_errors(form, ValidationError(errors))
        else:
            messages.success(request, _("%(n)s 已报名。") % {"n": person.name})
            return redirect("console:training_detail", course.pk)
    return render(
        request,
        "employment/form.html",
        {"form": form, "title": _("学员报名：%(t)s") % {"t": course.title}, "course": course},
    )


@staff_required
def training_attendance(
    request: HttpRequest, training_id: int, training_session_id: int
) -> HttpResponse:
    """The roll call of one session: tick who was there."""
    actor = _actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    session = selectors.session_get(actor=actor, course=course, id=training_session_id)
    on_course = list(
        selectors.enrolment_list(actor=actor, course=course, status=EnrolmentStatus.ENROLLED)
    )
    choices = [(e.pk, e.person.name) for e in on_course]
    form = AttendanceForm(
        request.POST or None,
        enrolments=choices,
        initial={"present": sorted(selectors.present_ids(session=session))},
    )
    if request.method == "POST":
        require(actor, Perm.EDIT_RECORDS)
        if form.is_valid():
            chosen = selectors.enrolments_get(
                actor=actor, course=course, ids=form.cleaned_data["present"]
            )
            try:
                count = services.attendance_record(actor=actor, session=session, present=chosen)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已登记出勤 %(n)s 人。") % {"n": count})
                return redirect("console:training_detail", course.pk)
    return render(
        request,
        "employment/attendance.html",
        {
            "form": form,
            "course": course,
            "session": session,
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


@staff_required
@require_POST
def training_close(request: HttpRequest, training_id: int) -> HttpResponse:
    actor = _actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    try:
        counts = services.course_close(actor=actor, course=course)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("培训班已结业：准予结业 %(a)s 人，未达到出勤要求 %(b)s 人。")
            % {"a": counts["completed"], "b": counts["not_completed"]},
        )
    return redirect("console:training_detail", course.pk)


@staff_required
@require_POST
def training_cancel(request: HttpRequest, training_id: int) -> HttpResponse:
    """Cancel a course nobody is (any longer) on."""
    actor = _actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    try:
        services.course_cancel(actor=actor, course=course)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已取消培训班“%(t)s”。") % {"t": course.title})
    return redirect("console:training_detail", course.pk)


@staff_required
@require_POST
def training_withdraw(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """Take a person off a course before it closes (they asked, or never came)."""
    actor = _actor(request)
    enrolment = selectors.enrolment_get(actor=actor, id=enrolment_id)
    try:
        services.enrolment_withdraw(actor=actor, enrolment=enrolment)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("%(n)s 已退出培训。") % {"n": enrolment.person.name})
    return redirect("console:training_detail", enrolment.course_id)


@staff_required
def training_completion(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """The organiser sets one person's outcome by hand, with the reason."""
    actor = _actor(request)
    enrolment = selectors.enrolment_get(actor=actor, id=enrolment_id)
    form = CompletionForm(request.POST or None)
    if request.method == "POST":
        require(actor, Perm.EDIT_RECORDS)
        if form.is_valid():
            try:
                services.enrolment_complete(actor=actor, enrolment=enrolment, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已登记结业结果。"))
                return redirect("console:training_detail", enrolment.course_id)
    return render(
        request,
        "employment/form.html",
        {
            "form": form,
            "title": _("结业登记：%(n)s") % {"n": enrolment.person.name},
            "course": enrolment.course,
        },
    )


# --- fairs -----------------------------------------------------------------------------------


@staff_required
@require_GET
def fair_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    q = request.GET.get("q", "").strip()[:50]
    year = _year(request)
    qs = selectors.fair_list(actor=actor, q=q, year=year)
    if wants_export(request):
        return export_list(request, "招聘会", FAIR_COLUMNS, qs)
    return render(
        request,
        "employment/fair_list.html",
        {
            "page_obj": seek_page(request, qs, order=FAIR_ORDER),
            "q": q,
            "year": year or "",
            "filtered": bool(q or year),
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


@staff_required
def fair_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    form = FairForm(
        request.POST or None,
        organizations=org_selectors.organization_list(actor=actor),
        initial={"organization": actor.organization_id, "campaign": "春风行动"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            fair = services.fair_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记招聘会“%(t)s”。") % {"t": fair.title})
            return redirect("console:fair_detail", fair.pk)
    return render(
        request,
        "employment/form.html",
        {"form": form, "title": _("登记招聘会"), "back": "console:fair_list"},
    )


@staff_required
@require_GET
def fair_detail(request: HttpRequest, fair_id: int) -> HttpResponseBase:
    actor = _actor(request)
    fair = selectors.fair_get(actor=actor, id=fair_id)
    posts = selectors.fair_posts(actor=actor, fair=fair)
    if wants_export(request):
        return export_list(request, f"{fair.title}岗位", POST_COLUMNS, posts)
    return render(
        request,
        "employment/fair_detail.html",
        {
            "fair": fair,
            "employers": selectors.fair_employers(actor=actor, fair=fair),
            "visitors": selectors.fair_visitors(actor=actor, fair=fair)[:200],
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


def _fair_form(
    request: HttpRequest, fair_id: int, form_class: Any, title: str, save: Any, **form_kwargs: Any
) -> HttpResponse:
    actor = _actor(request)
    fair = selectors.fair_get(actor=actor, id=fair_id)
    require(actor, Perm.EDIT_RECORDS)
    extra = {k: v(actor, fair) if callable(v) else v for k, v in form_kwargs.items()}
    form = form_class(request.POST or None, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            save(actor, fair, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("console:fair_detail", fair.pk)
    return render(
        request,
        "employment/form.html",
        {"form": form, "title": f"{title}：{fair.title}", "fair": fair},
    )


@staff_required
def fair_employer_new(request: HttpRequest, fair_id: int) -> HttpResponse:
    return _fair_form(
        request,
        fair_id,
        EmployerForm,
        _("登记参会单位"),
        lambda actor, fair, data: services.fair_employer_add(
            actor=actor, fair=fair, name=data["name"]
        ),
    )


@staff_required
def fair_post_new(request: HttpRequest, fair_id: int) -> HttpResponse:
    def save(actor: Any, fair: Any, data: dict[str, Any]) -> None:
        employer = selectors.fair_employer_get(actor=actor, fair=fair, id=data.pop("employer"))
        services.fair_post_add(actor=actor, employer=employer, **data)

    return _fair_form(
        request,
        fair_id,
        PostForm,
        _("登记招聘岗位"),
        save,
        employers=lambda actor, fair: [
            (e.pk, e.name) for e in selectors.fair_employers(actor=actor, fair=fair)
        ],
    )


@staff_required
def fair_visitor_new(request: HttpRequest, fair_id: int) -> HttpResponse:
    def save(actor: Any, fair: Any, data: dict[str, Any]) -> None:
        person = _person(actor, data["id_number"])
        try:
            services.fair_visitor_add(actor=actor, fair=fair, person=person)
        except ValidationError as exc:
            raise ValidationError({"id_number": exc.messages}) from None

    return _fair_form(request, fair_id, VisitorForm, _("登记求职者"), save)


@staff_required
def fair_served(request: HttpRequest, fair_id: int) -> HttpResponse:
    return _fair_form(
        request,
        fair_id,
        ServedForm,
        _("登记服务人数"),
        lambda actor, fair, data: services.fair_served_record(
            actor=actor, fair=fair, served_count=data["served_count"]
        ),
        initial=lambda actor, fair: {"served_count": fair.served_count},
    )


# --- placements ------------------------------------------------------------------------------


@staff_required
@require_GET
def placement_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    q = request.GET.get("q", "").strip()[:50]
    source = request.GET.get("source", "")
    source = source if source in PlacementSource.values else ""
    due = request.GET.get("due") == "1"
    qs = selectors.placement_list(actor=actor, q=q, source=source, due=due)
    if wants_export(request):
        return export_list(request, "就业安置", PLACEMENT_COLUMNS, qs)
    return render(
        request,
        "employment/placement_list.html",
        {
            "page_obj": seek_page(request, qs, order=ORDER, count_topic="employment"),
            "q": q,
            "source": source,
            "sources": PlacementSource.choices,
            "due": due,
            "filtered": bool(q or source or due),
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


@staff_required
def placement_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    fairs = list(selectors.fair_list(actor=actor)[:100])
    courses = list(selectors.course_list(actor=actor)[:100])
    form = PlacementForm(
        request.POST or None,
        organizations=org_selectors.organization_list(actor=actor),
        fairs=[(f.pk, f"{f.held_on} {f.title}") for f in fairs],
        courses=[(c.pk, f"{c.starts_on} {c.title}") for c in courses],
        initial={"organization": actor.organization_id, "source": PlacementSource.OTHER},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            person = _person(actor, data.pop("id_number"))
            fair_id, course_id = data.pop("fair"), data.pop("course")
            fair = selectors.fair_get(actor=actor, id=fair_id) if fair_id else None
            course = selectors.course_get(actor=actor, id=course_id) if course_id else None
            placement = services.placement_create(
                actor=actor, person=person, fair=fair, course=course, **data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记 %(n)s 的就业安置。") % {"n": person.name})
            return redirect("console:placement_detail", placement.pk)
    return render(
        request,
        "employment/form.html",
        {"form": form, "title": _("登记就业安置"), "back": "console:placement_list"},
    )


@staff_required
def placement_detail(request: HttpRequest, placement_id: int) -> HttpResponse:
    """A placement, and its follow-up form once it is due."""
    actor = _actor(request)
    placement = selectors.placement_get(actor=actor, id=placement_id)
    form = FollowUpForm(request.POST or None)
    if request.method == "POST":
        require(actor, Perm.EDIT_RECORDS)
        if form.is_valid():
            try:
                services.placement_follow_up(actor=actor, placement=placement, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已登记回访。"))
                return redirect("console:placement_detail", placement.pk)
    return render(
        request,
        "employment/placement_detail.html",
        {
            "placement": placement,
            "form": form,
            "can_follow_up": placement.followed_up_on is None
            and has_perm(actor, Perm.EDIT_RECORDS),
        },
    )
