"""A legal-aid case clicked through from the worker's phone to the district and back, in
headless Chromium (Playwright driving /usr/bin/chromium).

The browser, the page and the sign-in steps are the ones of ``gonghui/tests/test_browser.py``,
imported so that both files launch Chromium and sign people in the same way; like those tests,
these are skipped with a visible notice when Chromium is not installed.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from gonghui.casework.models import Case
from gonghui.casework.services import cases as cases_services
from gonghui.organizations.models import ServiceType
from gonghui.tests import test_browser as shared
from gonghui.tests.test_browser import CHROMIUM, staff_sign_in, worker_sign_in

# The fixtures of the other browser tests, found by pytest under these names.
browser = shared.browser
page = shared.page
city = shared.city

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def service_types() -> None:
    """The seeded service types these flows need. ``serialized_rollback`` restores migration
    data for a transactional test, but under xdist a flush by a test on the same worker has
    been seen to leave the table empty here; seed it again from the migrations if so."""
    from gonghui.testing.database import seed_service_types

    seed_service_types()


@contextmanager
def staff_page(page: Any, username: str) -> Iterator[Any]:
    """A member of staff at their own computer: a browser context of their own, signed in."""
    context = page.context.browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    console = context.new_page()
    console.set_default_timeout(10_000)
    console.base = page.base
    staff_sign_in(console, username)
    try:
        yield console
    finally:
        context.close()


def open_from_queue(console: Any, title: str) -> None:
    console.click("aside a:has-text('服务事项')")
    row = console.locator("[data-testid=case-table] tbody tr", has_text=title)
    row.locator("a").click()
    console.wait_for_url(re.compile(r"/console/cases/\d+/$"))


def ask_for_legal_aid(page: Any, title: str) -> None:
    page.goto(page.base + "/m/cases/new/?type=legal_aid")
    page.select_option("#id_service_type", label="法律援助")
    page.fill("#id_title", title)
    page.fill("#id_description", "公司拖欠三个月工资共 18000 元，多次催讨未果，想申请法律援助。")


def show_action(console: Any, name: str) -> Any:
    """Open one action of the case page (its button reveals its form) and return the form."""
    details = console.locator(f"details[data-action={name}]")
    if details.get_attribute("open") is None:
        console.click(f"[data-testid=action-{name}]")
    return details.locator("form")


def take_action(console: Any, name: str, fields: dict[str, str] | None = None) -> None:
    """Fill one action's form, tick its confirmation if it has one, and submit it."""
    form = show_action(console, name)
    for field, value in (fields or {}).items():
        form.locator(f"[name={field}]").fill(value)
    if form.locator("input[name=confirm]").count():
        form.locator("input[name=confirm]").check()
    form.locator(f"[data-testid=case-{name}]").click()


def wait_until(condition: Any, page: Any, message: str, seconds: float = 10) -> None:
    """Poll a condition about the server's side while the browser keeps running."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message
        page.wait_for_timeout(50)


def test_legal_aid_case_from_portal_through_town_and_district_to_rating(page, city):
    worker = city.worker("union_b")
    title = "讨要被拖欠的工资"

    # Given a member of B号机械有限公司工会 signed in to the portal,
    # when they ask for legal aid, the case waits at their town's station.
    worker_sign_in(page, worker.test_mobile)
    page.wait_for_url("**/m/")
    ask_for_legal_aid(page, title)
    page.click("[data-testid=case-submit]")
    page.wait_for_url(re.compile(r"/m/cases/\d+/$"))
    case_url = page.url
    assert page.inner_text("[data-testid=case-state]") == "待受理"
    assert page.inner_text("[data-testid=case-handler]") == "B镇总工会"
    assert "已提交，由B镇总工会受理。" in page.inner_text("body")

    # The town's clerk finds it in the queue, accepts it, then escalates it.
    with staff_page(page, "town_b-clerk") as console:
        open_from_queue(console, title)
        assert console.inner_text("[data-testid=case-state]") == "待受理"
        take_action(console, "accept")
        console.wait_for_selector("[data-testid=case-state]:text-is('办理中')")
        take_action(console, "escalate", {"reason": "涉及仲裁代理，需区职工服务中心指派律师。"})
        console.wait_for_selector("text=已上报上级。")
        assert console.inner_text("[data-testid=case-state]") == "待受理"
        assert console.inner_text("[data-testid=case-handler]").startswith("B区总工会")
        assert console.locator("[data-testid=case-accept]").count() == 0

    # The district's clerk accepts it and resolves it.
    with staff_page(page, "district_b-clerk") as console:
        open_from_queue(console, title)
        assert console.inner_text("[data-testid=case-handler]").startswith("B区总工会")
        take_action(console, "accept")
        console.wait_for_selector("[data-testid=case-state]:text-is('办理中')")
        take_action(console, "resolve", {"resolution": "经律师代理劳动仲裁，公司已补发全部工资。"})
        console.wait_for_selector("text=已办结，等待职工确认评价。")
        assert console.inner_text("[data-testid=case-state]") == "已办结，待评价"

    # The worker sees the result, rates it four stars and confirms.
    page.goto(case_url)
    assert page.inner_text("[data-testid=case-state]").startswith("已办结")
    assert page.inner_text("[data-testid=case-handler]") == "B区总工会"
    assert "公司已补发全部工资" in page.inner_text("body")
    confirm = page.locator("[data-testid=confirm-form]")
    confirm.locator("[data-testid=star-4]").click()  # the fourth of five tappable stars
    assert confirm.locator("input[name=rating][value='4']").is_checked()
    confirm.locator("[name=comment]").fill("律师很专业，感谢工会。")
    confirm.locator("[data-testid=case-confirm]").click()
    page.wait_for_selector("text=感谢您的评价。")

    # Then the case is closed, and the timeline tells the whole story in order.
    assert page.inner_text("[data-testid=case-state]") == "已关闭"
    assert page.locator("[data-testid=confirm-form]").count() == 0
    assert page.locator("[aria-label='4 星']").count() == 1
    assert "律师很专业，感谢工会。" in page.inner_text("body")
    steps = page.locator("[data-testid=timeline] > li .fw-semibold").all_inner_texts()
    assert steps == [
        "提交：B镇总工会",
        "受理：B镇总工会",
        "上报上级：B镇总工会 → B区总工会",
        "受理：B区总工会",
        "办结",
        "职工确认评价",
    ]
    assert "涉及仲裁代理，需区职工服务中心指派律师。" in page.inner_text("[data-testid=timeline]")


def test_clerk_accepts_with_the_confirmation_then_resolves_with_the_counter(page, city):
    """The case page as a clerk meets it: one action open at a time, 受理 first, a
    confirmation the server insists on, a counter on the long text that never lets the
    browser cut it."""
    worker = city.worker("union_b")
    case = cases_services.case_open(
        actor=worker,
        person=worker.person,
        service_type=ServiceType.objects.get(code="petition"),
        title="申请调离噪声岗位",
        description="车间噪声超过 90 分贝，耳鸣三个月，申请调岗。",
    )
    with staff_page(page, "union_b-clerk") as console:
        # Given the grassroots union's clerk on the waiting case,
        console.goto(console.base + f"/console/cases/{case.pk}/")
        # the worker's own words are on the page, and 受理 is the one form open.
        assert "耳鸣三个月" in console.inner_text("[data-testid=case-own-words]")
        open_forms = console.locator("details[name=case-action][open]")
        assert open_forms.count() == 1
        assert open_forms.get_attribute("data-action") == "accept"
        assert console.locator("details[data-action=reject] form").is_hidden()

        # When they press 受理 without ticking the confirmation, nothing is done;
        console.click("[data-testid=case-accept]")
        console.wait_for_selector("text=此操作不能撤销，请勾选确认后再提交。")
        assert console.inner_text("[data-testid=case-state]") == "待受理"
        # with it ticked, the case is accepted.
        take_action(console, "accept")
        console.wait_for_selector("text=已受理。")
        assert console.inner_text("[data-testid=case-state]") == "办理中"

        # Now 办结 comes first. Its text area counts as the clerk types, line breaks as sent,
        resolve = show_action(console, "resolve")
        assert console.locator("details[name=case-action][open]").count() == 1
        box = resolve.locator("textarea[name=resolution]")
        counter = resolve.locator("[data-testid=char-count]")
        assert counter.inner_text() == "0 / 2000 字"
        box.press_sequentially("已调岗\n")
        assert counter.inner_text() == "5 / 2000 字"
        # and text past the limit is kept whole, the counter turns red, and the server
        # says how much to cut at the field, with the text still there.
        box.fill("调" * 2010)
        assert counter.inner_text() == "2010 / 2000 字"
        assert "text-danger" in (counter.get_attribute("class") or "")
        assert len(box.input_value()) == 2010
        resolve.locator("input[name=confirm]").check()
        resolve.locator("[data-testid=case-resolve]").click()
        console.wait_for_selector("text=不能超过 2000 个字，现有 2010 个字，请删减。")
        resolve = console.locator("details[data-action=resolve] form")
        assert len(resolve.locator("textarea[name=resolution]").input_value()) == 2010
        assert console.inner_text("[data-testid=case-state]") == "办理中"

        take_action(console, "resolve", {"resolution": "已协调调至装配车间，噪声低于 70 分贝。"})
        console.wait_for_selector("text=已办结，等待职工确认评价。")
        assert console.inner_text("[data-testid=case-state]") == "已办结，待评价"
        assert console.locator("[data-testid=case-actions]").count() == 0


def test_impatient_second_click_on_submit_opens_one_case(page, city, monkeypatch):
    """The worker clicks submit, nothing seems to happen, and clicks again: the hidden
    idempotency key makes the second submission return the first case.

    A Playwright double click is too fast to send two requests (Chromium keeps only the last
    planned submission), so the server holds the first submission until the second arrives;
    this is the slow-network case the key is for."""
    calls: list[int] = []
    finished: list[int] = []
    second_arrived = threading.Event()
    lock = threading.Lock()
    case_open = cases_services.case_open

    def held(**kwargs: Any) -> Case:
        with lock:
            calls.append(1)
            first = len(calls) == 1
        if first:
            second_arrived.wait(timeout=10)
        else:
            second_arrived.set()
        try:
            return case_open(**kwargs)
        finally:
            with lock:
                finished.append(1)

    monkeypatch.setattr(cases_services, "case_open", held)
    # Given a worker with the legal-aid form filled in,
    worker = city.worker("union_b")
    worker_sign_in(page, worker.test_mobile)
    page.wait_for_url("**/m/")
    ask_for_legal_aid(page, "点了两次提交的申请")

    # When they click submit twice, the second time while the first is still being answered
    # (the mouse, not page.click: Playwright would wait for the pending navigation first),
    box = page.locator("[data-testid=case-submit]").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    wait_until(lambda: len(calls) == 1, page, "the first click did not reach the server")
    page.mouse.click(x, y)
    wait_until(lambda: len(calls) == 2, page, "the second click did not reach the server")
    page.wait_for_url(re.compile(r"/m/cases/\d+/$"))
    wait_until(lambda: len(finished) == 2, page, "the server did not answer both clicks")

    # then their applications list that one case only once.
    page.goto(page.base + "/m/inbox/?kind=case")
    items = page.locator("[data-testid=inbox] a", has_text="点了两次提交的申请")
    assert items.count() == 1
    assert Case.unscoped.filter(person=worker.person).count() == 1
