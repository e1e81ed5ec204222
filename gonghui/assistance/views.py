"""Console pages: programmes and rounds, the review queue per tier with bulk approval, an
application's page with its decision steps, the proposals from the hardship files, and an
application entered by a clerk."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.assistance import rules, selectors, services
from gonghui.assistance.forms import (
    BankForm,
    ClerkApplicationForm,
    FiguresFilterForm,
    ProgrammeForm,
    ProposalFilterForm,
    RoundForm,
)
from gonghui.assistance.models import TIER_LABELS, ApplicationStatus
from gonghui.core import decisions
from gonghui.core.crypto import unseal_bytes
from gonghui.core.exports import Column, export_list, wants_export, xlsx_response
from gonghui.core.forms import DecisionForm
from gonghui.core.models import AccessReason
from gonghui.core.pagination import seek_page
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.services import Subject, personal_data_log
from gonghui.core.web import (
    apply_errors,
    client_ip,
    decided,
    error_text,
    paginate,
    staff_required,
)
from gonghui.funds import selectors as funds_selectors
from gonghui.organizations import selectors as org_selectors

PROGRAMME_COLUMNS = [
    Column("项目名称", lambda p: p.name, 30),
    Column("帮扶类别", lambda p: p.get_kind_display(), 10),
    Column("主办组织", lambda p: p.organization.name, 30),
    Column("批次数", lambda p: p.round_count, 8),
    Column("启用", lambda p: "是" if p.active else "否", 6),
]
APPLICATION_COLUMNS = [
    Column("批次", lambda a: a.round.name, 24),
    Column("申请人", lambda a: a.person.name, 12),
    Column("受助人", lambda a: a.beneficiary_name, 12),
    Column("所在工会", lambda a: a.union.name, 30),
    Column("金额", lambda a: a.amount, 12),
    Column("申请方式", lambda a: a.get_channel_display(), 14),
    Column("申请时间", lambda a: a.created_at, 18),
    Column("待审核组织", lambda a: a.waiting_at.name if a.waiting_at else "", 24),
    Column("状态", lambda a: a.get_status_display(), 10),
]
PROPOSAL_COLUMNS = [
    Column("困难职工", lambda p: p.name, 12),
    Column("建档工会", lambda p: p.union_name, 30),
    Column("困难等级", lambda p: p.level, 12),
    Column("补助金额", lambda p: p.amount, 12),
    Column("可批量登记", lambda p: "是" if p.complete else "否", 10),
    Column("需补充", lambda p: "、".join(p.missing), 30),
]


def _actor(request: HttpRequest) -> Any:
    return request.user


# --- programmes and rounds ------------------------------------------------------------------


@staff_required
def programme_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    kind = request.GET.get("kind", "")
    qs = selectors.programme_list(actor=actor, kind=kind)
    if wants_export(request):
        return export_list(request, "帮扶项目", PROGRAMME_COLUMNS, qs)
    form = None
    if has_perm(actor, Perm.EDIT_RECORDS):
        form = ProgrammeForm(
            request.POST or None,
            organizations=org_selectors.federation_list(actor=actor),
            initial={"organization": actor.organization_id},
        )
        if request.method == "POST" and form.is_valid():
            try:
                programme = services.programme_create(actor=actor, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已建立项目“%(n)s”。") % {"n": programme.name})
                return redirect("console:assistance_programme", programme.pk)
    elif request.method == "POST":
        require(actor, Perm.EDIT_RECORDS)
    return render(
        request,
        "assistance/programme_list.html",
        {"page_obj": paginate(request, qs), "form": form, "kind": kind},
    )


@staff_required
@require_GET
def programme_detail(request: HttpRequest, programme_id: int) -> HttpResponse:
    actor = _actor(request)
    programme = selectors.programme_get(actor=actor, id=programme_id)
    return render(
        request,
        "assistance/programme_detail.html",
        {
            "programme": programme,
            "rounds": selectors.round_list(actor=actor, programme=programme)[:100],
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
            "templates": [(key, label) for key, (label, _r, _t) in rules.TEMPLATES.items()],
        },
    )


def _round_form(request: HttpRequest, actor: Any, programme: Any, round: Any = None) -> Any:
    funds = funds_selectors.fund_list(actor=actor).filter(active=True)
    if round is not None:
        import json

        initial = {
            "name": round.name,
            "year": round.year,
            "opens_on": round.opens_on,
            "closes_on": round.closes_on,
            "tiers": round.tier_list,
            "funds": list(round.funds.values_list("pk", flat=True)),
            "once_per_household": round.once_per_household,
            "documents_required": round.documents_required,
            "documents_hint": round.documents_hint,
            "rules_data": json.dumps(rules.readable(round.rules), ensure_ascii=False, indent=2),
            "amounts": json.dumps(rules.readable(round.amounts), ensure_ascii=False, indent=2),
        }
    else:
        template = request.GET.get("template", "")
        initial = RoundForm.template_initial(template) if template in rules.TEMPLATES else {}
        initial.setdefault("tiers", ["grassroots", "town"])
    return RoundForm(request.POST or None, funds=funds, initial=initial)


def _round_save(request: HttpRequest, programme: Any, round: Any = None) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    form = _round_form(request, actor, programme, round)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.round_save(
                actor=actor, programme=programme, round=round, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存批次“%(n)s”。") % {"n": saved.name})
            return redirect("console:assistance_round", saved.pk)
    return render(
        request,
        "assistance/round_form.html",
        {"form": form, "programme": programme, "round": round},
    )


@staff_required
def round_create(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = selectors.programme_get(actor=_actor(request), id=programme_id)
    return _round_save(request, programme)


@staff_required
def round_edit(request: HttpRequest, round_id: int) -> HttpResponse:
    round = selectors.round_get(actor=_actor(request), id=round_id)
    return _round_save(request, round.programme, round)


@staff_required
@require_GET
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    actor = _actor(request)
    round = selectors.round_get(actor=actor, id=round_id)
    counts = selectors.round_counts(actor=actor, round=round)
    return render(
        request,
        "assistance/round_detail.html",
        {
            "round": round,
            "rule_lines": rules.describe(round.rules),
            "amount_lines": rules.describe_table(round.amounts),
            "tiers": [TIER_LABELS[t] for t in round.tier_list],
            "funds": round.funds.select_related("organization"),
            "counts": [
                (label, *counts.get(value, (0, 0))) for value, label in ApplicationStatus.choices
            ],
            "queue": [
                (kind, TIER_LABELS[kind], n)
                for kind, n in selectors.queue_counts(actor=actor, round=round).items()
                if kind in round.tier_list
            ],
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


# --- the review queue -----------------------------------------------------------------------

QUEUE_ORDER = ("created_at", "pk")


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponseBase:
    """Applications of the actor's subtree: waiting at a tier, waiting for the actor's own
    organisation (``queue=mine``: what they may approve, with bulk approval), or all."""
    actor = _actor(request)
    round = None
    round_id = request.GET.get("round", "")
    if round_id:
        if not (round_id.isascii() and round_id.isdigit() and len(round_id) < 19):
            from gonghui.core.scoping import NotFound

            raise NotFound
        round = selectors.round_get(actor=actor, id=int(round_id))
    tier = request.GET.get("tier", "")
    mine = request.GET.get("queue") == "mine"
    status = request.GET.get("status", "" if (tier or mine) else ApplicationStatus.PENDING)
    qs = selectors.application_list(actor=actor, round=round, status=status, tier=tier, mine=mine)
    if wants_export(request):
        return export_list(request, "帮扶申请", APPLICATION_COLUMNS, qs.order_by(*QUEUE_ORDER))
    return render(
        request,
        "assistance/queue.html",
        {
            "page_obj": seek_page(request, qs, order=QUEUE_ORDER, count_topic="assistance"),
            "round": round,
            "tier": tier,
            "mine": mine,
            "status": status,
            "statuses": ApplicationStatus.choices,
            "tiers": [
                (kind, TIER_LABELS[kind], n)
                for kind, n in selectors.queue_counts(actor=actor, round=round).items()
            ],
            "mine_count": selectors.applications_waiting(actor),
            "can_approve": mine and has_perm(actor, Perm.APPROVE),
        },
    )


@staff_required
@require_POST
def bulk_approve(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.APPROVE)
    try:
        ids = sorted({int(i) for i in request.POST.getlist("applications")})
    except ValueError:
        ids = []
    if not ids:
        messages.error(request, _("请勾选要批准的申请。"))
        return redirect(f"{_queue_url()}?queue=mine")
    applications = selectors.applications_get(actor=actor, ids=ids[: services.MAX_BULK + 1])
    try:
        result = services.application_bulk_approve(
            actor=actor, applications=applications, reason=request.POST.get("note", "")[:300]
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if result.done:
            messages.success(request, _("已批准 %(n)s 份申请。") % {"n": len(result.done)})
        for application, problem in result.problems[:20]:
            messages.error(request, f"{application.person.name}：{problem}")
    return redirect(f"{_queue_url()}?queue=mine")


def _queue_url() -> str:
    from django.urls import reverse

    return reverse("console:assistance_queue")


# --- one application ------------------------------------------------------------------------


@staff_required
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    actor = _actor(request)
    application = selectors.application_get(actor=actor, id=application_id)
    flow = services.flow_for(application)
    form = DecisionForm(request.POST or None)
    if (
        request.method == "POST"
        and request.POST.get("form") != "bank"
        and decided(
            request,
            form,
            Perm.APPROVE,
            lambda approve, note: services.application_decide(
                actor=actor, application=application, approve=approve, reason=note
            ),
            _("已记录审核意见。"),
        )
    ):
        return redirect("console:assistance_application", application.pk)
    bank_form = BankForm(
        request.POST if request.POST.get("form") == "bank" else None,
        initial={"account_holder": application.account_holder, "bank_name": application.bank_name},
    )
    if request.method == "POST" and request.POST.get("form") == "bank":
        require(actor, Perm.EDIT_RECORDS)
        if bank_form.is_valid():
            try:
                services.application_bank_set(
                    actor=actor, application=application, **bank_form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(bank_form, exc)
            else:
                messages.success(request, _("已记录收款账户。"))
                return redirect("console:assistance_application", application.pk)
    payment = selectors.payments_of([application.pk]).get(application.pk)
    return render(
        request,
        "assistance/application_detail.html",
        {
            "application": application,
            "flow_name": flow.name,
            "form": form,
            "bank_form": bank_form,
            "can_decide": decisions.may_decide(actor=actor, flow=flow, request=application),
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS)
            and application.status == ApplicationStatus.PENDING,
            "documents": selectors.documents_of(application),
            "payment": payment,
            "can_reveal": has_perm(actor, Perm.REVEAL_PERSONAL),
            "snapshot_steps": [
                s for s in decisions.steps_of(application) if s.snapshot.get("sealed")
            ],
            "reasons": AccessReason.choices,
            "facts": [
                (str(rules.FACTS[k].label), rules.choice_label(k, v))
                for k, v in application.facts.items()
                if k in rules.FACTS
            ],
        },
    )


@staff_required
@require_GET
def document_download(request: HttpRequest, application_id: int, document_id: int) -> HttpResponse:
    """A proof in full: a role that may see personal data, and every opening logged."""
    actor = _actor(request)
    application = selectors.application_get(actor=actor, id=application_id)
    document = next((d for d in selectors.documents_of(application) if d.pk == document_id), None)
    if document is None:
        from gonghui.core.scoping import NotFound

        raise NotFound
    require(actor, Perm.REVEAL_PERSONAL)
    from django.db import transaction

    with transaction.atomic():
        personal_data_log(
            actor=actor,
            subjects=[Subject.of(application.person)],
            fields=[f"assistance_document:{document.pk}"],
            reason=AccessReason.HANDLE_CASE,
            reason_note=f"{application.round.name} {document.name}"[:200],
            ip_address=client_ip(request),
        )
    with document.file.open("rb") as handle:
        data = unseal_bytes(handle.read(), purpose="assistance.document")
    response = HttpResponse(data, content_type=document.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(document.name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- applications entered by a clerk, and proposals -----------------------------------------


@staff_required
def application_create(request: HttpRequest, round_id: int) -> HttpResponse:
    actor = _actor(request)
    round = selectors.round_get(actor=actor, id=round_id)
    require(actor, Perm.EDIT_RECORDS)
    form = ClerkApplicationForm(request.POST or None, request.FILES or None, round=round)
    if request.method == "POST" and form.is_valid():
        try:
            person = selectors.applicant_lookup(
                actor=actor, id_number=form.cleaned_data["id_number"]
            )
        except ValidationError as exc:
            form.add_error("id_number", exc.messages)
            person = None
        else:
            if person is None:
                form.add_error(
                    "id_number", _("本单位没有该身份证号的会员或困难职工档案，请先登记。")
                )
        if person is not None:
            try:
                application = services.application_create(
                    actor=actor,
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
                messages.success(request, _("已登记申请，等待审核。"))
                return redirect("console:assistance_application", application.pk)
    return render(request, "assistance/application_form.html", {"form": form, "round": round})


@staff_required
def proposals(request: HttpRequest, round_id: int) -> HttpResponseBase:
    """ "Eligible and not yet applied" from the hardship files, for a subtree; a clerk enters
    the complete ones as applications in bulk."""
    actor = _actor(request)
    round = selectors.round_get(actor=actor, id=round_id)
    organizations = org_selectors.organization_list(actor=actor)
    filters = ProposalFilterForm(request.GET or None, organizations=organizations)
    within = actor.organization
    if filters.is_valid() and filters.cleaned_data.get("org"):
        within = filters.cleaned_data["org"]
    elif filters.is_bound and filters.errors:
        from gonghui.core.scoping import NotFound

        raise NotFound
    if request.method == "POST":
        require(actor, Perm.EDIT_RECORDS)
        try:
            ids = {int(i) for i in request.POST.getlist("households")}
        except ValueError:
            ids = set()
        try:
            made = services.applications_from_proposals(
                actor=actor, round=round, organization=within, household_ids=ids
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("已登记 %(n)s 份申请，等待审核。") % {"n": made})
        return redirect(request.get_full_path())
    found = selectors.proposal_list(actor=actor, round=round, organization=within)
    if wants_export(request):
        return xlsx_response(f"{round.name}推荐名单", PROPOSAL_COLUMNS, found)
    return render(
        request,
        "assistance/proposals.html",
        {
            "round": round,
            "filters": filters,
            "within": within,
            "page_obj": paginate(request, found, 100),
            "complete": sum(1 for p in found if p.complete),
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS) and round.is_open(),
        },
    )


@staff_required
@require_POST
def snapshot_reveal(request: HttpRequest, application_id: int) -> HttpResponse:
    """The incomes and health a decision relied on, in full: logged, for a role that may."""
    actor = _actor(request)
    application = selectors.application_get(actor=actor, id=application_id)
    raw = request.POST.get("step", "")
    index = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else -1
    from gonghui.core.scoping import NotFound

    try:
        secret = services.snapshot_reveal(
            actor=actor,
            application=application,
            index=index,
            reason=request.POST.get("reason", ""),
            ip_address=client_ip(request),
        )
    except (ValidationError, NotFound) as exc:
        messages.error(
            request,
            error_text(exc)
            if isinstance(exc, ValidationError)
            else _("该步骤没有可查看的收入记录。"),
        )
        return redirect("console:assistance_application", application.pk)
    return render(
        request,
        "assistance/snapshot.html",
        {"application": application, "index": index, "secret": secret},
    )


# --- figures ----------------------------------------------------------------------------------

# The modules whose figures the page shows, in this order (a figure's key starts with its
# module's name); each is a section headed by the module's label.
FIGURE_MODULES = ("assistance", "hardship", "funds", "virtualjobs", "employment")
FIGURE_COLUMNS = [
    Column("分组", lambda r: r[0], 14),
    Column("项目", lambda r: r[1], 36),
    Column("数值", lambda r: r[2], 16),
    Column("单位", lambda r: r[3], 8),
]


def _section_labels() -> dict[str, str]:
    from gonghui.core import modules

    return {m.name: str(m.label) for m in modules.modules() if m.name in FIGURE_MODULES}


def _figure_rows(found: selectors.AssistanceFigures) -> list[tuple[str, str, Any, str]]:
    """Every figure once (its section, or the breakdown it belongs to), then raised and paid
    per source of funds: the same numbers as the page and the API."""
    labels = _section_labels()
    rows = []
    for line in found.figures:
        if line.key.startswith(("assistance.amount.", "assistance.approved.")) or (
            line.key.startswith("assistance.households.")
        ):
            section = "按帮扶类别"
        elif line.key.startswith("assistance.study"):
            section = "金秋助学"
        else:
            section = labels[line.key.split(".", 1)[0]]
        value: Any = line.value if line.money else int(line.value)
        rows.append((section, line.label, value, line.unit))
    for row in found.by_source:
        rows.append(("资金来源（筹集）", row.label, row.raised, "元"))
        rows.append(("资金来源（发放）", row.label, row.paid, "元"))
    return rows


@staff_required
@require_GET
def figures(request: HttpRequest) -> HttpResponseBase:
    """Households helped and money paid per help kind, grants per education level, raised and
    paid per source of funds, virtual jobs, training, fairs and placements: for a subtree and a
    year, from the registered figures (the figures API reads the same selector)."""
    from django.utils import timezone

    from gonghui.core.scoping import NotFound

    actor = _actor(request)
    this_year = timezone.localdate().year
    years = list(range(this_year + 1, 2012, -1))
    filters = FiguresFilterForm(
        request.GET or None,
        organizations=org_selectors.organization_list(actor=actor),
        years=years,
    )
    organization = actor.organization
    year = this_year
    if filters.is_bound:
        if "org" in filters.errors:
            raise NotFound
        filters.is_valid()
        organization = filters.cleaned_data.get("org") or organization
        year = filters.cleaned_data.get("year") or year
    found = selectors.assistance_figures(actor=actor, organization=organization, year=year)
    if wants_export(request):
        require(actor, Perm.EXPORT)
        return xlsx_response(
            f"帮扶统计-{organization.name}-{year}", FIGURE_COLUMNS, _figure_rows(found)
        )
    if not filters.is_bound or filters.errors:
        filters = FiguresFilterForm(
            {"org": organization.pk, "year": year},
            organizations=org_selectors.organization_list(actor=actor),
            years=years,
        )
    labels = _section_labels()
    sections = [
        (labels.get(name, name), [x for x in found.headline if x.key.startswith(f"{name}.")])
        for name in FIGURE_MODULES
    ]
    return render(
        request,
        "assistance/figures.html",
        {
            "f": found,
            "filters": filters,
            "sections": [(name, lines) for name, lines in sections if lines],
            "ancestors": org_selectors.organization_ancestors(actor=actor, org=organization),
            "chart": {
                "kinds": {
                    "labels": [row.label for row in found.by_kind],
                    "amount": [str(row.amount) for row in found.by_kind],
                    "households": [row.households for row in found.by_kind],
                    "names": [str(_("帮扶金额（元）")), str(_("帮扶家庭（户）"))],
                },
                "levels": {
                    "labels": [row.label for row in found.by_level],
                    "children": [row.children for row in found.by_level],
                    "amount": [str(row.amount) for row in found.by_level],
                    "names": [str(_("受助学生（人）")), str(_("助学金额（元）"))],
                },
                "sources": {
                    "labels": [row.label for row in found.by_source],
                    "raised": [str(row.raised) for row in found.by_source],
                    "paid": [str(row.paid) for row in found.by_source],
                    "names": [str(_("筹集（元）")), str(_("发放（元）"))],
                },
            },
        },
    )
