"""Console pages for funds, their ledgers, incomes and payment batches."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gonghui.core import decisions
from gonghui.core.exports import Column, export_list, wants_export, xlsx_response
from gonghui.core.forms import DecisionForm
from gonghui.core.models import AccessReason
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.web import (
    apply_errors,
    client_ip,
    decided,
    error_text,
    non_field_error,
    paginate,
    staff_required,
)
from gonghui.funds import receipts, selectors, services
from gonghui.funds.forms import BatchForm, FundForm, IncomeForm, ResultForm, RevealForm
from gonghui.funds.models import BatchStatus, ItemStatus, LineStatus
from gonghui.organizations import selectors as org_selectors


def _actor(request: HttpRequest) -> Any:
    return request.user


FUND_COLUMNS = [
    Column("基金名称", lambda f: f.name, 30),
    Column("所属组织", lambda f: f.organization.name, 30),
    Column("资金来源", lambda f: f.source_kind.name, 14),
    Column("累计入账", lambda f: f.raised, 14),
    Column("累计支出", lambda f: f.paid_out, 14),
    Column("余额", lambda f: f.balance, 14),
]
ITEM_COLUMNS = [
    Column("收款人", lambda i: i.account_holder, 12),
    Column("银行卡号", lambda i: i.bank_card, 24),
    Column("开户行", lambda i: i.bank_name, 24),
    Column("金额", lambda i: i.amount, 14),
    Column("摘要", lambda i: i.label, 24),
    Column("支出基金", lambda i: i.fund.name, 24),
    Column("所属组织", lambda i: i.organization.name, 24),
    Column("提交时间", lambda i: i.created_at, 18),
    Column("状态", lambda i: i.get_status_display(), 10),
]
BATCH_COLUMNS = [
    Column("批次名称", lambda b: b.title, 30),
    Column("发放组织", lambda b: b.organization.name, 24),
    Column("笔数", lambda b: b.line_count, 8),
    Column("合计金额", lambda b: b.total, 14),
    Column("制单人", lambda b: str(b.created_by), 12),
    Column("制单时间", lambda b: b.created_at, 18),
    Column("审批人", lambda b: str(b.decided_by or ""), 12),
    Column("状态", lambda b: b.get_status_display(), 12),
]
LEDGER_COLUMNS = [
    Column("时间", lambda e: e.at, 18),
    Column("类型", lambda e: e.get_kind_display(), 16),
    Column("金额", lambda e: e.amount, 14),
    Column("变动后余额", lambda e: e.balance_after, 14),
    Column("摘要", lambda e: e.note, 40),
    Column("经办人", lambda e: str(e.by), 12),
]


# --- funds ------------------------------------------------------------------------------------


@staff_required
@require_GET
def fund_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    q = request.GET.get("q", "").strip()[:50]
    qs = selectors.fund_list(actor=actor, q=q)
    if wants_export(request):
        return export_list(request, "基金", FUND_COLUMNS, qs)
    totals = qs.order_by().aggregate(balance=Sum("balance"))
    return render(
        request,
        "funds/fund_list.html",
        {
            "page_obj": paginate(request, qs),
            "q": q,
            "total_balance": totals["balance"] or Decimal("0"),
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


@staff_required
def fund_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, Perm.EDIT_RECORDS)
    form = FundForm(
        request.POST or None,
        organizations=org_selectors.organization_list(actor=actor),
        kinds=selectors.source_kind_list(),
        initial={"organization": actor.organization_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            fund = services.fund_create(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已建立基金“%(n)s”。") % {"n": fund.name})
            return redirect("console:fund_detail", fund.pk)
    return render(request, "funds/fund_form.html", {"form": form})


@staff_required
@require_GET
def fund_detail(request: HttpRequest, fund_id: int) -> HttpResponseBase:
    actor = _actor(request)
    fund = selectors.fund_get(actor=actor, id=fund_id)
    ledger = selectors.ledger_list(actor=actor, fund=fund)
    if wants_export(request):
        return export_list(request, f"{fund.name}流水", LEDGER_COLUMNS, ledger)
    return render(
        request,
        "funds/fund_detail.html",
        {
            "fund": fund,
            "page_obj": paginate(request, ledger),
            "incomes": selectors.income_list(actor=actor, fund=fund)[:10],
            "pending": selectors.payable_list(actor=actor, fund=fund).count(),
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
        },
    )


@staff_required
def income_create(request: HttpRequest, fund_id: int) -> HttpResponse:
    actor = _actor(request)
    fund = selectors.fund_get(actor=actor, id=fund_id)
    require(actor, Perm.EDIT_RECORDS)
    form = IncomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            income = services.income_record(actor=actor, fund=fund, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("已登记入账 %(a)s，收据编号 %(r)s。")
                % {"a": services.yuan(income.amount), "r": income.receipt_number},
            )
            return redirect("console:fund_detail", fund.pk)
    return render(request, "funds/income_form.html", {"form": form, "fund": fund})


def income_verify_url(request: HttpRequest, income: Any) -> str:
    return request.build_absolute_uri(reverse("portal:income_verify", args=[income.verify_token]))


@staff_required
@require_GET
def income_acknowledgement(request: HttpRequest, income_id: int) -> HttpResponse:
    """The income's acknowledgement as a PDF, with its verification QR code."""
    income = selectors.income_get(actor=_actor(request), id=income_id)
    return receipts.acknowledgement_response(income, verify_url=income_verify_url(request, income))


@require_GET
def income_verify(request: HttpRequest, token: str) -> HttpResponse:
    """What anyone who scans an acknowledgement sees: that the receipt exists, its number,
    amount, date and organisation, the donor masked if a person. Public and minimal (the
    token, not a login, is the credential; nothing else of the fund or its ledger shows)."""
    income = selectors.income_verify_get(token=token)
    return render(
        request,
        "funds/income_verify.html",
        {
            "income": income,
            "donor": receipts.public_donor(income) if income else "",
            "capital": receipts.capital_yuan(income.amount) if income else "",
        },
        status=200 if income else 404,
    )


# --- raised versus paid ----------------------------------------------------------------------


def _year(text: str) -> int:
    today = timezone.localdate()
    if text.isascii() and text.isdecimal() and 2000 <= int(text) <= today.year + 1:
        return int(text)
    return today.year


def _share(row: selectors.RaisedPaid) -> Any:
    return float(row.paid_share) if row.paid_share is not None else ""


RAISED_PAID_COLUMNS = [
    Column("分组", lambda r: r[0], 12),
    Column("名称", lambda r: r[1], 36),
    Column("筹集（元）", lambda r: r[2].raised, 16),
    Column("发放（元）", lambda r: r[2].paid, 16),
    Column("发放占筹集", lambda r: _share(r[2]), 12),
]


@staff_required
@require_GET
def raised_paid(request: HttpRequest) -> HttpResponseBase:
    """Raised versus paid for a subtree and a year: per fund, per source kind, per
    organisation of the next level, per month."""
    actor = _actor(request)
    org_id = str(request.GET.get("org") or actor.organization_id or "")
    organization = org_selectors.organization_get(
        actor=actor, id=int(org_id) if org_id.isascii() and org_id.isdecimal() else 0
    )
    year = _year(request.GET.get("year", ""))
    report = selectors.raised_paid_report(actor=actor, organization=organization, year=year)
    if wants_export(request):
        require(actor, Perm.EXPORT)
        rows = (
            [("合计", report.total.label, report.total)]
            + [("基金", r.label, r) for r in report.by_fund]
            + [("资金来源", r.label, r) for r in report.by_source_kind]
            + [("下级组织", r.label, r) for r in report.by_child]
            # A month is a date cell (its first day), as every date in an export is.
            + [("月份", datetime.date(year, r.key, 1), r) for r in report.by_month]
        )
        return xlsx_response(f"筹集与发放-{organization.name}-{year}", RAISED_PAID_COLUMNS, rows)
    return render(
        request,
        "funds/raised_paid.html",
        {
            "report": report,
            "org": organization,
            "year": year,
            "years": list(range(timezone.localdate().year, 2012, -1)),
            "ancestors": org_selectors.organization_ancestors(actor=actor, org=organization),
            "chart": {
                "children": _series(report.by_child),
                "kinds": _series(report.by_source_kind),
                "months": _series(report.by_month),
            },
        },
    )


def _series(rows: list[selectors.RaisedPaid]) -> dict[str, list[Any]]:
    return {
        "labels": [row.label for row in rows],
        "raised": [str(row.raised) for row in rows],
        "paid": [str(row.paid) for row in rows],
    }


# --- payable items and batches ---------------------------------------------------------------


@staff_required
@require_GET
def payable_list(request: HttpRequest) -> HttpResponseBase:
    actor = _actor(request)
    status = request.GET.get("status", ItemStatus.PENDING)
    if status not in ItemStatus.values:
        status = ""
    qs = selectors.payable_list(actor=actor, status=status)
    if wants_export(request):
        return export_list(request, "待发放款项", ITEM_COLUMNS, qs)
    return render(
        request,
        "funds/payable_list.html",
        {
            "page_obj": paginate(request, qs),
            "status": status,
            "statuses": ItemStatus.choices,
            "can_batch": has_perm(actor, Perm.APPROVE),
        },
    )


def _chosen_items(request: HttpRequest, actor: Any) -> list[Any]:
    raw = request.POST.getlist("items") or request.GET.getlist("item")
    try:
        ids = sorted({int(i) for i in raw})[: services.MAX_BATCH_LINES + 1]
    except ValueError:
        ids = []
    return selectors.payable_items_get(actor=actor, ids=ids) if ids else []


@staff_required
def batch_create(request: HttpRequest) -> HttpResponse:
    """The items chosen on the pending list, named and put into a batch."""
    actor = _actor(request)
    require(actor, Perm.APPROVE)
    items = _chosen_items(request, actor)
    form = BatchForm(
        request.POST or None,
        organizations=org_selectors.organization_list(actor=actor),
        item_ids=[item.pk for item in items],
        initial={"organization": actor.organization_id, "items": [item.pk for item in items]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_create(
                actor=actor,
                organization=form.cleaned_data["organization"],
                title=form.cleaned_data["title"],
                items=items,
            )
        except ValidationError as exc:
            # The items are hidden inputs: their problems are shown at the top of the form.
            problems = exc.message_dict
            for message in problems.pop("items", []):
                non_field_error(form, message)
            if problems:
                apply_errors(form, ValidationError(problems))
        else:
            messages.success(
                request,
                _("已生成发放批次“%(t)s”，共 %(n)s 笔，等待其他审核人员审批。")
                % {"t": batch.title, "n": batch.line_count},
            )
            return redirect("console:batch_detail", batch.pk)
    total = sum((item.amount for item in items), Decimal("0"))
    return render(request, "funds/batch_form.html", {"form": form, "items": items, "total": total})


@staff_required
@require_GET
def batch_list(request: HttpRequest) -> HttpResponseBase:
    status = request.GET.get("status", "")
    if status not in BatchStatus.values:
        status = ""
    qs = selectors.batch_list(actor=_actor(request), status=status)
    if wants_export(request):
        return export_list(request, "发放批次", BATCH_COLUMNS, qs)
    return render(
        request,
        "funds/batch_list.html",
        {"page_obj": paginate(request, qs), "status": status, "statuses": BatchStatus.choices},
    )


@staff_required
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = _actor(request)
    batch = selectors.batch_get(actor=actor, id=batch_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and decided(
        request,
        form,
        Perm.APPROVE,
        lambda approve, note: services.batch_decide(
            actor=actor, batch=batch, approve=approve, note=note
        ),
        _("已处理发放批次。"),
    ):
        return redirect("console:batch_detail", batch.pk)
    lines = selectors.line_list(actor=actor, batch=batch)
    reserved = [line.pk for line in lines if line.status == LineStatus.RESERVED]
    return render(
        request,
        "funds/batch_detail.html",
        {
            "batch": batch,
            "form": form,
            "page_obj": paginate(request, lines, 200),
            "can_decide": decisions.may_decide(
                actor=actor, flow=services.BATCH_FLOW, request=batch
            ),
            "can_record": batch.status == BatchStatus.APPROVED
            and has_perm(actor, Perm.EDIT_RECORDS),
            "result_form": ResultForm(line_ids=reserved),
            "reveal_form": RevealForm(),
            "can_reveal": has_perm(actor, Perm.REVEAL_PERSONAL),
            "exportable": batch.status in {BatchStatus.APPROVED, BatchStatus.DONE},
        },
    )


BANK_COLUMNS = [
    Column("序号", lambda r: r.index, 6),
    Column("户名", lambda r: r.account_holder, 12),
    Column("银行卡号", lambda r: r.bank_card, 24),
    Column("开户行", lambda r: r.bank_name, 24),
    Column("金额（元）", lambda r: r.amount, 14),
    Column("摘要", lambda r: r.label, 24),
    Column("状态", lambda r: r.status, 12),
]


@staff_required
@require_GET
def batch_export(request: HttpRequest, batch_id: int) -> HttpResponseBase:
    """The bank's bulk-transfer file: card numbers masked, or in full with a logged reason."""
    actor = _actor(request)
    batch = selectors.batch_get(actor=actor, id=batch_id)
    reveal = request.GET.get("unmasked") == "1"
    try:
        rows = services.batch_bank_file(
            actor=actor,
            batch=batch,
            reveal=reveal,
            reason=request.GET.get("reason", ""),
            reason_note=request.GET.get("reason_note", "")[:200],
            ip_address=client_ip(request),
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("console:batch_detail", batch.pk)
    title = f"{batch.title}银行代发" + ("（含完整卡号）" if reveal else "")
    note = _("本表含完整银行卡号，导出已记录。请妥善保管，用后删除。") if reveal else ""
    return xlsx_response(title, BANK_COLUMNS, rows, note=note)


@staff_required
@require_POST
def batch_results(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = _actor(request)
    batch = selectors.batch_get(actor=actor, id=batch_id)
    require(actor, Perm.EDIT_RECORDS)
    reserved = list(
        selectors.line_list(actor=actor, batch=batch)
        .filter(status=LineStatus.RESERVED)
        .values_list("pk", flat=True)
    )
    form = ResultForm(request.POST, line_ids=reserved)
    if not form.is_valid():
        messages.error(request, _("请勾选待回执的明细，并选择发放结果。"))
        return redirect("console:batch_detail", batch.pk)
    paid = form.cleaned_data["outcome"] == "paid"
    try:
        services.batch_results_record(
            actor=actor,
            batch=batch,
            results=[
                services.LineResult(pk, paid, form.cleaned_data["reason"])
                for pk in form.cleaned_data["lines"]
            ],
            paid_on=form.cleaned_data["paid_on"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, _("已登记 %(n)s 笔发放结果。") % {"n": len(form.cleaned_data["lines"])}
        )
    return redirect("console:batch_detail", batch.pk)


def reasons() -> list[tuple[str, Any]]:
    return list(AccessReason.choices)
