"""A hardship file 困难职工档案 clicked through in headless Chromium (Playwright driving
/usr/bin/chromium): a grassroots union's clerk files a worker's household and submits it;
the town's reviewer cannot approve it before anyone has visited; the town's clerk visits the
home and records it with a photo; the reviewer approves, and the worker is told on their
phone. Only the set-up (the city, its income lines, the worker) is made by services.

Browser, page and sign-in are those of ``gonghui/tests/test_browser.py``; the helpers here
(a member of staff's own browser, screenshots, the phone-width check) are used by the
assistance journey too. ``GONGHUI_SCREENSHOTS=<dir>`` keeps a screenshot of each step.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from gonghui.accounts import services as account_services
from gonghui.hardship.models import Household, HouseholdStatus
from gonghui.hardship.tests import helpers as hardship_helpers
from gonghui.testing.factories import new_id_number, new_mobile, person_input
from gonghui.testing.world import World
from gonghui.tests import test_browser as shared
from gonghui.tests.test_browser import CHROMIUM, staff_sign_in, worker_sign_in
from gonghui.tests.test_csp_browser import watch

browser = shared.browser
page = shared.page
city = shared.city

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


# --- helpers shared with the assistance journey ------------------------------------------


def shoot(page: Any, name: str) -> None:
    """A full-page screenshot, when ``GONGHUI_SCREENSHOTS`` names a folder."""
    folder = os.environ.get("GONGHUI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)


def fits(page: Any) -> None:
    """Nothing is wider than the screen (a wide table scrolls in its own box)."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def both_widths(page: Any, name: str) -> None:
    """The page at desktop and at phone width, each checked to fit (and shot), then back."""
    size = page.viewport_size
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        fits(page)
        shoot(page, name)
    page.set_viewport_size(size)


@contextmanager
def staff_page(page: Any, username: str) -> Iterator[Any]:
    """A member of staff at their own computer: a browser context of their own, signed in
    through the login page; no script error, policy violation or failed request on the way."""
    context = page.context.browser.new_context(locale="zh-CN", viewport=DESKTOP)
    console = context.new_page()
    console.set_default_timeout(10_000)
    console.base = page.base
    problems = watch(console)
    staff_sign_in(console, username)
    try:
        yield console
    finally:
        context.close()
    assert problems == [], problems


def known_worker(city: World, union: str = "union_b") -> Any:
    """A member of ``union`` with a portal account, whose name and ID number the test knows
    (``user.test_mobile``, ``user.test_id_number``): a clerk types them into a form."""
    mobile = new_mobile()
    who = person_input(mobile=mobile)
    city.member(union, name=who.name, id_number=who.id_number, mobile=mobile)
    user = account_services.worker_account_for_mobile(mobile=mobile)
    account_services.privacy_consent_give(
        actor=user, version=settings.GONGHUI_PRIVACY_NOTICE_VERSION, channel="portal"
    )
    user.test_mobile = mobile
    user.test_id_number = who.id_number
    return user


def photo_jpeg() -> bytes:
    """A small real JPEG, as a phone's camera would send (smaller)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 150, 120)).save(buffer, format="JPEG")
    return buffer.getvalue()


# --- the journey -------------------------------------------------------------------------


def open_file(console: Any, name: str) -> None:
    """From anywhere in the console: the roll, then the worker's file."""
    console.click("aside [data-menu=households]")
    console.click(f"[data-testid=household-table] a:has-text('{name}')")
    console.wait_for_url(re.compile(r"/console/hardship/\d+/$"))


def test_a_clerk_files_a_household_and_the_town_approves_it_after_a_visit(page, city):
    hardship_helpers.lines(city, year=timezone.localdate().year)
    worker = known_worker(city)
    name = worker.person.name
    child_id = new_id_number(birth=datetime.date(2008, 3, 1))

    # Given the clerk of B号机械有限公司工会, at the roll,
    with staff_page(page, "union_b-clerk") as console:
        console.click("aside [data-menu=households]")
        console.click("[data-testid=file-household]")
        # when they file the worker's household (their own union is already chosen),
        assert "B号机械有限公司工会" in console.inner_text("main form")
        console.fill("#id_name", name)
        console.fill("#id_id_number", worker.test_id_number)
        console.fill("#id_address", "B镇幸福路 1 号")
        console.get_by_label("因病", exact=True).check()
        console.fill("#id_cause_note", "本人尿毒症，每周透析三次。")
        console.fill("#id_yearly_income", "9000")
        console.fill("#id_health", "尿毒症")
        console.select_option("#id_work_capacity", label="部分丧失")
        shoot(console, "h01-file-form")
        console.click("button:has-text('保存')")
        console.wait_for_url(re.compile(r"/console/hardship/\d+/$"))
        file_url = console.url
        assert "已建立档案，请登记其他家庭成员和入户核查后提交审批。" in console.inner_text("main")
        assert console.inner_text("h1 .badge") == "填报中"

        # add their son, a student,
        console.click("[data-testid=add-member]")
        console.fill("#id_name", "王小明")
        console.select_option("#id_relation", label="子女")
        console.fill("#id_id_number", child_id)
        console.fill("#id_yearly_income", "0")
        console.fill("#id_in_school", "高中")
        console.click("button:has-text('保存')")
        console.wait_for_selector("text=已添加家庭成员，人均收入和困难等级已重新计算。")
        members = console.inner_text("[data-testid=member-table]")
        assert name in members and "王小明" in members
        # (9,000 yuan for two is under the city's 8,000 a head: deep hardship.)
        assert "深度困难" in console.inner_text("main")

        # and submit it, it waits for the town.
        console.click("[data-testid=submit-household]")
        console.wait_for_selector("text=已提交上一级工会审批。")
        assert console.inner_text("h1 .badge") == "待审批"
        assert "等待B镇总工会审批。" in console.inner_text("main")
        shoot(console, "h02-submitted")

    # The town's reviewer finds it waiting, but cannot approve a file nobody has visited.
    with staff_page(page, "town_b-reviewer") as console:
        assert console.inner_text("aside [data-menu=households] .badge") == "1"
        open_file(console, name)
        assert "尚无入户核查记录" in console.inner_text("main")
        console.click("[data-testid=approve]")
        console.wait_for_selector("text=尚无入户核查记录：须先入户核查，方可审批通过。")
        assert console.inner_text("h1 .badge") == "待审批"
        shoot(console, "h03-no-visit-yet")

    # The town's clerk visits the home and records it, with a photo taken there.
    with staff_page(page, "town_b-clerk") as console:
        open_file(console, name)
        console.click("[data-testid=add-visit]")
        console.fill("#id_visitors", "B镇总工会 李娟、王强")
        console.fill("#id_findings", "家中两口人，本人透析，儿子读高中，住房简陋，情况属实。")
        console.set_input_files(
            "#id_photos",
            {"name": "门口.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()},
        )
        shoot(console, "h04-visit-form")
        console.click("button:has-text('保存')")
        console.wait_for_selector("text=已登记入户核查。")
        visit = console.inner_text("[data-testid=visit]")
        assert "李娟" in visit and "门口.jpg" in visit

    # Now the reviewer approves it: the household is on the roll, in deep hardship.
    with staff_page(page, "town_b-reviewer") as console:
        console.goto(file_url)
        console.fill("[name=note]", "经入户核查，情况属实，同意纳入。")
        console.click("[data-testid=approve]")
        console.wait_for_selector("text=已处理建档审批。")
        assert console.inner_text("h1 .badge") == "在册"
        assert "深度困难" in console.inner_text("main")
        assert "同意纳入" in console.inner_text("[data-testid=events]")
        assert console.locator("[data-testid=decision-form]").count() == 0
        assert console.locator("aside [data-menu=households] .badge").count() == 0
        shoot(console, "h05-approved")

    # The clerk sees it on their roll,
    with staff_page(page, "union_b-clerk") as console:
        console.click("aside [data-menu=households]")
        row = console.locator("[data-testid=household-table] tbody tr", has_text=name)
        assert "在册" in row.inner_text() and "深度困难" in row.inner_text()

    # and the worker is told on their phone.
    page.set_viewport_size(PHONE)
    problems = watch(page)
    worker_sign_in(page, worker.test_mobile)
    page.wait_for_url("**/m/")
    page.click("[data-testid=messages-tab]")
    assert "您的困难职工档案已审核通过，纳入B号机械有限公司工会困难职工帮扶。" in page.inner_text(
        "main"
    )
    fits(page)
    shoot(page, "h06-worker-told")
    assert Household.unscoped.get(person=worker.person).status == HouseholdStatus.ACTIVE
    assert problems == [], problems
