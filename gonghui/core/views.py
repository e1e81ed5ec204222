"""Platform pages: the front door, the console home, the worker's inbox, the access log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from gonghui.core import inbox
from gonghui.core.models import PersonalDataAccess
from gonghui.core.permissions import Perm, require
from gonghui.core.web import paginate, staff_required, worker_required


@require_GET
def front_door(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_authenticated and getattr(user, "is_staff_account", False):
        return redirect("console:home")
    return redirect("portal:home")


@staff_required
@require_GET
def console_home(request: HttpRequest) -> HttpResponse:
    return render(request, "console/home.html", {"org": request.user.organization})  # type: ignore[union-attr]


@staff_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    require(actor, Perm.AUDIT)
    qs = (
        PersonalDataAccess.objects.visible_to(actor)
        .select_related("actor", "actor_organization")
        .order_by("-at", "-id")
    )
    subject = request.GET.get("subject", "").strip()
    if subject:
        qs = qs.filter(subject_label=subject)
    return render(
        request, "console/access_log.html", {"page_obj": paginate(request, qs), "subject": subject}
    )


@worker_required
@require_GET
def portal_inbox(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    kind = request.GET.get("kind") or None
    return render(
        request,
        "portal/inbox.html",
        {"items": inbox.inbox_for(user.person_id, kind=kind), "kinds": inbox.kinds(), "kind": kind},
    )
