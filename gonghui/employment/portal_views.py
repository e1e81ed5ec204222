"""The worker's training pages: the courses open to them for enrolment, enrolling, and their
own enrolments with attendance and outcome."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core.scoping import NotFound
from gonghui.core.web import error_text, worker_required
from gonghui.employment import selectors, services


@worker_required
@require_GET
def training_home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(
        request,
        "employment/portal/training.html",
        {
            "courses": selectors.courses_open(actor=user),
            "enrolments": selectors.my_enrolments(actor=user)[:50],
        },
    )


@worker_required
def training_enrol(request: HttpRequest, training_id: int) -> HttpResponse:
    """A course open to the worker: its details and the enrol button. A course not open to
    them (another branch's members only, cancelled) is "not found"."""
    user: Any = request.user
    course = next((c for c in selectors.courses_open(actor=user) if c.pk == training_id), None)
    if course is None:
        raise NotFound
    if request.method == "POST":
        try:
            services.enrolment_create(actor=user, course=course, person=user.person)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("报名成功：%(t)s。") % {"t": course.title})
            return redirect("portal:training_home")
    return render(request, "employment/portal/enrol.html", {"course": course})


@worker_required
@require_POST
def training_withdraw(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    user: Any = request.user
    enrolment = selectors.my_enrolment_get(actor=user, id=enrolment_id)
    try:
        services.enrolment_withdraw(actor=user, enrolment=enrolment)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已退出培训。"))
    return redirect("portal:training_home")


def home_card(user: Any) -> dict[str, Any] | None:
    """The portal home's card (``module.portal_cards``): the courses this worker may enrol in
    now, the first three; None when there are none."""
    if getattr(user, "person_id", None) is None:
        return None
    courses = selectors.courses_open(actor=user)
    if not courses:
        return None
    return {"courses": courses[:3], "more": len(courses) > 3}
