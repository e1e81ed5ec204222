"""Console pages of the service centres: queues, the case page, counter and hotline intake,
rosters, counselling and figures. Thin: parse, call a selector or service, render."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.casework import documents, forms, selectors
from gonghui.casework.models import Case
from gonghui.casework.services import cases as cases_services
from gonghui.casework.services import counselling as counselling_services
from gonghui.casework.services import legal_aid as legal_aid_services
from gonghui.casework.services import materials as materials_services
from gonghui.casework.services import mediation as mediation_services
from gonghui.core import counts
from gonghui.core.exports import Column, export_list, wants_export, xlsx_response
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, client_ip, error_text, paginate, staff_required
from gonghui.members import selectors as member_selectors
from gonghui.organizations import selectors as org_selectors

CASE_COLUMNS = [
    Column("编号", lambda c: c.number, 18),
    Column("服务类型", lambda c: c.service_type.name, 10),
    Column("事项", lambda c: c.title, 30),
    Column("职工", lambda c: c.applicant_name, 10),
    Column("来源", lambda c: c.get_channel_display(), 8),
    Column("承办单位", lambda c: c.handler.name, 24),
    Column("层级", lambda c: c.get_tier_display(), 12),
    Column("经办人", lambda c: str(c.assignee or ""), 10),
    Column("状态", lambda c: c.get_state_display(), 10),
    Column("提交时间", lambda c: c.created_at, 18),
    Column("办结期限", lambda c: c.resolution_due, 18),
    Column("上报次数", lambda c: c.escalations, 8),
    Column("到场次数", lambda c: c.visits, 8),
    Column("满意度", lambda c: c.rating or "", 8),
]


QUEUE_LABELS = (
    (selectors.Queue.HANDLING, _lazy("本单位承办")),
    (selectors.Queue.UNASSIGNED, _lazy("待分派")),
    (selectors.Queue.MINE, _lazy("我经办的")),
    (selectors.Queue.OVERDUE, _lazy("已超期")),
    (selectors.Queue.ALL, _lazy("全部")),
)
# "mine" is per person and "overdue" changes with the clock: those are counted afresh; the
# others are cached until a case changes (core.counts).
FRESH_QUEUES = (selectors.Queue.MINE, selectors.Queue.OVERDUE)


@staff_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    queue = request.GET.get("queue", selectors.Queue.HANDLING)
    if queue not in selectors.QUEUES:
        queue = selectors.Queue.HANDLING
    types = selectors.service_types_active()
    form = forms.CaseFilterForm(request.GET, types=types)
    form.is_valid()
    filters = form.cleaned_data
    criteria: dict[str, Any] = {
        "service_type": selectors.service_type_by_code(filters.get("type") or ""),
        "state": filters.get("state") or "",
        "q": filters.get("q") or "",
        "received_from": filters.get("received_from"),
        "received_to": filters.get("received_to"),
    }
    qs = selectors.case_list(actor=actor, queue=queue, **criteria)
    if wants_export(request):
        require(actor, Perm.EXPORT)
        return export_list(request, "服务事项", CASE_COLUMNS, qs)
    scope = (getattr(actor, "scope_path", ""), actor.organization_id, _filter_key(request))

    def queue_count(value: str) -> int:
        counted = selectors.case_list(actor=actor, queue=value, **criteria).order_by().count
        if value in FRESH_QUEUES:
            return counted()
        return counts.cached_count("cases", ("queue", value, *scope), counted)

    tabs = [(value, label, queue_count(value)) for value, label in QUEUE_LABELS]
    filtered = any(criteria.values())
    return render(
        request,
        "casework/case_list.html",
        {
            "page_obj": paginate(
                request, qs, count_topic=None if queue in FRESH_QUEUES else "cases"
            ),
            "queue": queue,
            "queues": tabs,
            "form": form,
            "filtered": filtered,
            "staff": selectors.organization_staff(actor=actor),
            "now": timezone.now(),
        },
    )


def _filter_key(request: HttpRequest) -> str:
    return "&".join(
        f"{k}={v}" for k, v in sorted(request.GET.items()) if k not in {"page", "format", "queue"}
    )


@staff_required
@require_POST
def case_bulk_assign(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    ids = [i for i in (_int(v) for v in request.POST.getlist("case")) if i is not None]
    cases = [selectors.case_get(actor=actor, id=i) for i in ids]
    staff = selectors.organization_staff(actor=actor)
    assignee = staff.filter(pk=_int(request.POST.get("assignee")) or 0).first()
    try:
        if assignee is None:
            raise ValidationError({"assignee": [_("请选择经办人。")]})
        n = cases_services.case_assign(actor=actor, cases=cases, assignee=assignee)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已分派 %(n)s 件事项。") % {"n": n})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("console:case_list")
    return redirect(back)


def _int(value: str | None) -> int | None:
    """A decimal integer typed in ASCII digits ("²".isdigit() is true, int() refuses it)."""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


@staff_required
@require_http_methods(["GET", "POST"])
def case_open(request: HttpRequest) -> HttpResponse:
    """Counter (the worker is here) and hotline (the worker called) intake."""
    actor: Any = request.user
    require(actor, Perm.EDIT_RECORDS)
    form = forms.CounterCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = cases_services.case_open_at_counter(
                actor=actor,
                id_number=data["id_number"],
                name=data["name"],
                mobile=data["mobile"],
                service_type=data["service_type"],
                title=data["title"],
                description=data["description"],
                channel=data["channel"],
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("已登记服务事项 %(n)s，由%(h)s承办。")
                % {"n": case.number, "h": case.handler.name},
            )
            return redirect("console:case_detail", case.pk)
    return render(request, "casework/case_open.html", {"form": form})


def _case_context(request: HttpRequest, case: Case, **forms_: Any) -> dict[str, Any]:
    actor: Any = request.user
    handling = bool(actor.scope_path) and case.handler.path.startswith(actor.scope_path)
    lawyers = selectors.lawyers_for_case(case=case)
    mediation = selectors.mediation_of(case=case)
    context = {
        "case": case,
        # The registered mobile (masked) only to those who may see the person's record.
        "person_visible": member_selectors.person_known(actor=actor, person=case.person),
        "events": selectors.case_timeline(case=case, public_only=False),
        "materials": case.materials.all(),
        "handling": handling,
        "overdue": case.is_overdue(),
        "deadline_status": selectors.case_deadline_status(case=case),
        "assign_form": forms.AssignForm(staff=selectors.handler_staff(case=case)),
        "note_form": forms.NoteForm(),
        "visit_form": forms.VisitForm(),
        "refer_form": forms.ReferForm(),
        # Two forms with one field name on a page: distinct ids keep each label on its field.
        "escalate_form": forms.ReasonForm(auto_id="escalate_%s"),
        "reject_form": forms.ReasonForm(auto_id="reject_%s"),
        "resolve_form": forms.ResolveForm(),
        "material_form": forms.MaterialForm(),
        "referral_targets": selectors.referral_targets(case=case),
        "legal_aid": getattr(case, "legal_aid", None)
        if case.service_type.code == "legal_aid"
        else None,
        "lawyer_form": forms.LawyerAssignForm(lawyers=lawyers),
        "legal_outcome_form": forms.LegalOutcomeForm(),
        "mediation": mediation,
        "mediation_form": forms.MediationForm(initial={"applicant": case.applicant_name}),
        "session_form": forms.MediationSessionForm(),
        "conclude_form": forms.MediationConcludeForm(),
    }
    context.update(forms_)
    return context


@staff_required
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(actor=request.user, id=case_id)
    return render(request, "casework/case_detail.html", _case_context(request, case))


def _act(actor: Any, case: Case, action: str, post: Any) -> str:
    """Run one action on the case; returns the success message, or raises ValidationError
    with the bound form attached as ``exc.form``."""

    def bound(form: Any) -> Any:
        if not form.is_valid():
            exc = ValidationError(form.errors.get_json_data() and _("请检查填写的内容。"))
            exc.form = form  # type: ignore[attr-defined]
            raise exc
        return form.cleaned_data

    if action == "accept":
        cases_services.case_accept(actor=actor, case=case)
        return _("已受理。")
    if action == "assign":
        data = bound(forms.AssignForm(post, staff=selectors.handler_staff(case=case)))
        cases_services.case_assign(actor=actor, cases=[case], assignee=data["assignee"])
        return _("已分派经办人。")
    if action == "note":
        data = bound(forms.NoteForm(post))
        cases_services.case_note(actor=actor, case=case, note=data["note"], public=data["public"])
        return _("已记录。")
    if action == "visit":
        data = bound(forms.VisitForm(post))
        cases_services.case_visit_record(actor=actor, case=case, note=data["note"])
        return _("已记录职工到场一次。")
    if action == "refer":
        data = bound(forms.ReferForm(post))
        to_org = selectors.referral_target_get(id=data["to_org"])
        if to_org is None:
            raise ValidationError({"to_org": [_("请选择转办单位。")]})
        cases_services.case_refer(actor=actor, case=case, to_org=to_org, reason=data["reason"])
        return _("已转办。")
    if action == "escalate":
        data = bound(forms.ReasonForm(post))
        cases_services.case_escalate(actor=actor, case=case, reason=data["reason"])
        return _("已上报上级。")
    if action == "reject":
        data = bound(forms.ReasonForm(post))
        cases_services.case_reject(actor=actor, case=case, reason=data["reason"])
        return _("已作不予受理处理，理由已告知职工。")
    if action == "resolve":
        data = bound(forms.ResolveForm(post))
        cases_services.case_resolve(actor=actor, case=case, resolution=data["resolution"])
        return _("已办结，等待职工确认评价。")
    if action == "lawyer":
        form = forms.LawyerAssignForm(post, lawyers=selectors.lawyers_for_case(case=case))
        data = bound(form)
        legal_aid_services.legal_aid_assign(actor=actor, case=case, lawyer=data["lawyer"])
        return _("已指派援助律师。")
    if action == "legal_outcome":
        data = bound(forms.LegalOutcomeForm(post))
        legal_aid_services.legal_aid_record_outcome(
            actor=actor,
            case=case,
            outcome=data["outcome"],
            note=data["note"],
            recovered_amount=data["recovered_amount"],
        )
        return _("已记录援助结果。")
    if action == "mediation":
        data = bound(forms.MediationForm(post))
        mediation_services.mediation_open(actor=actor, case=case, **data)
        return _("已建立调解记录。")
    if action in {"mediation_session", "mediation_conclude"}:
        mediation = selectors.mediation_of(case=case)
        if mediation is None:
            raise ValidationError({"mediation": [_("请先建立调解记录。")]})
        if action == "mediation_session":
            data = bound(forms.MediationSessionForm(post))
            mediation_services.mediation_session_add(actor=actor, mediation=mediation, **data)
            return _("已登记调解。")
        data = bound(forms.MediationConcludeForm(post))
        mediation_services.mediation_conclude(actor=actor, mediation=mediation, **data)
        return _("已记录调解结果。")
    raise NotFound


ACTIONS = {
    "accept",
    "assign",
    "note",
    "visit",
    "refer",
    "escalate",
    "reject",
    "resolve",
    "lawyer",
    "legal_outcome",
    "mediation",
    "mediation_session",
    "mediation_conclude",
}


@staff_required
@require_POST
def case_act(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    actor: Any = request.user
    case = selectors.case_get(actor=actor, id=case_id)
    if action not in ACTIONS:
        raise NotFound
    try:
        message = _act(actor, case, action, request.POST)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        form = getattr(exc, "form", None)
        if form is not None:
            messages.error(request, " ".join(str(m) for msgs in form.errors.values() for m in msgs))
        return redirect("console:case_detail", case.pk)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("console:case_detail", case.pk)
    messages.success(request, message)
    return redirect("console:case_detail", case.pk)


@staff_required
@require_POST
def case_material_upload(request: HttpRequest, case_id: int) -> HttpResponse:
    actor: Any = request.user
    case = selectors.case_get(actor=actor, id=case_id)
    form = forms.MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            materials_services.case_material_add(
                actor=actor, case=case, upload=form.cleaned_data["file"]
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(
                request, error_text(exc) if isinstance(exc, ValidationError) else str(exc)
            )
        else:
            messages.success(request, _("已上传材料。"))
    else:
        messages.error(request, " ".join(str(m) for msgs in form.errors.values() for m in msgs))
    return redirect("console:case_detail", case.pk)


@staff_required
@require_GET
def case_material(request: HttpRequest, case_id: int, material_id: int) -> HttpResponse:
    """A worker's file (medical records, contracts) is personal data: the role must allow
    seeing it in full, and the download is logged like any reveal."""
    actor: Any = request.user
    case = selectors.case_get(actor=actor, id=case_id)
    material = selectors.case_material_get(case=case, id=material_id)
    materials_services.case_material_log(
        actor=actor, case=case, material=material, ip=client_ip(request)
    )
    return documents.material_response(material)


@staff_required
@require_GET
def mediation_agreement(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(actor=request.user, id=case_id)
    mediation = selectors.mediation_of(case=case, agreed=True)
    if mediation is None:
        raise NotFound
    return documents.agreement_response(mediation)


# --- rosters ------------------------------------------------------------------------------------


COUNSELLOR_COLUMNS = [
    Column("姓名", lambda c: c.name, 10),
    Column("资质", lambda c: c.qualification, 20),
    Column("简介", lambda c: c.introduction, 30),
    Column("所属组织", lambda c: c.organization.name, 24),
    Column("在岗", lambda c: "是" if c.is_active else "否", 6),
]
# The counsellor's own timetable, as the page shows it: who booked a slot is not in it.
SLOT_COLUMNS = [
    Column("开始时间", lambda s: s.starts_at, 18),
    Column("结束时间", lambda s: s.ends_at, 18),
    Column("地点", lambda s: s.place, 24),
    Column("预约", lambda s: "已取消" if s.cancelled else ("已预约" if s.person_id else "空闲"), 8),
    Column("预约时间", lambda s: s.booked_at, 18),
]

LAWYER_COLUMNS = [
    Column("姓名", lambda lw: lw.name, 10),
    Column("律师事务所", lambda lw: lw.firm, 24),
    Column("执业证号", lambda lw: lw.licence_number, 20),
    Column("联系电话", lambda lw: lw.phone, 14),
    Column("擅长领域", lambda lw: lw.specialties, 24),
    Column("所属组织", lambda lw: lw.organization.name, 24),
    Column("在册", lambda lw: "是" if lw.is_active else "否", 6),
]


@staff_required
@require_http_methods(["GET", "POST"])
def lawyer_list(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    qs = selectors.lawyer_list(actor=actor)
    if wants_export(request):
        return export_list(request, "援助律师名册", LAWYER_COLUMNS, qs)
    orgs = org_selectors.organization_list(actor=actor).exclude(kind="grassroots")
    form = forms.LawyerForm(
        request.POST or None, organizations=orgs, initial={"organization": actor.organization_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            legal_aid_services.lawyer_save(actor=actor, lawyer=None, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已加入援助律师名册。"))
            return redirect("console:lawyer_list")
    return render(
        request, "casework/lawyer_list.html", {"page_obj": paginate(request, qs), "form": form}
    )


@staff_required
@require_http_methods(["GET", "POST"])
def lawyer_edit(request: HttpRequest, lawyer_id: int) -> HttpResponse:
    actor: Any = request.user
    lawyer = selectors.lawyer_get(actor=actor, id=lawyer_id)
    orgs = org_selectors.organization_list(actor=actor).exclude(kind="grassroots")
    initial = {
        f: getattr(lawyer, f)
        for f in ("name", "firm", "licence_number", "phone", "specialties", "is_active")
    }
    initial["organization"] = lawyer.organization_id
    form = forms.LawyerForm(request.POST or None, organizations=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            legal_aid_services.lawyer_save(actor=actor, lawyer=lawyer, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("console:lawyer_list")
    return render(request, "casework/lawyer_form.html", {"form": form, "lawyer": lawyer})


# --- counselling --------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def counselling(request: HttpRequest) -> HttpResponseBase:
    """A counsellor's own timetable (publish slots); an administrator's roster of counsellors.
    Session notes are not here: only the counsellor opens them, slot by slot."""
    actor: Any = request.user
    if request.method == "GET" and wants_export(request):
        # ``?list=slots``: the counsellor's own timetable (nobody else's); else the roster.
        if request.GET.get("list") == "slots":
            slots = selectors.counsellor_slots(actor=actor)
            return export_list(request, "我的咨询时段", SLOT_COLUMNS, slots)
        counsellors = selectors.counsellor_list(actor=actor)
        return export_list(request, "心理咨询师", COUNSELLOR_COLUMNS, counsellors)
    me = selectors.counsellor_of(actor=actor)
    slot_form = forms.SlotForm(request.POST or None) if me else None
    users = selectors.subtree_staff(actor=actor)
    counsellor_form = forms.CounsellorForm(
        request.POST if request.POST.get("form") == "counsellor" else None, users=users
    )
    if request.method == "POST":
        form_name = request.POST.get("form")
        try:
            if form_name == "slot" and slot_form is not None and slot_form.is_valid():
                counselling_services.slot_publish(actor=actor, **slot_form.cleaned_data)
                messages.success(request, _("已发布咨询时段。"))
                return redirect("console:counselling")
            if form_name == "counsellor" and counsellor_form.is_valid():
                counselling_services.counsellor_register(
                    actor=actor, **counsellor_form.cleaned_data
                )
                messages.success(request, _("已登记心理咨询师。"))
                return redirect("console:counselling")
        except ValidationError as exc:
            target = slot_form if form_name == "slot" and slot_form else counsellor_form
            apply_errors(target, exc)
    return render(
        request,
        "casework/counselling.html",
        {
            "me": me,
            "slots": selectors.counsellor_slots(actor=actor) if me else [],
            "slot_form": slot_form,
            "counsellors": selectors.counsellor_list(actor=actor),
            "counsellor_form": counsellor_form,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def counselling_slot(request: HttpRequest, slot_id: int) -> HttpResponse:
    actor: Any = request.user
    slot = selectors.counsellor_slot_get(actor=actor, id=slot_id)
    form = forms.NoteWriteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            counselling_services.counselling_note_write(
                actor=actor, slot=slot, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存咨询记录（仅您本人可见）。"))
            return redirect("console:counselling_slot", slot.pk)
    return render(
        request,
        "casework/counselling_slot.html",
        {"slot": slot, "notes": selectors.counselling_notes(actor=actor, slot=slot), "form": form},
    )


# --- figures ------------------------------------------------------------------------------------


def _month(text: str) -> datetime.date:
    """``YYYY-MM`` within 2000–2099; this month otherwise."""
    try:
        year, month = (int(p) for p in text.split("-", 1))
        if 2000 <= year <= 2099:
            return datetime.date(year, month, 1)
    except (ValueError, TypeError):
        pass
    return timezone.localdate().replace(day=1)


@staff_required
@require_GET
def case_figures(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    org_id = request.GET.get("org")
    if org_id and _int(org_id) is None:
        raise NotFound
    organization = selectors.figures_organization(actor=actor, id=_int(org_id))
    month = _month(request.GET.get("month", ""))
    figures = selectors.case_figures(actor=actor, organization=organization, month=month)
    if wants_export(request):
        require(actor, Perm.EXPORT)
        header, rows = _figure_sheet(figures)
        columns = [Column(h, _cell(i), 16) for i, h in enumerate(header)]
        return xlsx_response(f"服务统计-{organization.name}-{month:%Y-%m}", columns, rows)
    return render(
        request,
        "casework/figures.html",
        {
            "f": figures,
            "month_value": f"{month:%Y-%m}",
            "children": org_selectors.organization_list(actor=actor).filter(parent=organization),
            "chart": {
                "types": [row["name"] for row in figures.by_type],
                "tiers": [
                    {"label": label, "values": [row.get(v, 0) for row in figures.by_type]}
                    for v, label in figures.tiers
                ],
                "months": [m for m, _n in figures.trend],
                "counts": [n for _m, n in figures.trend],
            },
        },
    )


def _cell(index: int) -> Any:
    return lambda row: row[index] if index < len(row) else ""


def _figure_sheet(f: selectors.Figures) -> tuple[list[str], list[list[Any]]]:
    tiers = [label for _v, label in f.tiers]
    header = ["服务类型", *tiers, "合计"]
    rows: list[list[Any]] = [
        [row["name"], *[row.get(v, 0) for v, _l in f.tiers], row["total"]] for row in f.by_type
    ]
    rows += [
        [],
        ["受理事项", f.total],
        ["按时响应率（%）", f.response_on_time if f.response_on_time is not None else ""],
        ["按时办结率（%）", f.resolution_on_time if f.resolution_on_time is not None else ""],
        ["上报事项", f.escalated_cases],
        ["上报次数", f.escalations],
        ["平均满意度", f.satisfaction if f.satisfaction is not None else ""],
        ["“最多跑一次”率（%）", f.one_trip if f.one_trip is not None else ""],
    ]
    return header, rows
