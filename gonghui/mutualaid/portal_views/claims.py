"""The worker's claim pages (phone-sized): my claims with their state, benefit, explanation
and payment, the claim form with the live benefit preview (HTMX), and one claim."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core.web import worker_required
from gonghui.mutualaid.forms_claims import ClaimForm, DocumentsForm
from gonghui.mutualaid.selectors import claims as selectors
from gonghui.mutualaid.services import claims as services


@worker_required
@require_GET
def claims(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = list(selectors.worker_claims(user=user)[:50])
    payments = selectors.payments_of(c.pk for c in mine)
    return render(
        request,
        "mutualaid/claims/portal/list.html",
        {
            "claims": [(c, payments.get(c.pk)) for c in mine],
            "enrolments": selectors.worker_enrolments(user=user),
            "may_claim": bool(selectors.worker_categories(user=user)),
        },
    )


def _form(request: HttpRequest, user: Any) -> ClaimForm:
    person: Any = user.person
    return ClaimForm(
        request.POST or None,
        request.FILES or None,
        categories=selectors.worker_categories(user=user),
        initial={"account_holder": person.name},
    )


@worker_required
def claim_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = _form(request, user)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_submit(
                actor=user,
                person=user.person,
                data=form.data_for_service(),
                documents=form.documents(),
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("理赔申请已提交，审核进展会通知您。"))
            return redirect("portal:mutualaid_claim", claim.pk)
    return render(request, "mutualaid/claims/portal/new.html", {"form": form})


@worker_required
@require_POST
def claim_preview(request: HttpRequest) -> HttpResponse:
    """The benefit the rules would pay for what is typed so far (the form's HTMX target);
    nothing is written. Incomplete input shows what is still missing."""
    user: Any = request.user
    form = _form(request, user)
    form.is_valid()  # the service reports every problem; the form only parses
    prepared = None
    problems: list[str] = []
    try:
        prepared = services.claim_preview(
            actor=user, person=user.person, data=form.data_for_service()
        )
    except ValidationError as exc:
        problems = [m for msgs in exc.message_dict.values() for m in msgs][:6]
    return render(
        request,
        "mutualaid/claims/portal/_preview.html",
        {"prepared": prepared, "problems": problems},
    )


def _detail(request: HttpRequest, claim: Any, form: DocumentsForm | None = None) -> HttpResponse:
    return render(
        request,
        "mutualaid/claims/portal/detail.html",
        {
            "claim": claim,
            "invoices": selectors.invoices_of(claim),
            "documents": selectors.documents_of(claim),
            "payment": selectors.payments_of([claim.pk]).get(claim.pk),
            "documents_form": form or DocumentsForm(),
        },
    )


@worker_required
@require_GET
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    return _detail(request, selectors.worker_claim_get(user=request.user, id=claim_id))


@worker_required
@require_POST
def claim_documents(request: HttpRequest, claim_id: int) -> HttpResponse:
    """补充材料: the worker sends a missing paper while their claim waits for its review."""
    user: Any = request.user
    claim = selectors.worker_claim_get(user=user, id=claim_id)
    form = DocumentsForm(request.POST, request.FILES)
    if form.is_valid():
        documents = form.documents()
        try:
            services.claim_documents_add(actor=user, claim=claim, documents=documents)
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, _("已补充 %(n)s 个文件。") % {"n": len(documents)})
            return redirect("portal:mutualaid_claim", claim.pk)
    return _detail(request, claim, form)


URLS = [
    path("mutualaid/claims/", claims, name="mutualaid_claims"),
    path("mutualaid/claims/new/", claim_new, name="mutualaid_claim_new"),
    path("mutualaid/claims/preview/", claim_preview, name="mutualaid_claim_preview"),
    path("mutualaid/claims/<int:claim_id>/", claim_detail, name="mutualaid_claim"),
    path(
        "mutualaid/claims/<int:claim_id>/documents/",
        claim_documents,
        name="mutualaid_claim_documents",
    ),
]
