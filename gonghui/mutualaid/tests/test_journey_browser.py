"""Medical mutual aid (职工医疗互助保障) clicked through from a union's spreadsheet to the
money on a worker's card, in headless Chromium (Playwright driving /usr/bin/chromium).

A union's clerk downloads the enrolment template, fills it in, uploads it and is shown the
two bad rows with their row numbers and reasons; they fix them, upload again and commit.
The city federation's clerk records the union's payment for the bill: the enrolments take
effect. A worker on their phone claims for a day surgery, sees the benefit the rules give
with its explanation before submitting, and submits with a photo of the invoice. A reviewer
runs the adjudication (the claim is above the automatic limit, so it waits for a person) and
approves it; the benefit goes into a payment batch, another reviewer approves the batch, the
clerk records the bank's receipt; the worker sees the claim paid.

Only the set-up is made by services: the city, the federation's fund (with last year's
balance), last year's period and this year's (running since two months, with its enrolment
window still open: late enrolment), the worker's enrolment last year, and the members on the
roll. Last year's enrolment makes this year's continuous (no waiting period), so a treatment
on the day the fee arrives is covered: the claim's day is today. Everything after the set-up
is done on the pages, as each person would.

Browser, page and sign-in are those of ``gonghui/tests/test_browser.py``; a member of
staff's own browser, screenshots and the phone-width check are the hardship journey's.
``GONGHUI_SCREENSHOTS=<dir>`` keeps a screenshot of each step.
"""

from __future__ import annotations

import datetime
import io
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from openpyxl import load_workbook

from gonghui.accounts import services as account_services
from gonghui.funds import services as funds_services
from gonghui.funds.models import ItemStatus, PayableItem
from gonghui.hardship.tests.test_browser import (
    PHONE,
    both_widths,
    fits,
    known_worker,
    shoot,
    staff_page,
)
from gonghui.mutualaid.models import Claim, ClaimStatus, Enrolment, EnrolmentStatus, Period
from gonghui.mutualaid.tests import claims_helpers, periods_helpers
from gonghui.testing.world import PASSWORD, World
from gonghui.tests import test_browser as shared
from gonghui.tests.test_browser import CHROMIUM, worker_sign_in
from gonghui.tests.test_csp_browser import watch

browser = shared.browser
page = shared.page
city = shared.city

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CARD = "6228480328123456789"
BANK_REFERENCE = "ZH20261205000318"
FEE = Decimal("116.00")  # the demo's fee: 36 + 60 + 20 yuan
# The day surgery's invoice: 12,000 yuan in all, 3,000 paid by the basic insurance,
# 8,500 self-paid within the policy. In-patient care: a 500-yuan deductible, then 5,000 at
# 50% (2,500) and 3,000 at 60% (1,800): 4,300 yuan, above the 3,000-yuan automatic limit.
INVOICE = {"total": "12000", "insurance_paid": "3000", "eligible": "8500"}
BENEFIT = "4,300.00"


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def chinese(day: datetime.date) -> str:
    """A date as the console's tables print it."""
    return f"{day.year}年{day.month}月{day.day}日"


def invoice_photo() -> bytes:
    """A small real JPEG, as a phone's camera would send (smaller)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (80, 120), (240, 240, 230)).save(buffer, format="JPEG")
    return buffer.getvalue()


def the_periods(city: World) -> Period:
    """The city federation's fund, holding last year's balance, its first period (last year)
    and its second (this year): running for two months, enrolment still open for ten days."""
    fund = periods_helpers.fund(city, name="职工医疗互助保障基金")
    funds_services.income_record(
        actor=city.staff("city", "clerk"),
        fund=fund,
        donor="第一期结余",
        amount="200000",
        received_on=days(-61),
        receipt_number="HZ01-JY",
        purpose="第一期互助保障基金结余转入",
    )
    first = periods_helpers.period(
        city,
        the_fund=fund,
        name="第一期",
        starts_on=days(-425),
        ends_on=days(-61),
        enrol_opens_on=days(-485),
        enrol_closes_on=days(-426),
        claims_close_on=days(29),
    )
    second = periods_helpers.period(
        city,
        the_fund=fund,
        name="第二期",
        starts_on=days(-60),
        ends_on=days(304),
        enrol_opens_on=days(-90),
        enrol_closes_on=days(10),
        claims_close_on=days(394),
    )
    assert (first.number, second.number) == (1, 2)
    assert (second.fee, second.waiting_days, second.auto_approve_below) == (FEE, 90, 3000)
    return second


def second_reviewer(city: World) -> Any:
    """The federation's other reviewer: a batch is approved by someone else than its maker."""
    return account_services.staff_create(
        actor=None,
        organization=city.city,
        username="city-reviewer2",
        full_name="市总工会复核",
        roles=["reviewer"],
        password_hash=make_password(PASSWORD),
    )


def fill_template(template: bytes, rows: list[list[str]]) -> bytes:
    """The downloaded template with ``rows`` typed into its data sheet (text cells)."""
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook["导入数据"]
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(console: Any, name: str, data: bytes) -> None:
    """From the enrolment page, the import page (enrolment already chosen), the file sent
    and its check run; waits for the check's result."""
    console.click("aside [data-menu=mutualaid_enrolments]")
    console.click("a:has-text('批量参保导入')")
    console.wait_for_url("**/console/imports/?kind=mutualaid.enrol")
    assert console.locator("#id_kind").input_value() == "mutualaid.enrol"
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    console.set_input_files("#id_file", {"name": name, "mimeType": mime, "buffer": data})
    console.click("[data-testid=upload]")
    console.wait_for_url(re.compile(r"/console/imports/\d+/$"))
    console.wait_for_selector("[data-testid=import-errors], button[data-testid=confirm-import]")


def test_enrolment_by_spreadsheet_then_a_claim_from_the_phone_paid_in_a_batch(page, city):
    period = the_periods(city)
    worker = known_worker(city)
    name = worker.person.name
    # Last year the worker was insured through their union (its fee was paid; written by the
    # claims tests' small factory, as the enrolment services have no back-dated path): this
    # year's enrolment continues it, without a new waiting period.
    claims_helpers.enrol(city, worker.person, Period.unscoped.get(number=1))
    colleagues = [city.member("union_b").person for _ in range(2)]
    second_reviewer(city)
    today = timezone.localdate()

    # Given the clerk of B号机械有限公司工会, who downloads the enrolment template,
    with staff_page(page, "union_b-clerk") as console:
        console.click("aside [data-menu=mutualaid_enrolments]")
        assert "第二期" in console.inner_text("h1")
        console.click("a:has-text('批量参保导入')")
        with console.expect_download() as download:
            console.click("a:has-text('互助保障参保导入模板（.xlsx）')")
        assert download.value.suggested_filename == "互助保障参保导入模板.xlsx"
        template = Path(download.value.path()).read_bytes()
        # (the union's code is on its sheet of the template)
        codes = load_workbook(io.BytesIO(template))["工会编码"].iter_rows(values_only=True)
        union_code = next(code for code, union in codes if union == "B号机械有限公司工会")
        assert union_code == city.union_b.code
        header = [c.value for c in load_workbook(io.BytesIO(template))["导入数据"][1]]
        assert header == ["姓名*", "身份证号*", "工会编码*", "期数", "手机号"]

        # when they type in three workers, with a digit of one ID number left out and the
        # code of the neighbouring company's union on another row,
        first, second = colleagues
        rows = [
            [name, worker.test_id_number, union_code, "", ""],
            [first.name, first.id_number.reveal()[:-1], union_code, "", ""],
            [second.name, second.id_number.reveal(), city.union_b2.code, "", ""],
        ]
        upload(console, "第二期参保名单.xlsx", fill_template(template, rows))
        shoot(console, "m01-bad-rows")

        # the check lists both bad rows, by their row number in Excel, with the reason,
        errors = console.locator("[data-testid=import-errors] tbody tr")
        assert errors.count() == 2, console.inner_text("main")
        assert errors.nth(0).inner_text().split("\t") == [
            "第 3 行",
            "身份证号",
            "身份证号应为 18 位，当前为 17 位，请核对。",
        ]
        assert errors.nth(1).inner_text().split("\t") == [
            "第 4 行",
            "工会编码",
            f"工会编码 {city.union_b2.code} 不存在或不在您的管理范围内。",
        ]
        assert "错误 2 处" in console.inner_text("main")
        assert console.locator("[data-testid=confirm-import]").count() == 0
        assert not Enrolment.unscoped.filter(period=period).exists()

        # they fix the two rows and upload the file again: it passes, and they commit it.
        rows[1][1] = first.id_number.reveal()
        rows[2][2] = union_code
        upload(console, "第二期参保名单（改）.xlsx", fill_template(template, rows))
        assert "校验通过，没有错误。" in console.inner_text("main")
        assert "会员参保：3" in console.inner_text("main")
        shoot(console, "m02-checked")
        console.click("[data-testid=confirm-import]")
        console.wait_for_selector("[data-testid=import-done]")
        done = console.inner_text("[data-testid=import-done]")
        assert "会员参保：3" in done and "生成缴费通知单：1" in done
        shoot(console, "m03-imported")

        # The three are on the union's list, waiting for the fee.
        console.click("aside [data-menu=mutualaid_enrolments]")
        table = console.inner_text("table")
        assert table.count("待缴费") == 3 and name in table
        row = console.locator("table tbody tr", has_text=name)
        assert "连续参保" in row.inner_text()
        bill_number = row.locator("a[href*='/bills/']").inner_text()

    # The federation's clerk opens the union's bill and records the money received.
    with staff_page(page, "city-clerk") as console:
        console.click("aside [data-menu=mutualaid_bills]")
        row = console.locator("table tbody tr", has_text=bill_number)
        assert "B号机械有限公司工会" in row.inner_text()
        assert "348.00" in row.inner_text() and "待缴费" in row.inner_text()
        row.locator(f"a:has-text('{bill_number}')").click()
        console.wait_for_url(re.compile(r"/console/mutualaid/bills/\d+/$"))
        assert "尚未登记缴费。" in console.inner_text("main")
        console.fill("#id_amount", "348.00")
        console.fill("#id_paid_on", today.isoformat())
        console.fill("#id_bank_reference", BANK_REFERENCE)
        shoot(console, "m04-payment-form")
        console.click("button:has-text('登记缴费')")
        console.wait_for_selector("text=已登记缴费。")
        body = console.inner_text("main")
        assert "已缴清" in body and BANK_REFERENCE in body
        assert console.locator("button:has-text('登记缴费')").count() == 0
        shoot(console, "m05-paid")

        # The enrolments have taken effect: the worker's from the period's first day
        # (continuous), the two colleagues' after the 90-day waiting period.
        console.click("aside [data-menu=mutualaid_enrolments]")
        mine = console.locator("table tbody tr", has_text=name).inner_text()
        assert mine.split("\t")[3:6] == ["已生效", chinese(today), chinese(period.starts_on)]
        for colleague in colleagues:
            theirs = console.locator("table tbody tr", has_text=colleague.name).inner_text()
            assert theirs.split("\t")[3:6] == ["已生效", chinese(today), chinese(days(90))]

    # The worker, on their phone, opens mutual aid from the home page,
    page.set_viewport_size(PHONE)
    problems = watch(page)
    worker_sign_in(page, worker.test_mobile)
    page.wait_for_url("**/m/")
    page.click("[data-testid=mutualaid_claims]")
    page.wait_for_url("**/m/mutualaid/claims/")
    enrolments = page.inner_text("[data-testid=enrolments]")
    assert f"第二期：已生效 · {period.starts_on.isoformat()} 起享受保障" in enrolments
    fits(page)
    shoot(page, "m06-portal")
    page.click("[data-testid=claim-new]")
    page.wait_for_url("**/m/mutualaid/claims/new/")
    assert page.locator("#id_account_holder").input_value() == name

    # fills in the day surgery and its invoice, and sees what the rules pay before sending:
    page.select_option("#id_category", label="住院")
    page.fill("#id_hospital", "嘉兴市第一医院")
    page.fill("#id_admitted_on", today.isoformat())
    page.fill("#id_discharged_on", today.isoformat())
    page.fill("#id_diagnosis", "腹股沟疝（日间手术）")
    page.fill("#id_inv0_code", "033002100111")
    page.fill("#id_inv0_number", "01234567")
    page.fill("#id_inv0_total", INVOICE["total"])
    page.fill("#id_inv0_insurance_paid", INVOICE["insurance_paid"])
    page.fill("#id_inv0_eligible", INVOICE["eligible"])
    page.locator("#id_inv0_eligible").blur()
    page.wait_for_selector("[data-testid=preview-benefit]")
    assert page.inner_text("[data-testid=preview-benefit]") == f"¥{BENEFIT}"
    lines = page.inner_text("[data-testid=preview-lines]")
    for line in (
        "保障类别：住院；本次政策内自付 8,500.00 元。",
        "起付线 500.00 元，本次使用 500.00 元。",
        "其中 5,000.00 元（0.00 至 5,000.00 元段）按 50% 计 2,500.00 元。",
        "其中 3,000.00 元（5,000.00 至 20,000.00 元段）按 60% 计 1,800.00 元。",
        f"本次赔付 {BENEFIT} 元；本年本类别累计赔付 {BENEFIT} 元。",
    ):
        assert line in lines, lines
    assert "以审核结果为准。" in page.inner_text("[data-testid=claim-preview]")
    fits(page)
    shoot(page, "m07-preview")

    # then adds the invoice's photo and their bank card, and submits.
    page.set_input_files(
        "#id_invoice_files",
        {"name": "住院发票.jpg", "mimeType": "image/jpeg", "buffer": invoice_photo()},
    )
    page.fill("#id_bank_name", "中国农业银行嘉兴分行")
    page.fill("#id_bank_card", CARD)
    page.click("[data-testid=submit-claim]")
    page.wait_for_url(re.compile(r"/m/mutualaid/claims/\d+/$"))
    claim_url = page.url
    body = page.inner_text("body")
    assert "理赔申请已提交，审核进展会通知您。" in body
    assert page.inner_text("h1 .badge") == "待审核"
    assert page.inner_text("[data-testid=benefit]") == f"¥{BENEFIT}"
    assert "按 60% 计 1,800.00 元" in page.inner_text("[data-testid=explanation]")
    assert "发放情况：审核中" in body and "住院发票.jpg" in body
    fits(page)
    shoot(page, "m08-submitted")

    # A reviewer of the federation runs the adjudication for the period: above the
    # automatic limit, the claim waits for a person; they open it and approve it.
    with staff_page(page, "city-reviewer") as console:
        console.click("aside [data-menu=mutualaid_claims]")
        console.select_option("#id_period", label="第二期")
        console.click("button:has-text('查看')")
        console.click("[data-testid=adjudicate]")
        console.wait_for_selector("text=已分配 1 笔：自动通过 0，抽检 0，超限额 1，异常 0。")
        assert console.inner_text("aside [data-menu=mutualaid_claims] .badge") == "1"
        console.click(f"table a:has-text('{name}')")
        console.wait_for_url(re.compile(r"/console/mutualaid/claims/\d+/$"))
        claim = console.inner_text("[data-testid=claim]")
        assert "超限额人工审核" in claim and "住院发票.jpg" in console.inner_text("main")
        assert console.inner_text("[data-testid=benefit]") == f"¥{BENEFIT}"
        console.fill("#id_note", "发票与出院小结核对无误。")
        console.click("[data-testid=approve]")
        console.wait_for_selector("text=已核准，赔付款已提交发放。")
        assert console.inner_text("[data-testid=payment]") == "待发放"
        shoot(console, "m09-approved")

        # and puts the benefit in a payment batch.
        console.click("aside [data-menu=payables]")
        row = console.locator("table tbody tr", has_text=name)
        assert BENEFIT in row.inner_text()
        row.locator("input[type=checkbox]").check()
        console.click("[data-testid=make-batch]")
        console.fill("#id_title", f"第二期互助理赔 {today:%Y-%m-%d}")
        console.click("button:has-text('生成批次')")
        console.wait_for_selector("text=等待其他审核人员审批")
        assert f"¥{BENEFIT}" in console.inner_text("body")
        shoot(console, "m10-batch-made")

    page.goto(claim_url)
    assert page.inner_text("h1 .badge") == "已核准"
    assert "发放情况：发放中" in page.inner_text("body")

    # The other reviewer approves the batch (the money leaves the fund),
    with staff_page(page, "city-reviewer2") as console:
        assert console.inner_text("aside [data-menu=batches] .badge") == "1"
        console.click("aside [data-menu=batches]")
        console.click("table a:has-text('第二期互助理赔')")
        console.fill("[name=note]", "核对无误。")
        console.click("button:has-text('批准发放')")
        console.wait_for_selector("text=已处理发放批次。")
        assert "已审批，待回执" in console.inner_text("body")

    page.goto(claim_url)
    assert "发放情况：发放中" in page.inner_text("body")

    # and the federation's clerk records the bank's receipt.
    with staff_page(page, "city-clerk") as console:
        console.click("aside [data-menu=batches]")
        console.click("table a:has-text('第二期互助理赔')")
        row = console.locator("table tbody tr", has_text=name)
        row.locator("input[name=lines]").check()
        console.select_option("#id_outcome", label="已到账")
        console.click("button:has-text('登记所选明细')")
        console.wait_for_selector("text=已登记 1 笔发放结果。")
        assert "已完成" in console.inner_text("body")
        shoot(console, "m11-bank-receipt")

    # The worker sees the benefit paid, on the claim and in "my requests".
    page.goto(claim_url)
    body = page.inner_text("body")
    assert page.inner_text("h1 .badge") == "已赔付"  # with the receipt, not at a later run
    assert re.search(r"发放情况：已发放（\d{4}-\d{2}-\d{2}）", body), body
    assert page.inner_text("[data-testid=benefit]") == f"¥{BENEFIT}"
    both_widths(page, "m12-paid")
    page.click("a:has-text('我的申请')")
    page.wait_for_url("**/m/inbox/")
    both_widths(page, "m13-inbox")
    item = page.locator("[data-testid=inbox] a", has_text="第二期：嘉兴市第一医院")
    assert item.locator(".badge").inner_text() == "已赔付"
    assert re.search(rf"赔付 ¥{BENEFIT} · 已发放（\d{{4}}-\d{{2}}-\d{{2}}）", item.inner_text()), (
        item.inner_text()
    )
    assert PayableItem.unscoped.get(person=worker.person).status == ItemStatus.PAID
    assert Claim.unscoped.get(person=worker.person).status == ClaimStatus.PAID
    assert Enrolment.unscoped.filter(period=period, status=EnrolmentStatus.ACTIVE).count() == 3
    assert problems == [], problems
