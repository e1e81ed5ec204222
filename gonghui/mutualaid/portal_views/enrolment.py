"""The worker's enrolment page: their status in each period, and enrolling alone in the one
open for enrolment (added to their union's bill; the union collects the fee)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gonghui.core.web import error_text, worker_required
from gonghui.members.models import Membership, MembershipStatus
from gonghui.mutualaid.selectors import enrolment as selectors
from gonghui.mutualaid.services import enrolment as services


@worker_required
@require_http_methods(["GET", "POST"])
def my_enrolment(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    membership = (
        Membership.objects.visible_to(user)
        .filter(status=MembershipStatus.ACTIVE)
        .select_related("union")
        .first()
    )
    enrolments = list(selectors.my_enrolments(person_id=user.person_id))
    enrolled = {e.period_id for e in enrolments if e.status != "refunded"}
    today = timezone.localdate()
    open_periods = []
    if membership is not None:
        open_periods = [
            p
            for p in selectors.periods_for_union_path(membership.union.path)
            if p.pk not in enrolled and services.enrol_problem(p, today) is None
        ]
    if request.method == "POST":
        period = next((p for p in open_periods if str(p.pk) == request.POST.get("period")), None)
        if period is None:
            messages.error(request, _("该期现在不能参保。"))
        else:
            try:
                services.enrolment_self(actor=user, period=period)
            except ValidationError as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(
                    request,
                    _("已登记参保%(p)s，由%(u)s统一缴费，缴费到账后生效。")
                    % {"p": period.name, "u": membership.union.name},  # type: ignore[union-attr]
                )
        return redirect("portal:mutualaid_enrolment")
    return render(
        request,
        "mutualaid/enrolment/portal.html",
        {"membership": membership, "enrolments": enrolments, "open_periods": open_periods},
    )
