"""The pages whose scripts the content security policy could break, used in headless Chromium
with the policy in force: each interaction must still work and the browser must report no
violation and no script error (docs/adr/0007).

Browser, page and sign-in are those of ``gonghui/tests/test_browser.py``.
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import Any

import pytest
import segno
from django.core.cache import cache
from django.utils import timezone

from gonghui.core import imports
from gonghui.core.models import ImportJob, ImportStatus
from gonghui.culture.models import Booking, BookingMode, BookingState, Series
from gonghui.culture.services import booking as booking_services
from gonghui.culture.services import catalogue as catalogue_services
from gonghui.culture.services import sessions as sessions_services
from gonghui.testing.sheets import csv_upload
from gonghui.tests import test_browser as shared
from gonghui.tests.test_browser import CHROMIUM, staff_sign_in, worker_sign_in

browser = shared.browser
page = shared.page
city = shared.city

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
HOUR = datetime.timedelta(hours=1)

# Playwright's init scripts run outside the page's policy, so this listener sees every
# violation the page causes, including those Chromium does not print to the console.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watch(page: Any) -> list[str]:
    """Console errors, uncaught script errors and failed requests of ``page`` from now on."""
    problems: list[str] = []

    def console(message: Any) -> None:
        # A failed request's console line does not say which; the response listener does.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def response(answer: Any) -> None:
        if answer.status >= 400:
            problems.append(f"{answer.status} {answer.url}")

    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("response", response)
    return problems


def test_console_pages_work_under_the_policy(page, city):
    problems = watch(page)
    member = city.member("union_a", name="欧阳策略")
    staff_sign_in(page, "city-admin")

    # The member list's search.
    page.goto(page.base + "/console/members/")
    page.fill("[data-testid=member-search]", "欧阳")
    page.press("[data-testid=member-search]", "Enter")
    page.wait_for_selector("text=欧阳策略")
    # Bootstrap's dropdown (Popper places it by setting styles from script).
    page.click(".dropdown-toggle-split")
    page.wait_for_selector(".dropdown-menu.show select[name=reason]")

    # The union tree: the expand button loads the children (htmx) and then goes away.
    page.goto(page.base + "/console/orgs/")
    children_url = page.locator("[data-remove-after-request]").first.get_attribute("hx-get")
    detail_url = children_url.removesuffix("children/")
    expand = page.locator(f"[hx-get='{children_url}']")
    expand.click()
    expand.wait_for(state="detached")
    assert page.locator(f"li:has(> a[href='{detail_url}']) > .subtree li").count() > 0

    # The organisation picker of a transfer: an htmx search, a click on a result; then the
    # tree, walked down from the city (the directory of unions is city-wide).
    page.goto(f"{page.base}/console/members/{member.pk}/transfer/")
    page.fill("[data-testid=org-picker-q-to_union]", "B号")
    page.click("[data-org-pick]:has-text('B号机械有限公司工会')")
    assert page.inner_text("[data-org-picker-chosen]") == "B号机械有限公司工会"
    assert page.input_value("#id_to_union") == str(city.union_b.pk)
    assert page.locator("#id_to_union_results [data-org-pick]").count() == 0
    page.click("[data-testid=org-picker-browse-to_union]")
    page.click(f"[hx-get$='parent={city.district_b.pk}']")
    page.click(f"[hx-get$='parent={city.town_b.pk}']")
    page.click(f"[data-org-pick='{city.union_b2.pk}']")
    assert page.input_value("#id_to_union") == str(city.union_b2.pk)

    # The coverage chart (ECharts) with its tooltip, and the casework figures' charts.
    page.goto(page.base + "/console/coverage/")
    chart = page.locator("#coverage-chart canvas")
    chart.wait_for()
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 3, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    page.goto(page.base + "/console/cases/figures/")
    page.locator("#cases-by-type canvas").wait_for()
    page.locator("#cases-trend canvas").wait_for()
    assert problems == [], "\n".join(problems)


def test_the_refusal_page_goes_back_without_a_javascript_url(page, city):
    problems = watch(page)
    staff_sign_in(page, "town_a-leader")
    page.goto(page.base + "/console/members/")
    refused = page.goto(page.base + "/console/members/new/")
    assert refused.status == 403
    problems.remove(f"403 {page.base}/console/members/new/")
    page.click("[data-history-back]")
    page.wait_for_url("**/console/members/")
    assert problems == [], "\n".join(problems)


def test_the_import_progress_bar_shows_its_width_without_a_style_attribute(page, city):
    problems = watch(page)
    clerk = city.staff("union_a", "clerk")
    job = imports.import_job_create(actor=clerk, kind="members", upload=csv_upload([]))
    ImportJob.unscoped.filter(pk=job.pk).update(  # a commit under way, its lease held
        status=ImportStatus.COMMITTING,
        lease_owner="worker",
        lease_until=timezone.now() + datetime.timedelta(minutes=10),
    )
    cache.set(f"import-progress:{job.pk}", {"done": 42, "total": 100, "phase": "commit"}, 600)
    staff_sign_in(page, "union_a-clerk")
    page.goto(f"{page.base}/console/imports/{job.pk}/")
    page.wait_for_selector("[data-progress='42']")
    page.wait_for_timeout(800)  # at least one more poll, which replaces the bar
    bar = page.locator("[data-progress]").bounding_box()
    track = page.locator(".progress").bounding_box()
    assert abs(bar["width"] / track["width"] - 0.42) < 0.02
    assert problems == [], "\n".join(problems)


def test_worker_pages_work_under_the_policy(page, city):
    problems = watch(page)
    worker = city.worker()
    worker_sign_in(page, worker.test_mobile)
    page.wait_for_url("**/m/")

    # The union picker of the join form.
    page.goto(page.base + "/m/join/")
    page.fill("[data-testid=union-q]", "A号")
    page.click("[data-testid=union-option] >> nth=0")
    assert "A号" in page.inner_text("[data-testid=chosen-union]")
    assert page.input_value("#id_union_target")

    # The month calendar and its copy button; the member card's QR code.
    page.goto(page.base + "/m/culture/calendar/")
    page.wait_for_selector("[data-testid=mini-month]")
    page.click("[data-copy-target]")  # the clipboard answers asynchronously
    page.wait_for_selector("[data-copy-target]:has-text('已复制')")
    page.goto(page.base + "/m/")
    assert problems == [], "\n".join(problems)


def test_the_api_docs_work_under_the_policy(page):
    problems = watch(page)
    page.goto(page.base + "/api/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert problems == [], "\n".join(problems)


def camera_feed(text: str, path: Path) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of the QR code of ``text``."""
    width, height, scale = 640, 480, 8
    qr = segno.make(text, error="m")
    rows = [[bool(v) for v in row] for row in qr.matrix_iter(scale=scale, border=4)]
    top, left = (height - len(rows)) // 2, (width - len(rows[0])) // 2
    luma = bytearray(b"\xff" * width * height)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                luma[(top + y) * width + left + x] = 0
    chroma = b"\x80" * (width * height // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * 10)
    return path


def test_the_check_in_scanner_reads_a_booking_from_the_camera(browser, live_server, city, tmp_path):
    # Given a class starting within the hour and a worker's booking for it,
    if not Series.objects.exists():
        from importlib import import_module

        from django.apps import apps

        import_module("gonghui.culture.migrations.0002_seed_series_and_rules").seed(apps, None)
    clerk = city.staff("town_b", "clerk")
    course = catalogue_services.course_save(
        actor=clerk, series=Series.objects.get(code="caiyi"), category="instrument", title="扫码课"
    )
    now = timezone.now()
    session = sessions_services.session_publish(
        actor=clerk,
        course=course,
        starts_at=now + HOUR,
        ends_at=now + 2 * HOUR,
        opens_at=now - HOUR,
        closes_at=now + HOUR / 2,
        capacity=5,
        mode=BookingMode.FIRST_COME,
        place="B镇职工之家",
    )
    booking = booking_services.booking_create(actor=city.worker("union_b"), session=session)
    # and a phone whose camera sees the booking's QR code,
    feed = camera_feed(booking.token, tmp_path / "camera.y4m")
    if True:
        chromium = browser.browser_type.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={feed}",
            ],
        )
        context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
        phone = context.new_page()
        phone.set_default_timeout(15_000)
        phone.base = live_server.url
        problems = watch(phone)
        # when the clerk opens the check-in page and turns the camera on,
        staff_sign_in(phone, "town_b-clerk")
        phone.goto(f"{phone.base}/console/culture/sessions/{session.pk}/checkin/")
        phone.click("#start-camera")
        # then the scanner reads the code and checks the worker in.
        phone.wait_for_selector("#checkin-result:has-text('签到成功')")
        context.close()
        chromium.close()
    assert Booking.unscoped.get(pk=booking.pk).state == BookingState.ATTENDED
    assert problems == [], "\n".join(problems)


def test_the_staff_home_shows_the_to_do_and_draws_the_trend_under_the_policy(page, city):
    """Issue 12, point 1: the to-do with its total, this month against last, the chart."""
    problems = watch(page)
    clerk = city.staff("town_a", "clerk")
    city.worker("union_a")  # a member who joined: the figures have something to show
    staff_sign_in(page, clerk.username)
    page.wait_for_selector("[data-testid=todo] [data-tile=joins]")
    page.wait_for_selector("[data-testid=home-activity] [data-figure='members.joined']")
    page.wait_for_selector("#home-trend canvas")
    assert page.locator("[data-testid=home-activity] [data-testid=this-month]").count() >= 7
    # On a phone the side menu is a drawer the button in the bar opens.
    page.set_viewport_size({"width": 390, "height": 844})
    assert not page.locator("#console-menu").is_visible()
    page.click("[data-testid=menu-toggle]")
    page.wait_for_selector("#console-menu [data-menu=members]", state="visible")
    assert problems == [], "\n".join(problems)


def test_the_calendar_month_title_keeps_to_one_line_on_a_phone(page, city):
    """Issue 12, point 6."""
    worker = city.worker()
    page.set_viewport_size({"width": 360, "height": 740})
    worker_sign_in(page, worker.test_mobile)
    page.wait_for_url("**/m/")
    page.goto(page.base + "/m/culture/calendar/")
    title = page.locator("[data-testid=month-title]")
    height = title.bounding_box()["height"]
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('[data-testid=month-title]'))"
        ".lineHeight)"
    )
    assert height < 1.5 * line, (height, line)
