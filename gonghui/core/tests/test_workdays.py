import datetime
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from gonghui.core import services
from gonghui.core.models import WorkCalendarDay
from gonghui.core.workdays import (
    WorkCalendar,
    add_working_days,
    add_working_hours,
    is_workday,
    working_deadline,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text):
    """An aware Shanghai datetime from "2026-10-01 09:30"."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def d(text):
    return datetime.date.fromisoformat(text)


# --- the seeded calendar ---------------------------------------------------------------------


def test_national_day_week_2026_is_not_working_and_its_adjusted_weekends_are():
    # given the calendar seeded by the migrations
    # then the whole Golden Week is off, weekday or not
    for offset in range(7):
        assert not is_workday(d("2026-10-01") + datetime.timedelta(days=offset))
    # and the adjusted weekends around it (and the New Year one) are working days
    assert d("2026-09-20").weekday() == 6 and is_workday(d("2026-09-20"))
    assert d("2026-10-10").weekday() == 5 and is_workday(d("2026-10-10"))
    assert d("2026-01-04").weekday() == 6 and is_workday(d("2026-01-04"))
    # and ordinary days follow Monday to Friday
    assert is_workday(d("2026-03-10"))
    assert not is_workday(d("2026-03-14"))


def test_seeded_rows_are_only_exceptions_with_chinese_names():
    rows = WorkCalendarDay.objects.filter(day__year=2026)
    assert all((r.day.weekday() < 5) != r.is_workday for r in rows)
    names = dict(rows.values_list("day", "name"))
    assert names[d("2026-10-01")] == "国庆节"
    assert names[d("2026-02-16")] == "春节"
    assert names[d("2026-02-14")] == "春节调休上班"
    # a holiday on a weekend is the default rule and is not stored
    assert d("2026-10-03") not in names


def test_seeded_calendar_agrees_with_the_package_on_every_day(django_assert_num_queries):
    # given one calendar read for all the years the package knows
    first, last = d("2004-01-01"), d("2026-12-31")
    with django_assert_num_queries(1):
        calendar = WorkCalendar(first, last)
        # when every day is asked
        day, disagreements = first, []
        while day <= last:
            if calendar.is_workday(day) != chinese_calendar.is_workday(day):
                disagreements.append(day)
            day += datetime.timedelta(days=1)
    # then the table says what the package says
    assert disagreements == []


def test_sync_is_idempotent_restores_package_days_and_keeps_days_it_does_not_know(world):
    # given the seeded table, a package day changed by hand and a 2027 day the package lacks
    assert services.workcalendar_sync_from_package() == 0
    WorkCalendarDay.objects.filter(day=d("2026-10-01")).update(name="改过")
    admin = world.staff("city", "admin")
    services.workcalendar_day_save(
        actor=admin, day=d("2027-10-01"), is_workday=False, name="国庆节"
    )
    # when synced again
    changed = services.workcalendar_sync_from_package(actor=admin)
    # then only the changed package day is restored, and the 2027 day stays
    assert changed == 1
    assert WorkCalendarDay.objects.get(day=d("2026-10-01")).name == "国庆节"
    assert WorkCalendarDay.objects.filter(day=d("2027-10-01")).exists()
    assert services.workcalendar_sync_from_package() == 0


def test_sync_command_reports_the_package_coverage(capsys):
    from django.core.management import call_command

    call_command("workcalendar_sync")
    out = capsys.readouterr().out
    assert "covers up to" in out and "0 day(s)" in out


# --- working days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        # Wednesday before Golden Week: the next working day is the Thursday after it
        ("2026-09-30 10:00", 1, "2026-10-08 17:00"),
        ("2026-09-29 10:00", 3, "2026-10-09 17:00"),
        # ...and the adjusted Saturday after it counts
        ("2026-09-29 10:00", 4, "2026-10-10 17:00"),
        # started during the holiday: the first working day after it
        ("2026-10-03 11:00", 1, "2026-10-08 17:00"),
        # the adjusted Sunday before it counts too
        ("2026-09-18 16:00", 1, "2026-09-20 17:00"),
        # a start at night counts from its own date
        ("2026-03-10 23:30", 2, "2026-03-12 17:00"),
        # Friday to Monday over an ordinary weekend
        ("2026-03-13 09:00", 1, "2026-03-16 17:00"),
    ],
)
def test_add_working_days(start, days, deadline):
    assert add_working_days(at(start), days) == at(deadline)


def test_zero_working_days_is_the_close_of_the_start_day_or_the_next_working_day():
    assert add_working_days(at("2026-03-10 08:00"), 0) == at("2026-03-10 17:00")
    # the contract: the start day's closing time even when started after it
    assert add_working_days(at("2026-03-10 20:00"), 0) == at("2026-03-10 17:00")
    assert add_working_days(at("2026-10-03 10:00"), 0) == at("2026-10-08 17:00")


def test_the_local_date_counts_not_the_utc_one():
    # given 2026-09-30 20:00 UTC, which is already 1 October 04:00 in Shanghai
    start = datetime.datetime(2026, 9, 30, 20, 0, tzinfo=datetime.UTC)
    deadline = add_working_days(start, 1)
    assert deadline == at("2026-10-08 17:00")
    assert deadline.tzinfo == SHANGHAI


# --- office hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "deadline"),
    [
        ("2026-03-10 09:00", 8, "2026-03-10 17:00"),  # a full day ends at closing, not next day
        ("2026-03-10 16:30", 1, "2026-03-11 09:30"),  # overnight
        ("2026-03-13 15:00", 4, "2026-03-16 11:00"),  # Friday afternoon over the weekend
        ("2026-03-10 10:15", 3, "2026-03-10 13:15"),
        ("2026-09-30 16:00", 2, "2026-10-08 10:00"),  # over Golden Week
        ("2026-09-18 16:00", 3, "2026-09-20 11:00"),  # into the adjusted Sunday
        ("2026-03-10 09:00", 20, "2026-03-12 13:00"),
    ],
)
def test_add_working_hours(start, hours, deadline):
    assert add_working_hours(at(start), hours) == at(deadline)


@pytest.mark.parametrize(
    ("start", "hours", "deadline"),
    [
        ("2026-03-10 07:00", 1, "2026-03-10 10:00"),  # before opening
        ("2026-03-10 17:00", 1, "2026-03-11 10:00"),  # at closing
        ("2026-03-10 18:00", 1, "2026-03-11 10:00"),  # evening
        ("2026-03-14 12:00", 2, "2026-03-16 11:00"),  # Saturday
        ("2026-03-14 12:00", 0, "2026-03-16 09:00"),
        ("2026-10-02 10:00", 1, "2026-10-08 10:00"),  # a weekday holiday
    ],
)
def test_a_start_outside_office_hours_counts_from_the_next_opening(start, hours, deadline):
    assert add_working_hours(at(start), hours) == at(deadline)


def test_office_hours_come_from_the_setting(settings):
    settings.GONGHUI_OFFICE_HOURS = ("08:30", "17:30")
    assert add_working_days(at("2026-03-10 10:00"), 1) == at("2026-03-11 17:30")
    assert add_working_hours(at("2026-03-10 17:00"), 1) == at("2026-03-11 09:00")


def test_working_deadline_dispatches_on_the_unit_and_refuses_nonsense():
    start = at("2026-09-30 10:00")
    assert working_deadline(start, 1, "workday") == at("2026-10-08 17:00")
    assert working_deadline(start, 2, "hour") == at("2026-09-30 12:00")
    with pytest.raises(ValueError, match="unit"):
        working_deadline(start, 1, "day")
    with pytest.raises(ValueError, match="negative"):
        add_working_days(start, -1)
    with pytest.raises(ValueError, match="aware"):
        add_working_hours(datetime.datetime(2026, 9, 30, 10, 0), 1)  # noqa: DTZ001


# --- queries ---------------------------------------------------------------------------------


def test_one_query_per_call_and_one_for_a_batch(django_assert_num_queries):
    start = at("2026-01-05 10:00")
    with django_assert_num_queries(1):
        add_working_days(start, 120)
    with django_assert_num_queries(1):
        add_working_hours(start, 400)
    # given a bulk caller that reads the window its cases span once
    with django_assert_num_queries(1):
        calendar = WorkCalendar(d("2026-01-01"), d("2026-12-31"))
        deadlines = [
            calendar.working_deadline(start + datetime.timedelta(hours=h), 5, "workday")
            for h in range(0, 24 * 200, 7)
        ]
    assert len(deadlines) > 600
    # a computation past the window still answers right, with one more read
    with django_assert_num_queries(1):
        assert calendar.add_working_days(at("2026-12-30 10:00"), 5) == at("2027-01-06 17:00")


def test_an_administrators_change_is_seen_by_the_next_call(world):
    start = at("2026-03-10 10:00")
    assert add_working_days(start, 1) == at("2026-03-11 17:00")
    services.workcalendar_day_save(
        actor=world.staff("city", "admin"), day=d("2026-03-11"), is_workday=False, name="停工"
    )
    assert add_working_days(start, 1) == at("2026-03-12 17:00")


# --- properties ------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime.datetime(2024, 1, 1),  # noqa: DTZ001 (bounds of an aware strategy)
    max_value=datetime.datetime(2026, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from([SHANGHAI, datetime.UTC]),
)
_fixture_ok = hypothesis_settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, max_examples=150
)


@_fixture_ok
@given(start=starts, days=st.integers(min_value=0, max_value=40))
def test_a_working_day_deadline_is_a_closing_time_on_the_right_working_day(db, start, days):
    calendar = WorkCalendar(d("2023-12-01"), d("2027-03-31"))
    deadline = calendar.add_working_days(start, days)
    local_start = start.astimezone(SHANGHAI).date()
    assert deadline.tzinfo == SHANGHAI
    assert deadline.time() == datetime.time(17, 0)
    assert calendar.is_workday(deadline.date())
    # exactly ``days`` working days after the start date, the last of them the deadline's
    between = [
        local_start + datetime.timedelta(days=n)
        for n in range(1, (deadline.date() - local_start).days + 1)
    ]
    if days:
        assert sum(calendar.is_workday(day) for day in between) == days
    # monotonic (0 and 1 coincide when the start day is not a working day), and the module
    # function agrees with the calendar
    following = calendar.add_working_days(start, days + 1)
    assert following > deadline if days else following >= deadline
    assert add_working_days(start, days) == deadline


@_fixture_ok
@given(start=starts, hours=st.integers(min_value=0, max_value=60))
def test_an_hour_deadline_falls_within_office_hours_of_a_working_day(db, start, hours):
    calendar = WorkCalendar(d("2023-12-01"), d("2027-03-31"))
    deadline = calendar.add_working_hours(start, hours)
    local = deadline.astimezone(SHANGHAI)
    assert calendar.is_workday(local.date())
    assert datetime.time(9, 0) <= local.time() <= datetime.time(17, 0)
    assert deadline >= start
    later = calendar.add_working_hours(start, hours + 1)
    assert later - deadline >= datetime.timedelta(hours=1)
    assert add_working_hours(start, hours) == deadline


# --- services --------------------------------------------------------------------------------


def test_root_administrator_adds_next_years_holiday_and_deadlines_honour_it(world):
    # given no 2027 rows yet: 1 October 2027 (a Friday) counts as a working day
    start = at("2027-09-30 10:00")
    assert add_working_days(start, 1) == at("2027-10-01 17:00")
    # when the city administrator enters it
    admin = world.staff("city", "admin")
    row = services.workcalendar_day_save(
        actor=admin, day=d("2027-10-01"), is_workday=False, name=" 国庆节 "
    )
    # then it is recorded with who did it, and the deadline moves past it
    assert (row.name, row.updated_by, row.history.first().history_user) == (
        "国庆节",
        admin,
        admin,
    )
    assert add_working_days(start, 1) == at("2027-10-04 17:00")
    # and saving the day again changes it instead of adding another
    services.workcalendar_day_save(actor=admin, day=d("2027-10-01"), is_workday=False, name="")
    assert WorkCalendarDay.objects.get(day=d("2027-10-01")).name == ""
    # and removing it restores the default rule
    services.workcalendar_day_delete(actor=admin, day=d("2027-10-01"))
    assert add_working_days(start, 1) == at("2027-10-01 17:00")


@pytest.mark.parametrize(
    ("org", "role"),
    [("district_a", "admin"), ("union_a", "admin"), ("city", "clerk"), ("city", "leader")],
)
def test_only_an_administrator_of_the_root_may_change_the_calendar(world, org, role):
    actor = world.staff(org, role)
    with pytest.raises(PermissionDenied, match="市总工会"):
        services.workcalendar_day_save(
            actor=actor, day=d("2027-10-01"), is_workday=False, name="国庆节"
        )
    with pytest.raises(PermissionDenied):
        services.workcalendar_day_delete(actor=actor, day=d("2026-10-01"))
    with pytest.raises(PermissionDenied):
        services.workcalendar_sync_from_package(actor=actor)
    assert not WorkCalendarDay.objects.filter(day=d("2027-10-01")).exists()
    assert WorkCalendarDay.objects.filter(day=d("2026-10-01")).exists()


@pytest.mark.parametrize(
    ("day", "is_workday", "name", "field", "fragment"),
    [
        ("2027-10-02", False, "国庆节", "is_workday", "按常规即为休息日"),  # a Saturday
        ("2027-10-05", True, "调休上班", "is_workday", "按常规即为工作日"),  # a Tuesday
        ("2027-10-01", False, "<script>x</script>", "name", "HTML"),
        ("2027-10-01", False, "国" * 41, "name", "最多 40 个字"),
    ],
)
def test_bad_days_are_refused_with_a_reason_and_nothing_saved(
    world, day, is_workday, name, field, fragment
):
    with pytest.raises(ValidationError) as caught:
        services.workcalendar_day_save(
            actor=world.staff("city", "admin"), day=d(day), is_workday=is_workday, name=name
        )
    assert fragment in " ".join(caught.value.message_dict[field])
    assert not WorkCalendarDay.objects.filter(day__year=2027).exists()


def test_removing_a_day_that_is_not_entered_is_refused(world):
    with pytest.raises(ValidationError, match="无需删除"):
        services.workcalendar_day_delete(actor=world.staff("city", "admin"), day=d("2027-03-10"))


# --- the console page ------------------------------------------------------------------------


def test_every_staff_account_may_read_the_calendar(world, client):
    client.force_login(world.staff("union_b", "leader"))
    response = client.get(reverse("console:workcalendar"), {"year": 2026})
    page = response.content.decode()
    assert response.status_code == 200
    assert "国庆节调休上班" in page and "2026-10-07" in page
    assert 'data-testid="save-day"' not in page
    # a year nobody entered says so
    page = client.get(reverse("console:workcalendar"), {"year": 2027}).content.decode()
    assert 'data-testid="year-empty"' in page


def test_a_non_root_administrator_cannot_post(world, client):
    client.force_login(world.staff("district_a", "admin"))
    response = client.post(
        reverse("console:workcalendar"),
        {"action": "save", "day": "2027-10-01", "is_workday": "0", "name": "国庆节"},
    )
    assert response.status_code == 403
    response = client.post(
        reverse("console:workcalendar"), {"action": "remove", "day": "2026-10-01"}
    )
    assert response.status_code == 403
    assert WorkCalendarDay.objects.filter(day=d("2026-10-01")).exists()
    assert not WorkCalendarDay.objects.filter(day=d("2027-10-01")).exists()


def test_the_root_administrator_adds_changes_and_removes_a_day(world, client):
    client.force_login(world.staff("city", "admin"))
    url = reverse("console:workcalendar")
    # adds
    response = client.post(
        url, {"action": "save", "day": "2027-10-01", "is_workday": "0", "name": "国庆节"}
    )
    assert response.status_code == 302 and response["Location"].endswith("?year=2027")
    page = client.get(url, {"year": 2027}).content.decode()
    assert "国庆节" in page and 'data-testid="remove-2027-10-01"' in page
    # the change form is filled from the day
    page = client.get(url, {"year": 2027, "day": "2027-10-01"}).content.decode()
    assert 'value="2027-10-01"' in page
    # a day that equals the default rule is refused on the form, with the reason
    response = client.post(
        url, {"action": "save", "day": "2027-10-02", "is_workday": "0", "name": ""}
    )
    assert response.status_code == 200
    assert "按常规即为休息日" in response.content.decode()
    # removes
    response = client.post(url, {"action": "remove", "day": "2027-10-01"})
    assert response.status_code == 302
    assert not WorkCalendarDay.objects.filter(day__year=2027).exists()


def test_the_page_reads_the_calendar_in_a_fixed_number_of_queries(
    world, client, django_assert_max_num_queries
):
    client.force_login(world.staff("city", "admin"))
    # Warm: the side menu's badges are counted once per module on a cold cache, then cached.
    client.get(reverse("console:workcalendar"), {"year": 2026})
    with django_assert_max_num_queries(9):
        assert client.get(reverse("console:workcalendar"), {"year": 2026}).status_code == 200
