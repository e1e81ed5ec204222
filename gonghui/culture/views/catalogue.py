"""Console pages of the catalogue (CUL-1): courses of the 五美 series, the mentor team,
venues and partner training bases; the calendar's shows, contests and training days
(CUL-5); and the published booking rule (CUL-3). Thin: parse, call a selector or service,
render. Records outside the actor's subtree are "not found" (the selectors); the services
check the role and say in Chinese what is wrong with the input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.permissions import Perm, has_perm
from gonghui.core.validators import digits
from gonghui.core.web import apply_errors, paginate, staff_required
from gonghui.culture import forms as catalogue_forms
from gonghui.culture.models import BookingRules, EventKind
from gonghui.culture.selectors import catalogue as catalogue_selectors
from gonghui.culture.services import catalogue as catalogue_services
from gonghui.culture.services import rules as rules_services
from gonghui.organizations import selectors as org_selectors

# What a page does with a valid form's cleaned data: calls the service, which may refuse
# with ValidationError (bad input) or PermissionDenied (the role may not write).
_Save = Callable[[dict[str, Any]], object]

# The calendar's colours: a show, a contest and training never look alike.
KIND_TONES: dict[str, str] = {
    EventKind.SHOW.value: "danger",
    EventKind.CONTEST.value: "warning",
    EventKind.TRAINING.value: "success",
    EventKind.OTHER.value: "secondary",
}


def _yes(value: bool) -> str:
    return "是" if value else "否"


COURSE_COLUMNS = [
    Column("课程名称", lambda c: c.title, 24),
    Column("系列", lambda c: c.series.name, 10),
    Column("类别", lambda c: c.get_category_display(), 10),
    Column("导师", lambda c: c.mentor.name if c.mentor else "", 10),
    Column("开课单位", lambda c: c.organization.name, 24),
    Column("公益大课堂", lambda c: _yes(c.is_public_class), 10),
    Column("开设中", lambda c: _yes(c.is_active), 8),
]
MENTOR_COLUMNS = [
    Column("姓名", lambda m: m.name, 10),
    Column("专长", lambda m: m.speciality, 20),
    Column("职称或头衔", lambda m: m.title, 20),
    Column("所属组织", lambda m: m.organization.name, 24),
    Column("在聘", lambda m: _yes(m.is_active), 6),
]
VENUE_COLUMNS = [
    Column("名称", lambda v: v.name, 24),
    Column("类型", lambda v: v.get_kind_display(), 12),
    Column("合作单位", lambda v: v.partner, 24),
    Column("地址", lambda v: v.address, 30),
    Column("容纳人数", lambda v: v.capacity, 10),
    Column("所属组织", lambda v: v.organization.name, 24),
    Column("启用", lambda v: _yes(v.is_active), 6),
]
EVENT_COLUMNS = [
    Column("开始时间", lambda e: e.starts_at, 18),
    Column("结束时间", lambda e: e.ends_at, 18),
    Column("类别", lambda e: e.get_kind_display(), 8),
    Column("名称", lambda e: e.title, 24),
    Column("系列", lambda e: e.series.name if e.series else "", 10),
    Column("地点", lambda e: e.place, 30),
    Column("主办单位", lambda e: e.organization.name, 24),
]


def int_param(value: str | None) -> int | None:
    """An id from a query string, typed in ASCII digits ("²".isdigit() is true, int()
    refuses it); None for anything else, so a mangled link shows the unfiltered page."""
    text = (value or "").strip()
    return int(text) if digits(text) and len(text) < 12 else None


def _owners(actor: Any) -> Any:
    """Organisations a new record may belong to: the actor's subtree without its grassroots
    unions (a city has thousands), except the actor's own organisation when that is one."""
    return org_selectors.organization_list(actor=actor).exclude(
        kind="grassroots", depth__gt=actor.organization.depth
    )


def _new_form(
    request: HttpRequest, form_class: type[catalogue_forms.OwnedForm], **kwargs: Any
) -> catalogue_forms.OwnedForm:
    """The form that adds a record (bound on POST): owned by one of ``_owners``, the actor's
    organisation preselected; ``kwargs`` are the form's other choices, and ``initial`` is
    merged over that default."""
    actor: Any = request.user
    initial = {"organization": actor.organization_id, **kwargs.pop("initial", {})}
    return form_class(request.POST or None, organizations=_owners(actor), initial=initial, **kwargs)


def _saved(form: forms.Form, save: _Save) -> int:
    """Run ``save(cleaned_data)`` for a posted form. Returns 0 when saved, else the status
    to show the form again with, the reason on the form: 200 for input the form or the
    service refused (nothing was saved), 403 when the role may not write."""
    if not form.is_valid():
        return 200
    try:
        save(form.cleaned_data)
    except ValidationError as exc:
        apply_errors(form, exc)
        return 200
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return 403
    return 0


def _may_edit(actor: Any) -> bool:
    return has_perm(actor, Perm.EDIT_RECORDS)


def _form_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    save: _Save,
    done: str,
    back: str,
    template: str,
    context: Callable[[], dict[str, Any]],
) -> HttpResponse:
    """The shape of every page here. A POST runs ``save`` through ``_saved``; once saved,
    flashes ``done`` and redirects to the console URL named ``back``. Otherwise (a GET, or
    input refused) renders ``template`` with ``form`` and ``context()`` at the status
    ``_saved`` chose. ``context`` is called only then, so a saved POST queries no more."""
    status = 200
    if request.method == "POST":
        status = _saved(form, save)
        if not status:
            messages.success(request, done)
            return redirect(back)
    return render(request, template, {"form": form, **context()}, status=status)


def _list_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    save: _Save,
    rows: QuerySet[Any],
    template: str,
    created: str,
    back: str,
    export: tuple[str, list[Column]],
    extra: dict[str, Any] | None = None,
) -> HttpResponseBase:
    """A register: one page (``?page=``) of ``rows``, already filtered, as ``page_obj``,
    with the form that adds to it, ``may_edit`` and the template's ``extra`` (its filters).
    ``created`` is the message once a record is added; see ``_form_page``. ``?format=xlsx``
    gets all the ``rows`` as the spreadsheet ``export`` (its title and columns)."""
    if request.method == "GET" and wants_export(request):
        return export_list(request, export[0], export[1], rows)
    return _form_page(
        request,
        form=form,
        save=save,
        done=created,
        back=back,
        template=template,
        context=lambda: {
            "page_obj": paginate(request, rows),
            **(extra or {}),
            "may_edit": _may_edit(request.user),
        },
    )


def _edit_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    save: _Save,
    template: str,
    context: dict[str, Any],
    back: str,
) -> HttpResponse:
    """One record's form: ``context`` names the record for the template, which also gets
    ``form`` and ``may_edit``; saved, says so and goes ``back`` to the register."""
    return _form_page(
        request,
        form=form,
        save=save,
        done=_("已保存。"),
        back=back,
        template=template,
        context=lambda: {**context, "may_edit": _may_edit(request.user)},
    )


# --- courses ------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def course_list(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    series = catalogue_selectors.series_list()
    series_id = int_param(request.GET.get("series"))
    form = _new_form(
        request,
        catalogue_forms.CourseForm,
        series=series,
        mentors=catalogue_selectors.mentor_choices(actor=actor),
        initial={"series": series_id},
    )
    return _list_page(
        request,
        form=form,
        save=lambda data: catalogue_services.course_save(actor=actor, **data),
        rows=catalogue_selectors.course_list(actor=actor, series=series_id),
        template="culture/catalogue/courses.html",
        created=_("已加入课程目录。"),
        back="console:culture_courses",
        export=("课程目录", COURSE_COLUMNS),
        extra={"series": series, "series_id": series_id},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    actor: Any = request.user
    course = catalogue_selectors.course_get(actor=actor, id=course_id)
    initial = {
        "series": course.series_id,
        "category": course.category,
        "title": course.title,
        "description": course.description,
        "mentor": course.mentor_id,
        "is_public_class": course.is_public_class,
    }
    form = catalogue_forms.CourseForm(
        request.POST or None,
        series=catalogue_selectors.series_list(),
        mentors=catalogue_selectors.mentor_choices(actor=actor, keep=course.mentor_id),
        initial=initial,
    )
    return _edit_page(
        request,
        form=form,
        save=lambda data: catalogue_services.course_save(actor=actor, course=course, **data),
        template="culture/catalogue/course_form.html",
        context={"course": course},
        back="console:culture_courses",
    )


# --- mentors ------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def mentor_list(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    return _list_page(
        request,
        form=_new_form(request, catalogue_forms.MentorForm),
        save=lambda data: catalogue_services.mentor_save(actor=actor, **data),
        rows=catalogue_selectors.mentor_list(actor=actor),
        template="culture/catalogue/mentors.html",
        created=_("已加入导师团。"),
        back="console:culture_mentors",
        export=("导师团", MENTOR_COLUMNS),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def mentor_edit(request: HttpRequest, mentor_id: int) -> HttpResponse:
    actor: Any = request.user
    mentor = catalogue_selectors.mentor_get(actor=actor, id=mentor_id)
    initial = {f: getattr(mentor, f) for f in ("name", "speciality", "title", "bio", "is_active")}
    return _edit_page(
        request,
        form=catalogue_forms.MentorForm(request.POST or None, initial=initial),
        save=lambda data: catalogue_services.mentor_save(actor=actor, mentor=mentor, **data),
        template="culture/catalogue/mentor_form.html",
        context={"mentor": mentor},
        back="console:culture_mentors",
    )


# --- venues -------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def venue_list(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    return _list_page(
        request,
        form=_new_form(request, catalogue_forms.VenueForm),
        save=lambda data: catalogue_services.venue_save(actor=actor, **data),
        rows=catalogue_selectors.venue_list(actor=actor),
        template="culture/catalogue/venues.html",
        created=_("已登记场地。"),
        back="console:culture_venues",
        export=("场馆与培训基地", VENUE_COLUMNS),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def venue_edit(request: HttpRequest, venue_id: int) -> HttpResponse:
    actor: Any = request.user
    venue = catalogue_selectors.venue_get(actor=actor, id=venue_id)
    initial = {f: getattr(venue, f) for f in ("name", "kind", "partner", "address", "capacity")}
    return _edit_page(
        request,
        form=catalogue_forms.VenueForm(request.POST or None, initial=initial),
        save=lambda data: catalogue_services.venue_save(actor=actor, venue=venue, **data),
        template="culture/catalogue/venue_form.html",
        context={"venue": venue},
        back="console:culture_venues",
    )


# --- shows, contests, training days -------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def event_list(request: HttpRequest) -> HttpResponseBase:
    """The calendar's register: ``?kind=`` one kind (anything else: all kinds); upcoming
    events only unless ``?when=all``."""
    actor: Any = request.user
    form = _new_form(
        request,
        catalogue_forms.EventForm,
        series=catalogue_selectors.series_list(),
        venues=catalogue_selectors.venue_list(actor=actor).filter(is_active=True),
    )
    kind = request.GET.get("kind", "")
    if kind not in EventKind.values:
        kind = ""
    upcoming = request.GET.get("when", "upcoming") != "all"
    events = catalogue_selectors.event_list(actor=actor)
    if kind:
        events = events.filter(kind=kind)
    if upcoming:
        events = events.filter(ends_at__gt=timezone.now())
    return _list_page(
        request,
        form=form,
        save=lambda data: catalogue_services.event_save(actor=actor, **data),
        rows=events,
        template="culture/catalogue/events.html",
        created=_("已加入活动日历。"),
        back="console:culture_events",
        export=("汇演赛事培训", EVENT_COLUMNS),
        extra={"kind": kind, "kinds": EventKind.choices, "tones": KIND_TONES, "upcoming": upcoming},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    actor: Any = request.user
    event = catalogue_selectors.event_get(actor=actor, id=event_id)
    initial = {
        f: getattr(event, f)
        for f in ("kind", "title", "place", "starts_at", "ends_at", "description")
    }
    initial["series"] = event.series_id
    form = catalogue_forms.EventForm(
        request.POST or None,
        series=catalogue_selectors.series_list(),
        venues=catalogue_selectors.venue_list(actor=actor).filter(is_active=True),
        initial=initial,
    )
    return _edit_page(
        request,
        form=form,
        save=lambda data: catalogue_services.event_save(actor=actor, event=event, **data),
        template="culture/catalogue/event_form.html",
        context={"event": event},
        back="console:culture_events",
    )


# --- the booking rule ---------------------------------------------------------------------------


def _may_edit_rules(actor: Any) -> bool:
    """Whether to offer the form: the city's administrators. Only a hint for the page;
    ``rules_services.rules_update`` decides (and refuses everyone else with a reason)."""
    return has_perm(actor, Perm.MANAGE_ORGS) and actor.organization.parent_id is None


@staff_required
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest) -> HttpResponse:
    """The published booking rule: every staff member reads it (and explains it to workers);
    the city federation's administrators change it."""
    actor: Any = request.user
    current = BookingRules.current()
    form = catalogue_forms.RulesForm(
        request.POST or None,
        initial={name: getattr(current, name) for name in catalogue_forms.RULE_FIELDS},
    )
    return _form_page(
        request,
        form=form,
        save=lambda data: rules_services.rules_update(actor=actor, **data),
        done=_("已发布新的预约规则，即时生效。"),
        back="console:culture_rules",
        template="culture/catalogue/rules.html",
        context=lambda: {"rules": current, "may_edit": _may_edit_rules(actor)},
    )
