"""The flows a person clicks through, in headless Chromium (Playwright driving /usr/bin/chromium).

Skipped, with a visible notice at the end of the run, when Chromium is not installed; CI
installs Debian's ``chromium`` first, so there they always run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from gonghui.conftest import sms_code
from gonghui.core.sms import MemoryBackend
from gonghui.members.models import Membership
from gonghui.testing.factories import new_mobile
from gonghui.testing.world import PASSWORD, World, build_world

CHROMIUM = os.environ.get("GONGHUI_CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module")
def browser(django_db_setup: None) -> Iterator[object]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between clicks are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # With that loop running, Django keeps its connections per context instead of per thread,
    # so the tests see new connection objects: they are given the database's contents as
    # migrated, which ``serialized_rollback`` restores after an earlier test's flush
    # (without them, the seeded reference tables stay empty).
    seeded = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in seeded.items():
            connections[alias]._test_serialized_contents = contents
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base = live_server.url
    yield page
    context.close()


@pytest.fixture
def city() -> World:
    return build_world()


def staff_sign_in(page, username: str) -> None:
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=login]")
    page.wait_for_url("**/console/")


def worker_sign_in(page, mobile: str, *, consent: bool = True) -> None:
    """Sign in with a code. A worker who has not agreed to the privacy notice yet is shown it
    first; with ``consent`` they tick the box and agree (and go on to the page they asked for)."""
    page.goto(page.base + "/m/login/")
    page.fill("#id_otp-mobile", mobile)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=code-status]:has-text('验证码已发送')")
    page.fill("#id_otp-code", sms_code(MemoryBackend.outbox))
    page.click("[data-testid=otp-login]")
    page.wait_for_load_state()
    if consent and "/m/privacy/" in page.url:
        page.check("#consent-check")
        page.click("[data-testid=consent-agree]")
        page.wait_for_load_state()


def test_staff_sign_in_search_member_and_transfer(page, city):
    member = city.member("union_a", name="欧阳转接")
    staff_sign_in(page, "district_a-clerk")
    page.click("text=会员名册")
    page.fill("[data-testid=member-search]", "欧阳")
    page.press("[data-testid=member-search]", "Enter")
    page.click("text=欧阳转接")
    assert page.locator("text=330***").count() or "*" in page.inner_text("#sealed-id_number")
    page.click("[data-testid=start-transfer]")
    # The search box works once htmx has loaded (deferred); typing earlier sends nothing.
    page.wait_for_load_state("load")
    page.fill("[data-testid=org-picker-q-to_union]", "B号")
    page.click("[data-org-pick]:has-text('B号机械有限公司工会')")
    page.fill("#id_reason", "工作调动到B号机械有限公司")
    page.click("[data-testid=submit-transfer]")
    page.wait_for_selector("text=待审批")
    # The receiving union accepts.
    page.click("text=退出")
    staff_sign_in(page, "town_b-clerk")
    page.click("text=会员转接")
    page.click("text=欧阳转接")
    page.click("[data-testid=accept-transfer]")
    page.wait_for_selector("[data-testid=new-membership]")
    active = Membership.unscoped.get(person=member.person, status="active")
    assert active.union == city.union_b
    assert active.card_number == member.card_number


def test_worker_signs_in_with_a_code_and_opens_the_card(page, city):
    mobile = new_mobile()
    membership = city.member("union_a", mobile=mobile)
    worker_sign_in(page, mobile)
    page.wait_for_url("**/m/")
    page.click("text=会员卡 >> nth=0")
    page.wait_for_selector("[data-testid=member-card]")
    assert page.inner_text("[data-testid=card-number]") == membership.card_number
    assert page.locator("[data-testid=card-qr] svg").count() == 1


def test_join_application_then_approval(page, city):
    worker = city.worker()
    worker_sign_in(page, worker.test_mobile)
    page.wait_for_url("**/m/")
    page.click("text=申请入会 >> nth=0")
    page.wait_for_url("**/m/join/**")
    # htmx binds the search field on load; typing before that searches nothing.
    page.wait_for_load_state("load")
    page.fill("[data-testid=union-q]", "B2号")
    page.click("[data-testid=union-option]")
    page.fill("#id_employer_name", "B2号机械有限公司")
    page.click("[data-testid=submit-join]")
    page.wait_for_selector("text=待审批")
    worker_page = page
    # The union's clerk approves in the console (a second browser context).
    staff = page.context.browser.new_context(locale="zh-CN")
    console = staff.new_page()
    console.base = page.base
    staff_sign_in(console, "union_b2-clerk")
    console.click("text=入会审批")
    console.click(f"text={worker.person.name}")
    console.click("[data-testid=approve]")
    console.wait_for_selector("text=已同意")
    staff.close()
    worker_page.goto(worker_page.base + "/m/inbox/")
    worker_page.wait_for_selector("text=已同意")
    worker_page.goto(worker_page.base + "/m/card/")
    assert worker_page.inner_text("[data-testid=card-number]").startswith("CITY")
