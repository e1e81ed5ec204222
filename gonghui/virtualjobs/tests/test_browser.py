"""A clerk adopts a post and pays its month in headless Chromium; the funds' raised versus
paid page draws its charts."""

from __future__ import annotations

import os

from gonghui.tests.test_browser import browser, city, page, pytestmark, staff_sign_in  # noqa: F401
from gonghui.virtualjobs.models import PayRunLine
from gonghui.virtualjobs.tests import helpers as h

SHOTS = os.environ.get("GONGHUI_SCREENSHOTS", "")


def test_a_clerk_adopts_a_post_and_pays_its_month(page, city):  # noqa: F811 (fixtures)
    fund = h.fund(city, "town_b", name="B镇虚拟岗位认领资金")
    post = h.post(city, adopt=False)
    staff_sign_in(page, "town_b-clerk")
    page.goto(page.base + f"/console/virtual-jobs/{post.pk}/")
    page.click("text=登记认领")
    page.fill("#id_adopter_name", "平湖市税务局")
    page.select_option("#id_fund", str(fund.pk))
    page.fill("#id_from_month", "2017-01")
    page.fill("#id_committed", "3600")
    page.fill("#id_received_on", "2017-01-05")
    page.fill("#id_receipt_number", "PH-0001")
    page.click("button:has-text('提交')")
    page.wait_for_selector("text=已登记认领")
    page.goto(page.base + "/console/virtual-jobs/pay-runs/new/")
    page.fill("#id_month", "2017-01")
    page.click("button:has-text('发放')")
    page.wait_for_selector("text=已发放 2017-01 的 1 个岗位")
    assert PayRunLine.unscoped.filter(post=post).count() == 1
    page.goto(page.base + f"/console/virtual-jobs/{post.pk}/")
    page.wait_for_selector("[data-testid=pay-lines] >> text=2017-01")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/post.png", full_page=True)
    page.goto(page.base + "/console/funds/raised-paid/?year=2017")
    page.wait_for_selector("#raised-paid-months canvas")
    assert "¥3,600.00" in page.inner_text("[data-testid=totals]")
    assert page.locator("#raised-paid-children canvas").count() == 1
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/raised_paid.png", full_page=True)
