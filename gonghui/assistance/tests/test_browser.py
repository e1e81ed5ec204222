"""An autumn study grant (金秋助学) clicked through from the worker's phone to the bank's
receipt and back, in headless Chromium (Playwright driving /usr/bin/chromium).

The worker applies in the portal with their child's admission letter; their grassroots
union and their town approve it; a district reviewer puts the approved amount in a payment
batch, another approves the batch, a clerk records the bank's receipt; the worker sees the
money paid. Only the set-up (the city, the worker's hardship file, the round, the fund) is
made by services; every step after it is done on the pages, as each person would.

Browser, page and sign-in are those of ``gonghui/tests/test_browser.py``; a member of
staff's own browser, screenshots and the phone-width check are the hardship journey's.
``GONGHUI_SCREENSHOTS=<dir>`` keeps a screenshot of each step (desktop, and phone for the
worker's pages).
"""

from __future__ import annotations

import datetime
import io
import re
import shutil
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from gonghui.accounts import services as account_services
from gonghui.assistance import rules
from gonghui.assistance import services as assistance_services
from gonghui.funds.models import ItemStatus, PayableItem
from gonghui.funds.tests import helpers as funds_helpers
from gonghui.hardship import services as hardship_services
from gonghui.hardship.models import Household, HouseholdStatus
from gonghui.hardship.tests import helpers as hardship_helpers
from gonghui.hardship.tests.test_browser import (
    PHONE,
    both_widths,
    fits,
    known_worker,
    shoot,
    staff_page,
)
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

CHILD = "王小明"
CARD = "6228480328123456789"


def admission_letter() -> bytes:
    """A one-page PDF, as a phone's scanner app would make it."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 760, "Zhejiang University admission letter")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def worker_with_hardship_file(city: World) -> Any:
    """A member of B号机械有限公司工会 whose household is on the hardship roll (filed by the
    union's clerk, visited, approved by the town), with a child about to start university."""
    user = known_worker(city)
    hardship_helpers.lines(city, year=timezone.localdate().year)
    clerk = city.staff("union_b", "clerk")
    household = hardship_services.household_file(
        actor=clerk,
        union=city.union_b,
        name=user.person.name,
        id_number=user.test_id_number,
        address="B镇幸福路 1 号",
        causes=["illness"],
        yearly_income="9000",
        health="尿毒症，每周透析",
        work_capacity="partial",
    )
    hardship_helpers.member(city, household, name=CHILD, income="0", in_school="高中")
    hardship_helpers.visit(city, household, actor=clerk)
    filing = hardship_services.household_submit(actor=clerk, household=household)
    hardship_services.household_decide(
        actor=city.staff("town_b", "reviewer"), filing=filing, approve=True
    )
    assert Household.unscoped.get(pk=household.pk).status == HouseholdStatus.ACTIVE
    return user


def autumn_round(city: World) -> Any:
    """B区总工会's 金秋助学 round, open now: reviewed by the grassroots union, then the town;
    paid from the district's fund, which holds the charity federation's 100,000 yuan."""
    fund = funds_helpers.fund(city, "district_b", balance="100000", name="B区金秋助学基金")
    clerk = city.staff("district_b", "clerk")
    programme = assistance_services.programme_create(
        actor=clerk, organization=city.district_b, kind="study", name="金秋助学"
    )
    _label, rule, table = rules.TEMPLATES["autumn_study"]
    today = timezone.localdate()
    return assistance_services.round_save(
        actor=clerk,
        programme=programme,
        name=f"{today.year} 金秋助学",
        year=today.year,
        opens_on=today - datetime.timedelta(days=5),
        closes_on=today + datetime.timedelta(days=25),
        tiers=("grassroots", "town"),
        rules_data=rule,
        amounts=table,
        funds=[fund],
        documents_required=True,
        documents_hint="请上传录取通知书（图片或 PDF）。",
    )


def second_reviewer(city: World) -> Any:
    """B区总工会's other reviewer: a payment batch is approved by someone else than its maker."""
    return account_services.staff_create(
        actor=None,
        organization=city.district_b,
        username="district_b-reviewer2",
        full_name="B区总工会复核",
        roles=["reviewer"],
        password_hash=make_password(PASSWORD),
    )


def decide_in_console(console: Any, worker_name: str, note: str) -> None:
    """From the console's home, open the queue of what waits for the reviewer's own
    organisation, open the worker's application and approve it."""
    assert console.inner_text("aside [data-menu=assistance_queue] .badge") == "1"
    console.click("aside [data-menu=assistance_queue]")
    console.click("[data-testid=queue-mine]")
    console.click(f"table a:has-text('{worker_name}')")
    console.wait_for_url(re.compile(r"/console/assistance/applications/\d+/$"))
    assert "录取通知书.pdf" in console.inner_text("body")
    console.fill("[name=note]", note)
    console.click("[data-testid=approve]")
    console.wait_for_selector("text=已记录审核意见。")


def test_autumn_study_grant_from_portal_to_payment(page, city):
    worker = worker_with_hardship_file(city)
    round = autumn_round(city)
    second_reviewer(city)
    name = worker.person.name
    year = timezone.localdate().year

    # Given the worker on their phone, signed in with a code,
    page.set_viewport_size(PHONE)
    problems = watch(page)
    worker_sign_in(page, worker.test_mobile)
    page.wait_for_url("**/m/")
    shoot(page, "01-portal-home")
    # the home page offers the round; they open it and read the conditions.
    page.click(f"[data-testid=home-assistance] a:has-text('{round.name}')")
    page.wait_for_url(re.compile(r"/m/assistance/rounds/\d+/apply/$"))
    shoot(page, "02-apply")
    body = page.inner_text("body")
    assert "困难职工档案状态：为在册" in body
    assert "本科：4,000.00 元" in body
    assert "请上传录取通知书" in body
    fits(page)
    # The form asks about the child, not about an illness, and starts with the child.
    assert page.locator("#id_condition").count() == 0
    assert page.locator("#id_beneficiary").input_value() == "child"
    assert page.locator("#id_beneficiary_name").input_value() == ""
    assert page.locator("#id_account_holder").input_value() == name

    # When they apply for their son admitted to a university this year, with the letter,
    page.fill("#id_beneficiary_name", CHILD)
    page.fill("#id_school", "浙江大学")
    page.select_option("#id_education_level", label="本科")
    page.fill("#id_admission_year", str(year))
    page.fill("#id_bank_name", "中国农业银行嘉兴分行")
    page.fill("#id_bank_card", CARD)
    page.set_input_files(
        "#id_documents",
        {"name": "录取通知书.pdf", "mimeType": "application/pdf", "buffer": admission_letter()},
    )
    shoot(page, "03-apply-filled")
    page.click("[data-testid=submit-application]")

    # then the application waits at their union, for 4,000 yuan (the bachelor's amount).
    page.wait_for_url(re.compile(r"/m/assistance/applications/\d+/$"))
    application_url = page.url
    fits(page)
    shoot(page, "04-applied")
    body = page.inner_text("body")
    assert "申请已提交，审核进展会通知您。" in body
    assert page.inner_text("h1 .badge") == "审核中"
    assert "等待B号机械有限公司工会审核" in body
    assert "¥4,000.00" in body
    assert "录取通知书.pdf" in body

    # The grassroots union's reviewer approves it,
    with staff_page(page, "union_b-reviewer") as console:
        decide_in_console(console, name, "材料齐全，情况属实。")
        shoot(console, "05-grassroots-approved")
        body = console.inner_text("main")
        assert "等待：镇（街道）总工会审核" in body
        assert "子女为本年度新录取\n是" in body
        # Nothing waits for the union any more: its menu shows no count.
        assert console.locator("aside [data-menu=assistance_queue] .badge").count() == 0

    # and the worker sees it has gone on to the town.
    page.goto(application_url)
    body = page.inner_text("body")
    assert "等待B镇总工会审核" in body
    assert "B号机械有限公司工会：同意" in body

    # The town's reviewer gives the final approval: the amount waits to be paid.
    with staff_page(page, "town_b-reviewer") as console:
        decide_in_console(console, name, "同意资助。")
        shoot(console, "06-town-approved")

    page.goto(application_url)
    body = page.inner_text("body")
    assert page.inner_text("h1 .badge") == "已批准"
    assert "发放情况：待发放" in body

    # A district reviewer puts it in a payment batch,
    with staff_page(page, "district_b-reviewer") as console:
        console.click("aside [data-menu=payables]")
        row = console.locator("table tbody tr", has_text=name)
        assert "4,000.00" in row.inner_text()
        row.locator("input[type=checkbox]").check()
        console.click("[data-testid=make-batch]")
        console.fill("#id_title", f"{year} 金秋助学第一批")
        shoot(console, "07-batch-form")
        console.click("button:has-text('生成批次')")
        console.wait_for_selector("text=等待其他审核人员审批")
        assert "¥4,000.00" in console.inner_text("body")
        shoot(console, "08-batch-made")

    # another reviewer approves the batch (the money leaves the fund),
    with staff_page(page, "district_b-reviewer2") as console:
        assert console.inner_text("aside [data-menu=batches] .badge") == "1"
        console.click("aside [data-menu=batches]")
        console.click(f"table a:has-text('{year} 金秋助学第一批')")
        console.fill("[name=note]", "核对无误。")
        console.click("button:has-text('批准发放')")
        console.wait_for_selector("text=已处理发放批次。")
        assert "已审批，待回执" in console.inner_text("body")
        shoot(console, "09-batch-approved")

    page.goto(application_url)
    assert "发放情况：发放中" in page.inner_text("body")

    # and the clerk downloads the bank's file, then records the bank's receipt.
    with staff_page(page, "district_b-clerk") as console:
        console.click("aside [data-menu=batches]")
        console.click(f"table a:has-text('{year} 金秋助学第一批')")
        with console.expect_download() as download:
            console.click("[data-testid=bank-file]")
        assert download.value.suggested_filename.endswith(".xlsx")
        row = console.locator("table tbody tr", has_text=name)
        row.locator("input[name=lines]").check()
        console.select_option("#id_outcome", label="已到账")
        console.click("button:has-text('登记所选明细')")
        console.wait_for_selector("text=已登记 1 笔发放结果。")
        assert "已完成" in console.inner_text("body")
        shoot(console, "10-bank-receipt")

    # The worker sees the grant paid, on the application and in "my requests".
    page.goto(application_url)
    body = page.inner_text("body")
    assert re.search(r"发放情况：已发放（\d{4}-\d{2}-\d{2}）", body), body
    both_widths(page, "11-paid")
    page.click("a:has-text('我的申请')")
    page.wait_for_url("**/m/inbox/")
    both_widths(page, "12-inbox")
    item = page.locator("[data-testid=inbox] a", has_text=round.name)
    assert item.locator(".badge").inner_text() == "已批准"
    assert re.search(r"补助 ¥4,000\.00 · 已发放（\d{4}-\d{2}-\d{2}）", item.inner_text())
    assert PayableItem.unscoped.get(person=worker.person).status == ItemStatus.PAID
    assert problems == [], problems
