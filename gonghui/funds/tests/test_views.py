"""The console pages and the API of funds and payment batches."""

from __future__ import annotations

import json
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.accounts.services import api_token_issue
from gonghui.core.models import PersonalDataAccess
from gonghui.funds.models import (
    BatchStatus,
    Fund,
    Income,
    ItemStatus,
    LedgerEntry,
    LineStatus,
    PayableItem,
    PaymentBatch,
    PaymentLine,
)
from gonghui.funds.tests import helpers as h

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sheet_text(response) -> str:
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return " ".join(str(c) for row in book.active.iter_rows(values_only=True) for c in row)


def income_data(**overrides: str) -> dict[str, str]:
    return {
        "kind": "donation",
        "donor": "嘉兴市慈善总会",
        "amount": "12000.00",
        "received_on": "2017-09-01",
        "receipt_number": "CS-2017-001",
        "purpose": "金秋助学",
        **overrides,
    }


# --- funds -------------------------------------------------------------------------------------


def test_a_clerk_creates_a_fund_and_records_a_donation_on_the_pages(world):
    client = login(world.staff("district_b", "clerk"))
    kind = h.source_kind()
    created = client.post(
        reverse("console:fund_create"),
        {"organization": world.district_b.pk, "name": "金秋助学基金", "source_kind": kind.pk},
    )
    fund = Fund.unscoped.get(name="金秋助学基金")
    assert created["Location"] == reverse("console:fund_detail", args=[fund.pk])
    done = client.post(reverse("console:income_create", args=[fund.pk]), income_data())
    assert done.status_code == 302
    page = client.get(reverse("console:fund_detail", args=[fund.pk])).content.decode()
    assert "¥12,000.00" in page and "CS-2017-001" in page and "嘉兴市慈善总会" in page
    listing = client.get(reverse("console:fund_list")).content.decode()
    assert "金秋助学基金" in listing and "慈善总会" in listing


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "-100", "金额不能为负数。"),
        ("amount", "100.123", "金额最多两位小数（精确到分）。"),
        ("amount", "0", "金额应大于 0。"),
        ("donor", "<script>alert(1)</script>", "不能包含 HTML 标签或脚本"),
        ("purpose", "助学\x07", "不能包含控制字符"),
        ("receipt_number", "<b>1</b>", "不能包含 HTML 标签或脚本"),
    ],
)
def test_a_bad_donation_is_shown_at_its_field_and_nothing_is_saved(world, field, value, message):
    fund = h.fund(world)
    client = login(world.staff("district_b", "clerk"))
    page = client.post(
        reverse("console:income_create", args=[fund.pk]), income_data(**{field: value})
    )
    assert page.status_code == 200
    form = page.context["form"]
    assert list(form.errors) == [field]
    assert message in " ".join(form.errors[field])
    assert not Income.unscoped.exists()
    assert not LedgerEntry.unscoped.exists()


def test_the_fund_pages_are_not_found_for_another_branch(world):
    fund = h.fund(world, balance="100")
    other = login(world.staff("district_a", "admin"))
    assert other.get(reverse("console:fund_detail", args=[fund.pk])).status_code == 404
    assert other.get(reverse("console:income_create", args=[fund.pk])).status_code == 404
    assert fund.name not in other.get(reverse("console:fund_list")).content.decode()


def test_the_ledger_exports_to_a_spreadsheet(world):
    fund = h.fund(world, balance="1561200.00")
    client = login(world.staff("district_b", "leader"))
    export = client.get(reverse("console:fund_detail", args=[fund.pk]), {"format": "xlsx"})
    text = sheet_text(export)
    assert "入账" in text and "1561200" in text


# --- batches -----------------------------------------------------------------------------------


def test_a_reviewer_batches_items_another_approves_and_the_results_are_recorded(world):
    fund = h.fund(world, balance="5000")
    first, second = h.item(world, fund, "1000"), h.item(world, fund, "1500")
    maker = login(world.staff("district_b", "reviewer"))
    listing = maker.get(reverse("console:payable_list")).content.decode()
    assert 'data-testid="make-batch"' in listing and first.account_holder in listing
    form = maker.get(reverse("console:batch_create"), {"item": [first.pk, second.pk]})
    assert "合计 ¥2,500.00" in form.content.decode()
    made = maker.post(
        reverse("console:batch_create"),
        {"organization": world.district_b.pk, "title": "第一批", "items": [first.pk, second.pk]},
    )
    batch = PaymentBatch.unscoped.get()
    assert made["Location"] == reverse("console:batch_detail", args=[batch.pk])
    # The maker is offered no approval, and a posted one is refused with the reason.
    detail = reverse("console:batch_detail", args=[batch.pk])
    assert "批准发放" not in maker.get(detail).content.decode()
    refused = maker.post(detail, {"decision": "approve", "note": ""})
    assert refused.status_code == 200
    assert "您是本申请的录入人，须由其他工作人员审批。" in refused.content.decode()
    assert PaymentBatch.unscoped.get().status == BatchStatus.PENDING
    # The batch waits for someone else: their menu counts it, the maker's does not.
    from gonghui.funds import selectors as funds_selectors

    assert funds_selectors.batches_waiting(world.staff("district_b", "reviewer")) == 0
    assert funds_selectors.batches_waiting(world.staff("district_b", "admin")) == 1
    # Another reviewer approves: the money leaves the fund.
    checker = login(world.staff("district_b", "admin"))
    assert "批准发放" in checker.get(detail).content.decode()
    assert checker.post(detail, {"decision": "approve", "note": ""}).status_code == 302
    fund.refresh_from_db()
    assert fund.balance == Decimal("2500")
    # The bank file: masked by default.
    export = checker.get(reverse("console:batch_export", args=[batch.pk]))
    text = sheet_text(export)
    assert "6228***********6789" in text and "6228480328123456789" not in text
    # One line paid, one failed: a failure needs the bank's reason.
    line_a, line_b = PaymentLine.unscoped.filter(batch=batch).order_by("pk")
    results = reverse("console:batch_results", args=[batch.pk])
    checker.post(results, {"outcome": "failed", "lines": [line_b.pk], "reason": ""})
    assert PaymentLine.unscoped.get(pk=line_b.pk).status == LineStatus.RESERVED
    checker.post(results, {"outcome": "paid", "lines": [line_a.pk]})
    checker.post(results, {"outcome": "failed", "lines": [line_b.pk], "reason": "账户已销户"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    fund.refresh_from_db()
    assert fund.balance == Decimal("4000")
    assert PayableItem.unscoped.get(pk=second.pk).status == ItemStatus.PENDING
    page = checker.get(detail).content.decode()
    assert "账户已销户" in page and "已发放" in page


def test_a_batch_over_the_balance_is_refused_on_the_page(world):
    fund = h.fund(world, balance="1000")
    items = [h.item(world, fund, "800"), h.item(world, fund, "800")]
    maker = login(world.staff("district_b", "reviewer"))
    page = maker.post(
        reverse("console:batch_create"),
        {"organization": world.district_b.pk, "title": "超额", "items": [i.pk for i in items]},
    )
    assert page.status_code == 200
    assert "余额 ¥1,000.00，不足以支付 ¥1,600.00" in page.content.decode()
    assert not PaymentBatch.unscoped.exists()


def test_the_full_card_numbers_are_exported_only_with_a_logged_reason(world):
    fund = h.fund(world, balance="5000")
    batch = h.approve(world, h.batch(world, [h.item(world, fund, "100")]))
    client = login(world.staff("district_b", "reviewer"))
    url = reverse("console:batch_export", args=[batch.pk])
    missing = client.get(url, {"unmasked": "1"})
    assert missing.status_code == 302
    assert not PersonalDataAccess.objects.visible_to(world.staff("city")).exists()
    full = client.get(url, {"unmasked": "1", "reason": "report", "reason_note": "报送银行"})
    assert "6228480328123456789" in sheet_text(full)
    (log,) = PersonalDataAccess.objects.visible_to(world.staff("city"))
    assert (log.field, log.reason, log.reason_note) == ("bank_card", "report", "报送银行")
    leader = login(world.staff("district_b", "leader"))
    assert leader.get(url, {"unmasked": "1", "reason": "report"}).status_code == 403


def test_the_batch_pages_are_not_found_for_another_branch(world):
    fund = h.fund(world, balance="5000")
    item = h.item(world, fund, "100")
    batch = h.batch(world, [h.item(world, fund, "100")])
    other = login(world.staff("district_a", "admin"))
    for name in ("console:batch_detail", "console:batch_export"):
        assert other.get(reverse(name, args=[batch.pk])).status_code == 404
    assert other.get(reverse("console:batch_create"), {"item": item.pk}).status_code == 404
    assert item.account_holder not in other.get(reverse("console:payable_list")).content.decode()


# --- API ---------------------------------------------------------------------------------------


def call(user, method: str, path: str, body=None):
    key, _ = api_token_issue(user=user)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if body is None:
        response = getattr(client, method)(f"/api{path}", **headers)
    else:
        response = getattr(client, method)(
            f"/api{path}", json.dumps(body), content_type="application/json", **headers
        )
    return response, response.json()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "金额不能为负数。"),
        ("1.005", "金额最多两位小数（精确到分）。"),
        (0, "金额应大于 0。"),
    ],
)
def test_a_bad_amount_through_the_api_is_a_422_at_the_field(world, amount, message):
    fund = h.fund(world)
    response, body = call(
        world.staff("district_b", "clerk"),
        "post",
        f"/funds/{fund.pk}/incomes",
        {"donor": "某企业", "amount": amount, "received_on": "2017-09-01", "receipt_number": "A1"},
    )
    assert response.status_code == 422
    assert body["errors"] == [{"field": "amount", "message": message}]
    assert not Income.unscoped.exists()


def test_the_api_pays_through_the_same_services(world):
    fund = h.fund(world, balance="3000")
    item = h.item(world, fund, "1200.50")
    reviewer, admin = world.staff("district_b", "reviewer"), world.staff("district_b", "admin")
    response, body = call(
        reviewer,
        "post",
        "/payments/batches",
        {"organization_id": world.district_b.pk, "title": "API批", "item_ids": [item.pk]},
    )
    assert response.status_code == 201, body
    batch_id = body["id"]
    response, body = call(
        reviewer, "post", f"/payments/batches/{batch_id}/decision", {"approve": True}
    )
    assert response.status_code == 403 and "录入人" in body["detail"]
    response, body = call(
        admin, "post", f"/payments/batches/{batch_id}/decision", {"approve": True}
    )
    assert response.status_code == 200 and body["status"] == "approved"
    response, rows = call(admin, "post", f"/payments/batches/{batch_id}/bank-file", {})
    assert rows[0]["bank_card"] == "6228***********6789" and rows[0]["amount"] == "1200.50"
    line_id = body["lines"][0]["id"]
    response, body = call(
        admin,
        "post",
        f"/payments/batches/{batch_id}/results",
        {"results": [{"line_id": line_id, "paid": True}]},
    )
    assert response.status_code == 200 and body["status"] == "done"
    response, body = call(admin, "get", f"/funds/{fund.pk}")
    assert (body["balance"], body["raised"], body["paid_out"]) == ("1799.50", "3000.00", "1200.50")
    response, body = call(admin, "get", f"/funds/{fund.pk}/ledger")
    assert [e["kind"] for e in body["items"]] == ["reserve", "income"]
    assert (
        call(world.staff("district_a", "admin"), "get", f"/funds/{fund.pk}")[0].status_code == 404
    )
