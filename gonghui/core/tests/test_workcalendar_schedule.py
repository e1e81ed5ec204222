"""Each year's official schedule: which years have one, the December reminder, entering a year
from the pasted State Council notice (preview, then confirm), and counting again."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from gonghui.core import services
from gonghui.core.models import ScheduleSource, WorkCalendarDay, WorkCalendarYear
from gonghui.core.tests.test_holiday_notice import NOTICE_2026, NOTICE_2027_TEST_DATA
from gonghui.core.workdays import (
    WorkCalendar,
    add_working_days,
    add_working_hours,
    calendar_changed,
    recount_deadline,
    schedule_missing,
    years_without_schedule,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def d(text):
    return datetime.date.fromisoformat(text)


@pytest.fixture
def on(monkeypatch):
    """Set the platform's clock (``timezone.localdate``) to a day."""

    def set_day(text):
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: d(text))

    return set_day


# --- which years are official ----------------------------------------------------------------


def test_the_package_years_are_official_and_2027_is_not():
    years = dict(WorkCalendarYear.objects.values_list("year", "source"))
    assert set(years) == services.workcalendar_package_years() == set(range(2004, 2027))
    assert set(years.values()) == {ScheduleSource.PACKAGE}
    assert WorkCalendarYear.objects.get(year=2026).note.startswith("chinesecalendar ")
    assert years_without_schedule(d("2026-12-28"), d("2027-01-18")) == [2027]
    assert years_without_schedule(d("2026-01-05"), d("2026-12-31")) == []


@pytest.mark.parametrize(
    ("today", "missing"),
    [
        ("2026-12-01", [2027]),  # from December on, next year
        ("2026-12-31", [2027]),
        ("2026-06-15", []),  # not in June
        ("2026-11-30", []),
        ("2027-01-04", [2027]),  # and still in the new year while it is missing
        ("2027-12-05", [2027, 2028]),
    ],
)
def test_schedule_missing_from_december_on(today, missing):
    assert schedule_missing(d(today)) == missing


def test_a_single_day_entered_does_not_make_a_year_official(world):
    admin = world.staff("city", "admin")
    services.workcalendar_day_save(actor=admin, day=d("2027-10-01"), is_workday=False, name="")
    assert schedule_missing(d("2026-12-05")) == [2027]
    # until the administrator confirms the year was entered in full
    services.workcalendar_year_confirm(actor=admin, year=2027)
    assert schedule_missing(d("2026-12-05")) == []
    marker = WorkCalendarYear.objects.get(year=2027)
    assert (marker.source, marker.entered_by) == (ScheduleSource.MANUAL, admin)
    with pytest.raises(ValidationError, match="无需再次确认"):
        services.workcalendar_year_confirm(actor=admin, year=2027)


def test_a_year_without_any_holiday_cannot_be_confirmed(world):
    with pytest.raises(ValidationError, match="还没有登记任何放假日"):
        services.workcalendar_year_confirm(actor=world.staff("city", "admin"), year=2028)
    assert not WorkCalendarYear.objects.filter(year=2028).exists()


# --- the reminder ----------------------------------------------------------------------------


def test_the_reminder_shows_in_december_to_the_city_administrator_only(world, client, on):
    on("2026-12-05")
    client.force_login(world.staff("city", "admin"))
    home = client.get(reverse("console:home")).content.decode()
    assert 'data-testid="workcalendar-missing"' in home
    assert "2027 年的国务院放假安排尚未登记" in home
    assert f"{reverse('console:workcalendar')}?year=2027#notice" in home
    # (the page names the year it shows: the notice is for the other years)
    page = client.get(reverse("console:workcalendar"), {"year": 2026}).content.decode()
    assert 'data-testid="workcalendar-missing"' in page
    # not for those who cannot enter it
    for org, role in [("city", "clerk"), ("district_a", "admin"), ("union_a", "admin")]:
        client.force_login(world.staff(org, role))
        assert (
            'data-testid="workcalendar-missing"'
            not in client.get(reverse("console:home")).content.decode()
        )
        assert (
            'data-testid="workcalendar-missing"'
            not in client.get(reverse("console:workcalendar"), {"year": 2026}).content.decode()
        )


def test_no_reminder_in_june_nor_once_the_year_is_entered(world, client, on):
    admin = world.staff("city", "admin")
    client.force_login(admin)
    on("2026-06-15")
    assert (
        'data-testid="workcalendar-missing"'
        not in client.get(reverse("console:home")).content.decode()
    )
    on("2026-12-05")
    services.workcalendar_notice_save(actor=admin, year=2027, text=NOTICE_2027_TEST_DATA)
    assert (
        'data-testid="workcalendar-missing"'
        not in client.get(reverse("console:home")).content.decode()
    )


# --- entering a year from the notice ---------------------------------------------------------


def test_the_notice_is_saved_as_the_years_schedule_with_who_and_when(world):
    admin = world.staff("city", "admin")
    # given a day entered by hand earlier that the notice does not name, and one it changes
    services.workcalendar_day_save(actor=admin, day=d("2027-03-08"), is_workday=False, name="x")
    services.workcalendar_day_save(actor=admin, day=d("2027-10-01"), is_workday=False, name="")
    plan = services.workcalendar_notice_plan(year=2027, text=NOTICE_2027_TEST_DATA)
    assert (plan.count_add, plan.count_change, [r.day for r in plan.remove]) == (
        23,
        1,
        [d("2027-03-08")],
    )
    # nothing is written by the preview
    assert WorkCalendarDay.objects.filter(day__year=2027).count() == 2
    saved = services.workcalendar_notice_save(actor=admin, year=2027, text=NOTICE_2027_TEST_DATA)
    assert (saved.added, saved.changed, saved.removed) == (23, 1, 1)
    rows = WorkCalendarDay.objects.filter(day__year=2027)
    assert rows.filter(is_workday=False).count() == 18
    assert rows.filter(is_workday=True).count() == 6
    assert rows.get(day=d("2027-02-10")).name == "春节"
    assert rows.get(day=d("2027-10-01")).name == "国庆节"
    assert rows.get(day=d("2027-01-31")).history.first().history_user == admin
    marker = WorkCalendarYear.objects.get(year=2027)
    assert marker.source == ScheduleSource.NOTICE and marker.entered_by == admin
    assert "春节" in marker.notice
    # and deadlines across the Spring Festival skip it
    assert add_working_days(at("2027-02-04 10:00"), 1) == at("2027-02-15 17:00")
    # saving it again changes nothing
    again = services.workcalendar_notice_save(actor=admin, year=2027, text=NOTICE_2027_TEST_DATA)
    assert (again.added, again.changed, again.removed) == (0, 0, 0)


def test_a_notice_with_an_unreadable_line_saves_nothing(world):
    text = NOTICE_2027_TEST_DATA.replace("共9天", "共10天")
    with pytest.raises(ValidationError) as caught:
        services.workcalendar_notice_save(actor=world.staff("city", "admin"), year=2027, text=text)
    [message] = caught.value.message_dict["text"]
    assert message.startswith("第 5 行：") and "写明共 10 天" in message
    assert not WorkCalendarDay.objects.filter(day__year=2027).exists()
    assert not WorkCalendarYear.objects.filter(year=2027).exists()


def test_a_notice_for_another_year_is_refused(world):
    with pytest.raises(ValidationError, match="这是 2026 年的通知"):
        services.workcalendar_notice_save(
            actor=world.staff("city", "admin"), year=2027, text=NOTICE_2026
        )


@pytest.mark.parametrize(
    ("org", "role"), [("district_a", "admin"), ("city", "clerk"), ("city", "leader")]
)
def test_only_the_root_administrator_enters_a_notice(world, org, role):
    actor = world.staff(org, role)
    with pytest.raises(PermissionDenied):
        services.workcalendar_notice_save(actor=actor, year=2027, text=NOTICE_2027_TEST_DATA)
    with pytest.raises(PermissionDenied):
        services.workcalendar_year_confirm(actor=actor, year=2026)
    assert not WorkCalendarDay.objects.filter(day__year=2027).exists()


def test_every_change_of_a_working_day_is_announced_with_what_it_was(world):
    heard = []

    def listener(*, actor, previous, **kwargs):
        heard.append((actor, dict(previous)))
        return 0

    calendar_changed.connect(listener)
    try:
        admin = world.staff("city", "admin")
        services.workcalendar_day_save(actor=admin, day=d("2027-01-01"), is_workday=False, name="")
        # a new name alone changes no deadline
        services.workcalendar_day_save(
            actor=admin, day=d("2027-01-01"), is_workday=False, name="元旦"
        )
        services.workcalendar_day_delete(actor=admin, day=d("2027-01-01"))
        services.workcalendar_notice_save(actor=admin, year=2027, text=NOTICE_2027_TEST_DATA)
        assert services.workcalendar_sync_from_package(actor=admin) == 0
    finally:
        calendar_changed.disconnect(listener)
    assert heard[0] == (admin, {d("2027-01-01"): None})
    assert heard[1] == (admin, {d("2027-01-01"): False})
    assert heard[2][1] == dict.fromkeys(
        services.workcalendar_notice_plan(year=2027, text=NOTICE_2027_TEST_DATA).parsed.exceptions,
        None,
    )
    assert len(heard) == 3  # the package had nothing new: nothing to announce


# --- the page --------------------------------------------------------------------------------


def test_the_administrator_previews_then_confirms_a_pasted_notice(world, client):
    client.force_login(world.staff("city", "admin"))
    url = reverse("console:workcalendar") + "?year=2027"
    page = client.get(url).content.decode()
    assert 'id="notice"' in page and 'data-testid="year-empty"' in page
    # preview: the days as read, nothing saved yet
    response = client.post(url, {"action": "preview", "year": 2027, "text": NOTICE_2027_TEST_DATA})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="notice-preview"' in page and 'data-testid="notice-save"' in page
    assert "2027-02-10" in page and "春节调休上班" in page and "本就休息，不登记" in page
    assert "未采用的内容" in page
    assert not WorkCalendarDay.objects.filter(day__year=2027).exists()
    # confirm: saved, with the source on the page
    response = client.post(url, {"action": "notice", "year": 2027, "text": NOTICE_2027_TEST_DATA})
    assert response.status_code == 302 and response["Location"].endswith("?year=2027")
    assert WorkCalendarDay.objects.filter(day__year=2027).count() == 24
    page = client.get(url).content.decode()
    assert 'data-testid="year-source"' in page and "粘贴国务院办公厅通知登记" in page
    assert "已保存 2027 年的放假安排：新增 24 天" in page


def test_a_preview_with_problems_cannot_be_saved_and_says_why(world, client):
    client.force_login(world.staff("city", "admin"))
    url = reverse("console:workcalendar") + "?year=2027"
    text = NOTICE_2027_TEST_DATA.replace("1月31日（周日）", "1月31日（周六）")
    page = client.post(url, {"action": "preview", "year": 2027, "text": text}).content.decode()
    assert 'data-testid="notice-problems"' in page and 'data-testid="notice-save"' not in page
    assert "第 5 行" in page and "2027-01-31 是星期日" in page
    # a confirmation forced through anyway saves nothing and shows the same reason
    response = client.post(url, {"action": "notice", "year": 2027, "text": text})
    assert response.status_code == 200 and "2027-01-31 是星期日" in response.content.decode()
    assert not WorkCalendarDay.objects.filter(day__year=2027).exists()


def test_the_page_names_each_years_source(world, client):
    client.force_login(world.staff("union_b", "leader"))
    page = client.get(reverse("console:workcalendar"), {"year": 2026}).content.decode()
    assert 'data-testid="year-source"' in page and "chinesecalendar" in page
    assert 'id="notice"' not in page  # only the administrator enters
    admin = world.staff("city", "admin")
    services.workcalendar_day_save(actor=admin, day=d("2027-10-01"), is_workday=False, name="")
    page = client.get(reverse("console:workcalendar"), {"year": 2027}).content.decode()
    assert 'data-testid="year-unconfirmed"' in page and 'data-testid="confirm-year"' not in page
    client.force_login(admin)
    response = client.post(
        reverse("console:workcalendar"), {"action": "confirm_year", "year": 2027}
    )
    assert response.status_code == 302
    assert WorkCalendarYear.objects.get(year=2027).source == ScheduleSource.MANUAL


def test_others_cannot_post_a_notice(world, client):
    client.force_login(world.staff("district_a", "admin"))
    response = client.post(
        reverse("console:workcalendar"),
        {"action": "notice", "year": 2027, "text": NOTICE_2027_TEST_DATA},
    )
    assert response.status_code == 403
    assert not WorkCalendarDay.objects.filter(day__year=2027).exists()


_page_settings = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_page_settings
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.sampled_from(NOTICE_2027_TEST_DATA.splitlines()).flatmap(
            lambda line: st.text(max_size=20).map(lambda junk: line[: len(line) // 2] + junk)
        ),
    ),
    action=st.sampled_from(["preview", "notice"]),
    year=st.sampled_from(["2027", "1999", "abc", ""]),
)
def test_junk_pasted_is_never_a_500_and_always_answered(world, client, text, action, year):
    client.force_login(world.staff("city", "admin"))
    url = reverse("console:workcalendar") + "?year=2027"
    response = client.post(url, {"action": action, "year": year, "text": text})
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        page = response.content.decode()
        # a reason is given: the preview's problems, a field's error, or the days read
        assert (
            'data-testid="notice-problems"' in page
            or "invalid-feedback" in page
            or 'data-testid="notice-days"' in page
        )


# --- counting again --------------------------------------------------------------------------


def test_a_calendar_with_overrides_answers_as_before_the_change(world):
    services.workcalendar_day_save(
        actor=world.staff("city", "admin"), day=d("2027-02-08"), is_workday=False, name="春节"
    )
    before = WorkCalendar(d("2027-02-01"), d("2027-02-28"), overrides={d("2027-02-08"): None})
    after = WorkCalendar(d("2027-02-01"), d("2027-02-28"))
    assert before.is_workday(d("2027-02-08")) and not after.is_workday(d("2027-02-08"))
    start = at("2027-02-04 10:00")
    assert recount_deadline(
        before=before, after=after, start=start, due=at("2027-02-08 17:00"), unit="workday"
    ) == at("2027-02-09 17:00")
    assert recount_deadline(
        before=before, after=after, start=start, due=at("2027-02-05 11:00"), unit="hour"
    ) == at("2027-02-05 11:00")
    assert recount_deadline(
        before=before, after=after, start=start, due=at("2027-02-08 12:00"), unit="hour"
    ) == at("2027-02-09 12:00")


starts = st.datetimes(
    min_value=datetime.datetime(2025, 1, 1),  # noqa: DTZ001 (bounds of an aware strategy)
    max_value=datetime.datetime(2026, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from([SHANGHAI, datetime.UTC]),
)


@hypothesis_settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=150
)
@given(start=starts, days=st.integers(min_value=1, max_value=40), hours=st.integers(1, 60))
def test_counting_between_is_the_inverse_of_adding(db, start, days, hours):
    calendar = WorkCalendar(d("2024-12-01"), d("2027-03-31"))
    due = calendar.add_working_days(start, days)
    assert calendar.working_days_between(start, due) == days
    assert (
        recount_deadline(before=calendar, after=calendar, start=start, due=due, unit="workday")
        == due
    )
    due = calendar.add_working_hours(start, hours)
    assert calendar.office_time_between(start, due) == datetime.timedelta(hours=hours)
    assert recount_deadline(
        before=calendar, after=calendar, start=start, due=due, unit="hour"
    ) == add_working_hours(start, hours)
