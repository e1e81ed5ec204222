"""The worker's own hardship file (困难职工档案), where its notifications lead: its state, the
union that keeps it, its level and causes, and the dates of its reviews."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gonghui.core.web import worker_required
from gonghui.hardship.models import Household


@worker_required
@require_GET
def my_file(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    households = (
        Household.unscoped.filter(person_id=user.person_id)
        .select_related("union", "level")
        .prefetch_related("causes")
        .order_by("-pk")
    )
    return render(request, "hardship/portal/mine.html", {"households": list(households)})
