"""Console pages for 三建联动, brand projects and coverage."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gonghui.core import decisions
from gonghui.core.exports import Column, export_list, wants_export, xlsx_response
from gonghui.core.forms import DecisionForm
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, decided, paginate, staff_required
from gonghui.organizations import selectors as org_selectors
from gonghui.organizations.models import OrgKind
from gonghui.unionbuilding import selectors, services
from gonghui.unionbuilding.forms import (
    BrandForm,
    BrandScoreForm,
    FoundingForm,
    HomeAssessmentForm,
    MechanismForm,
)
from gonghui.unionbuilding.models import AssessmentStatus, Decision


def _actor(request: HttpRequest) -> Any:
    return request.user


# --- founding ---------------------------------------------------------------------------------


FOUNDING_COLUMNS = [
    Column("拟成立工会", lambda a: a.proposed_name, 30),
    Column("类型", lambda a: a.get_grassroots_kind_display(), 12),
    Column("上级工会", lambda a: a.parent.name, 30),
    Column("拟任工会主席", lambda a: a.chair_name, 10),
    Column("首批会员人数", lambda a: a.initial_members, 10),
    Column("申请时间", lambda a: a.created_at, 18),
    Column("状态", lambda a: a.get_status_display(), 8),
    Column("审批意见", lambda a: a.decision_note, 30),
]
HOME_COLUMNS = [
    Column("基层工会", lambda a: a.union.name, 30),
    Column("评定日期", lambda a: a.assessed_on, 12),
    Column("得分", lambda a: float(a.total_score), 8),
    Column("等级", lambda a: a.rating.name if a.rating else "未达标", 14),
    Column("评定人", lambda a: str(a.assessed_by), 12),
    Column("状态", lambda a: a.get_status_display(), 8),
]
BRAND_COLUMNS = [
    Column("年度", lambda p: p.year, 8),
    Column("组织", lambda p: p.organization.name, 30),
    Column("品牌项目", lambda p: p.title, 30),
    Column("考核得分", lambda p: float(p.score) if p.score is not None else "", 10),
    Column("考核意见", lambda p: p.score_note, 30),
]


@staff_required
@require_GET
def founding_list(request: HttpRequest) -> HttpResponseBase:
    status = request.GET.get("status", Decision.PENDING)
    qs = selectors.founding_list(actor=_actor(request), status=status)
    if wants_export(request):
        return export_list(request, "建会申请", FOUNDING_COLUMNS, qs)
    return render(
        request,
        "unionbuilding/founding_list.html",
        {"page_obj": paginate(request, qs), "status": status, "statuses": Decision.choices},
    )


@staff_required
def founding_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    parents = org_selectors.organization_list(actor=actor).exclude(kind=OrgKind.GRASSROOTS)
    enterprises = org_selectors.enterprise_list(actor=actor, unionised="no")
    initial: dict[str, Any] = {"parent": actor.organization_id}
    if request.GET.get("enterprise"):
        initial["enterprises"] = [request.GET["enterprise"]]
    form = FoundingForm(
        request.POST or None, parents=parents, enterprises=enterprises, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = services.founding_apply(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已提交建会申请，等待上级工会审批。"))
            return redirect("console:founding_detail", application.pk)
    return render(request, "unionbuilding/founding_form.html", {"form": form})


@staff_required
def founding_detail(request: HttpRequest, founding_id: int) -> HttpResponse:
    actor = _actor(request)
    application = selectors.founding_get(actor=actor, id=founding_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and decided(
        request,
        form,
        Perm.APPROVE,
        lambda approve, note: services.founding_decide(
            actor=actor, application=application, approve=approve, note=note
        ),
        _("已处理建会申请。"),
    ):
        return redirect("console:founding_detail", application.pk)
    return render(
        request,
        "unionbuilding/founding_detail.html",
        {
            "application": application,
            "form": form,
            "can_decide": decisions.may_decide(
                actor=actor, flow=services.FOUNDING_FLOW, request=application
            ),
        },
    )


# --- a grassroots union's 建制 and 建家 panel -------------------------------------------------


@staff_required
@require_GET
def union_building(request: HttpRequest, org_id: int) -> HttpResponse:
    actor = _actor(request)
    union = org_selectors.organization_get(actor=actor, id=org_id)
    return render(
        request,
        "unionbuilding/_union_building.html",
        {
            "union": union,
            "checklist": selectors.mechanism_checklist(actor=actor, union=union),
            "home": selectors.current_home(actor=actor, union=union),
            "assessments": selectors.home_assessment_list(actor=actor, union=union)[:5],
            "can_assess": has_perm(actor, Perm.EDIT_RECORDS) and union.path != actor.scope_path,
        },
    )


@staff_required
def mechanism_edit(request: HttpRequest, org_id: int, type_id: int) -> HttpResponse:
    actor = _actor(request)
    union = org_selectors.organization_get(actor=actor, id=org_id)
    require(actor, Perm.EDIT_RECORDS)
    mechanism_type = selectors.mechanism_type_get(id=type_id)
    current = next(
        (
            line.mechanism
            for line in selectors.mechanism_checklist(actor=actor, union=union)
            if line.type.pk == type_id
        ),
        None,
    )
    initial = {}
    if current is not None:
        initial = {
            "established_on": current.established_on,
            "last_held_on": current.last_held_on,
            "note": current.note,
        }
    form = MechanismForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mechanism_save(
                actor=actor, union=union, type=mechanism_type, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存%(t)s台账。") % {"t": mechanism_type.name})
            return redirect("console:org_detail", union.pk)
    return render(
        request,
        "unionbuilding/mechanism_form.html",
        {"form": form, "union": union, "type": mechanism_type, "current": current},
    )


@staff_required
@require_GET
def mechanism_evidence(request: HttpRequest, org_id: int, type_id: int) -> FileResponse:
    """Evidence files are served through the scope, never from a public media URL."""
    actor = _actor(request)
    union = org_selectors.organization_get(actor=actor, id=org_id)
    line = next(
        (
            line
            for line in selectors.mechanism_checklist(actor=actor, union=union)
            if line.type.pk == type_id
        ),
        None,
    )
    if line is None or line.mechanism is None or not line.mechanism.evidence:
        raise NotFound
    evidence = line.mechanism.evidence
    return FileResponse(evidence.open("rb"), filename=evidence.name.rsplit("/", 1)[-1])


@staff_required
@require_GET
def home_list(request: HttpRequest) -> HttpResponseBase:
    status = request.GET.get("status", "")
    qs = selectors.home_assessment_list(actor=_actor(request), status=status)
    if wants_export(request):
        return export_list(request, "职工之家评定", HOME_COLUMNS, qs)
    return render(
        request,
        "unionbuilding/home_list.html",
        {
            "page_obj": paginate(request, qs),
            "status": status,
            "statuses": AssessmentStatus.choices,
        },
    )


@staff_required
def home_create(request: HttpRequest, org_id: int) -> HttpResponse:
    actor = _actor(request)
    union = org_selectors.organization_get(actor=actor, id=org_id)
    require(actor, Perm.EDIT_RECORDS)
    form = HomeAssessmentForm(request.POST or None, items=selectors.home_standard_items())
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.home_assess(
                actor=actor,
                union=union,
                assessed_on=form.cleaned_data["assessed_on"],
                scores=form.scores(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已提交评定，等待审核。"))
            return redirect("console:home_detail", assessment.pk)
    return render(request, "unionbuilding/home_form.html", {"form": form, "union": union})


@staff_required
def home_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    actor = _actor(request)
    assessment = selectors.home_assessment_get(actor=actor, id=assessment_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and decided(
        request,
        form,
        Perm.APPROVE,
        lambda approve, note: services.home_decide(
            actor=actor, assessment=assessment, approve=approve, note=note
        ),
        _("已审核。"),
    ):
        return redirect("console:home_detail", assessment.pk)
    return render(
        request,
        "unionbuilding/home_detail.html",
        {
            "assessment": assessment,
            "form": form,
            "can_decide": decisions.may_decide(
                actor=actor, flow=services.HOME_FLOW, request=assessment
            ),
        },
    )


# --- brand projects ---------------------------------------------------------------------------


@staff_required
@require_GET
def brand_list(request: HttpRequest) -> HttpResponseBase:
    year = request.GET.get("year", "")
    qs = selectors.brand_list(
        actor=_actor(request), year=int(year) if year.isascii() and year.isdecimal() else None
    )
    if wants_export(request):
        return export_list(request, "品牌项目", BRAND_COLUMNS, qs)
    return render(
        request, "unionbuilding/brand_list.html", {"page_obj": paginate(request, qs), "year": year}
    )


@staff_required
def brand_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    orgs = org_selectors.organization_list(actor=actor).filter(
        kind__in=[OrgKind.TOWN, OrgKind.SYSTEM, OrgKind.DISTRICT]
    )
    form = BrandForm(request.POST or None, orgs=orgs)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.brand_register(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已申报品牌项目。"))
            return redirect("console:brand_detail", project.pk)
    return render(request, "unionbuilding/brand_form.html", {"form": form})


@staff_required
def brand_detail(request: HttpRequest, brand_id: int) -> HttpResponse:
    actor = _actor(request)
    project = selectors.brand_get(actor=actor, id=brand_id)
    initial = {"score": project.score, "score_note": project.score_note}
    form = BrandScoreForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(actor, Perm.APPROVE)
        if form.is_valid():
            try:
                services.brand_score(
                    actor=actor,
                    project=project,
                    score=form.cleaned_data["score"],
                    note=form.cleaned_data["score_note"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已保存考核得分。"))
                return redirect("console:brand_detail", project.pk)
    return render(
        request,
        "unionbuilding/brand_detail.html",
        {
            "project": project,
            "form": form,
            "can_score": has_perm(actor, Perm.APPROVE)
            and project.organization.path != actor.scope_path,
        },
    )


# --- coverage ---------------------------------------------------------------------------------


def _ratio(value: Any) -> Any:
    return float(value) if value is not None else ""


COVERAGE_COLUMNS = [
    Column("组织", lambda c: c.label, 30),
    Column("企业数", lambda c: c.enterprises, 10),
    Column("已建会企业", lambda c: c.unionised, 12),
    Column("建会率", lambda c: _ratio(c.unionisation_rate), 10),
    Column("职工人数", lambda c: c.employees, 12),
    Column("会员人数", lambda c: c.members, 12),
    Column("入会率", lambda c: _ratio(c.membership_rate), 10),
    Column("基层工会数", lambda c: c.grassroots, 12),
    Column("职工之家数", lambda c: c.homes, 12),
    Column("创建率", lambda c: _ratio(c.home_rate), 10),
]


@staff_required
@require_GET
def coverage(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    org_id = str(request.GET.get("org") or actor.organization_id)
    org = org_selectors.organization_get(
        actor=actor, id=int(org_id) if org_id.isascii() and org_id.isdecimal() else 0
    )
    report = selectors.coverage_report(actor=actor, org=org)
    if request.GET.get("format") == "xlsx":
        require(actor, Perm.EXPORT)
        return xlsx_response(f"覆盖率-{org.name}", COVERAGE_COLUMNS, [*report.children, report])
    chart = {
        "labels": [c.label for c in report.children],
        "unionisation": [_ratio(c.unionisation_rate) for c in report.children],
        "membership": [_ratio(c.membership_rate) for c in report.children],
        "homes": [_ratio(c.home_rate) for c in report.children],
    }
    return render(
        request,
        "unionbuilding/coverage.html",
        {
            "org": org,
            "report": report,
            "ancestors": org_selectors.organization_ancestors(actor=actor, org=org),
            "chart": chart,
        },
    )


@staff_required
@require_GET
def org_figures(request: HttpRequest, org_id: int) -> HttpResponse:
    """HTMX: an organisation's headline figures, for its page and the console home."""
    actor = _actor(request)
    org = org_selectors.organization_get(actor=actor, id=org_id)
    report = selectors.coverage_report(actor=actor, org=org)
    return render(request, "unionbuilding/_figures.html", {"org": org, "report": report})
