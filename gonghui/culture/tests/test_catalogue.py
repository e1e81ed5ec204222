"""The catalogue (courses, mentors, venues), the calendar's events, the published booking rule,
the month views of the console and the portal, and the worker's iCal feed."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.core.scoping import NotFound
from gonghui.culture.models import (
    BookingMode,
    BookingRules,
    CalendarFeed,
    Course,
    CultureEvent,
    EventKind,
    Mentor,
    Series,
    Venue,
    VenueKind,
)
from gonghui.culture.selectors import catalogue as catalogue_selectors
from gonghui.culture.services import booking as booking_services
from gonghui.culture.services import catalogue as catalogue_services
from gonghui.culture.services import sessions as sessions_services
from gonghui.culture.views.calendar import parse_month
from gonghui.testing.world import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def world(db):
    return build_world()


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def series(code: str = "caiyi") -> Series:
    return Series.objects.get(code=code)


def at(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=SHANGHAI)


def mentor(world, org="town_b", name="王老师") -> Mentor:
    return catalogue_services.mentor_save(
        actor=world.staff(org, "clerk"), name=name, speciality="古筝", organization=world.orgs[org]
    )


def venue(world, org="town_b") -> Venue:
    return catalogue_services.venue_save(
        actor=world.staff(org, "clerk"),
        name="镇文化站",
        kind=VenueKind.VENUE,
        address="镇中路 1 号",
        capacity=80,
    )


def course(world, org="town_b", **extra) -> Course:
    values = {"series": series(), "category": "instrument", "title": "古筝入门", **extra}
    return catalogue_services.course_save(actor=world.staff(org, "clerk"), **values)


def event(world, org="town_b", **extra) -> CultureEvent:
    values = {
        "kind": EventKind.SHOW,
        "title": "迎新春职工文艺汇演",
        "place": "市工人文化宫大剧院",
        "starts_at": at(2026, 12, 5, 19, 30),
        "ends_at": at(2026, 12, 5, 21, 30),
        **extra,
    }
    return catalogue_services.event_save(actor=world.staff(org, "clerk"), **values)


def publish(world, org="town_b", **extra):
    now = timezone.now().replace(microsecond=0)  # iCal times are whole seconds
    values = {
        "starts_at": now + 48 * HOUR,
        "ends_at": now + 50 * HOUR,
        "opens_at": now - HOUR,
        "closes_at": now + 24 * HOUR,
        "place": "镇文化站二楼",
        "capacity": 5,
        "mode": BookingMode.FIRST_COME,
        **extra,
    }
    return sessions_services.session_publish(
        actor=world.staff(org, "clerk"), course=course(world, org), **values
    )


def refusal(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def day_titles(response, date: str) -> list[str]:
    """Titles the month view lists on ``date`` (YYYY-MM-DD)."""
    for week in response.context["weeks"]:
        for day in week:
            if day.date.isoformat() == date:
                return [item.entry.title for item in day.items]
    raise AssertionError(f"{date} is not on the page")


# --- services ---------------------------------------------------------------------------------


def test_a_mentor_needs_a_name_and_a_speciality_and_nothing_is_saved_without(world):
    errors = refusal(
        lambda: catalogue_services.mentor_save(
            actor=world.staff("town_b", "clerk"), name=" ", speciality=""
        )
    )
    assert set(errors) == {"name", "speciality"}
    assert all("\u4e00" <= m[0] <= "\u9fff" for msgs in errors.values() for m in msgs)
    assert not Mentor.unscoped.exists()


def test_a_partner_training_base_names_its_partner_and_a_venue_holds_someone(world):
    clerk = world.staff("town_b", "clerk")
    errors = refusal(
        lambda: catalogue_services.venue_save(
            actor=clerk, name="茶艺基地", kind=VenueKind.BASE, address="茶园路 8 号", capacity=0
        )
    )
    assert set(errors) == {"partner", "capacity"}
    assert "至少为 1" in errors["capacity"][0]
    assert (
        "请选择场地类型"
        in refusal(
            lambda: catalogue_services.venue_save(
                actor=clerk, name="x", kind="hall", address="y", capacity=5
            )
        )["kind"][0]
    )
    assert not Venue.unscoped.exists()
    base = catalogue_services.venue_save(
        actor=clerk,
        name="茶艺基地",
        kind=VenueKind.BASE,
        address="茶园路 8 号",
        capacity=30,
        partner="龙井茶业有限公司",
    )
    assert base.organization == world.town_b and base.partner == "龙井茶业有限公司"


def test_a_course_cannot_engage_a_mentor_of_a_sibling_branch(world):
    theirs = mentor(world, "town_a")
    errors = refusal(lambda: course(world, "town_b", mentor=theirs))
    assert "本单位或上级单位" in errors["mentor"][0]
    assert not Course.unscoped.exists()
    city_mentor = mentor(world, "city", name="市导师团李老师")
    assert course(world, "town_b", mentor=city_mentor).mentor == city_mentor


def test_the_mentors_offered_to_a_course_are_the_subtree_and_those_above(world):
    own, above, sibling = mentor(world, "town_b"), mentor(world, "city"), mentor(world, "town_a")
    retired = mentor(world, "district_b", name="退休的老师")
    catalogue_services.mentor_save(
        actor=world.staff("district_b", "clerk"),
        mentor=retired,
        name=retired.name,
        speciality="书法",
        is_active=False,
    )
    offered = set(catalogue_selectors.mentor_choices(actor=world.staff("town_b", "clerk")))
    assert offered == {own, above}
    assert sibling not in offered
    kept = catalogue_selectors.mentor_choices(actor=world.staff("town_b", "clerk"), keep=retired.pk)
    assert retired in set(kept)


def test_an_event_ends_after_it_starts_and_has_a_title_and_a_place(world):
    errors = refusal(lambda: event(world, title="", place="", ends_at=at(2026, 12, 5, 18, 0)))
    assert set(errors) == {"title", "place", "ends_at"}
    assert "结束时间应晚于开始时间" in errors["ends_at"][0]
    assert not CultureEvent.unscoped.exists()


def test_catalogue_writes_need_an_editing_role_within_the_subtree(world):
    with pytest.raises(PermissionDenied):
        catalogue_services.mentor_save(
            actor=world.staff("town_b", "leader"), name="王", speciality="茶"
        )
    with pytest.raises(NotFound):
        catalogue_services.mentor_save(
            actor=world.staff("town_a", "clerk"),
            name="王",
            speciality="茶",
            organization=world.town_b,
        )
    with pytest.raises(NotFound):
        catalogue_services.course_save(
            actor=world.staff("town_a", "clerk"),
            course=course(world, "town_b"),
            series=series(),
            category="tea",
            title="改名",
        )
    assert not Mentor.unscoped.exists()
    assert Course.unscoped.get().title == "古筝入门"


# --- catalogue pages --------------------------------------------------------------------------


CATALOGUE_PAGES = [
    "console:culture_courses",
    "console:culture_mentors",
    "console:culture_venues",
    "console:culture_events",
    "console:culture_rules",
    "console:culture_calendar",
]


@pytest.mark.parametrize("name", CATALOGUE_PAGES)
def test_the_catalogue_pages_open_for_staff_and_send_workers_to_their_portal(world, name):
    assert login(world.staff("town_b", "clerk")).get(reverse(name)).status_code == 200
    assert login(world.staff("union_b", "leader")).get(reverse(name)).status_code == 200
    response = login(world.worker("union_b")).get(reverse(name))
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")


def test_a_course_is_added_through_its_page_and_bad_input_saves_nothing(world):
    client = login(world.staff("town_b", "clerk"))
    url = reverse("console:culture_courses")
    data = {
        "organization": world.town_b.pk,
        "series": series().pk,
        "category": "instrument",
        "title": "",
        "description": "",
        "is_public_class": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "请修改标红的内容" in response.content.decode()
    assert not Course.unscoped.exists()
    response = client.post(url, {**data, "title": "琵琶入门"})
    assert response.status_code == 302
    assert Course.unscoped.get().title == "琵琶入门"
    other = series("qingqu")
    course(world, "town_b", series=other, category="tea", title="茶艺初阶")
    listed = client.get(url, {"series": other.pk}).context["page_obj"]
    assert [c.title for c in listed] == ["茶艺初阶"]


def test_the_course_page_refuses_a_sibling_branchs_mentor(world):
    theirs = mentor(world, "town_a")
    response = login(world.staff("town_b", "clerk")).post(
        reverse("console:culture_courses"),
        {
            "organization": world.town_b.pk,
            "series": series().pk,
            "category": "instrument",
            "title": "古筝入门",
            "mentor": theirs.pk,
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["mentor"]
    assert not Course.unscoped.exists()


def test_a_training_base_without_its_partner_is_refused_on_the_page(world):
    response = login(world.staff("town_b", "clerk")).post(
        reverse("console:culture_venues"),
        {
            "organization": world.town_b.pk,
            "name": "烘焙基地",
            "kind": VenueKind.BASE,
            "partner": "",
            "address": "面包街 2 号",
            "capacity": "20",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["partner"]
    assert not Venue.unscoped.exists()


def test_an_event_is_edited_with_local_times(world):
    show = event(world)
    client = login(world.staff("town_b", "clerk"))
    url = reverse("console:culture_event", args=[show.pk])
    page = client.get(url).content.decode()
    assert 'type="datetime-local"' in page and 'value="2026-12-05T19:30"' in page
    response = client.post(
        url,
        {
            "kind": EventKind.CONTEST,
            "title": "职工象棋赛",
            "starts_at": "2026-12-06T09:00",
            "ends_at": "2026-12-06T17:00",
            "place": "",
            "venue": venue(world).pk,
            "description": "",
        },
    )
    assert response.status_code == 302
    show.refresh_from_db()
    assert (show.kind, show.title) == (EventKind.CONTEST, "职工象棋赛")
    assert show.starts_at == at(2026, 12, 6, 9, 0)
    assert show.place == "镇文化站（镇中路 1 号）"


def test_the_edit_pages_of_another_branch_are_not_found(world):
    records = {
        "console:culture_course": course(world),
        "console:culture_mentor": mentor(world),
        "console:culture_venue": venue(world),
        "console:culture_event": event(world),
    }
    stranger = login(world.staff("town_a", "clerk"))
    for name, record in records.items():
        url = reverse(name, args=[record.pk])
        assert stranger.get(url).status_code == 404, name
        assert stranger.post(url, {"title": "改", "name": "改"}).status_code == 404, name
        assert login(world.staff("town_b", "clerk")).get(url).status_code == 200, name
        assert login(world.staff("district_b", "leader")).get(url).status_code == 200, name
    assert Course.unscoped.get().title == "古筝入门"
    assert Mentor.unscoped.get().name == "王老师"


def test_a_read_only_role_sees_the_record_but_cannot_change_it(world):
    record = mentor(world)
    client = login(world.staff("town_b", "leader"))
    url = reverse("console:culture_mentor", args=[record.pk])
    assert "您的角色只能查看" in client.get(url).content.decode()
    response = client.post(url, {"name": "改名", "speciality": "茶艺", "is_active": "on"})
    assert response.status_code == 403
    assert Mentor.unscoped.get().name == "王老师"


# --- the booking rule -------------------------------------------------------------------------


def test_the_city_administrator_publishes_a_new_rule(world):
    client = login(world.staff("city", "admin"))
    url = reverse("console:culture_rules")
    data = {
        "weekly_limit": 3,
        "no_show_limit": 2,
        "no_show_window_days": 60,
        "suspension_days": 30,
        "lottery_divisor": 2,
    }
    assert client.post(url, {**data, "weekly_limit": 99}).context["form"].errors["weekly_limit"]
    assert BookingRules.current().weekly_limit == 2
    assert client.post(url, data).status_code == 302
    assert BookingRules.current().weekly_limit == 3
    page = login(world.staff("union_a", "leader")).get(url).content.decode()
    assert "最多预约或报名 3 节" in page


def test_a_town_administrator_reads_the_rule_but_cannot_change_it(world):
    client = login(world.staff("town_b", "admin"))
    url = reverse("console:culture_rules")
    assert "由市总工会统一设置" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "weekly_limit": 9,
            "no_show_limit": 2,
            "no_show_window_days": 60,
            "suspension_days": 30,
            "lottery_divisor": 2,
        },
    )
    assert response.status_code == 403
    assert BookingRules.current().weekly_limit == 2


# --- the month views --------------------------------------------------------------------------


def test_the_console_month_lists_entries_on_their_local_day_within_the_subtree(world):
    event(world, title="午夜场", starts_at=at(2026, 12, 5, 0, 30), ends_at=at(2026, 12, 5, 2, 0))
    event(
        world,
        title="跨年赛",
        kind=EventKind.CONTEST,
        starts_at=at(2026, 12, 31, 20, 0),
        ends_at=at(2027, 1, 1, 2, 0),
    )
    event(world, "town_a", title="A镇汇演")
    client = login(world.staff("town_b", "clerk"))
    december = client.get(reverse("console:culture_calendar"), {"month": "2026-12"})
    assert day_titles(december, "2026-12-05") == ["午夜场"]
    assert day_titles(december, "2026-12-04") == []
    assert day_titles(december, "2026-12-31") == ["跨年赛"]
    assert "A镇汇演" not in december.content.decode()
    weeks = december.context["weeks"]
    assert weeks[0][0].date.weekday() == 0 and all(len(w) == 7 for w in weeks)
    january = client.get(reverse("console:culture_calendar"), {"month": "2027-01"})
    (continued,) = next(d for w in january.context["weeks"] for d in w if d.date.day == 1).items
    assert continued.entry.title == "跨年赛" and continued.continued


def test_the_month_view_filters_by_series_and_keeps_the_filters_when_paging(world):
    event(world, title="才艺展演", series=series("caiyi"))
    event(world, title="茶艺大赛", series=series("qingqu"), kind=EventKind.CONTEST)
    client = login(world.staff("district_b", "clerk"))
    url = reverse("console:culture_calendar")
    response = client.get(url, {"month": "2026-12", "series": series("qingqu").pk})
    assert day_titles(response, "2026-12-05") == ["茶艺大赛"]
    page = response.content.decode()
    assert f"month=2026-11&amp;series={series('qingqu').pk}" in page
    assert f"month=2027-01&amp;series={series('qingqu').pk}" in page
    both = client.get(url, {"month": "2026-12", "organization": world.town_b.pk})
    assert sorted(day_titles(both, "2026-12-05")) == ["才艺展演", "茶艺大赛"]


@pytest.mark.parametrize(
    "month", ["9999-99", "²", "2026-13", "２０２６-１２", "9999-12", "x" * 500]
)
def test_a_month_that_is_not_one_shows_this_month_with_a_message(world, month):
    client = login(world.staff("town_b", "clerk"))
    response = client.get(reverse("console:culture_calendar"), {"month": month, "series": "²"})
    assert response.status_code == 200
    assert response.context["filters"].month_value == f"{timezone.localdate():%Y-%m}"
    assert response.context["filters"].series is None
    assert "无法识别" in response.content.decode()
    portal = login(world.worker("union_b")).get(
        reverse("portal:culture_calendar"), {"month": month, "organization": "-1"}
    )
    assert portal.status_code == 200 and "无法识别" in portal.content.decode()
    assert portal.context["filters"].organization is None


def test_the_console_month_of_another_branchs_organisation_is_not_found(world):
    event(world, "union_b", title="B号企业职工运动会")
    client = login(world.staff("town_a", "clerk"))
    url = reverse("console:culture_calendar")
    for asked in (world.town_b.pk, world.union_b.pk, "²", "-1"):
        assert client.get(url, {"month": "2026-12", "organization": asked}).status_code == 404
    own = login(world.staff("town_b", "clerk")).get(
        url, {"month": "2026-12", "organization": world.union_b.pk}
    )
    assert day_titles(own, "2026-12-05") == ["B号企业职工运动会"]
    assert (world.union_b.pk, "　B号机械有限公司工会") in own.context["organizations"]


def test_parse_month_accepts_only_real_months():
    assert parse_month("2026-12") == (2026, 12)
    assert parse_month("2026-1") == (2026, 1)
    for text in ("", "2026", "2026-00", "1999-12", "2100-01", "2026-12-01", "２０２６-１２"):
        assert parse_month(text) is None, text


def test_the_portal_month_shows_every_branch_marks_my_booking_and_filters_by_district(world):
    worker = world.worker("union_b")
    session = publish(world, "town_b")
    booking_services.booking_create(actor=worker, session=session)
    other_session = publish(world, "town_a")
    local = timezone.localtime(session.starts_at)
    client = login(worker)
    url = reverse("portal:culture_calendar")
    response = client.get(url, {"month": f"{local:%Y-%m}"})
    assert response.status_code == 200
    items = {
        item.entry.uid: item
        for day in response.context["days"]
        for item in day.items
        if day.date == local.date()
    }
    mine, theirs = items[f"session-{session.pk}"], items[f"session-{other_session.pk}"]
    assert mine.entry.mine and not theirs.entry.mine
    assert mine.link == reverse("portal:culture_session", args=[session.pk])
    page = response.content.decode()
    assert "已预约" in page and mine.link in page
    district_a = client.get(url, {"month": f"{local:%Y-%m}", "organization": world.district_a.pk})
    uids = {i.entry.uid for d in district_a.context["days"] for i in d.items}
    assert uids == {f"session-{other_session.pk}"}
    offered = {pk for pk, _label in response.context["organizations"]}
    assert {world.district_a.pk, world.town_b.pk} <= offered
    assert world.city.pk not in offered and world.union_b.pk not in offered


def test_the_portal_calendar_gives_the_worker_a_subscription_address(world):
    worker = world.worker("union_b")
    page = login(worker).get(reverse("portal:culture_calendar")).content.decode()
    token = CalendarFeed.objects.get(user=worker).token
    assert f"http://testserver/m/culture/calendar/{token}.ics" in page
    assert f"webcal://testserver/m/culture/calendar/{token}.ics" in page
    assert "添加订阅日历" in page
    assert (
        login(world.staff("town_b", "clerk")).get(reverse("portal:culture_calendar")).status_code
        == 302
    )


# --- the iCal feed ----------------------------------------------------------------------------


def feed(token: str, **params) -> icalendar.Calendar:
    response = Client().get(reverse("portal:culture_ical", args=[token]), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def test_the_feed_lists_the_calendar_and_marks_the_workers_booking(world):
    worker = world.worker("union_b")
    session = publish(world, "town_b")
    booking_services.booking_create(actor=worker, session=session)
    other = publish(world, "town_a")
    soon = timezone.localtime(timezone.now() + 72 * HOUR).replace(microsecond=0)
    show = event(world, "district_a", starts_at=soon, ends_at=soon + 2 * HOUR)
    event(world, title="很久以后", starts_at=soon + 200 * 24 * HOUR, ends_at=soon + 201 * 24 * HOUR)
    token = catalogue_services.calendar_feed_token(actor=worker)

    cal = feed(token)

    assert str(cal["X-WR-CALNAME"]) == "网上工会文化活动"
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert cal["PRODID"]
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {
        f"session-{session.pk}@gonghui",
        f"session-{other.pk}@gonghui",
        f"event-{show.pk}@gonghui",
    }
    booked = events[f"session-{session.pk}@gonghui"]
    assert str(booked["SUMMARY"]) == "【已预约】古筝入门"
    assert str(events[f"session-{other.pk}@gonghui"]["SUMMARY"]) == "古筝入门"
    assert booked.decoded("DTSTART") == session.starts_at
    assert booked.decoded("DTSTART").utcoffset() == datetime.timedelta(hours=8)
    assert booked.decoded("DTEND") == session.ends_at
    assert str(booked["LOCATION"]) == "镇文化站二楼"
    assert str(booked["URL"]) == f"http://testserver/m/culture/sessions/{session.pk}/"
    assert "B镇总工会" in str(booked["DESCRIPTION"]) and "才艺美" in str(booked["DESCRIPTION"])
    assert "URL" not in events[f"event-{show.pk}@gonghui"]
    only_a = feed(token, organization=world.district_a.pk)
    assert {str(e["UID"]) for e in only_a.walk("VEVENT")} == {
        f"session-{other.pk}@gonghui",
        f"event-{show.pk}@gonghui",
    }


def test_an_unknown_or_renewed_address_is_not_found(world):
    worker = world.worker("union_b")
    assert Client().get(reverse("portal:culture_ical", args=["no-such-token"])).status_code == 404
    old = catalogue_services.calendar_feed_token(actor=worker)
    feed(old)
    client = login(worker)
    assert client.get(reverse("portal:culture_feed_renew")).status_code == 405
    response = client.post(reverse("portal:culture_feed_renew"))
    assert response.status_code == 302
    new = CalendarFeed.objects.get(user=worker).token
    assert new != old
    assert Client().get(reverse("portal:culture_ical", args=[old])).status_code == 404
    feed(new)
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert Client().get(reverse("portal:culture_ical", args=[new])).status_code == 404


# --- exports ------------------------------------------------------------------------------------


def sheet(response) -> list[tuple]:
    from io import BytesIO

    from openpyxl import load_workbook

    assert response.status_code == 200, response.status_code
    return list(load_workbook(BytesIO(b"".join(response.streaming_content))).active.values)


def test_the_culture_lists_export_what_their_pages_show_with_the_same_filters(world):
    now = timezone.now()
    course(world, title="古筝入门")
    course(world, title="茶艺入门", series=series("qingqu"), category="tea")
    course(world, org="town_a", title="A镇书法")  # another branch's
    event(world, title="春季汇演", starts_at=now + 24 * HOUR, ends_at=now + 26 * HOUR)
    event(world, title="去年汇演", starts_at=now - 400 * 24 * HOUR, ends_at=now - 399 * 24 * HOUR)
    event(
        world,
        title="棋艺赛",
        kind=EventKind.CONTEST,
        starts_at=now + 24 * HOUR,
        ends_at=now + 30 * HOUR,
    )
    publish(world, capacity=7)
    clerk = login(world.staff("town_b", "clerk"))

    def export(name, **query):
        return sheet(clerk.get(reverse(name), {"format": "xlsx", **query}))

    courses = export("console:culture_courses")
    assert courses[0][:3] == ("课程名称", "系列", "类别")
    assert sorted(row[0] for row in courses[1:]) == ["古筝入门", "古筝入门", "茶艺入门"]
    qingqu = export("console:culture_courses", series=str(series("qingqu").pk))
    assert [row[0] for row in qingqu[1:]] == ["茶艺入门"]
    assert [r[3] for r in export("console:culture_events", kind="show")[1:]] == ["春季汇演"]
    shows = export("console:culture_events", kind="show", when="all")
    assert sorted(row[3] for row in shows[1:]) == ["去年汇演", "春季汇演"]
    assert isinstance(shows[1][0], datetime.datetime)  # a date cell, not text
    sessions = export("console:culture_sessions", q="古筝")
    assert [(row[0], row[9]) for row in sessions[1:]] == [("古筝入门", 7)]
    assert export("console:culture_sessions", q="茶艺")[1:] == []
