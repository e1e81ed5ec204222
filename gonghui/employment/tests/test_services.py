from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gonghui.core import locks
from gonghui.core.locks import LockSpace
from gonghui.core.models import Notification
from gonghui.core.scoping import NotFound
from gonghui.employment import selectors, services
from gonghui.employment.models import (
    Attendance,
    Enrolment,
    EnrolmentStatus,
    FairVisitor,
    Placement,
    PlacementSource,
)
from gonghui.employment.tests import helpers as h

pytestmark = pytest.mark.django_db


# --- courses, enrolment, attendance, completion ---------------------------------------------


def _soon(world, **overrides):
    today = timezone.localdate()
    return h.course(
        world,
        starts_on=today + datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=20),
        enrol_until=today + datetime.timedelta(days=5),
        **overrides,
    )


def test_a_clerk_enrols_people_on_the_roll_and_they_are_told(world):
    course = _soon(world)
    person = world.member("union_b").person
    enrolment = services.enrolment_create(
        actor=world.staff("town_b", "clerk"), course=course, person=person
    )
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert enrolment.enrolled_by == world.staff("town_b", "clerk")
    message = Notification.unscoped.get(person=person)
    assert "叉车" in message.text
    assert enrolment.history.count() == 1


def test_enrolment_takes_the_course_lock(world):
    course = h.course(world)
    with locks.traced() as trail:
        services.enrolment_create(
            actor=world.staff("town_b", "clerk"), course=course, person=h.people(world, 1)[0]
        )
    assert [t.space for t in trail] == [LockSpace.TRAINING_COURSE]


def test_a_person_off_the_actors_roll_is_not_found(world):
    course = h.course(world)
    stranger = world.member("union_a").person
    with pytest.raises(NotFound):
        services.enrolment_create(
            actor=world.staff("town_b", "clerk"), course=course, person=stranger
        )


def test_a_sibling_branch_cannot_touch_the_course(world):
    course = h.course(world)
    with pytest.raises(NotFound):
        services.session_add(
            actor=world.staff("town_a", "clerk"), course=course, held_on=h.START, topic="理论"
        )


def test_a_leader_may_not_record(world):
    course = h.course(world)
    with pytest.raises(PermissionDenied):
        services.session_add(
            actor=world.staff("town_b", "leader"), course=course, held_on=h.START, topic="理论"
        )


def _run(world, course, people, attended):
    """Sessions on three days; ``attended[i]`` is how many of them person i came to."""
    clerk = world.staff("town_b", "clerk")
    enrolments = services.enrolment_create_many(actor=clerk, course=course, people=people)
    for day in range(3):
        session = services.session_add(
            actor=clerk,
            course=course,
            held_on=h.START + datetime.timedelta(days=day),
            topic=f"第{day + 1}课",
        )
        present = [e for e, n in zip(enrolments, attended, strict=True) if n > day]
        services.attendance_record(actor=clerk, session=session, present=present)
    return enrolments


def test_closing_a_course_applies_its_attendance_rule(world):
    course = h.course(world, pass_percent=60)
    people = h.people(world, 3)
    enrolments = _run(world, course, people, attended=[3, 2, 1])
    result = services.course_close(
        actor=world.staff("town_b", "clerk"), course=course, on=datetime.date(2017, 3, 16)
    )
    assert result == {"completed": 2, "not_completed": 1}
    statuses = {
        e.pk: e.status for e in Enrolment.unscoped.filter(pk__in=[x.pk for x in enrolments])
    }
    assert [statuses[e.pk] for e in enrolments] == [
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.COMPLETED,  # 2 of 3 = 66% >= 60%
        EnrolmentStatus.NOT_COMPLETED,
    ]
    assert Enrolment.unscoped.get(pk=enrolments[0].pk).history.count() == 2
    # Entered after the fact (2017): nobody is told.
    assert not Notification.unscoped.filter(person__in=people).exists()


def test_people_are_told_when_a_course_of_theirs_closes(world):
    today = timezone.localdate()
    course = h.course(
        world,
        starts_on=today - datetime.timedelta(days=5),
        ends_on=today,
        enrol_until=today - datetime.timedelta(days=5),
    )
    clerk = world.staff("town_b", "clerk")
    kept, missed = services.enrolment_create_many(
        actor=clerk, course=course, people=h.people(world, 2)
    )
    session = services.session_add(actor=clerk, course=course, held_on=today, topic="实操")
    services.attendance_record(actor=clerk, session=session, present=[kept])
    services.course_close(actor=clerk, course=course)
    texts = dict(Notification.unscoped.values_list("person_id", "text"))
    assert "准予结业" in texts[kept.person_id]
    assert "未达到结业要求" in texts[missed.person_id]


def test_a_roll_call_sets_exactly_who_was_there(world):
    course = h.course(world)
    clerk = world.staff("town_b", "clerk")
    a, b = services.enrolment_create_many(actor=clerk, course=course, people=h.people(world, 2))
    session = services.session_add(actor=clerk, course=course, held_on=h.START, topic="理论")
    services.attendance_record(actor=clerk, session=session, present=[a, b])
    services.attendance_record(actor=clerk, session=session, present=[b])
    services.attendance_record(actor=clerk, session=session, present=[b])
    assert list(Attendance.unscoped.values_list("enrolment_id", flat=True)) == [b.pk]


def test_the_organiser_marks_completion_with_a_reason(world):
    course = h.course(world)
    clerk = world.staff("town_b", "clerk")
    (enrolment,) = services.enrolment_create_many(
        actor=clerk, course=course, people=h.people(world, 1)
    )
    with pytest.raises(ValidationError) as refused:
        services.enrolment_complete(actor=clerk, enrolment=enrolment, completed=True, note="")
    assert refused.value.message_dict["note"] == ["此项必填。"]
    done = services.enrolment_complete(
        actor=clerk, enrolment=enrolment, completed=True, note="在外地培训机构补课并考核合格"
    )
    assert done.status == EnrolmentStatus.COMPLETED
    assert done.completion_note == "在外地培训机构补课并考核合格"
    assert done.completed_by == clerk


def test_a_course_without_sessions_cannot_close(world):
    course = h.course(world)
    with pytest.raises(ValidationError) as refused:
        services.course_close(actor=world.staff("town_b", "clerk"), course=course)
    assert "还没有登记任何场次" in refused.value.message_dict["course"][0]


def test_a_worker_enrols_in_a_course_of_their_union_only(world):
    worker_b, worker_a = world.worker("union_b"), world.worker("union_a")
    today = timezone.localdate()
    course = h.course(
        world,
        starts_on=today + datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=20),
        enrol_until=today + datetime.timedelta(days=5),
    )
    assert [c.pk for c in selectors.courses_open(actor=worker_b)] == [course.pk]
    assert selectors.courses_open(actor=worker_a) == []
    enrolment = services.enrolment_create(actor=worker_b, course=course, person=worker_b.person)
    assert enrolment.enrolled_by is None
    assert selectors.courses_open(actor=worker_b) == []  # enrolled: no longer offered
    with pytest.raises(ValidationError):
        services.enrolment_create(actor=worker_a, course=course, person=worker_a.person)
    with pytest.raises(NotFound):
        services.enrolment_create(actor=worker_a, course=course, person=worker_b.person)
    services.enrolment_withdraw(actor=worker_b, enrolment=enrolment)
    assert Enrolment.unscoped.get(pk=enrolment.pk).status == EnrolmentStatus.WITHDRAWN


def test_a_worker_cannot_enrol_after_the_deadline(world):
    worker = world.worker("union_b")
    course = h.course(world)  # 2017: enrolment closed long ago
    with pytest.raises(ValidationError) as refused:
        services.enrolment_create(actor=worker, course=course, person=worker.person)
    assert "截止" in refused.value.message_dict["course"][0]


# --- fairs -----------------------------------------------------------------------------------


def test_a_fair_with_employers_posts_and_people_served(world):
    fair = h.fair(world)
    clerk = world.staff("district_b", "clerk")
    employer = services.fair_employer_add(
        actor=clerk, fair=fair, enterprise=world.enterprises["enterprise_b"]
    )
    assert employer.name == world.enterprises["enterprise_b"].name
    post = services.fair_post_add(
        actor=clerk, employer=employer, title="叉车工", count=5, wage_min="4000", wage_max="5500.50"
    )
    assert (post.wage_min, post.wage_max) == (Decimal("4000.00"), Decimal("5500.50"))
    person = world.member("union_b").person
    services.fair_visitor_add(actor=clerk, fair=fair, person=person)
    with pytest.raises(ValidationError):
        services.fair_visitor_add(actor=clerk, fair=fair, person=person)
    assert FairVisitor.unscoped.count() == 1
    with pytest.raises(ValidationError) as refused:
        services.fair_served_record(actor=clerk, fair=fair, served_count=0)
    assert "不能少于已登记姓名的求职者 1 人" in refused.value.message_dict["served_count"][0]
    assert services.fair_served_record(actor=clerk, fair=fair, served_count=800).served_count == 800


def test_named_people_raise_a_low_served_count(world):
    fair = h.fair(world, served_count=0)
    clerk = world.staff("district_b", "clerk")
    services.fair_visitor_add(actor=clerk, fair=fair, person=world.member("union_b").person)
    fair.refresh_from_db()
    assert fair.served_count == 1


# --- placements ------------------------------------------------------------------------------


def test_a_placement_through_a_course_and_its_follow_up(world):
    course = h.course(world)
    person = world.member("union_b").person
    placement = h.placement(
        world, person, source=PlacementSource.COURSE, course=course, monthly_wage="3200"
    )
    assert placement.monthly_wage == Decimal("3200.00")
    assert placement.follow_up_due_on == datetime.date(2017, 8, 2)
    clerk = world.staff("town_b", "clerk")
    done = services.placement_follow_up(
        actor=clerk,
        placement=placement,
        followed_up_on=datetime.date(2017, 8, 3),
        still_employed=True,
        note="电话回访，工作稳定",
    )
    assert (done.still_employed, done.followed_up_by) == (True, clerk)
    with pytest.raises(ValidationError) as refused:
        services.placement_follow_up(
            actor=clerk,
            placement=done,
            followed_up_on=datetime.date(2017, 9, 1),
            still_employed=False,
        )
    assert "已于 2017-08-03 回访过" in refused.value.message_dict["followed_up_on"][0]
    assert Placement.unscoped.get(pk=placement.pk).still_employed is True
    assert placement.history.count() == 2


def test_follow_ups_due_are_counted_for_the_home_tile(world):
    today = timezone.localdate()
    h.placement(world, starts_on=today - datetime.timedelta(days=120))
    h.placement(world, starts_on=today - datetime.timedelta(days=10))
    assert selectors.followups_due(world.staff("town_b", "clerk")) == 1
    assert selectors.followups_due(world.staff("district_b", "admin")) == 1
    assert selectors.followups_due(world.staff("district_a", "admin")) == 0


def test_a_fair_of_another_branch_is_not_found_as_a_source(world):
    fair = h.fair(world, org="district_a")
    with pytest.raises(NotFound):
        h.placement(world, source=PlacementSource.FAIR, fair=fair)
    assert not Placement.unscoped.exists()


def test_the_months_after_a_day_keep_the_end_of_a_month():
    from gonghui.employment.models import months_after

    assert months_after(datetime.date(2017, 11, 30), 3) == datetime.date(2018, 2, 28)
    assert months_after(datetime.date(2016, 11, 30), 3) == datetime.date(2017, 2, 28)
    assert months_after(datetime.date(2017, 5, 31), -3) == datetime.date(2017, 2, 28)
    assert months_after(datetime.date(2017, 1, 15), 3) == datetime.date(2017, 4, 15)


def test_the_figures_count_the_records_of_a_subtree_and_year(world):
    from gonghui.core import modules

    today = timezone.localdate()
    h.fair(world, held_on=today, served_count=320)
    h.fair(world, held_on=today, served_count=180)
    h.fair(world, org="district_a", held_on=today, served_count=999)
    h.placement(world, starts_on=today)
    admin = world.staff("district_b", "admin")

    def value(key):
        return modules.figure_value(key, actor=admin, org=world.district_b, year=today.year)

    assert (value("employment.fairs"), value("employment.served")) == (2, 500)
    assert value("employment.placed") == 1
    months = modules.figure_months("employment.served", actor=admin, org=world.district_b)
    assert months[-1][1] == 500  # the people served this month, not the fairs
