"""The rules editor and the calculator in headless Chromium under the content security
policy: a band row is added in place (HTMX), filled and saved; a wrong band is shown at its
input; the calculator swaps in the period's categories and shows the benefit with its
explanation. No CSP violation, no script error."""

from __future__ import annotations

import shutil

import pytest

from gonghui.mutualaid.models import Period
from gonghui.mutualaid.tests import periods_helpers as h
from gonghui.tests import test_browser as shared
from gonghui.tests.test_browser import CHROMIUM, staff_sign_in
from gonghui.tests.test_csp_browser import watch

browser = shared.browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_federation_officer_edits_the_rules_and_tries_them(browser, live_server, world):
    period = h.period(world, publish=False)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base = live_server.url
    problems = watch(page)
    staff_sign_in(page, "city-clerk")
    page.goto(f"{page.base}/console/mutualaid/periods/{period.pk}/rules/")
    # Serious illness (the third category) pays 60% from 0: add a band above 10,000.
    page.fill("#id_c-2-b-0-end", "10000")
    page.click("[data-testid=add-band-2]")
    page.wait_for_selector("#id_c-2-b-1-start")
    assert page.input_value("#id_c-2-b-1-start") == "10000"  # where the band before ends
    assert page.input_value("#id_c-2-b-0-end") == "10000"  # what was typed is kept
    page.fill("#id_c-2-b-1-start", "12000")  # a gap
    page.fill("#id_c-2-b-1-rate", "80")
    page.click("[data-testid=save-rules]")
    page.wait_for_selector("[data-testid='error-c-2-b-1-start']")
    assert "与上一段之间有空档" in page.inner_text("[data-testid='error-c-2-b-1-start']")
    page.fill("#id_c-2-b-1-start", "10000")
    page.click("[data-testid=save-rules]")
    page.wait_for_url(f"**/console/mutualaid/periods/{period.pk}/")
    rules = Period.unscoped.get(pk=period.pk).rules
    assert rules["categories"][2]["bands"][1] == {"start": "10000.00", "end": None, "rate": "80"}
    # The calculator: choose the period (its categories come in place), then compute.
    page.goto(f"{page.base}/console/mutualaid/calculator/")
    page.select_option("select[name=period]", str(period.pk))
    page.wait_for_selector("select[name=category]")
    page.select_option("select[name=category]", "serious_illness")
    page.fill("input[name=amounts]", "8000 7000")
    page.click("[data-testid=calculate]")
    page.wait_for_selector("[data-testid=benefit]")
    # 10,000 at 60% + 5,000 at 80% = 10,000, under the 15,000 cap.
    assert page.inner_text("[data-testid=benefit]") == "10000.00"
    assert "按 80% 计 4,000.00 元" in page.inner_text("[data-testid=explanation]")
    assert problems == []
    context.close()
