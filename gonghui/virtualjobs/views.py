"""Console pages for virtual jobs: posts, their adoption, suspension and end, and pay runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.pagination import seek_page
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, enterprise_required, paginate, staff_required
from gonghui.organizations import selectors as org_selectors
from gonghui.virtualjobs import selectors, services
from gonghui.virtualjobs.forms import (
    AdoptForm,
    EndForm,
    PayRunForm,
    PostFilterForm,
    PostForm,
    ResumeForm,
    SuspendForm,
)
from gonghui.virtualjobs.models import Post, PostStatus


def _actor(request: HttpRequest) -> Any:
    return request.user


def _month(month: Any) -> str:
    return f"{month:%Y-%m}" if month else ""


POST_COLUMNS = [
    Column("岗位名称", lambda p: p.title, 20),
    Column("在岗人员", lambda p: p.member.name, 12),
    Column("建档工会", lambda p: p.household.union.name, 24),
    Column("设岗工会", lambda p: p.organization.name, 24),
    Column("每月待遇（元）", lambda p: p.monthly_amount, 14),
    Column("起始月份", lambda p: p.start_month, 12),
    Column("终止月份", lambda p: p.end_month, 12),
    Column("认领单位", lambda p: p.adopter_name, 24),
    Column("支出基金", lambda p: p.fund.name if p.fund else "", 24),
    Column("状态", lambda p: p.get_status_display(), 10),
]
RUN_COLUMNS = [
    Column("月份", lambda r: r.month, 12),
    Column("发放工会", lambda r: r.organization.name, 24),
    Column("岗位数", lambda r: r.line_count, 10),
    Column("合计金额（元）", lambda r: r.total, 14),
    Column("经办人", lambda r: str(r.created_by), 12),
    Column("发放时间", lambda r: r.created_at, 18),
]
CANDIDATE_COLUMNS = [
    Column("成员", lambda m: m.name, 12),
    Column("与职工关系", lambda m: m.get_relation_display(), 10),
    Column("劳动能力", lambda m: m.get_work_capacity_display(), 10),
    Column("困难职工", lambda m: m.household.person.name, 12),
    Column("建档工会", lambda m: m.household.union.name, 24),
]
LINE_COLUMNS = [
    Column("岗位名称", lambda line: line.post.title, 20),
    Column("在岗人员", lambda line: line.post.member.name, 12),
    Column("月份", lambda line: line.month, 12),
    Column("金额（元）", lambda line: line.amount, 14),
    Column("认领单位", lambda line: line.adopter_name, 24),
    Column("支出基金", lambda line: line.fund.name, 24),
]


def _id(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdecimal() and len(text) < 19 else None


# --- posts --------------------------------------------------------------------------------------


@staff_required
@require_GET
def post_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    form = PostFilterForm(
        request.GET, orgs=org_selectors.organization_list(actor=actor), statuses=PostStatus.choices
    )
    form.is_valid()
    if "org" in form.errors:
        raise NotFound  # a union outside the actor's scope, like one that does not exist
    filters = {key: form.cleaned_data.get(key) or "" for key in ("q", "adopter", "status")}
    within = form.cleaned_data.get("org")
    qs = selectors.post_list(actor=actor, organization=within, **filters)
    if wants_export(request):
        return export_list(request, "虚拟岗位", POST_COLUMNS, qs)
    return render(
        request,
        "virtualjobs/post_list.html",
        {
            "form": form,
            "page_obj": seek_page(request, qs, order=("-id",)),
            "filtered": any(filters.values()) or within is not None,
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


@staff_required
def post_create(request: HttpRequest) -> HttpResponseBase:
    """Without ``?member=``: the members who may be given a post; with it, the post's form."""
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    member_id = _id(request.GET.get("member"))
    if member_id is None:
        q = request.GET.get("q", "").strip()[:50]
        candidates = selectors.candidate_list(actor=actor, q=q)
        if wants_export(request):
            return export_list(request, "可设虚拟岗位的成员", CANDIDATE_COLUMNS, candidates)
        return render(
            request,
            "virtualjobs/candidates.html",
            {"page_obj": paginate(request, candidates), "q": q},
        )
    member = selectors.candidate_get(actor=actor, id=member_id)
    household = member.household
    form = PostForm(
        request.POST or None,
        organizations=org_selectors.organization_list(actor=actor),
        initial={
            "organization": actor.organization_id,
            "account_holder": member.name,
            "start_month": _month(timezone.localdate()),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(
                actor=actor, household=household, member=member, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已设立虚拟岗位，请登记认领单位。"))
            return redirect("console:vj_post_adopt", post.pk)
    return render(
        request,
        "virtualjobs/post_form.html",
        {"form": form, "member": member, "household": household},
    )


@staff_required
@require_GET
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    actor = _actor(request)
    post = selectors.post_get(actor=actor, id=post_id)
    lines = list(selectors.post_lines(actor=actor, post=post)[:120])
    items = selectors.line_items(actor=actor, lines=lines)
    return render(
        request,
        "virtualjobs/post_detail.html",
        {
            "post": post,
            "events": selectors.post_events(actor=actor, post=post),
            "adoptions": selectors.post_adoptions(actor=actor, post=post),
            "suspensions": selectors.post_suspensions(actor=actor, post=post),
            "lines": [(line, items.get(line.pk)) for line in lines],
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


def _post_action(
    request: HttpRequest,
    post_id: int,
    form_class: type[forms.Form],
    act: Callable[[Any, Post, dict[str, Any]], Any],
    done: str,
    title: str,
    initial: Callable[[Post], dict[str, Any]],
    **form_kwargs: Any,
) -> HttpResponse:
    actor = _actor(request)
    post = selectors.post_get(actor=actor, id=post_id)
    require(actor, Perm.EDIT_RECORDS)
    kwargs = {key: value(post) if callable(value) else value for key, value in form_kwargs.items()}
    form = form_class(request.POST or None, initial=initial(post), **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            act(actor, post, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("console:vj_post_detail", post.pk)
    return render(
        request, "virtualjobs/post_action.html", {"form": form, "post": post, "title": title}
    )


def _adopt(actor: Any, post: Post, data: dict[str, Any]) -> Any:
    enterprise = None
    if data["credit_code"]:
        enterprise = selectors.enterprise_by_credit_code(
            actor=actor, credit_code=data["credit_code"]
        )
        if enterprise is None:
            raise ValidationError(
                {"credit_code": [_("没有找到该信用代码的企业，请核对，或填写单位名称。")]}
            )
    commitment = None
    if data["committed"] is not None:
        commitment = services.Commitment(
            data["committed"], data["received_on"], data["receipt_number"]
        )
    return services.post_adopt(
        actor=actor,
        post=post,
        fund=data["fund"],
        adopter_name=data["adopter_name"],
        enterprise=enterprise,
        from_month=data["from_month"],
        commitment=commitment,
    )


@staff_required
def post_adopt(request: HttpRequest, post_id: int) -> HttpResponse:
    actor = _actor(request)
    return _post_action(
        request,
        post_id,
        AdoptForm,
        _adopt,
        _("已登记认领。"),
        _("登记认领"),
        lambda post: {
            "from_month": _month(max(post.start_month, services.month_of(timezone.localdate())))
            if post.status != PostStatus.OPEN
            else _month(post.start_month),
            "received_on": timezone.localdate(),
        },
        funds=lambda post: selectors.funds_for(actor=actor, post=post),
    )


@staff_required
def post_suspend(request: HttpRequest, post_id: int) -> HttpResponse:
    return _post_action(
        request,
        post_id,
        SuspendForm,
        lambda actor, post, data: services.post_suspend(actor=actor, post=post, **data),
        _("已暂停该岗位，暂停期间不发放待遇。"),
        _("暂停岗位"),
        lambda post: {"from_month": _month(services.month_of(timezone.localdate()))},
    )


@staff_required
def post_resume(request: HttpRequest, post_id: int) -> HttpResponse:
    return _post_action(
        request,
        post_id,
        ResumeForm,
        lambda actor, post, data: services.post_resume(actor=actor, post=post, **data),
        _("已恢复该岗位。"),
        _("恢复岗位"),
        lambda post: {"from_month": _month(services.month_of(timezone.localdate()))},
    )


@staff_required
def post_end(request: HttpRequest, post_id: int) -> HttpResponse:
    return _post_action(
        request,
        post_id,
        EndForm,
        lambda actor, post, data: services.post_end(actor=actor, post=post, **data),
        _("已终止该岗位。"),
        _("终止岗位"),
        lambda post: {"last_month": _month(services.month_of(timezone.localdate()))},
    )


# --- pay runs -----------------------------------------------------------------------------------


@staff_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    qs = selectors.run_list(actor=actor)
    if wants_export(request):
        return export_list(request, "虚拟岗位月度发放", RUN_COLUMNS, qs)
    return render(
        request,
        "virtualjobs/run_list.html",
        {
            "page_obj": paginate(request, qs),
            "due": selectors.due_this_month(actor),
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


@staff_required
def run_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    form = PayRunForm(
        request.POST or None,
        organizations=org_selectors.organization_list(actor=actor),
        initial={
            "organization": actor.organization_id,
            "month": _month(timezone.localdate()),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = services.pay_run_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("已发放 %(m)s 的 %(n)s 个岗位，合计 ¥%(t)s，已转入待发放款项。")
                % {"m": _month(run.month), "n": run.line_count, "t": f"{run.total:,.2f}"},
            )
            return redirect("console:vj_run_detail", run.pk)
    return render(request, "virtualjobs/run_form.html", {"form": form})


@staff_required
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponseBase:
    actor = _actor(request)
    run = selectors.run_get(actor=actor, id=run_id)
    lines = selectors.run_lines(actor=actor, run=run)
    if wants_export(request):
        return export_list(request, f"虚拟岗位发放{_month(run.month)}", LINE_COLUMNS, lines)
    return render(
        request, "virtualjobs/run_detail.html", {"run": run, "page_obj": paginate(request, lines)}
    )


# --- the enterprise area ------------------------------------------------------------------------


@enterprise_required
@require_GET
def enterprise_adoptions(request: HttpRequest) -> HttpResponse:
    """The posts the contact's enterprise adopts, and what they have been paid."""
    return render(
        request,
        "virtualjobs/enterprise_adoptions.html",
        {"adopted": selectors.enterprise_adoptions(actor=request.user)},
    )
