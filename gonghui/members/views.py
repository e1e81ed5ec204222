"""Console pages for the member roll, joining and transfers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core import decisions
from gonghui.core.exports import Column, export_list, wants_export, xlsx_response
from gonghui.core.forms import DecisionForm
from gonghui.core.models import AccessReason
from gonghui.core.pagination import seek_page
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.services import Subject, personal_data_log, personal_data_reveal
from gonghui.core.web import (
    apply_errors,
    client_ip,
    decided,
    error_text,
    paginate,
    staff_required,
)
from gonghui.members import selectors, services
from gonghui.members.forms import (
    LeaveForm,
    MemberAddForm,
    MemberFilterForm,
    PersonEditForm,
    RevealForm,
    StaffTransferForm,
)
from gonghui.members.models import Membership, RequestStatus
from gonghui.organizations import selectors as org_selectors

SEALED_FIELDS = {"id_number": _("身份证号"), "mobile": _("手机号")}


def _actor(request: HttpRequest) -> Any:
    return request.user


def _member_columns(reveal: bool) -> list[Column]:
    def sealed(m: Membership, name: str) -> str:
        value = getattr(m.person, name)
        if value is None:
            return ""
        return value.reveal() if reveal else value.masked()

    return [
        Column("姓名", lambda m: m.person.name, 10),
        Column("性别", lambda m: m.person.get_sex_display(), 6),
        Column("出生日期", lambda m: m.person.birth_date, 12),
        Column("身份证号", lambda m: sealed(m, "id_number"), 22),
        Column("手机号", lambda m: sealed(m, "mobile"), 14),
        Column("户籍类型", lambda m: m.person.get_household_display(), 10),
        Column("所在工会", lambda m: m.union.name, 30),
        Column("会员卡号", lambda m: m.card_number, 16),
        Column("入会日期", lambda m: m.joined_on, 12),
        Column("状态", lambda m: m.get_status_display(), 8),
    ]


@staff_required
@require_GET
def member_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    form = MemberFilterForm(
        request.GET,
        orgs=org_selectors.organization_list(actor=actor),
        sorts=selectors.MEMBER_SORTS,
    )
    form.is_valid()
    if "org" in form.errors:
        raise NotFound  # a union outside the actor's scope, like one that does not exist
    filters = form.cleaned_data
    employer = None
    if filters.get("employer"):
        employer = org_selectors.enterprise_get(actor=actor, id=filters["employer"])
    # No status in the query means the active members; an empty one means every state.
    status = str(filters.get("status") or "") if "status" in request.GET else "active"
    sort = filters.get("sort") or ""
    qs = selectors.member_list(
        actor=actor,
        q=filters.get("q") or "",
        within=filters.get("org"),
        status=status,
        sex=filters.get("sex") or "",
        household=filters.get("household") or "",
        joined_from=filters.get("joined_from"),
        joined_to=filters.get("joined_to"),
        employer=employer,
        sort=sort,
    )
    if request.GET.get("format") == "xlsx":
        return _member_export(request, qs)
    filtered = any(
        filters.get(name) for name in ("q", "org", "employer", "sex", "household")
    ) or any(filters.get(name) for name in ("joined_from", "joined_to"))
    return render(
        request,
        "members/member_list.html",
        {
            "form": form,
            "within": filters.get("org"),
            "status": status,
            "sort": sort,
            "columns": _sort_columns(sort),
            "filtered": filtered or status != "active",
            "page_obj": seek_page(
                request, qs, order=selectors.member_order(sort), count_topic="members"
            ),
            "detail_base": reverse("console:member_list"),
            "reasons": AccessReason.choices,
        },
    )


SORT_COLUMNS = ("name", "union", "joined", "status")


def _sort_columns(sort: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the sort its header link asks for (ascending first, then the
    other way) and the arrow it shows now."""
    columns = {}
    for key in SORT_COLUMNS:
        if sort == key:
            columns[key] = {"next": f"-{key}", "arrow": "bi-sort-up", "aria": "ascending"}
        elif sort == f"-{key}":
            columns[key] = {"next": key, "arrow": "bi-sort-down", "aria": "descending"}
        else:
            columns[key] = {"next": key, "arrow": "", "aria": "none"}
    return columns


def _member_export(request: HttpRequest, qs: Any) -> HttpResponseBase:
    """Masked by default. Unmasked only for roles that may see personal data, with a reason,
    and every exported person is written to the access log in the same transaction."""
    actor = _actor(request)
    require(actor, Perm.EXPORT)
    if request.GET.get("unmasked") != "1":
        return xlsx_response("会员名册", _member_columns(False), qs.iterator(chunk_size=2000))
    require(actor, Perm.REVEAL_PERSONAL)
    reason = request.GET.get("reason", "")
    if reason not in AccessReason.values:
        messages.error(request, _("导出完整身份证号和手机号前，请选择查看原因。"))
        return redirect(request.path)
    rows = list(qs[:50_000])
    with transaction.atomic():
        personal_data_log(
            actor=actor,
            subjects=[Subject.of(m.person) for m in rows],
            fields=["id_number", "mobile"],
            reason=reason,
            reason_note=request.GET.get("reason_note", ""),
            channel="export",
            ip_address=client_ip(request),
        )
        return xlsx_response(
            "会员名册（含完整个人信息）",
            _member_columns(True),
            rows,
            note=_("本表含完整身份证号和手机号，导出已记录。请妥善保管，用后删除。"),
        )


@staff_required
@require_POST
def member_lookup(request: HttpRequest) -> HttpResponse:
    """Exact look-up by ID number, mobile or card number. A POST, so the number never sits in
    a URL, a server log or the browser's history; the page shows it masked."""
    actor = _actor(request)
    key = request.POST.get("key", "").strip()
    found = selectors.exact_key(key)
    qs = selectors.member_list(actor=actor, status="").none()
    if found is None:
        messages.error(request, _("请输入完整的 18 位身份证号、11 位手机号或会员卡号。"))
    else:
        qs = selectors.member_list(actor=actor, status="", key=key)
    return render(
        request,
        "members/member_list.html",
        {
            "form": MemberFilterForm(
                orgs=org_selectors.organization_list(actor=actor), sorts=selectors.MEMBER_SORTS
            ),
            "status": "active",
            "columns": _sort_columns(""),
            "page_obj": paginate(request, qs),
            "reasons": AccessReason.choices,
            "lookup": True,
            "detail_base": reverse("console:member_list"),
        },
    )


@staff_required
def member_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    form = MemberAddForm(
        request.POST or None,
        unions=org_selectors.grassroots_list(actor=actor),
        employers=org_selectors.enterprise_list(actor=actor),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.member_add(
                actor=actor,
                union=data["union"],
                data=services.PersonInput(
                    name=data["name"],
                    id_number=data["id_number"],
                    mobile=data["mobile"],
                    household=data["household"],
                    education=data["education"],
                ),
                joined_on=data["joined_on"],
                employer=data["employer"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("已登记会员 %(n)s，会员卡号 %(c)s。")
                % {"n": membership.person.name, "c": membership.card_number},
            )
            return redirect("console:member_detail", membership.pk)
    return render(request, "members/member_form.html", {"form": form})


@staff_required
@require_GET
def member_detail(request: HttpRequest, membership_id: int) -> HttpResponse:
    actor = _actor(request)
    membership = selectors.membership_get(actor=actor, id=membership_id)
    person = membership.person
    pending = selectors.transfer_list(actor=actor, status=RequestStatus.PENDING).filter(
        membership=membership
    )
    return render(
        request,
        "members/member_detail.html",
        {
            "membership": membership,
            "person": person,
            "path": selectors.person_memberships(person=person),
            "pending_transfer": pending.first(),
            "reveal_form": RevealForm(),
            "sealed_fields": SEALED_FIELDS,
        },
    )


@staff_required
@require_POST
def member_reveal(request: HttpRequest, membership_id: int, field: str) -> HttpResponse:
    """HTMX: the plaintext of one sealed field, after the reason is logged."""
    actor = _actor(request)
    membership = selectors.membership_get(actor=actor, id=membership_id)
    if field not in SEALED_FIELDS:
        raise Http404
    form = RevealForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            format_html('<span class="text-danger small">{}</span>', _("请选择查看原因。")),
            status=400,
        )
    value = getattr(membership.person, field)
    if value is None:
        return HttpResponse("—")
    plain = personal_data_reveal(
        actor=actor,
        subject=membership.person,
        field=field,
        value=value,
        reason=form.cleaned_data["reason"],
        reason_note=form.cleaned_data["reason_note"],
        ip_address=client_ip(request),
    )
    return render(request, "members/_revealed.html", {"value": plain})


@staff_required
def member_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    actor = _actor(request)
    membership = selectors.membership_get(actor=actor, id=membership_id)
    if not membership.is_active:
        raise NotFound  # a person's details are kept by their current union
    require(actor, Perm.EDIT_RECORDS)
    person = membership.person
    initial = {
        "name": person.name,
        "household": person.household,
        "education": person.education,
        "employer": person.employer_id,
    }
    form = PersonEditForm(
        request.POST or None,
        initial=initial,
        employers=org_selectors.enterprise_list(actor=actor),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # An empty number means "unchanged": the stored value is used inside the service and
        # never sent to the screen.
        id_number = data["id_number"] or person.id_number.reveal()
        mobile = data["mobile"] or (person.mobile.reveal() if person.mobile else "")
        try:
            services.person_update(
                actor=actor,
                person=person,
                data=services.PersonInput(
                    name=data["name"],
                    id_number=id_number,
                    mobile=mobile,
                    household=data["household"],
                    education=data["education"],
                ),
                employer=data["employer"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("console:member_detail", membership.pk)
    return render(request, "members/person_form.html", {"form": form, "membership": membership})


@staff_required
def member_leave(request: HttpRequest, membership_id: int) -> HttpResponse:
    actor = _actor(request)
    membership = selectors.membership_get(actor=actor, id=membership_id)
    require(actor, Perm.DECIDE_MEMBERSHIP)
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_end(actor=actor, membership=membership, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已办理退会。"))
            return redirect("console:member_detail", membership.pk)
    return render(request, "members/leave_form.html", {"form": form, "membership": membership})


@staff_required
def member_transfer(request: HttpRequest, membership_id: int) -> HttpResponse:
    """The old union starts a transfer to a union anywhere in the city."""
    actor = _actor(request)
    membership = selectors.membership_get(actor=actor, id=membership_id)
    require(actor, Perm.DECIDE_MEMBERSHIP)
    form = StaffTransferForm(
        request.POST or None, unions=org_selectors.public_union_list(actor=actor)
    )
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.transfer_request(
                actor=actor,
                membership=membership,
                to_union=form.cleaned_data["to_union"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已提交转接申请，等待转入工会接收。"))
            return redirect("console:transfer_detail", transfer.pk)
    return render(request, "members/transfer_form.html", {"form": form, "membership": membership})


# --- join applications -----------------------------------------------------------------------


JOIN_COLUMNS = [
    Column("申请人", lambda a: a.person.name, 10),
    Column("身份证号", lambda a: a.person.id_number, 22),
    Column("申请加入的工会", lambda a: a.union.name, 30),
    Column("工作单位", lambda a: a.employer_name, 30),
    Column("申请时间", lambda a: a.created_at, 18),
    Column("状态", lambda a: a.get_status_display(), 8),
    Column("审批意见", lambda a: a.decision_note, 30),
]
TRANSFER_COLUMNS = [
    Column("会员", lambda t: t.membership.person.name, 10),
    Column("会员卡号", lambda t: t.membership.card_number, 16),
    Column("转出工会", lambda t: t.membership.union.name, 30),
    Column("转入工会", lambda t: t.to_union.name, 30),
    Column("发起方", lambda t: t.get_initiator_display(), 10),
    Column("转接原因", lambda t: t.reason, 30),
    Column("申请时间", lambda t: t.created_at, 18),
    Column("状态", lambda t: t.get_status_display(), 8),
]


@staff_required
@require_GET
def join_list(request: HttpRequest) -> HttpResponseBase:
    status = request.GET.get("status", RequestStatus.PENDING)
    qs = selectors.join_application_list(actor=_actor(request), status=status)
    if wants_export(request):
        return export_list(request, "入会申请", JOIN_COLUMNS, qs)
    return render(
        request,
        "members/join_list.html",
        {"page_obj": paginate(request, qs), "status": status, "statuses": RequestStatus.choices},
    )


@staff_required
def join_detail(request: HttpRequest, join_id: int) -> HttpResponse:
    actor = _actor(request)
    application = selectors.join_application_get(actor=actor, id=join_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and decided(
        request,
        form,
        Perm.DECIDE_MEMBERSHIP,
        lambda approve, note: services.join_decide(
            actor=actor, application=application, approve=approve, note=note
        ),
        _("已处理入会申请。"),
    ):
        return redirect("console:join_detail", application.pk)
    return render(
        request,
        "members/join_detail.html",
        {
            "application": application,
            "form": form,
            "can_decide": decisions.may_decide(
                actor=actor, flow=services.JOIN_FLOW, request=application
            ),
        },
    )


# --- transfers --------------------------------------------------------------------------------


@staff_required
@require_GET
def transfer_list(request: HttpRequest) -> HttpResponseBase:
    status = request.GET.get("status", RequestStatus.PENDING)
    direction = request.GET.get("direction", "in")
    qs = selectors.transfer_list(actor=_actor(request), status=status, direction=direction)
    if wants_export(request):
        return export_list(request, "会员转接", TRANSFER_COLUMNS, qs)
    return render(
        request,
        "members/transfer_list.html",
        {
            "page_obj": paginate(request, qs),
            "status": status,
            "direction": direction,
            "statuses": RequestStatus.choices,
        },
    )


@staff_required
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    actor = _actor(request)
    transfer = selectors.transfer_get(actor=actor, id=transfer_id)
    form = DecisionForm(request.POST or None)
    path = actor.scope_path or ""
    is_receiver = transfer.to_union.path.startswith(path)
    is_sender = transfer.membership.union.path.startswith(path)
    if request.method == "POST" and request.POST.get("decision") == "cancel":
        require(actor, Perm.DECIDE_MEMBERSHIP)
        try:
            services.transfer_cancel(actor=actor, transfer=transfer)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("已撤回转接申请。"))
            return redirect("console:transfer_detail", transfer.pk)
    elif request.method == "POST" and decided(
        request,
        form,
        Perm.DECIDE_MEMBERSHIP,
        lambda accept, note: services.transfer_decide(
            actor=actor, transfer=transfer, accept=accept, note=note
        ),
        _("已处理转接申请。"),
    ):
        return redirect("console:transfer_detail", transfer.pk)
    return render(
        request,
        "members/transfer_detail.html",
        {
            "transfer": transfer,
            "form": form,
            "is_receiver": is_receiver,
            "is_sender": is_sender,
            "can_decide": has_perm(actor, Perm.DECIDE_MEMBERSHIP),
            "may_decide": decisions.may_decide(
                actor=actor, flow=services.TRANSFER_FLOW, request=transfer
            ),
        },
    )
