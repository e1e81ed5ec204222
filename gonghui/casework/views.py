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
from django.utils.translation import gettext_lazy
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
    (selectors.Queue.HANDLING, gettext_lazy("本单位承办")),
    (selectors.Queue.UNASSIGNED, gettext_lazy("待分派")),
    (selectors.Queue.MINE, gettext_lazy("我经办的")),
    (selectors.Queue.OVERDUE, gettext_lazy("已超期")),
    (selectors.Queue.ALL, gettext_lazy("全部")),
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


# The case page's actions: label, the button's words, the form, and for a step that cannot be
# undone what the clerk confirms. Which of them a person is offered, and in what order, is
# ``selectors.case_actions``'s answer, never the template's.
ACTION_LABELS: dict[str, Any] = {
    "accept": (gettext_lazy("受理"), gettext_lazy("受理")),
    "assign": (gettext_lazy("分派经办人"), gettext_lazy("分派")),
    "note": (gettext_lazy("办理记录"), gettext_lazy("记录")),
    "visit": (gettext_lazy("职工到场"), gettext_lazy("记录到场一次")),
    "refer": (gettext_lazy("转办"), gettext_lazy("转办")),
    "escalate": (gettext_lazy("上报上级"), gettext_lazy("上报")),
    "reject": (gettext_lazy("不予受理（不属于工会职责）"), gettext_lazy("不予受理")),
    "resolve": (gettext_lazy("办结"), gettext_lazy("办结")),
    "lawyer": (gettext_lazy("指派援助律师"), gettext_lazy("指派律师")),
    "legal_outcome": (gettext_lazy("记录援助结果"), gettext_lazy("记录结果")),
    "mediation": (gettext_lazy("建立调解记录"), gettext_lazy("建立调解记录")),
    "mediation_session": (gettext_lazy("登记调解"), gettext_lazy("登记调解")),
    "mediation_conclude": (gettext_lazy("调解结案"), gettext_lazy("结案")),
}
ACTION_HINTS: dict[str, Any] = {
    "accept": gettext_lazy("受理后将通知职工，事项进入办理，期限按办结期限计算。"),
    "reject": gettext_lazy("仅用于不属于工会职责的事项。事项将关闭，理由会告知职工。"),
    "resolve": gettext_lazy("办结后职工将收到通知，请其确认结果并评价。"),
    "mediation_conclude": gettext_lazy("结案后不能再登记调解；调解成功的，请填写协议内容。"),
    "refer": gettext_lazy("转给更适合办理的单位（如用人单位所在地工会），并说明理由。"),
    "escalate": gettext_lazy("本级无法办理时上报上一级工会，事项将由上级重新受理。"),
}
IRREVERSIBLE = frozenset({"accept", "reject", "resolve", "mediation_conclude"})


def _action_form(name: str, case: Case, data: Any = None) -> Any:
    """The form of one case action, bound to ``data`` when given."""
    if name == "accept":
        return forms.AcceptForm(data)
    if name == "assign":
        return forms.AssignForm(data, staff=selectors.handler_staff(case=case))
    if name == "note":
        return forms.NoteForm(data)
    if name == "visit":
        return forms.VisitForm(data, auto_id="visit_%s")
    if name == "refer":
        return forms.ReferForm(data, auto_id="refer_%s")
    if name == "escalate":
        # Forms with one field name on a page: distinct ids keep each label on its field.
        return forms.ReasonForm(data, auto_id="escalate_%s")
    if name == "reject":
        return forms.RejectForm(data, auto_id="reject_%s")
    if name == "resolve":
        return forms.ResolveForm(data)
    if name == "lawyer":
        return forms.LawyerAssignForm(data, lawyers=selectors.lawyers_for_case(case=case))
    if name == "legal_outcome":
        return forms.LegalOutcomeForm(data, auto_id="legal_%s")
    if name == "mediation":
        return forms.MediationForm(data, initial={"applicant": case.applicant_name})
    if name == "mediation_session":
        return forms.MediationSessionForm(data, auto_id="session_%s")
    if name == "mediation_conclude":
        return forms.MediationConcludeForm(data, auto_id="conclude_%s")
    raise NotFound


def _case_context(
    request: HttpRequest, case: Case, *, bound: tuple[str, Any] | None = None
) -> dict[str, Any]:
    """The case page. ``bound``: the action whose posted form was refused, with that form,
    shown open with its errors at its fields and what was typed."""
    actor: Any = request.user
    handling = cases_services.may_handle(actor, case)
    mediation = selectors.mediation_of(case=case)
    legal_aid = getattr(case, "legal_aid", None) if case.service_type.code == "legal_aid" else None
    names = selectors.case_actions(actor=actor, case=case, mediation=mediation, legal_aid=legal_aid)
    open_name = bound[0] if bound is not None and bound[0] in names else None
    actions = []
    for index, name in enumerate(names):
        label, button = ACTION_LABELS[name]
        if name == "lawyer" and legal_aid is not None:
            label, button = _("更换援助律师"), _("更换律师")
        form = bound[1] if open_name == name and bound is not None else _action_form(name, case)
        actions.append(
            {
                "name": name,
                "label": label,
                "button": button,
                "hint": ACTION_HINTS.get(name, ""),
                "form": form,
                "irreversible": name in IRREVERSIBLE,
                "likely": index == 0,
                "open": name == open_name if open_name else index == 0,
                "danger": name == "reject",
            }
        )
    return {
        "case": case,
        # The registered mobile (masked) only to those who may see the person's record.
        "person_visible": member_selectors.person_known(actor=actor, person=case.person),
        "events": selectors.case_timeline(case=case, public_only=False),
        "materials": case.materials.select_related("uploaded_by"),
        "handling": handling,
        # The case is handled within the actor's subtree, but their role only reads.
        "read_only": not handling
        and bool(actor.scope_path)
        and case.handler.path.startswith(actor.scope_path),
        "overdue": case.is_overdue(),
        "deadline_status": selectors.case_deadline_status(case=case),
        "actions": actions,
        "material_form": forms.MaterialForm(),
        "legal_aid": legal_aid,
        "mediation": mediation,
    }


@staff_required
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(actor=request.user, id=case_id)
    return render(request, "casework/case_detail.html", _case_context(request, case))


class _Refused(Exception):  # noqa: N818 (a signal within this module, not an error type)
    """A posted action form that did not validate; carries the bound form."""

    def __init__(self, form: Any) -> None:
        super().__init__()
        self.form = form


def _act(actor: Any, case: Case, action: str, post: Any) -> str:
    """Run one action on the case; returns the success message. Raises ``_Refused`` when the
    form does not validate, ``ValidationError`` when the service refuses."""
    form = _action_form(action, case, post)
    if not form.is_valid():
        raise _Refused(form)
    data = dict(form.cleaned_data)
    data.pop("confirm", None)  # checked by the form: the services need no confirmation
    try:
        return _run(actor, case, action, data)
    except ValidationError as exc:
        apply_errors(form, exc)
        raise _Refused(form) from exc


def _run(actor: Any, case: Case, action: str, data: dict[str, Any]) -> str:
    if action == "accept":
        cases_services.case_accept(actor=actor, case=case)
        return _("已受理。")
    if action == "assign":
        cases_services.case_assign(actor=actor, cases=[case], assignee=data["assignee"])
        return _("已分派经办人。")
    if action == "note":
        cases_services.case_note(actor=actor, case=case, note=data["note"], public=data["public"])
        return _("已记录。")
    if action == "visit":
        cases_services.case_visit_record(actor=actor, case=case, note=data["note"])
        return _("已记录职工到场一次。")
    if action == "refer":
        to_org = selectors.referral_target_get(id=data["to_org"])
        if to_org is None:
            raise ValidationError({"to_org": [_("请选择转办单位。")]})
        cases_services.case_refer(actor=actor, case=case, to_org=to_org, reason=data["reason"])
        return _("已转办。")
    if action == "escalate":
        cases_services.case_escalate(actor=actor, case=case, reason=data["reason"])
        return _("已上报上级。")
    if action == "reject":
        cases_services.case_reject(actor=actor, case=case, reason=data["reason"])
        return _("已作不予受理处理，理由已告知职工。")
    if action == "resolve":
        cases_services.case_resolve(actor=actor, case=case, resolution=data["resolution"])
        return _("已办结，等待职工确认评价。")
    if action == "lawyer":
        legal_aid_services.legal_aid_assign(actor=actor, case=case, lawyer=data["lawyer"])
        return _("已指派援助律师。")
    if action == "legal_outcome":
        legal_aid_services.legal_aid_record_outcome(
            actor=actor,
            case=case,
            outcome=data["outcome"],
            note=data["note"],
            recovered_amount=data["recovered_amount"],
        )
        return _("已记录援助结果。")
    if action == "mediation":
        mediation_services.mediation_open(actor=actor, case=case, **data)
        return _("已建立调解记录。")
    mediation = selectors.mediation_of(case=case)
    if mediation is None:
        raise ValidationError({"mediation": [_("请先建立调解记录。")]})
    if action == "mediation_session":
        mediation_services.mediation_session_add(actor=actor, mediation=mediation, **data)
        return _("已登记调解。")
    mediation_services.mediation_conclude(actor=actor, mediation=mediation, **data)
    return _("已记录调解结果。")


@staff_required
@require_POST
def case_act(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """One action from the case page. A refused form comes back on the page, open, with
    every error at its field and what was typed; an action the page no longer offers (the
    case moved on meanwhile) is refused with a message at the top."""
    actor: Any = request.user
    case = selectors.case_get(actor=actor, id=case_id)
    if action not in ACTION_LABELS:
        raise NotFound
    if action not in _offered(actor, case):
        messages.error(request, _why_not(actor, case, action))
        return redirect("console:case_detail", case.pk)
    try:
        message = _act(actor, case, action, request.POST)
    except _Refused as refused:
        case = selectors.case_get(actor=actor, id=case_id)  # as it is now
        context = _case_context(request, case, bound=(action, refused.form))
        if not any(a["name"] == action for a in context["actions"]):
            messages.error(request, _why_not(actor, case, action))
            return redirect("console:case_detail", case.pk)
        return render(request, "casework/case_detail.html", context)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("console:case_detail", case.pk)
    messages.success(request, message)
    return redirect("console:case_detail", case.pk)


def _offered(actor: Any, case: Case) -> list[str]:
    return selectors.case_actions(
        actor=actor,
        case=case,
        mediation=selectors.mediation_of(case=case),
        legal_aid=getattr(case, "legal_aid", None),
    )


def _why_not(actor: Any, case: Case, action: str) -> str:
    """Why the page no longer offers ``action`` (another tab, a colleague, the sweep moved
    the case on): the services' own refusal, else a general word."""
    try:
        cases_services.require_handling(actor, case)
        states = cases_services.ACTION_STATES.get(action)
        if states:
            cases_services.require_state(case, *states)
    except PermissionDenied as exc:
        return str(exc)
    except ValidationError as exc:
        return error_text(exc)
    return _("该事项现在不能执行此操作，请查看最新进度。")


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
