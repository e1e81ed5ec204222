"""The worker's class pages on the portal: the list shows what the worker may book (why not
for the rest, in the booking's own words), filtered and paged; 我的预约 with the QR codes;
the lottery in plain words with its proof folded away; the home card."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from gonghui.core.scoping import NotFound
from gonghui.culture.models import Booking, BookingMode, BookingRules, BookingState, Series
from gonghui.culture.services import booking as booking_services
from gonghui.culture.services import catalogue as catalogue_services
from gonghui.culture.tests.test_booking import HOUR, publish, refusal
from gonghui.culture.views import portal as portal_views


@pytest.fixture(autouse=True)
def _series(db) -> None:
    from importlib import import_module

    from django.apps import apps

    if not Series.objects.exists():
        import_module("gonghui.culture.migrations.0002_seed_series_and_rules").seed(apps, None)


def shown(client, query: str = "") -> set[int]:
    page = client.get(reverse("portal:culture_sessions") + query).content.decode()
    return {int(n) for n in re.findall(r'data-testid="session-(\d+)"', page)}


def test_the_reasons_shown_before_the_click_are_the_ones_the_booking_gives(world):
    # given a worker, a class for another union's members, one they already booked, and one
    # in a week they have filled
    worker = world.worker("union_b")
    others_only = publish(world, audience=world.union_b2)
    booked = publish(world)
    booking_services.booking_create(actor=worker, session=booked)
    rules = BookingRules.current()
    rules.weekly_limit = 1
    rules.save()
    full_week = publish(world)
    # when the portal asks whether they may book each
    found = booking_services.bookable_for(actor=worker, sessions=[others_only, booked, full_week])
    # then each reason is word for word what booking_create refuses with
    for session in (others_only, booked, full_week):
        said = refusal(lambda s=session: booking_services.booking_create(actor=worker, session=s))
        assert found[session.pk].reason == said


def test_a_session_not_open_yet_may_be_booked_later(world):
    worker = world.worker("union_b")
    later = publish(world, opens_at=timezone.now() + HOUR)
    found = booking_services.bookable_for(actor=worker, sessions=[later])[later.pk]
    assert found.later and not found.now and "开放" in found.reason


def test_the_list_shows_what_the_worker_may_book_and_the_rest_with_why_not(client, world):
    worker = world.worker("union_b")
    mine = publish(world)
    others_only = publish(world, audience=world.union_b2)
    client.force_login(worker)
    assert shown(client) == {mine.pk}
    page = client.get(reverse("portal:culture_sessions")).content.decode()
    assert "另有 1 节不可预约" in page
    page = client.get(reverse("portal:culture_sessions") + "?all=1").content.decode()
    assert f'data-testid="session-{others_only.pk}"' in page
    assert "仅面向B2号机械有限公司工会的会员" in page


def test_the_list_filters_by_day_venue_and_series_and_is_paged(client, world):
    worker = world.worker("union_b")
    clerk = world.staff("town_b", "clerk")
    hall = catalogue_services.venue_save(
        actor=clerk, name="B镇文化礼堂", kind="venue", address="B镇中山路 1 号", capacity=100
    )
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    in_hall = publish(
        world,
        venue=hall,
        place="",
        starts_at=tomorrow,
        ends_at=tomorrow + HOUR,
        closes_at=tomorrow - HOUR,
    )
    dance = catalogue_services.course_save(
        actor=clerk, series=Series.objects.get(code="xingxiang"), category="fitness", title="健身操"
    )
    later = [publish(world) for _ in range(portal_views.PAGE_SIZE)]
    from gonghui.culture.services import sessions as sessions_services

    other_series = sessions_services.session_publish(
        actor=clerk,
        course=dance,
        capacity=5,
        mode=BookingMode.FIRST_COME,
        starts_at=later[0].starts_at,
        ends_at=later[0].ends_at,
        opens_at=later[0].opens_at,
        closes_at=later[0].closes_at,
        place="B镇广场",
    )
    client.force_login(worker)
    assert shown(client, f"?date={tomorrow:%Y-%m-%d}") == {in_hall.pk}
    assert shown(client, f"?venue={hall.pk}") == {in_hall.pk}
    caiyi = Series.objects.get(code="caiyi").pk
    assert other_series.pk not in shown(client, f"?series={caiyi}")
    assert shown(client, f"?series={other_series.course.series_id}") == {other_series.pk}
    # twelve bookable sessions: ten on the first page, two on the second
    assert len(shown(client)) == portal_views.PAGE_SIZE
    assert len(shown(client, "?page=2")) == 2
    assert shown(client, "?date=not-a-date") == shown(client)


def test_my_bookings_shows_each_held_seat_with_its_qr_code(client, world):
    worker = world.worker("union_b")
    session = publish(world)
    booking = booking_services.booking_create(actor=worker, session=session)
    client.force_login(worker)
    page = client.get(reverse("portal:culture_bookings")).content.decode()
    qr = reverse("portal:culture_booking_qr", args=[booking.pk])
    assert f'src="{qr}"' in page and booking.code in page
    svg = client.get(qr)
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    booking_services.booking_cancel(actor=worker, booking=booking)
    page = client.get(reverse("portal:culture_bookings")).content.decode()
    assert f'src="{qr}"' not in page and "历史预约" in page


def test_the_lottery_is_told_in_plain_words_and_the_proof_is_under_how_to_verify(client, world):
    worker = world.worker("union_b")
    session = publish(world, mode=BookingMode.LOTTERY)
    client.force_login(worker)
    page = client.get(reverse("portal:culture_session", args=[session.pk])).content.decode()
    assert "怎么抽签" in page and "报名先后不影响中签机会" in page
    proof = page.split('data-testid="how-to-verify"')[1]
    assert "<summary>如何核验</summary>" in proof and session.commitment in proof
    assert session.commitment not in page.split('data-testid="how-to-verify"')[0]


def test_the_home_card_offers_the_next_classes_the_worker_may_book(client, world):
    worker = world.worker("union_b")
    mine = publish(world)
    publish(world, audience=world.union_b2)
    card = portal_views.home_card(worker)
    assert card is not None and [s.pk for s in card["sessions"]] == [mine.pk]
    client.force_login(worker)
    page = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="home-bookable"' in page and "古筝入门" in page


def test_the_detail_page_says_why_not_instead_of_offering_the_button(client, world):
    worker = world.worker("union_b")
    session = publish(world, audience=world.union_b2)
    client.force_login(worker)
    page = client.get(reverse("portal:culture_session", args=[session.pk])).content.decode()
    assert 'data-testid="why-not"' in page and 'data-testid="book"' not in page


def attended(world, worker) -> Booking:
    session = publish(world)
    booking = booking_services.booking_create(actor=worker, session=session)
    Booking.unscoped.filter(pk=booking.pk).update(state=BookingState.ATTENDED)  # checked in
    booking.refresh_from_db()
    return booking


def test_a_class_attended_is_rated_once_with_the_stars(client, world):
    worker = world.worker("union_b")
    booking = attended(world, worker)
    client.force_login(worker)
    page = client.get(reverse("portal:culture_bookings")).content.decode()
    assert f'data-testid="rate-{booking.pk}"' in page and 'data-testid="star-5"' in page
    url = reverse("portal:culture_booking_rate", args=[booking.pk])
    client.post(url, {"rating": "4", "comment": "老师讲得很细。"})
    booking.refresh_from_db()
    assert (booking.rating, booking.rating_comment) == (4, "老师讲得很细。")
    assert booking.rated_at is not None
    page = client.get(reverse("portal:culture_bookings")).content.decode()
    assert f'data-testid="rate-{booking.pk}"' not in page and 'aria-label="4 星"' in page
    # once only
    assert "已评价过" in refusal(
        lambda: booking_services.booking_rate(actor=worker, booking=booking, rating=5)
    )


def test_only_an_attended_class_of_one_s_own_is_rated_with_one_to_five_stars(world):
    worker = world.worker("union_b")
    booked = booking_services.booking_create(actor=worker, session=publish(world))
    assert "签到参加课程后才能评价" in refusal(
        lambda: booking_services.booking_rate(actor=worker, booking=booked, rating=5)
    )
    booking = attended(world, worker)
    for wrong in (0, 6, True):
        assert "1 到 5 星" in refusal(
            lambda w=wrong: booking_services.booking_rate(actor=worker, booking=booking, rating=w)
        )
    with pytest.raises(NotFound):
        booking_services.booking_rate(actor=world.worker("union_b"), booking=booking, rating=5)
    booking.refresh_from_db()
    assert booking.rating is None
