"""Console pages of the hardship roll: the roll and its review lists, a household's file,
the forms that change it, and the city's income lines."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core import decisions
from gonghui.core.crypto import unseal_bytes
from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.forms import DecisionForm
from gonghui.core.pagination import seek_page
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, client_ip, decided, error_text, staff_required
from gonghui.hardship import selectors, services
from gonghui.hardship.forms import (
    HouseholdEditForm,
    HouseholdForm,
    IncomeLineForm,
    LeaveForm,
    MemberForm,
    ReenterForm,
    RevealForm,
    ReviewForm,
    RollFilterForm,
    VisitForm,
)
from gonghui.hardship.models import PHOTO_PURPOSE, HouseholdStatus, Relation
from gonghui.organizations import selectors as org_selectors
from gonghui.organizations.models import OrgKind


def _actor(request: HttpRequest) -> Any:
    return request.user


REVIEW_TABS = (
    ("", _("全部档案")),
    ("stale", _("一年未更新")),
    ("unhelped", _("建档未帮扶")),
    ("above", _("应退出")),
)
ROLL_COLUMNS = [
    Column("职工姓名", lambda h: h.person.name, 12),
    Column("建档工会", lambda h: h.union.name, 30),
    Column("状态", lambda h: h.get_status_display(), 10),
    Column("困难等级", lambda h: h.level.name if h.level else "", 10),
    Column("家庭人口", lambda h: h.member_count, 8),
    Column("家庭人均年收入", lambda h: h.per_capita_income or "", 14),
    Column("高于标准", lambda h: "是" if h.above_line else "", 8),
    Column("建档日期", lambda h: h.filed_on, 12),
    Column("最近核查", lambda h: h.reviewed_on, 12),
    Column("最近帮扶", lambda h: h.helped_on, 12),
]


# --- the roll ----------------------------------------------------------------------------


@staff_required
@require_GET
def household_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    form = RollFilterForm(
        request.GET,
        orgs=org_selectors.organization_list(actor=actor),
        levels=selectors.level_list(),
        causes=selectors.cause_list(),
    )
    form.is_valid()
    if "org" in form.errors:
        raise NotFound  # a union outside the actor's scope, like one that does not exist
    filters = form.cleaned_data
    review = request.GET.get("review", "")
    if review not in selectors.REVIEW_LISTS:
        review = ""
    within = filters.get("org")
    qs = selectors.household_list(
        actor=actor,
        within=within,
        status=filters.get("status") or "",
        level=filters.get("level") or "",
        cause=filters.get("cause") or "",
        q=filters.get("q") or "",
        review=review,
    )
    if wants_export(request):
        return export_list(request, "困难职工档案", ROLL_COLUMNS, qs)
    counts = selectors.review_counts(actor=actor, within=within)
    tabs = [(key, label, counts.get(key)) for key, label in REVIEW_TABS]
    filtered = any(filters.get(n) for n in ("q", "org", "status", "level", "cause"))
    return render(
        request,
        "hardship/household_list.html",
        {
            "form": form,
            "within": within,
            "review": review,
            "tabs": tabs,
            "filtered": filtered,
            "page_obj": seek_page(request, qs, order=selectors.ROLL_ORDER, count_topic="hardship"),
            "can_file": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


@staff_required
def household_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    form = HouseholdForm(
        request.POST or None,
        unions=selectors.filing_union_list(actor=actor),
        causes=selectors.cause_list(),
        initial={"union": actor.organization_id, "work_capacity": "full"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_file(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已建立档案，请登记其他家庭成员和入户核查后提交审批。"))
            return redirect("console:household_detail", household.pk)
    return render(request, "hardship/household_form.html", {"form": form, "creating": True})


# --- a file ------------------------------------------------------------------------------


@staff_required
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    pending = selectors.filing_pending(household=household)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if pending is None:
            raise NotFound
        if decided(
            request,
            form,
            Perm.APPROVE,
            lambda approve, note: services.household_decide(
                actor=actor, filing=pending, approve=approve, note=note
            ),
            _("已处理建档审批。"),
        ):
            return redirect("console:household_detail", household.pk)
    editable = household.status in services.EDITABLE and has_perm(actor, Perm.EDIT_RECORDS)
    members = list(selectors.member_list(household=household))
    return render(
        request,
        "hardship/household_detail.html",
        {
            "household": household,
            "members": members,
            # What other modules show about the members on the roll (a placement, say).
            "people": [m.person_id for m in members if m.person_id],
            "visits": selectors.visit_list(household=household),
            "events": selectors.event_list(household=household),
            "filings": selectors.filings_of(household=household),
            "pending": pending,
            "form": form,
            "can_decide": pending is not None
            and decisions.may_decide(actor=actor, flow=services.FILING_FLOW, request=pending),
            "editable": editable,
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
            "can_reveal": has_perm(actor, Perm.REVEAL_PERSONAL),
            "reveal_form": RevealForm(),
            "statuses": HouseholdStatus,
            "self_relation": Relation.SELF,
        },
    )


def _fail(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    text = error_text(exc) if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, text)


@staff_required
def household_edit(request: HttpRequest, household_id: int) -> HttpResponse:
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    require(actor, Perm.EDIT_RECORDS)
    form = HouseholdEditForm(
        request.POST or None,
        causes=selectors.cause_list(),
        initial={
            "causes": list(household.causes.values_list("code", flat=True)),
            "cause_note": household.cause_note,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.household_update(
                actor=actor,
                household=household,
                address=data["address"] or None,
                causes=data["causes"],
                cause_note=data["cause_note"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("console:household_detail", household.pk)
    return render(request, "hardship/household_form.html", {"form": form, "household": household})


def _member_input(data: dict[str, Any], *, editing: bool, current: Any = None) -> Any:
    def sealed(name: str) -> Any:
        value = data.get(name)
        return None if editing and value in (None, "") else value

    return services.MemberInput(
        name=data.get("name") or (current.name if current else ""),
        relation=data.get("relation") or (current.relation if current else ""),
        id_number=sealed("id_number"),
        yearly_income=sealed("yearly_income"),
        health=sealed("health"),
        work_capacity=data["work_capacity"],
        in_school=data.get("in_school") or "",
    )


@staff_required
def member_create(request: HttpRequest, household_id: int) -> HttpResponse:
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    require(actor, Perm.EDIT_RECORDS)
    form = MemberForm(request.POST or None, initial={"work_capacity": "full"})
    if request.method == "POST" and form.is_valid():
        try:
            services.member_add(
                actor=actor,
                household=household,
                data=_member_input(form.cleaned_data, editing=False),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已添加家庭成员，人均收入和困难等级已重新计算。"))
            return redirect("console:household_detail", household.pk)
    return render(request, "hardship/member_form.html", {"form": form, "household": household})


@staff_required
def member_edit(request: HttpRequest, household_id: int, member_id: int) -> HttpResponse:
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    member = selectors.member_get(household=household, id=member_id)
    require(actor, Perm.EDIT_RECORDS)
    is_self = member.relation == Relation.SELF
    form = MemberForm(
        request.POST or None,
        editing=True,
        is_self=is_self,
        initial={
            "name": member.name,
            "relation": member.relation,
            "work_capacity": member.work_capacity,
            "in_school": member.in_school,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(
                actor=actor,
                member=member,
                data=_member_input(form.cleaned_data, editing=True, current=member),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存，人均收入和困难等级已重新计算。"))
            return redirect("console:household_detail", household.pk)
    return render(
        request,
        "hardship/member_form.html",
        {"form": form, "household": household, "member": member},
    )


@staff_required
@require_POST
def member_remove(request: HttpRequest, household_id: int, member_id: int) -> HttpResponse:
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    member = selectors.member_get(household=household, id=member_id)
    require(actor, Perm.EDIT_RECORDS)
    try:
        services.member_remove(actor=actor, member=member)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("已移除家庭成员“%(n)s”。") % {"n": member.name})
    return redirect("console:household_detail", household.pk)


@staff_required
def visit_create(request: HttpRequest, household_id: int) -> HttpResponse:
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    require(actor, Perm.EDIT_RECORDS)
    form = VisitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.visit_record(
                actor=actor,
                household=household,
                data=services.VisitInput(
                    data["visited_on"], data["visitors"], data["findings"], data["photos"]
                ),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记入户核查。"))
            return redirect("console:household_detail", household.pk)
    return render(request, "hardship/visit_form.html", {"form": form, "household": household})


@staff_required
@require_GET
def visit_photo(request: HttpRequest, household_id: int, photo_id: int) -> HttpResponse:
    """A visit photo shows a family's home: the role must allow seeing it, and every view
    is logged like any reveal."""
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    photo = selectors.photo_get(household=household, id=photo_id)
    services.photo_log(actor=actor, photo=photo, ip_address=client_ip(request))
    with photo.file.open("rb") as handle:
        data = unseal_bytes(handle.read(), purpose=PHOTO_PURPOSE)
    response = HttpResponse(data, content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
@require_POST
def household_submit(request: HttpRequest, household_id: int) -> HttpResponse:
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    require(actor, Perm.EDIT_RECORDS)
    try:
        services.household_submit(actor=actor, household=household)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("已提交上一级工会审批。"))
    return redirect("console:household_detail", household.pk)


@staff_required
def household_review(request: HttpRequest, household_id: int) -> HttpResponse:
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    require(actor, Perm.EDIT_RECORDS)
    form = ReviewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        visit = None
        if data["with_visit"]:
            visit = services.VisitInput(
                data["reviewed_on"], data["visitors"], data["findings"], data["photos"]
            )
        try:
            services.household_review(
                actor=actor,
                household=household,
                reviewed_on=data["reviewed_on"],
                note=data["note"],
                visit=visit,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已登记年度核查。"))
            return redirect("console:household_detail", household.pk)
    return render(request, "hardship/review_form.html", {"form": form, "household": household})


@staff_required
def household_leave(request: HttpRequest, household_id: int) -> HttpResponse:
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    require(actor, Perm.EDIT_RECORDS)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_leave(actor=actor, household=household, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已办理退出，档案保留。"))
            return redirect("console:household_detail", household.pk)
    return render(
        request,
        "hardship/simple_form.html",
        {"form": form, "household": household, "title": _("退出困难职工档案")},
    )


@staff_required
def household_reenter(request: HttpRequest, household_id: int) -> HttpResponse:
    actor = _actor(request)
    household = selectors.household_get(actor=actor, id=household_id)
    require(actor, Perm.EDIT_RECORDS)
    form = ReenterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_reenter(actor=actor, household=household, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已申请重新纳入，等待上一级工会审批。"))
            return redirect("console:household_detail", household.pk)
    return render(
        request,
        "hardship/simple_form.html",
        {"form": form, "household": household, "title": _("申请重新纳入")},
    )


def _reveal(request: HttpRequest, household: Any, member: Any, field: str) -> HttpResponse:
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            format_html('<span class="text-danger small">{}</span>', _("请选择查看原因。")),
            status=400,
        )
    try:
        plain = services.household_reveal(
            actor=_actor(request),
            household=household,
            member=member,
            field=field,
            reason=form.cleaned_data["reason"],
            reason_note=form.cleaned_data["reason_note"],
            ip_address=client_ip(request),
        )
    except ValidationError:
        raise Http404 from None
    return render(request, "members/_revealed.html", {"value": plain or "—"})


@staff_required
@require_POST
def household_reveal(request: HttpRequest, household_id: int, sealed: str) -> HttpResponse:
    """HTMX: the plaintext of the file's address or per-capita income, logged."""
    household = selectors.household_get(actor=_actor(request), id=household_id)
    if sealed not in services.HOUSEHOLD_SEALED:
        raise Http404
    return _reveal(request, household, None, sealed)


@staff_required
@require_POST
def member_reveal(
    request: HttpRequest, household_id: int, member_id: int, field: str
) -> HttpResponse:
    """HTMX: the plaintext of a member's ID number, income or health, logged."""
    household = selectors.household_get(actor=_actor(request), id=household_id)
    member = selectors.member_get(household=household, id=member_id)
    if field not in services.MEMBER_SEALED:
        raise Http404
    return _reveal(request, household, member, field)


# --- income lines ------------------------------------------------------------------------

LINE_COLUMNS = [
    Column("总工会", lambda x: x.organization.name, 24),
    Column("年度", lambda x: x.year, 8),
    Column("困难等级", lambda x: x.level.name, 12),
    Column("人均年收入标准（元）", lambda x: x.line, 16),
    Column("设定人", lambda x: str(x.set_by), 12),
    Column("设定时间", lambda x: x.set_at, 18),
]


@staff_required
@require_GET
def income_line_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    qs = selectors.income_line_list(actor=actor)
    if wants_export(request):
        return export_list(request, "困难认定标准", LINE_COLUMNS, qs)
    return render(
        request,
        "hardship/income_line_list.html",
        {
            "lines": qs[:200],
            "can_set": has_perm(actor, services.LINE_PERM)
            and getattr(actor.organization, "kind", "") == OrgKind.CITY,
        },
    )


@staff_required
def income_line_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, services.LINE_PERM)
    city = actor.organization
    form = IncomeLineForm(request.POST or None, levels=selectors.level_list())
    if request.method == "POST" and form.is_valid():
        try:
            line = services.income_line_set(actor=actor, organization=city, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("已设定%(y)s年%(l)s标准，本市困难职工的等级已按新标准重新核定。")
                % {"y": line.year, "l": line.level.name},
            )
            return redirect(reverse("console:income_line_list"))
    return render(
        request,
        "hardship/income_line_form.html",
        {"form": form, "is_city": city is not None and city.kind == OrgKind.CITY},
    )
