"""The console pages, the worker's portal pages and the panel on the member page."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.employment import services
from gonghui.employment.models import (
    Attendance,
    Course,
    CourseType,
    Enrolment,
    EnrolmentStatus,
    FairPost,
    Placement,
)
from gonghui.employment.tests import helpers as h

pytestmark = pytest.mark.django_db


def staff(world, org="town_b", role="clerk"):
    client = Client()
    client.force_login(world.staff(org, role))
    return client


def test_a_clerk_runs_a_course_in_the_console(world):
    client = staff(world)
    response = client.post(
        reverse("console:training_create"),
        {
            "organization": world.town_b.pk,
            "course_type": CourseType.objects.get(code="ecommerce").pk,
            "title": "电子商务培训班",
            "place": "B镇成人学校",
            "capacity": 30,
            "starts_on": "2017-03-06",
            "ends_on": "2017-03-16",
            "enrol_until": "2017-03-06",
            "pass_percent": 80,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    course_url = response["Location"]
    course_id = int(course_url.rstrip("/").split("/")[-1])
    assert (
        client.post(
            reverse("console:training_session_new", args=[course_id]),
            {"held_on": "2017-03-06", "topic": "网店开设"},
        ).status_code
        == 302
    )
    member = world.member("union_b")
    assert (
        client.post(
            reverse("console:training_enrol", args=[course_id]),
            {"id_number": member.person.id_number.reveal()},
        ).status_code
        == 302
    )
    page = client.get(course_url).content.decode()
    assert member.person.name in page and "网店开设" in page
    assert member.person.id_number.reveal() not in page  # masked
    enrolment = Enrolment.unscoped.get(course_id=course_id)
    session = enrolment.course.sessions.get()
    roll = reverse("console:training_attendance", args=[course_id, session.pk])
    assert client.get(roll).status_code == 200
    assert client.post(roll, {"present": [enrolment.pk]}).status_code == 302
    assert Attendance.unscoped.filter(enrolment=enrolment).exists()
    assert client.post(reverse("console:training_close", args=[course_id])).status_code == 302
    assert Enrolment.unscoped.get(pk=enrolment.pk).status == EnrolmentStatus.COMPLETED
    assert "已结业" in client.get(course_url).content.decode()


def test_an_unknown_id_number_is_named_at_the_field(world):
    client = staff(world)
    course = h.course(world)
    response = client.post(
        reverse("console:training_enrol", args=[course.pk]),
        {"id_number": world.member("union_a").person.id_number.reveal()},
    )
    assert response.status_code == 200
    assert "没有找到该身份证号的职工" in str(response.context["form"].errors["id_number"])


def test_a_fair_in_the_console(world):
    client = staff(world, "district_b")
    fair = h.fair(world)
    assert (
        client.post(
            reverse("console:fair_employer_new", args=[fair.pk]), {"name": "B区物流公司"}
        ).status_code
        == 302
    )
    employer = fair.employers.get()
    assert (
        client.post(
            reverse("console:fair_post_new", args=[fair.pk]),
            {
                "employer": employer.pk,
                "title": "仓管员",
                "count": 4,
                "wage_min": "3500",
                "wage_max": "4800",
            },
        ).status_code
        == 302
    )
    assert FairPost.unscoped.get().count == 4
    assert (
        client.post(
            reverse("console:fair_served", args=[fair.pk]), {"served_count": 620}
        ).status_code
        == 302
    )
    page = client.get(reverse("console:fair_detail", args=[fair.pk])).content.decode()
    assert "B区物流公司" in page and "仓管员" in page and "620" in page
    listing = client.get(reverse("console:fair_list")).content.decode()
    assert fair.title in listing


def test_placements_due_for_follow_up_and_the_follow_up(world):
    today = timezone.localdate()
    due = h.placement(world, starts_on=today - datetime.timedelta(days=120))
    recent = h.placement(world, starts_on=today - datetime.timedelta(days=5), post="叉车工")
    client = staff(world)
    listing = client.get(reverse("console:placement_list"), {"due": "1"}).content.decode()
    assert f'href="/console/placements/{due.pk}/"' in listing
    assert f'href="/console/placements/{recent.pk}/"' not in listing
    home = client.get(reverse("console:home")).content.decode()
    assert "到期待回访的就业安置" in home
    response = client.post(
        reverse("console:placement_detail", args=[due.pk]),
        {"followed_up_on": today.isoformat(), "still_employed": "1", "note": "工作稳定"},
    )
    assert response.status_code == 302
    assert Placement.unscoped.get(pk=due.pk).still_employed is True


def test_a_placement_shows_on_the_member_page(world):
    membership = world.member("union_b")
    h.placement(world, membership.person, monthly_wage="3200")
    page = staff(world).get(reverse("console:member_detail", args=[membership.pk]))
    html = page.content.decode()
    assert 'data-testid="person-panel-placements"' in html
    assert "嘉兴市亚一达特种钢铸造有限公司" in html and "3200.00" in html
    # Another branch's staff see neither the member nor the placement.
    assert (
        staff(world, "town_a")
        .get(reverse("console:member_detail", args=[membership.pk]))
        .status_code
        == 404
    )


def test_a_worker_enrols_in_the_portal_and_sees_their_enrolment(world):
    worker = world.worker("union_b")
    today = timezone.localdate()
    course = h.course(
        world,
        title="B镇育婴师培训班",
        starts_on=today + datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=20),
        enrol_until=today + datetime.timedelta(days=5),
    )
    client = Client()
    client.force_login(worker)
    portal = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="home-training"' in portal and "B镇育婴师培训班" in portal
    home = client.get(reverse("portal:training_home")).content.decode()
    assert "B镇育婴师培训班" in home
    assert client.get(reverse("portal:training_enrol", args=[course.pk])).status_code == 200
    assert client.post(reverse("portal:training_enrol", args=[course.pk])).status_code == 302
    enrolment = Enrolment.unscoped.get(course=course, person=worker.person)
    page = client.get(reverse("portal:training_home")).content.decode()
    assert f'data-testid="enrolment-{enrolment.pk}"' in page
    # ...and in the "my requests" inbox with the other modules' requests.
    assert "B镇育婴师培训班" in client.get(reverse("portal:inbox")).content.decode()
    other = Client()
    other.force_login(world.worker("union_a"))
    assert other.get(reverse("portal:training_enrol", args=[course.pk])).status_code == 404
    assert other.post(reverse("portal:training_withdraw", args=[enrolment.pk])).status_code == 404
    assert client.post(reverse("portal:training_withdraw", args=[enrolment.pk])).status_code == 302
    assert Enrolment.unscoped.get(pk=enrolment.pk).status == EnrolmentStatus.WITHDRAWN


def test_the_lists_export(world):
    h.course(world)
    client = staff(world, "district_b", "admin")
    for name in ("console:training_list", "console:fair_list", "console:placement_list"):
        response = client.get(reverse(name), {"format": "xlsx"})
        b"".join(response.streaming_content)  # read to the end: closes its temporary file
        assert response.status_code == 200, name


def test_the_api_runs_a_course_and_a_placement(world):
    from gonghui.accounts.services import api_token_issue

    key, _ = api_token_issue(user=world.staff("town_b", "clerk"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def post(url, body):
        return Client().post(url, body, content_type="application/json", **headers)

    course = post(
        "/api/employment/courses",
        {
            "organization_id": world.town_b.pk,
            "course_type": "forklift",
            "title": "叉车培训班",
            "place": "B镇",
            "capacity": 5,
            "starts_on": "2017-03-06",
            "ends_on": "2017-03-10",
            "enrol_until": "2017-03-06",
        },
    )
    assert course.status_code == 201, course.content
    course_id = course.json()["id"]
    session = post(
        f"/api/employment/courses/{course_id}/sessions", {"held_on": "2017-03-06", "topic": "理论"}
    )
    person = world.member("union_b").person
    enrolment = post(f"/api/employment/courses/{course_id}/enrolments", {"person_id": person.pk})
    assert enrolment.status_code == 201
    attendance = post(
        f"/api/employment/courses/{course_id}/sessions/{session.json()['id']}/attendance",
        {"enrolment_ids": [enrolment.json()["id"]]},
    )
    assert attendance.json() == {"present": 1}
    closed = post(f"/api/employment/courses/{course_id}/close", {})
    assert closed.json() == {"completed": 1, "not_completed": 0}
    placement = post(
        "/api/employment/placements",
        {
            "organization_id": world.town_b.pk,
            "person_id": person.pk,
            "employer_name": "B镇某企业",
            "post": "叉车工",
            "monthly_wage": "4200.50",
            "starts_on": "2017-04-01",
            "source": "course",
            "course_id": course_id,
        },
    )
    assert placement.status_code == 201, placement.content
    assert placement.json()["follow_up_due_on"] == "2017-07-01"
    follow = post(
        f"/api/employment/placements/{placement.json()['id']}/follow-up",
        {"followed_up_on": "2017-07-03", "still_employed": False, "note": "已离职"},
    )
    assert follow.json()["still_employed"] is False


def test_a_clerk_takes_someone_off_a_course_and_cancels_an_empty_one(world):
    client = staff(world)
    course = h.course(world)
    (enrolment,) = services.enrolment_create_many(
        actor=world.staff("town_b", "clerk"), course=course, people=h.people(world, 1)
    )
    cancel = reverse("console:training_cancel", args=[course.pk])
    client.post(cancel)
    assert not Course.unscoped.get(pk=course.pk).cancelled  # someone is on it
    assert client.post(reverse("console:training_withdraw", args=[enrolment.pk])).status_code == 302
    assert Enrolment.unscoped.get(pk=enrolment.pk).status == EnrolmentStatus.WITHDRAWN
    assert client.post(cancel).status_code == 302
    assert Course.unscoped.get(pk=course.pk).cancelled
    assert "已取消" in client.get(reverse("console:training_list")).content.decode()
