"""The worker's pages: the rounds they may apply for (and why not for the others), applying
with documents, each application's state and payment, and the public page of a round."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.assistance import rules, selectors, services
from gonghui.assistance.forms import ApplicationForm
from gonghui.assistance.models import ApplicationStatus
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, error_text, worker_required


@worker_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    applications = list(selectors.worker_applications(user=user)[:50])
    payments = selectors.payments_of(a.pk for a in applications)
    return render(
        request,
        "assistance/portal/home.html",
        {
            "rounds": selectors.rounds_for_worker(user=user),
            "applications": [(a, payments.get(a.pk)) for a in applications],
        },
    )


@worker_required
def apply(request: HttpRequest, round_id: int) -> HttpResponse:
    user = request.user
    shown = {r.round.pk: r for r in selectors.rounds_for_worker(user=user)}
    open_round = shown.get(round_id)
    if open_round is None:
        raise NotFound  # not open, or not in the worker's union's line
    round = open_round.round
    person: Any = getattr(user, "person", None)
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        round=round,
        initial={"account_holder": person.name},
    )
    if not form.about_child:
        form.initial["beneficiary_name"] = person.name
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                actor=user,
                round=round,
                person=person,
                declared=form.declared(),
                account_holder=form.cleaned_data["account_holder"],
                bank_name=form.cleaned_data["bank_name"],
                bank_card=form.cleaned_data["bank_card"],
                documents=form.cleaned_data["documents"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("申请已提交，审核进展会通知您。"))
            return redirect("portal:assistance_application", application.pk)
    return render(
        request,
        "assistance/portal/apply.html",
        {
            "form": form,
            "round": round,
            "open_round": open_round,
            "rule_lines": rules.describe(round.rules),
            "amount_lines": rules.describe_table(round.amounts),
        },
    )


@worker_required
@require_GET
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = selectors.worker_application_get(user=request.user, id=application_id)
    from gonghui.core import decisions

    return render(
        request,
        "assistance/portal/application.html",
        {
            "application": application,
            "steps": decisions.steps_of(application),
            "payment": selectors.payments_of([application.pk]).get(application.pk),
            "documents": selectors.documents_of(application),
            "can_withdraw": application.status == ApplicationStatus.PENDING,
        },
    )


@worker_required
@require_POST
def withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    application = selectors.worker_application_get(user=request.user, id=application_id)
    try:
        services.application_withdraw(actor=request.user, application=application)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已撤回申请。"))
    return redirect("portal:assistance_application", application.pk)


@require_GET
def transparency(request: HttpRequest, round_id: int) -> HttpResponse:
    """Public, no sign-in and no personal data: what the round approved and paid per
    district, and what its funds raised."""
    return render(
        request,
        "assistance/portal/transparency.html",
        {"data": selectors.round_transparency(round_id=round_id)},
    )


def home_card(user: Any) -> dict[str, Any] | None:
    """The portal home's card (``module.portal_cards``): the rounds open now that this worker
    may apply for; None when there are none."""
    rounds = [r for r in selectors.rounds_for_worker(user=user) if r.may_apply][:3]
    return {"rounds": rounds} if rounds else None
