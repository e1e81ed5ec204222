"""Classes clicked through in headless Chromium (Playwright driving /usr/bin/chromium): a
lottery signed up for, drawn by staff and checked by the worker against its published seed;
a first-come seat given up and offered to the next in line, who confirms it.

Browser, page and sign-in are those of ``gonghui/tests/test_browser.py``; skipped with a
visible notice when Chromium is not installed.
"""

from __future__ import annotations

import datetime
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.utils import timezone

from gonghui.culture import draw
from gonghui.culture.models import Booking, BookingMode, BookingState, ClassSession, Series
from gonghui.culture.services import booking as booking_services
from gonghui.culture.services import catalogue as catalogue_services
from gonghui.culture.services import sessions as sessions_services
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


@pytest.fixture(autouse=True)
def seeded_series() -> None:
    """The 五美 series from the migration (see the casework browser tests on why a flush by
    another transactional test may have emptied the table)."""
    from importlib import import_module

    from django.apps import apps

    if not Series.objects.exists():
        import_module("gonghui.culture.migrations.0002_seed_series_and_rules").seed(apps, None)


@contextmanager
def another(page: Any) -> Iterator[Any]:
    """Another person at their own device: a browser context of their own."""
    context = page.context.browser.new_context(
        locale="zh-CN", viewport={"width": 420, "height": 900}
    )
    other = context.new_page()
    other.set_default_timeout(10_000)
    other.base = page.base
    try:
        yield other
    finally:
        context.close()


def publish(city: Any, title: str, mode: str, capacity: int) -> ClassSession:
    clerk = city.staff("town_b", "clerk")
    course = catalogue_services.course_save(
        actor=clerk, series=Series.objects.get(code="caiyi"), category="instrument", title=title
    )
    now = timezone.now()
    return sessions_services.session_publish(
        actor=clerk,
        course=course,
        starts_at=now + 48 * HOUR,
        ends_at=now + 50 * HOUR,
        opens_at=now - HOUR,
        closes_at=now + 24 * HOUR,
        capacity=capacity,
        mode=mode,
        place="B镇职工之家二楼",
    )


def test_lottery_sign_up_draw_and_the_published_seed(page, city):
    session = publish(city, "古筝入门", BookingMode.LOTTERY, capacity=1)
    url = f"{page.base}/m/culture/sessions/{session.pk}/"
    worker = city.worker("union_b")
    rival = city.worker("union_b")
    booking_services.booking_create(actor=rival, session=session)

    # Given a worker on the class page, the commitment is on show before anyone draws;
    # they sign up.
    worker_sign_in(page, worker.test_mobile)
    page.wait_for_url("**/m/")
    page.click("[data-testid=culture]")
    page.click(f"[data-testid=session-{session.pk}]")
    page.wait_for_url(url)
    # The lottery is told in plain words; the commitment is folded under "如何核验".
    assert "怎么抽签" in page.inner_text("[data-testid=lottery]")
    assert not page.is_visible("[data-testid=commitment]")
    page.click("[data-testid=how-to-verify] > summary")
    assert page.inner_text("[data-testid=commitment]") == session.commitment
    assert "每人每周最多预约或报名" in page.inner_text("[data-testid=rule]")
    page.click("[data-testid=book]")
    page.wait_for_selector("text=已报名抽签，截止后开奖")
    assert page.inner_text("[data-testid=booking-state]") == "已报名，待抽签"

    # When the window has closed, the town's clerk runs the draw from the session page.
    ClassSession.unscoped.filter(pk=session.pk).update(
        opens_at=timezone.now() - 3 * HOUR, closes_at=timezone.now() - HOUR
    )
    with another(page) as console:
        staff_sign_in(console, "town_b-clerk")
        console.goto(f"{console.base}/console/culture/sessions/{session.pk}/")
        console.click("[data-testid=run-draw]")
        console.wait_for_selector("text=已抽签，结果与随机种子已公示。")
        seed = console.inner_text("[data-testid=seed]")

    # Then the worker sees their result and the seed, which hashes to the commitment shown
    # before the draw, and the published record re-runs to the same result.
    page.reload()
    page.click("[data-testid=how-to-verify] > summary")
    assert page.inner_text("[data-testid=seed]") == seed
    assert draw.commitment(seed) == session.commitment
    mine = Booking.unscoped.get(session=session, person_id=worker.person_id)
    expected = {BookingState.BOOKED: "预约成功", BookingState.WAITING: "候补中"}[mine.state]
    assert page.inner_text("[data-testid=booking-state]") == expected
    session.refresh_from_db()
    assert page.inner_text("[data-testid=entrants-digest]") == session.entrants_digest
    assert draw.verify(session.draw_record, session.commitment, session.entrants_digest) == []
    with page.expect_download() as download:
        page.click("[data-testid=draw-json]")
    assert download.value.suggested_filename == f"draw-{session.pk}.json"


def test_a_cancelled_seat_is_offered_to_the_first_in_line(page, city):
    session = publish(city, "茶艺与茶文化", BookingMode.FIRST_COME, capacity=1)
    url = f"{page.base}/m/culture/sessions/{session.pk}/"
    holder, next_in_line = city.worker("union_b"), city.worker("union_b")

    # Given a worker who books the last seat,
    worker_sign_in(page, holder.test_mobile)
    page.wait_for_url("**/m/")
    page.goto(url)
    page.click("[data-testid=book]")
    page.wait_for_selector("text=预约成功，请按时参加")
    assert page.locator("[data-testid=qr]").count() == 1
    # and another who finds it full and joins the waiting list,
    with another(page) as phone:
        worker_sign_in(phone, next_in_line.test_mobile)
        phone.wait_for_url("**/m/")
        phone.goto(url)
        assert phone.inner_text("[data-testid=book]") == "名额已满，排队候补"
        phone.click("[data-testid=book]")
        phone.wait_for_selector("text=已为您排入候补名单")
        assert phone.inner_text("[data-testid=waiting-place]").startswith("候补第 1 位")

        # when the first cancels,
        page.click("[data-testid=cancel-booking]")
        page.wait_for_selector("text=已取消。")

        # the second is offered the seat, and confirms it in time.
        phone.reload()
        assert phone.inner_text("[data-testid=booking-state]") == "候补递补，待确认"
        assert re.search(r"请在 .+ 前确认", phone.inner_text("[data-testid=my-booking]"))
        phone.click("[data-testid=confirm-offer]")
        phone.wait_for_selector("text=已确认，预约成功。")
        assert phone.inner_text("[data-testid=booking-state]") == "预约成功"
        phone.goto(f"{phone.base}/m/inbox/")
        assert "茶艺与茶文化" in phone.inner_text("body")
    assert ClassSession.unscoped.get(pk=session.pk).seats_left == 0


# Draws the page's QR <img> onto a canvas that starts transparent (so only the image's own
# background can give the code its light modules and quiet zone) and reads it with jsQR, the
# library the door's scanner uses.
DECODE_QR = """async () => {
  const img = document.querySelector("[data-testid=qr]");
  try {
    await img.decode();
  } catch (error) {
    return {natural: img.naturalWidth, text: null, error: String(error)};
  }
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 360;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0, canvas.width, canvas.height);
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  const code = jsQR(image.data, image.width, image.height, {inversionAttempts: "dontInvert"});
  return {natural: img.naturalWidth, text: code ? code.data : null};
}"""


def test_the_bookings_qr_renders_and_reads_as_its_token(page, city):
    session = publish(city, "钢琴启蒙", BookingMode.FIRST_COME, capacity=5)
    worker = city.worker("union_b")
    booking = booking_services.booking_create(actor=worker, session=session)
    assert booking.state == BookingState.BOOKED

    # Given the worker on their phone, on the page of the class they booked,
    page.set_viewport_size({"width": 390, "height": 844})
    worker_sign_in(page, worker.test_mobile)
    page.wait_for_url("**/m/")
    page.goto(f"{page.base}/m/culture/sessions/{session.pk}/")

    # when the door's scanner library reads the QR image shown there,
    page.add_script_tag(url=f"{page.base}/static/vendor/jsqr/jsQR.js")
    shown = page.evaluate(DECODE_QR)

    # then the image rendered (not just its alt text) and holds the booking's token.
    assert shown["natural"] > 0, shown
    assert shown["text"] == booking.token
