"""The worker portal on a phone (390 x 844), in headless Chromium: the first sign-in asks for
consent to the privacy notice, the code button counts down, the home shows notices, open
requests and what may be booked; a class is booked from the filtered list, its QR code shown
in 我的预约 and the class rated there with tappable stars, as is a resolved request; the
nearest station called.

Browser and sign-in are those of ``gonghui/tests/test_browser.py``; skipped with a visible
notice when Chromium is not installed. ``GONGHUI_SCREENSHOTS=<dir>`` saves a screenshot of
each page for a person to look at."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import PrivacyConsent
from gonghui.casework.models import Case, CaseState
from gonghui.casework.selectors import service_type_by_code
from gonghui.casework.services import cases as cases_services
from gonghui.conftest import sms_code
from gonghui.core import notify
from gonghui.core.sms import MemoryBackend
from gonghui.culture.models import Booking, BookingMode, BookingState, Series
from gonghui.culture.services import catalogue as catalogue_services
from gonghui.culture.services import sessions as sessions_services
from gonghui.organizations import services as org_services
from gonghui.organizations.models import ServiceTier
from gonghui.testing.factories import new_mobile
from gonghui.tests import test_browser as shared
from gonghui.tests.test_browser import CHROMIUM

browser = shared.browser
city = shared.city

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
HOUR = datetime.timedelta(hours=1)
SHOTS = os.environ.get("GONGHUI_SCREENSHOTS", "")


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base = live_server.url
    yield page
    context.close()


@pytest.fixture(autouse=True)
def seeded() -> None:
    """The series and service types the migrations seed (a transactional test's flush may
    have emptied them; see the culture and casework browser tests)."""
    from importlib import import_module

    from django.apps import apps

    from gonghui.testing.database import seed_service_types

    if not Series.objects.exists():
        import_module("gonghui.culture.migrations.0002_seed_series_and_rules").seed(apps, None)
    seed_service_types()


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def publish(city: Any, title: str, series: str, *, days: int, audience: Any = None) -> Any:
    clerk = city.staff("town_b", "clerk")
    course = catalogue_services.course_save(
        actor=clerk, series=Series.objects.get(code=series), category="instrument", title=title
    )
    start = timezone.now() + days * 24 * HOUR
    return sessions_services.session_publish(
        actor=clerk,
        course=course,
        starts_at=start,
        ends_at=start + 2 * HOUR,
        opens_at=timezone.now() - HOUR,
        closes_at=start - HOUR,
        capacity=20,
        mode=BookingMode.FIRST_COME,
        place="B镇职工之家二楼",
        audience=audience,
    )


def resolved_case(city: Any, person: Any) -> Case:
    clerk = city.staff("town_b", "clerk")
    case = cases_services.case_open(
        actor=person.account,
        person=person,
        service_type=service_type_by_code("hardship"),
        title="医药费报销咨询",
        description="住院自付部分较多，想了解困难帮扶政策。",
    )
    case = cases_services.case_accept(actor=clerk, case=case)
    return cases_services.case_resolve(
        actor=clerk, case=case, resolution="已按困难职工帮扶办法发放补助 2000 元。"
    )


def test_a_worker_on_a_phone_consents_books_a_class_sees_its_qr_and_rates(phone, city):
    page = phone
    mobile = new_mobile()
    membership = city.member("union_b", mobile=mobile, name="林小满")
    person = membership.person
    # Classes: one of "才艺美" in two days, one of another series, one for another union's
    # members only (shown only with "全部", with its reason).
    wanted = publish(city, "古筝入门", "caiyi", days=2)
    other_series = publish(city, "职工健身操", "xingxiang", days=2)
    elsewhere = publish(city, "书法课", "caiyi", days=3, audience=city.union_b2)
    station = org_services.service_place_save(
        actor=None,
        place=None,
        organization=city.town_b,
        tier=ServiceTier.STATION,
        name="B镇职工服务站",
        address="B镇便民服务中心二楼",
        phone="0573-83100001",
        opening=[(d, datetime.time(0, 0), datetime.time(23, 59)) for d in range(1, 8)],
    )

    # Given the sign-in page, the code button counts down once a code is sent.
    page.goto(page.base + "/m/login/")
    page.fill("#id_otp-mobile", mobile)
    page.click("[data-testid=send-code]")
    page.wait_for_selector("[data-testid=code-status]:has-text('验证码已发送')")
    button = page.locator("[data-testid=send-code]")
    assert button.is_disabled()
    assert "秒后重新获取" in button.inner_text()
    shot(page, "01-login")
    page.fill("#id_otp-code", sms_code(MemoryBackend.outbox))
    page.click("[data-testid=otp-login]")

    # The first sign-in shows the privacy notice; nothing opens before the worker agrees.
    page.wait_for_url("**/m/privacy/**")
    assert "敏感个人信息" in page.inner_text("[data-testid=privacy-notice]")
    shot(page, "02-privacy")
    page.check("#consent-check")
    page.click("[data-testid=consent-agree]")
    page.wait_for_url("**/m/")
    consent = PrivacyConsent.objects.get(user__person=person)
    assert (consent.version, consent.channel, consent.ended_at) == ("2026-12", "portal", None)

    # The home: a notice, the open request, and the classes the worker may book.
    case = resolved_case(city, person)
    with transaction.atomic():
        notify.notify(person_id=person.pk, kind="culture.booking", text="本周六文化宫有公益电影。")
    page.reload()
    assert "本周六文化宫有公益电影" in page.inner_text("[data-testid=home-notices]")
    assert "医药费报销咨询" in page.inner_text("[data-testid=home-open-requests]")
    assert "古筝入门" in page.inner_text("[data-testid=home-bookable]")
    shot(page, "03-home")
    page.click("[data-testid=mark-all-read]")
    page.wait_for_url("**/m/")
    assert page.locator("[data-testid=home-notices]").count() == 0
    assert page.locator("[data-testid=unread]").count() == 0

    # The class list shows what the worker may book; filtered by series, then booked.
    page.click("[data-testid=culture]")
    page.wait_for_url("**/m/culture/")
    assert page.locator(f"[data-testid=session-{elsewhere.pk}]").count() == 0
    page.click("[data-testid=show-all]")
    assert "仅面向B2号机械有限公司工会的会员" in page.inner_text(
        f"[data-testid=session-{elsewhere.pk}] [data-testid=why-not]"
    )
    page.select_option("#f-series", label="才艺美")
    page.click("[data-testid=filter]")
    page.wait_for_selector(f"[data-testid=session-{wanted.pk}]")
    assert page.locator(f"[data-testid=session-{other_series.pk}]").count() == 0
    shot(page, "04-classes")
    page.click(f"[data-testid=session-{wanted.pk}]")
    page.click("[data-testid=book]")
    page.wait_for_selector("text=预约成功")
    booking = Booking.unscoped.get(session=wanted, person=person)
    assert booking.state == BookingState.BOOKED

    # 我的预约 shows the booking with its check-in QR code.
    page.goto(page.base + "/m/culture/bookings/")
    card = page.locator(f"[data-testid=booking-{booking.pk}]")
    assert "古筝入门" in card.inner_text()
    qr = card.locator("[data-testid=qr]")
    qr.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
    shot(page, "05-my-bookings")

    # Checked in at the door (the staff's scanner is another test's), the class is rated with
    # the stars in 我的预约: a tap on the fifth.
    Booking.unscoped.filter(pk=booking.pk).update(
        state=BookingState.ATTENDED, checked_in_at=timezone.now()
    )
    page.reload()
    rate = page.locator(f"[data-testid=rate-{booking.pk}]")
    rate.locator("[data-testid=star-5]").tap()
    assert rate.locator("input[name=rating][value='5']").is_checked()
    rate.locator("[name=comment]").fill("老师讲得很细。")
    shot(page, "05b-rate-class")
    rate.locator("[data-testid=rate-submit]").click()
    page.wait_for_selector("text=感谢您的评价。")
    booking.refresh_from_db()
    assert (booking.rating, booking.rating_comment) == (5, "老师讲得很细。")

    # The resolved request is rated with the stars: a tap on the fourth.
    page.goto(page.base + f"/m/cases/{case.pk}/")
    page.locator("[data-testid=star-4]").tap()
    page.fill("[name=comment]", "工作人员很耐心。")
    shot(page, "06-rating")
    page.click("[data-testid=case-confirm]")
    page.wait_for_selector("text=感谢您的评价。")
    case.refresh_from_db()
    assert (case.state, case.rating) == (CaseState.CLOSED, 4)

    # The nearest station is the worker's own town's, open, with a number to call.
    page.click("[data-testid=nav-home]")
    page.click("[data-testid=stations]")
    card = page.locator(f"[data-testid=station-{station.pk}]")
    assert "B镇便民服务中心二楼" in card.inner_text()
    assert card.locator("[data-testid=open-now]").count() == 1
    assert card.locator("[data-testid=call]").get_attribute("href") == "tel:0573-83100001"
    shot(page, "07-stations")
