"""Console pages for claims: the queues (unrouted, sampled, above the threshold, flagged,
auto-approved, approved, refused) with the adjudication run, a claim's page with the
reviewer's actions, the diagnosis and documents (logged), a claim entered for a worker
(union or counter), a sample draw with its re-run, and the figures page with its export."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gonghui.core.exports import Column, export_list, wants_export, xlsx_response
from gonghui.core.pagination import seek_page
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, client_ip, error_text, staff_required
from gonghui.mutualaid.forms_claims import (
    AdjustForm,
    ApproveForm,
    ClerkClaimForm,
    DocumentsForm,
    PersonLookupForm,
    RefuseForm,
    RevealForm,
)
from gonghui.mutualaid.models import ClaimStatus
from gonghui.mutualaid.selectors import claims as selectors
from gonghui.mutualaid.services import claims as services
from gonghui.organizations import selectors as org_selectors

QUEUE_ORDER = ("-created_at", "-pk")
QUEUE_LABELS = {
    "unrouted": gettext_lazy("待分配"),
    "sampled": gettext_lazy("抽检复核"),
    "above": gettext_lazy("超限额"),
    "flagged": gettext_lazy("异常"),
    "auto": gettext_lazy("自动审核通过"),
    "approved": gettext_lazy("已核准"),
    "refused": gettext_lazy("不予赔付"),
    "all": gettext_lazy("全部"),
}
CLAIM_COLUMNS = [
    Column("互助期", lambda c: c.period.name, 12),
    Column("申请人", lambda c: c.person.name, 12),
    Column("所在工会", lambda c: c.union.name, 30),
    Column("保障类别", lambda c: c.category, 14),
    Column("就诊医院", lambda c: c.hospital, 24),
    Column("入院日期", lambda c: c.admitted_on, 12),
    Column("出院日期", lambda c: c.discharged_on, 12),
    Column("政策内自付", lambda c: c.eligible, 12),
    Column("赔付金额", lambda c: c.benefit, 12),
    Column("审核方式", lambda c: c.get_route_display(), 14),
    Column("申请方式", lambda c: c.get_channel_display(), 12),
    Column("状态", lambda c: c.get_status_display(), 10),
    Column("申请时间", lambda c: c.created_at, 18),
]
FIGURE_COLUMNS = [
    Column("互助期", lambda r: r[0], 14),
    Column("项目", lambda r: r[1], 30),
    Column("数值", lambda r: r[2], 16),
    Column("单位", lambda r: r[3], 8),
]


def _period(request: HttpRequest, actor: Any) -> Any:
    raw = request.GET.get("period", "") or request.POST.get("period", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
        raise NotFound
    return selectors.period_get(actor=actor, id=int(raw))


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponseBase:
    actor = request.user
    period = _period(request, actor)
    name = request.GET.get("queue", "review")
    counts = selectors.queue_counts(actor=actor, period=period)
    if name == "review":
        qs = selectors.claim_list(actor=actor, period=period).filter(
            status=ClaimStatus.PENDING, route__in=selectors.REVIEW_QUEUES
        )
    else:
        if name not in selectors.QUEUES:
            name = "all"
        qs = selectors.claim_list(actor=actor, period=period, queue=name)
    if wants_export(request):
        return export_list(request, "互助理赔", CLAIM_COLUMNS, qs.order_by(*QUEUE_ORDER))
    return render(
        request,
        "mutualaid/claims/queue.html",
        {
            "page_obj": seek_page(request, qs, order=QUEUE_ORDER),
            "period": period,
            "periods": selectors.period_list(actor=actor),
            "queue": name,
            "queues": [(key, label, counts[key]) for key, label in QUEUE_LABELS.items()],
            "review_count": sum(counts[k] for k in selectors.REVIEW_QUEUES),
            "can_run": has_perm(actor, Perm.APPROVE),
            "can_enter": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


@staff_required
@require_POST
def adjudicate(request: HttpRequest) -> HttpResponse:
    actor = request.user
    period = _period(request, actor)
    if period is None:
        messages.error(request, _("请先选择互助期。"))
        return redirect("console:mutualaid_claims")
    result = services.claims_adjudicate(actor=actor, period=period)
    messages.success(
        request,
        _(
            "已分配 %(n)s 笔：自动通过 %(auto)s，抽检 %(sampled)s，"
            "超限额 %(above)s，异常 %(flagged)s。"
        )
        % {"n": result.total, **result.routed},
    )
    return redirect(f"{_url('console:mutualaid_claims')}?period={period.pk}&queue=review")


def _url(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(name, args=args)


@staff_required
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    actor = request.user
    claim = selectors.claim_get(actor=actor, id=claim_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    approve_form = ApproveForm(request.POST if action == "approve" else None)
    refuse_form = RefuseForm(request.POST if action == "refuse" else None)
    adjust_form = AdjustForm(
        request.POST if action == "adjust" else None, initial={"eligible": claim.eligible}
    )
    forms = {"approve": approve_form, "refuse": refuse_form, "adjust": adjust_form}
    documents_form = DocumentsForm(
        request.POST if action == "documents" else None,
        request.FILES if action == "documents" else None,
    )
    if action == "documents" and documents_form.is_valid():
        documents = documents_form.documents()
        try:
            services.claim_documents_add(actor=actor, claim=claim, documents=documents)
        except ValidationError as exc:
            documents_form.apply_service_errors(exc)
        else:
            messages.success(request, _("已补充 %(n)s 个文件。") % {"n": len(documents)})
            return redirect("console:mutualaid_claim", claim.pk)
    if action in forms:
        require(actor, Perm.APPROVE)
        form = forms[action]
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "approve":
                    services.claim_approve(actor=actor, claim=claim, note=data["note"])
                    done = _("已核准，赔付款已提交发放。")
                elif action == "refuse":
                    services.claim_refuse(actor=actor, claim=claim, reason=data["reason"])
                    done = _("已记录不予赔付。")
                else:
                    services.claim_adjust(
                        actor=actor, claim=claim, eligible=data["eligible"], reason=data["reason"]
                    )
                    done = _("已调整核定金额并重新计算赔付。")
            except ValidationError as exc:
                apply_errors(form, exc)
                messages.error(request, error_text(exc))
            else:
                messages.success(request, done)
                return redirect("console:mutualaid_claim", claim.pk)
    payment = selectors.payments_of([claim.pk]).get(claim.pk)
    return render(
        request,
        "mutualaid/claims/detail.html",
        {
            "claim": claim,
            "invoices": selectors.invoices_of(claim),
            "documents": selectors.documents_of(claim),
            "payment": payment,
            "approve_form": approve_form,
            "refuse_form": refuse_form,
            "adjust_form": adjust_form,
            "reveal_form": RevealForm(),
            "documents_form": documents_form,
            "can_add_documents": has_perm(actor, Perm.EDIT_RECORDS)
            and claim.status == ClaimStatus.PENDING,
            "can_review": has_perm(actor, Perm.APPROVE)
            and claim.status == ClaimStatus.PENDING
            and bool(claim.route),
            "can_reveal": has_perm(actor, Perm.REVEAL_PERSONAL),
        },
    )


@staff_required
@require_POST
def diagnosis_reveal(request: HttpRequest, claim_id: int) -> HttpResponse:
    actor = request.user
    claim = selectors.claim_get(actor=actor, id=claim_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponse(error_text(ValidationError(form.errors)), status=400)
    try:
        text = services.diagnosis_reveal(
            actor=actor,
            claim=claim,
            reason=form.cleaned_data["reason"],
            ip_address=client_ip(request),
        )
    except ValidationError as exc:
        return HttpResponse(error_text(exc), status=400)
    return render(request, "mutualaid/claims/_revealed.html", {"text": text})


@staff_required
@require_GET
def document_download(request: HttpRequest, claim_id: int, claim_document_id: int) -> HttpResponse:
    """A document in full (health data): a role that may see personal data, logged."""
    from gonghui.core.models import AccessReason

    actor = request.user
    claim = selectors.claim_get(actor=actor, id=claim_id)
    document = selectors.document_get(claim=claim, id=claim_document_id)
    data = services.document_read(
        actor=actor, claim=claim, document=document, reason=AccessReason.HANDLE_CASE
    )
    response = HttpResponse(data, content_type=document.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(document.name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def claim_create(request: HttpRequest) -> HttpResponse:
    """A union clerk (or the counter) claims for a worker: find the worker by ID number
    among the people enrolled through the clerk's subtree, then fill in the claim."""
    actor = request.user
    require(actor, Perm.EDIT_RECORDS)
    lookup = PersonLookupForm(request.GET or None)
    person = None
    if lookup.is_bound and lookup.is_valid():
        try:
            person = selectors.person_lookup(
                actor=actor, id_number=lookup.cleaned_data["id_number"]
            )
        except ValidationError as exc:
            apply_errors(lookup, exc)
        else:
            if person is None:
                lookup.add_error(
                    "id_number", _("本单位及下级没有该职工的参保登记，请核对身份证号。")
                )
    form = None
    if person is not None:
        categories = _categories_for(person)
        form = ClerkClaimForm(
            request.POST or None,
            request.FILES or None,
            categories=categories,
            initial={"account_holder": person.name, "channel": "union"},
        )
        if request.method == "POST" and form.is_valid():
            try:
                claim = services.claim_submit(
                    actor=actor,
                    person=person,
                    data=form.data_for_service(),
                    documents=form.documents(),
                    channel=form.cleaned_data["channel"],
                    counter_visit=form.cleaned_data["counter_visit"],
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, _("已提交理赔申请。"))
                return redirect("console:mutualaid_claim", claim.pk)
    return render(
        request,
        "mutualaid/claims/create.html",
        {"lookup": lookup, "person": person, "form": form},
    )


def _categories_for(person: Any) -> list[tuple[str, str]]:
    from gonghui.mutualaid import rules
    from gonghui.mutualaid.models import Enrolment, EnrolmentStatus

    seen: dict[str, str] = {}
    for enrolment in Enrolment.unscoped.filter(
        person=person, status=EnrolmentStatus.ACTIVE
    ).select_related("period"):
        try:
            parsed = rules.parse(enrolment.period.rules)
        except ValidationError:
            continue
        for category in parsed.categories:
            seen.setdefault(category.code, category.name)
    return list(seen.items())


@staff_required
@require_GET
def draw_detail(request: HttpRequest, draw_id: int) -> HttpResponse:
    draw = selectors.draw_get(actor=request.user, id=draw_id)
    return render(
        request,
        "mutualaid/claims/draw.html",
        {"draw": draw, "verified": services.draw_verify(draw)},
    )


# --- figures --------------------------------------------------------------------------------


def _figure_rows(series: list[selectors.ClaimFigures]) -> list[tuple[str, str, Any, str]]:
    rows: list[tuple[str, str, Any, str]] = []
    for f in series:
        name = f.period.name
        rows += [
            (name, "参保人数", f.insured, "人"),
            (name, "理赔申请", f.claims, "笔"),
            (name, "核准理赔", f.approved, "笔"),
            (name, "不予赔付", f.refused, "笔"),
            (name, "赔付金额", f.benefit, "元"),
            (name, "已到账理赔", f.paid, "笔"),
            (name, "申请至到账平均天数", f.avg_days_to_payment, "天"),
            (name, "零跑腿理赔", f.zero_trip, "笔"),
            (name, "零跑腿占比", f.zero_trip_share, "%"),
        ]
        for line in f.by_category:
            rows.append((name, f"{line.name}：理赔申请", line.claims, "笔"))
            rows.append((name, f"{line.name}：赔付金额", line.benefit, "元"))
    return rows


@staff_required
@require_GET
def figures(request: HttpRequest) -> HttpResponseBase:
    """Per period, for a subtree: insured, claims and benefit by category, the average days
    from submission to payment, the zero-trip share; charts and an xlsx export (the figures
    API reads the same selector)."""
    actor: Any = request.user
    organization = actor.organization
    raw = request.GET.get("org", "")
    if raw:
        if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
            raise NotFound
        organization = org_selectors.organization_get(actor=actor, id=int(raw))
    series = selectors.figures_series(actor=actor, organization=organization)
    period = _period(request, actor)
    chosen = next((f for f in series if period is not None and f.period.pk == period.pk), None)
    if chosen is None and series:
        chosen = series[-1]
    if wants_export(request):
        require(actor, Perm.EXPORT)
        return xlsx_response(
            f"互助保障统计-{organization.name}", FIGURE_COLUMNS, _figure_rows(series)
        )
    return render(
        request,
        "mutualaid/claims/figures.html",
        {
            "organization": organization,
            "series": series,
            "chosen": chosen,
            "ancestors": org_selectors.organization_ancestors(actor=actor, org=organization),
            "chart": {
                "periods": [f.period.name for f in series],
                "insured": [f.insured for f in series],
                "claims": [f.claims for f in series],
                "zero_trip": [str(f.zero_trip_share or 0) for f in series],
                "categories": [c.name for c in chosen.by_category] if chosen else [],
                "benefit": [str(c.benefit) for c in chosen.by_category] if chosen else [],
                "names": [
                    str(_("参保人数")),
                    str(_("理赔申请（笔）")),
                    str(_("零跑腿占比（%）")),
                    str(_("赔付金额（元）")),
                ],
            },
        },
    )


URLS = [
    path("mutualaid/claims/", queue, name="mutualaid_claims"),
    path("mutualaid/claims/new/", claim_create, name="mutualaid_claim_create"),
    path("mutualaid/claims/adjudicate/", adjudicate, name="mutualaid_adjudicate"),
    path("mutualaid/claims/<int:claim_id>/", claim_detail, name="mutualaid_claim"),
    path(
        "mutualaid/claims/<int:claim_id>/diagnosis/",
        diagnosis_reveal,
        name="mutualaid_claim_diagnosis",
    ),
    path(
        "mutualaid/claims/<int:claim_id>/documents/<int:claim_document_id>/",
        document_download,
        name="mutualaid_claim_document",
    ),
    path("mutualaid/draws/<int:draw_id>/", draw_detail, name="mutualaid_draw"),
    path("mutualaid/figures/", figures, name="mutualaid_figures"),
]
