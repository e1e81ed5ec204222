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
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gonghui.core.permissions import Perm, has_perm
from gonghui.core.validators import digits
from gonghui.core.web import apply_errors, paginate, staff_required
from gonghui.culture import forms_catalogue as catalogue_forms
from gonghui.culture import selectors, services
from gonghui.culture.models import BookingRules, EventKind
from gonghui.organizations import selectors as org_selectors

# The calendar's colours: a show, a contest and training never look alike.
KIND_TONES: dict[str, str] = {
    EventKind.SHOW.value: "danger",
    EventKind.CONTEST.value: "warning",
    EventKind.TRAINING.value: "success",
    EventKind.OTHER.value: "secondary",
}


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


def _saved(form: forms.Form, save: Callable[[dict[str, Any]], object]) -> int:
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


# --- courses ------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def course_list(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    series = selectors.series_list()
    series_id = int_param(request.GET.get("series"))
    form = catalogue_forms.CourseForm(
        request.POST or None,
        organizations=_owners(actor),
        series=series,
        mentors=selectors.mentor_choices(actor=actor),
        initial={"organization": actor.organization_id, "series": series_id},
    )
    status = 200
    if request.method == "POST":
        status = _saved(form, lambda data: services.course_save(actor=actor, **data))
        if not status:
            messages.success(request, _("已加入课程目录。"))
            return redirect("console:culture_courses")
    courses = selectors.course_list(actor=actor, series=series_id)
    return render(
        request,
        "culture/catalogue/courses.html",
        {
            "page_obj": paginate(request, courses),
            "form": form,
            "series": series,
            "series_id": series_id,
            "may_edit": _may_edit(actor),
        },
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    actor: Any = request.user
    course = selectors.course_get(actor=actor, id=course_id)
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
        series=selectors.series_list(),
        mentors=selectors.mentor_choices(actor=actor, keep=course.mentor_id),
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        status = _saved(form, lambda data: services.course_save(actor=actor, course=course, **data))
        if not status:
            messages.success(request, _("已保存。"))
            return redirect("console:culture_courses")
    return render(
        request,
        "culture/catalogue/course_form.html",
        {"form": form, "course": course, "may_edit": _may_edit(actor)},
        status=status,
    )


# --- mentors ------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def mentor_list(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    form = catalogue_forms.MentorForm(
        request.POST or None,
        organizations=_owners(actor),
        initial={"organization": actor.organization_id},
    )
    status = 200
    if request.method == "POST":
        status = _saved(form, lambda data: services.mentor_save(actor=actor, **data))
        if not status:
            messages.success(request, _("已加入导师团。"))
            return redirect("console:culture_mentors")
    return render(
        request,
        "culture/catalogue/mentors.html",
        {
            "page_obj": paginate(request, selectors.mentor_list(actor=actor)),
            "form": form,
            "may_edit": _may_edit(actor),
        },
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def mentor_edit(request: HttpRequest, mentor_id: int) -> HttpResponse:
    actor: Any = request.user
    mentor = selectors.mentor_get(actor=actor, id=mentor_id)
    initial = {f: getattr(mentor, f) for f in ("name", "speciality", "title", "bio", "is_active")}
    form = catalogue_forms.MentorForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = _saved(form, lambda data: services.mentor_save(actor=actor, mentor=mentor, **data))
        if not status:
            messages.success(request, _("已保存。"))
            return redirect("console:culture_mentors")
    return render(
        request,
        "culture/catalogue/mentor_form.html",
        {"form": form, "mentor": mentor, "may_edit": _may_edit(actor)},
        status=status,
    )


# --- venues -------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def venue_list(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    form = catalogue_forms.VenueForm(
        request.POST or None,
        organizations=_owners(actor),
        initial={"organization": actor.organization_id},
    )
    status = 200
    if request.method == "POST":
        status = _saved(form, lambda data: services.venue_save(actor=actor, **data))
        if not status:
            messages.success(request, _("已登记场地。"))
            return redirect("console:culture_venues")
    return render(
        request,
        "culture/catalogue/venues.html",
        {
            "page_obj": paginate(request, selectors.venue_list(actor=actor)),
            "form": form,
            "may_edit": _may_edit(actor),
        },
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def venue_edit(request: HttpRequest, venue_id: int) -> HttpResponse:
    actor: Any = request.user
    venue = selectors.venue_get(actor=actor, id=venue_id)
    initial = {f: getattr(venue, f) for f in ("name", "kind", "partner", "address", "capacity")}
    form = catalogue_forms.VenueForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = _saved(form, lambda data: services.venue_save(actor=actor, venue=venue, **data))
        if not status:
            messages.success(request, _("已保存。"))
            return redirect("console:culture_venues")
    return render(
        request,
        "culture/catalogue/venue_form.html",
        {"form": form, "venue": venue, "may_edit": _may_edit(actor)},
        status=status,
    )


# --- shows, contests, training days -------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def event_list(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    form = catalogue_forms.EventForm(
        request.POST or None,
        organizations=_owners(actor),
        series=selectors.series_list(),
        venues=selectors.venue_list(actor=actor).filter(is_active=True),
        initial={"organization": actor.organization_id},
    )
    status = 200
    if request.method == "POST":
        status = _saved(form, lambda data: services.event_save(actor=actor, **data))
        if not status:
            messages.success(request, _("已加入活动日历。"))
            return redirect("console:culture_events")
    kind = request.GET.get("kind", "")
    if kind not in EventKind.values:
        kind = ""
    upcoming = request.GET.get("when", "upcoming") != "all"
    events = selectors.event_list(actor=actor)
    if kind:
        events = events.filter(kind=kind)
    if upcoming:
        events = events.filter(ends_at__gt=timezone.now())
    return render(
        request,
        "culture/catalogue/events.html",
        {
            "page_obj": paginate(request, events),
            "form": form,
            "kind": kind,
            "kinds": EventKind.choices,
            "tones": KIND_TONES,
            "upcoming": upcoming,
            "may_edit": _may_edit(actor),
        },
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    actor: Any = request.user
    event = selectors.event_get(actor=actor, id=event_id)
    initial = {
        f: getattr(event, f)
        for f in ("kind", "title", "place", "starts_at", "ends_at", "description")
    }
    initial["series"] = event.series_id
    form = catalogue_forms.EventForm(
        request.POST or None,
        series=selectors.series_list(),
        venues=selectors.venue_list(actor=actor).filter(is_active=True),
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        status = _saved(form, lambda data: services.event_save(actor=actor, event=event, **data))
        if not status:
            messages.success(request, _("已保存。"))
            return redirect("console:culture_events")
    return render(
        request,
        "culture/catalogue/event_form.html",
        {"form": form, "event": event, "may_edit": _may_edit(actor)},
        status=status,
    )


# --- the booking rule ---------------------------------------------------------------------------


def _may_edit_rules(actor: Any) -> bool:
    """Whether to offer the form: the city's administrators. Only a hint for the page;
    ``services.rules_update`` decides (and refuses everyone else with a reason)."""
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
    status = 200
    if request.method == "POST":
        status = _saved(form, lambda data: services.rules_update(actor=actor, **data))
        if not status:
            messages.success(request, _("已发布新的预约规则，即时生效。"))
            return redirect("console:culture_rules")
    return render(
        request,
        "culture/catalogue/rules.html",
        {"rules": current, "form": form, "may_edit": _may_edit_rules(actor)},
        status=status,
    )
