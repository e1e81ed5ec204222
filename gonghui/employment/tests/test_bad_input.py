"""Bad input gets a Chinese message at the field that caused it and changes nothing: a
negative or three-decimal wage, a follow-up before three months, an enrolment over capacity
or twice, HTML in text, dates in the wrong order."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.employment import services
from gonghui.employment.models import Course, Enrolment, FairPost, Placement
from gonghui.employment.tests import helpers as h
from gonghui.testing.database import row_counts

pytestmark = pytest.mark.django_db


def refused(call, field):
    """The call is refused with a message at ``field``, and no table changed."""
    before = row_counts()
    with pytest.raises(ValidationError) as caught:
        call()
    assert row_counts() == before
    messages = caught.value.message_dict[field]
    assert messages and all(any("\u4e00" <= c <= "\u9fff" for c in m) for m in messages)
    return messages


@pytest.mark.parametrize(
    ("wage", "expected"),
    [("-3200", "负"), ("3200.005", "两位小数"), ("0", "大于 0"), ("三千", "")],
)
def test_a_bad_wage_is_refused_at_its_field(world, wage, expected):
    person = world.member("union_b").person
    messages = refused(lambda: h.placement(world, person, monthly_wage=wage), "monthly_wage")
    assert expected in " ".join(messages)


def test_a_three_decimal_wage_range_is_refused(world):
    fair = h.fair(world)
    clerk = world.staff("district_b", "clerk")
    employer = services.fair_employer_add(actor=clerk, fair=fair, name="B区某企业")
    refused(
        lambda: services.fair_post_add(
            actor=clerk,
            employer=employer,
            title="普工",
            count=3,
            wage_min="3000.001",
            wage_max="4000",
        ),
        "wage_min",
    )
    messages = refused(
        lambda: services.fair_post_add(
            actor=clerk, employer=employer, title="普工", count=3, wage_min="5000", wage_max="4000"
        ),
        "wage_max",
    )
    assert messages == ["月薪上限不能低于下限。"]
    assert not FairPost.unscoped.exists()


def test_a_follow_up_before_three_months_is_refused(world):
    placement = h.placement(world)
    messages = refused(
        lambda: services.placement_follow_up(
            actor=world.staff("town_b", "clerk"),
            placement=placement,
            followed_up_on=datetime.date(2017, 8, 1),
            still_employed=True,
        ),
        "followed_up_on",
    )
    assert messages == ["上岗满三个月（2017-08-02）后才能回访，请到期后再登记。"]
    assert Placement.unscoped.get(pk=placement.pk).followed_up_on is None


def test_enrolment_over_capacity_is_refused(world):
    course = h.course(world, capacity=2)
    clerk = world.staff("town_b", "clerk")
    services.enrolment_create_many(actor=clerk, course=course, people=h.people(world, 2))
    third = world.member("union_b").person
    messages = refused(
        lambda: services.enrolment_create(actor=clerk, course=course, person=third), "person"
    )
    assert messages == ["名额已满：该培训班共 2 个名额，还剩 0 个，本次报名 1 人。"]
    many = h.people(world, 3)
    refused(
        lambda: services.enrolment_create_many(actor=clerk, course=course, people=many), "person"
    )
    assert Enrolment.unscoped.filter(course=course).count() == 2


def test_enrolling_twice_is_refused(world):
    course = h.course(world)
    clerk = world.staff("town_b", "clerk")
    person = world.member("union_b").person
    services.enrolment_create(actor=clerk, course=course, person=person)
    messages = refused(
        lambda: services.enrolment_create(actor=clerk, course=course, person=person), "person"
    )
    assert messages == [f"{person.name} 已报名该培训班，不能重复报名。"]


@pytest.mark.parametrize("field", ["title", "place", "description"])
def test_html_in_a_course_is_refused(world, field):
    messages = refused(lambda: h.course(world, **{field: "<script>alert(1)</script>"}), field)
    assert "HTML" in messages[0]


def test_html_in_a_fair_or_placement_is_refused(world):
    refused(lambda: h.fair(world, title="<b>招聘会</b>"), "title")
    refused(lambda: h.fair(world, note='<a href="x">链接</a>'), "note")
    person = world.member("union_b").person
    refused(lambda: h.placement(world, person, post="<img src=x onerror=1>"), "post")
    placement = h.placement(world, person)
    refused(
        lambda: services.placement_follow_up(
            actor=world.staff("town_b", "clerk"),
            placement=placement,
            followed_up_on=datetime.date(2017, 9, 1),
            still_employed=True,
            note="<script>x</script>",
        ),
        "note",
    )


def test_dates_in_the_wrong_order_are_refused(world):
    messages = refused(
        lambda: h.course(
            world, starts_on=datetime.date(2017, 3, 6), ends_on=datetime.date(2017, 3, 1)
        ),
        "ends_on",
    )
    assert messages == ["结业日期不能早于开班日期。"]
    refused(lambda: h.course(world, enrol_until=datetime.date(2017, 4, 1)), "enrol_until")
    course = h.course(world)
    messages = refused(
        lambda: services.session_add(
            actor=world.staff("town_b", "clerk"),
            course=course,
            held_on=datetime.date(2017, 5, 1),
            topic="理论",
        ),
        "held_on",
    )
    assert "之间" in messages[0]
    fair = h.fair(world)
    person = world.member("union_b").person
    refused(
        lambda: h.placement(
            world, person, source="fair", fair=fair, starts_on=datetime.date(2017, 2, 1)
        ),
        "starts_on",
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    refused(lambda: h.placement(world, person, starts_on=tomorrow), "starts_on")
    assert Course.unscoped.count() == 1


def test_the_console_shows_the_message_at_the_field(world):
    client = Client()
    client.force_login(world.staff("town_b", "clerk"))
    membership = world.member("union_b")
    before = row_counts()
    response = client.post(
        reverse("console:placement_create"),
        {
            "organization": world.town_b.pk,
            "id_number": membership.person.id_number.reveal(),
            "employer_name": "某公司",
            "post": "普工",
            "monthly_wage": "3200.125",
            "starts_on": "2017-05-02",
            "source": "other",
        },
    )
    assert response.status_code == 200
    assert row_counts() == before
    form = response.context["form"]
    assert form.errors["monthly_wage"]
    assert "3200.125" in response.content.decode()


def test_the_api_answers_422_at_the_field(world):
    from gonghui.accounts.services import api_token_issue

    key, _ = api_token_issue(user=world.staff("town_b", "clerk"))
    course = h.course(world, capacity=1)
    person = world.member("union_b").person
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    url = f"/api/employment/courses/{course.pk}/enrolments"
    assert (
        Client()
        .post(url, {"person_id": person.pk}, content_type="application/json", **headers)
        .status_code
        == 201
    )
    again = Client().post(url, {"person_id": person.pk}, content_type="application/json", **headers)
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "person"
    placement = Client().post(
        "/api/employment/placements",
        {
            "organization_id": world.town_b.pk,
            "person_id": person.pk,
            "employer_name": "某公司",
            "post": "普工",
            "monthly_wage": "-1",
            "starts_on": "2017-05-02",
        },
        content_type="application/json",
        **headers,
    )
    assert placement.status_code == 422
    assert placement.json()["errors"][0]["field"] == "monthly_wage"
    assert not Placement.unscoped.exists()
