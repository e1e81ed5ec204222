"""Console pages of enrolment: the enrolment list per period and union (with the single
enrolment form and the way to the platform's import pages), refunds, the bills with their
payments and the federation's "record a payment", and the enrolment figures."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gonghui.core.exports import Column, export_list, wants_export
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import NotFound
from gonghui.core.web import apply_errors, paginate, staff_required
from gonghui.mutualaid.forms.enrolment import EnrolForm, PaymentForm, RefundForm
from gonghui.mutualaid.models import BillStatus, EnrolmentStatus
from gonghui.mutualaid.selectors import enrolment as selectors
from gonghui.mutualaid.services import enrolment as services

ENROLMENT_COLUMNS = [
    Column("期数", lambda e: e.period.name, 10),
    Column("姓名", lambda e: e.person.name, 12),
    Column("参保工会", lambda e: e.union.name, 28),
    Column("参保方式", lambda e: e.get_channel_display(), 12),
    Column("连续参保", lambda e: "是" if e.continuous else "否", 8),
    Column("状态", lambda e: e.get_status_display(), 8),
    Column("生效日期", lambda e: e.effective_on, 12),
    Column("保障起始", lambda e: e.covered_from, 12),
    Column("缴费通知单", lambda e: e.bill.number if e.bill else "", 16),
]
BILL_COLUMNS = [
    Column("缴费通知单号", lambda b: b.number, 16),
    Column("期数", lambda b: b.period.name, 10),
    Column("缴费工会", lambda b: b.union.name, 28),
    Column("参保人数", lambda b: b.people, 10),
    Column("应缴金额", lambda b: b.amount, 12),
    Column("已缴金额", lambda b: b.received, 12),
    Column("已退金额", lambda b: b.refunded, 12),
    Column("状态", lambda b: b.get_status_display(), 8),
]


def _period(request: HttpRequest, periods: list[Any]) -> Any:
    wanted = request.GET.get("period") or request.POST.get("period")
    for period in periods:
        if str(period.pk) == wanted:
            return period
    if wanted:
        raise NotFound
    # Unasked, the page opens on the period enrolling now (what a clerk works on in the
    # weeks before it starts), else on the newest.
    today = timezone.localdate()
    enrolling = [p for p in periods if p.enrol_opens_on <= today <= p.enrol_closes_on]
    return (enrolling or periods or [None])[0]


@staff_required
@require_http_methods(["GET", "POST"])
def enrolment_list(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    periods = list(selectors.enrolment_periods(actor=actor))
    period = _period(request, periods)
    status = request.GET.get("status", "")
    if status not in EnrolmentStatus.values:
        status = ""
    form = EnrolForm(request.POST or None)
    if request.method == "POST":
        require(actor, Perm.EDIT_RECORDS)
        if period is None:
            raise NotFound
        if form.is_valid():
            try:
                enrolment = services.enrolment_create_by_id(
                    actor=actor, period=period, id_number=form.cleaned_data["id_number"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(n)s 已参保，已计入缴费通知单 %(b)s。")
                    % {"n": enrolment.person.name, "b": enrolment.bill.number},  # type: ignore[union-attr]
                )
                return redirect(f"{request.path}?period={period.pk}")
    enrolments = (
        selectors.enrolment_list(actor=actor, period=period, status=status)
        if period is not None
        else selectors.enrolment_list(actor=actor).none()
    )
    if wants_export(request):
        return export_list(request, "医疗互助参保登记", ENROLMENT_COLUMNS, enrolments)
    return render(
        request,
        "mutualaid/enrolment/list.html",
        {
            "periods": periods,
            "period": period,
            "status": status,
            "statuses": EnrolmentStatus.choices,
            "page_obj": paginate(request, enrolments),
            "form": form,
            "can_edit": has_perm(actor, Perm.EDIT_RECORDS),
            "figures": selectors.enrolment_figures(actor=actor, period=period)
            if period is not None
            else None,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def enrolment_refund(request: HttpRequest, ma_enrolment_id: int) -> HttpResponse:
    actor: Any = request.user
    enrolment = selectors.enrolment_get(actor=actor, id=ma_enrolment_id)
    form = RefundForm(request.POST or None)
    if request.method == "POST":
        require(actor, Perm.EDIT_RECORDS)
        if form.is_valid():
            try:
                services.enrolment_refund(actor=actor, enrolment=enrolment, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已办理退保。"))
                return redirect(
                    f"{_url('console:mutualaid_enrolments')}?period={enrolment.period_id}"
                )
    return render(
        request, "mutualaid/enrolment/refund.html", {"form": form, "enrolment": enrolment}
    )


def _url(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(name, args=args)


@staff_required
@require_GET
def bill_list(request: HttpRequest) -> HttpResponseBase:
    actor: Any = request.user
    periods = list(selectors.enrolment_periods(actor=actor))
    period = _period(request, periods)
    status = request.GET.get("status", "")
    if status not in BillStatus.values:
        status = ""
    bills = selectors.bill_list(actor=actor, period=period, status=status)
    if wants_export(request):
        return export_list(request, "医疗互助缴费通知单", BILL_COLUMNS, bills)
    return render(
        request,
        "mutualaid/enrolment/bills.html",
        {
            "periods": periods,
            "period": period,
            "status": status,
            "statuses": BillStatus.choices,
            "page_obj": paginate(request, bills),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def bill_detail(request: HttpRequest, ma_bill_id: int) -> HttpResponse:
    """A bill, its payments, and (for the federation) the form to record one received."""
    actor: Any = request.user
    bill = selectors.bill_get(actor=actor, id=ma_bill_id)
    may_record = has_perm(actor, Perm.EDIT_RECORDS) and bill.period.organization.path.startswith(
        actor.scope_path
    )
    form = PaymentForm(request.POST or None)
    if request.method == "POST":
        if not may_record:
            raise NotFound
        if form.is_valid():
            try:
                services.fee_payment_record(actor=actor, bill=bill, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("已登记缴费。"))
                return redirect("console:mutualaid_bill", bill.pk)
    return render(
        request,
        "mutualaid/enrolment/bill.html",
        {
            "bill": bill,
            "payments": selectors.bill_payments(actor=actor, bill=bill),
            "form": form,
            "may_record": may_record and bill.status not in (BillStatus.PAID, BillStatus.CANCELLED),
        },
    )
