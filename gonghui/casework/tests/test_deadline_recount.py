"""Deadlines counted over a year whose official holidays are not entered yet: provisional on
the case pages and in the API, counted again when the year's schedule is entered, and the
overdue sweep keeps to the entered holidays."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.accounts.services import api_token_issue
from gonghui.casework import selectors
from gonghui.casework.models import Case, CaseEvent, CaseState, EventKind
from gonghui.casework.services import cases as cases_services
from gonghui.casework.services import deadlines as deadlines_services
from gonghui.casework.services import sweep as sweep_services
from gonghui.core import services as core_services
from gonghui.core.tests.test_holiday_notice import NOTICE_2027_TEST_DATA
from gonghui.organizations.models import ServiceType
from gonghui.testing.world import build_world

ZONE = timezone.get_default_timezone()


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=ZONE)


@pytest.fixture
def world(db):
    return build_world()


def open_case(worker, code: str, when: str) -> Case:
    return cases_services.case_open(
        actor=worker,
        person=worker.person,
        service_type=ServiceType.objects.get(code=code),
        title="大病救助",
        description="住院费用",
        at=at(when),
    )


def enter_2027(world) -> core_services.NoticeSaved:
    return core_services.workcalendar_notice_save(
        actor=world.staff("city", "admin"), year=2027, text=NOTICE_2027_TEST_DATA
    )


def api_detail(worker, case: Case) -> dict:
    key, _ = api_token_issue(user=worker)
    response = Client().get(f"/api/me/cases/{case.pk}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    return response.json()


def test_a_late_december_case_is_provisional_then_moves_when_2027_is_entered(world):
    # given a hardship case (respond in 2, resolve in 15 working days) opened on Monday
    # 28 December 2026, before the 2027 schedule is known
    worker = world.worker("union_b")
    case = open_case(worker, "hardship", "2026-12-28 10:00")
    # then the resolution deadline counts 1 January 2027 as a working day, and says so
    assert case.response_due == at("2026-12-30 17:00")
    assert case.resolution_due == at("2027-01-18 17:00")
    status = selectors.case_deadline_status(case=case)
    assert (status.response, status.resolution, status.years) == (False, True, (2027,))
    assert api_detail(worker, case)["deadline_provisional"] is True
    staff = Client()
    staff.force_login(world.staff("union_b", "clerk"))
    console = staff.get(reverse("console:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="resolution-provisional"' in console
    assert 'data-testid="response-provisional"' not in console
    assert "2027 年的国务院放假安排尚未登记" in console
    portal = Client()
    portal.force_login(worker)
    page = portal.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="deadline-provisional"' in page and "待官方节假日安排公布后" in page

    # when the city administrator enters the 2027 notice
    saved = enter_2027(world)

    # then the deadline skips New Year's Day, is no longer provisional, and the timeline says
    assert saved.recounted == 1
    case.refresh_from_db()
    assert case.response_due == at("2026-12-30 17:00")
    assert case.resolution_due == at("2027-01-19 17:00")
    assert not selectors.case_deadline_status(case=case).provisional
    assert api_detail(worker, case)["deadline_provisional"] is False
    event = CaseEvent.objects.get(case=case, kind=EventKind.DEADLINES_RECOUNTED)
    assert event.public and event.actor == world.staff("city", "admin")
    assert "办结期限由 2027-01-18 17:00 改为 2027-01-19 17:00" in event.note
    page = portal.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="deadline-provisional"' not in page and "期限重算" in page
    console = staff.get(reverse("console:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="deadline-provisional"' not in console
    assert "2027-01-19 17:00" in console


def test_the_sweep_does_not_escalate_on_an_entered_spring_festival_holiday(world):
    # given a case opened in January 2027 before the schedule was entered, and accepted
    worker = world.worker("union_b")
    case = open_case(worker, "hardship", "2027-01-18 10:00")
    cases_services.case_accept(
        actor=world.staff("union_b", "clerk"), case=case, at=at("2027-01-19 09:00")
    )
    # counted Monday to Friday, its 15 working days end on 8 February, in the Spring Festival
    case.refresh_from_db()
    assert case.resolution_due == at("2027-02-08 17:00")
    # when the schedule is entered (the festival 5 to 13 February, Sunday 31 January worked)
    enter_2027(world)
    case.refresh_from_db()
    assert case.resolution_due == at("2027-02-15 17:00")
    # then the sweep leaves it alone through the festival
    for moment in ("2027-02-08 18:00", "2027-02-10 12:00", "2027-02-13 20:00"):
        assert sweep_services.case_sweep(now=at(moment)).escalated == 0
    case.refresh_from_db()
    assert case.handler == world.union_b and case.state == CaseState.ACCEPTED
    # and escalates it after the first working day's close past it
    assert sweep_services.case_sweep(now=at("2027-02-15 18:00")).escalated == 1
    case.refresh_from_db()
    assert case.handler == world.town_b


def test_office_hour_deadlines_are_counted_again_too(world):
    # counselling is answered within 8 office hours; asked on Thursday 4 February 2027 at 16:00
    worker = world.worker("union_b")
    case = open_case(worker, "counselling", "2027-02-04 16:00")
    assert case.response_due == at("2027-02-05 16:00")
    enter_2027(world)
    case.refresh_from_db()
    assert case.response_due == at("2027-02-15 16:00")
    event = CaseEvent.objects.get(case=case, kind=EventKind.DEADLINES_RECOUNTED)
    assert "响应期限由 2027-02-05 16:00 改为 2027-02-15 16:00" in event.note


def test_a_single_day_entered_counts_again_and_removing_it_counts_back(world):
    worker = world.worker("union_b")
    case = open_case(worker, "hardship", "2026-12-28 10:00")
    admin = world.staff("city", "admin")
    core_services.workcalendar_day_save(
        actor=admin, day=datetime.date(2027, 1, 18), is_workday=False, name="停工"
    )
    case.refresh_from_db()
    assert case.resolution_due == at("2027-01-19 17:00")
    core_services.workcalendar_day_delete(actor=admin, day=datetime.date(2027, 1, 18))
    case.refresh_from_db()
    assert case.resolution_due == at("2027-01-18 17:00")
    assert CaseEvent.objects.filter(case=case, kind=EventKind.DEADLINES_RECOUNTED).count() == 2
    # a year confirmed as entered day by day is official: no longer provisional, no move
    core_services.workcalendar_day_save(
        actor=admin, day=datetime.date(2027, 1, 1), is_workday=False, name="元旦"
    )
    core_services.workcalendar_year_confirm(actor=admin, year=2027)
    case.refresh_from_db()
    assert case.resolution_due == at("2027-01-19 17:00")
    assert not selectors.case_deadline_status(case=case).provisional


def test_judged_and_closed_deadlines_stay_as_they_were(world):
    worker = world.worker("union_b")
    clerk = world.staff("union_b", "clerk")
    # asked on Thursday 4 February 2027: respond by Monday 8th, counted Monday to Friday
    accepted = open_case(worker, "hardship", "2027-02-04 10:00")
    resolved = open_case(worker, "hardship", "2027-02-04 10:00")
    assert accepted.response_due == at("2027-02-08 17:00")
    # accepted: the response was judged on time against that deadline; it stays as it was
    cases_services.case_accept(actor=clerk, case=accepted, at=at("2027-02-04 11:00"))
    # resolved: nothing runs any more
    cases_services.case_accept(actor=clerk, case=resolved, at=at("2027-02-04 11:00"))
    cases_services.case_resolve(
        actor=clerk, case=resolved, resolution="已发放", at=at("2027-02-04 15:00")
    )
    before = {c.pk: (c.response_due, c.resolution_due) for c in Case.unscoped.all()}
    enter_2027(world)
    accepted.refresh_from_db()
    resolved.refresh_from_db()
    assert accepted.response_due == before[accepted.pk][0]
    assert accepted.responded_on_time is True
    assert accepted.resolution_due > before[accepted.pk][1]  # the festival is skipped
    assert (resolved.response_due, resolved.resolution_due) == before[resolved.pk]
    assert not CaseEvent.objects.filter(case=resolved, kind=EventKind.DEADLINES_RECOUNTED)


def test_moved_cases_count_from_their_latest_start(world):
    """Opening, referral, escalation and the sweep set deadlines afresh and record the moment
    (``DEADLINE_START_KINDS``): counting again on an unchanged calendar gives back exactly the
    stored deadlines, in working days and in office hours."""
    worker = world.worker("union_b")
    clerk = world.staff("union_b", "clerk")
    opened = open_case(worker, "hardship", "2027-01-06 16:00")
    referred = open_case(worker, "hardship", "2027-01-04 10:00")
    cases_services.case_refer(
        actor=clerk, case=referred, to_org=world.town_b, reason="转镇", at=at("2027-01-06 15:30")
    )
    escalated = open_case(worker, "hardship", "2027-01-04 10:00")
    cases_services.case_escalate(
        actor=clerk, case=escalated, reason="难办", at=at("2027-01-06 11:00")
    )
    # both late to respond by Thursday morning: the sweep moves them with fresh deadlines
    swept_hours = open_case(worker, "counselling", "2027-01-04 10:00")
    swept_days = open_case(worker, "hardship", "2027-01-04 10:00")
    assert sweep_services.case_sweep(now=at("2027-01-07 09:00")).escalated == 2
    for case in (opened, referred, escalated, swept_hours, swept_days):
        case.refresh_from_db()
    assert [c.escalations for c in (opened, referred, escalated, swept_hours, swept_days)] == [
        0,
        0,
        1,
        1,
        1,
    ]
    stored = {c.pk: (c.response_due, c.resolution_due) for c in Case.unscoped.all()}
    # a "change" that changes nothing: every day of the span as it already is
    day, previous = datetime.date(2027, 1, 1), {}
    while day <= datetime.date(2027, 3, 31):
        previous[day] = None
        day += datetime.timedelta(days=1)
    assert deadlines_services.case_deadlines_recount(actor=None, previous=previous) == 0
    assert {c.pk: (c.response_due, c.resolution_due) for c in Case.unscoped.all()} == stored


def test_the_api_declares_the_flag(world):
    schema = Client().get("/api/openapi.json").json()
    detail = schema["components"]["schemas"]["CaseDetailOut"]
    assert detail["properties"]["deadline_provisional"]["type"] == "boolean"
    assert "deadline_provisional" in detail["required"]
