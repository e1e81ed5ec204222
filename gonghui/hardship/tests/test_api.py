from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from gonghui.accounts.services import api_token_issue
from gonghui.core.models import PersonalDataAccess
from gonghui.hardship.models import FilingStatus, Household, HouseholdMember, VisitPhoto
from gonghui.hardship.tests import helpers as h
from gonghui.testing.factories import new_id_number, person_input

pytestmark = pytest.mark.django_db


def call(user, method: str, url: str, body=None):
    key, _ = api_token_issue(user=user)
    client = Client()
    if body is None:
        return getattr(client, method)(url, HTTP_AUTHORIZATION=f"Bearer {key}")
    return getattr(client, method)(
        url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )


def field_errors(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_a_household_is_filed_visited_submitted_and_approved_through_the_api(world):
    h.lines(world)
    clerk = world.staff("union_b", "clerk")
    data = person_input()
    filed = call(
        clerk,
        "post",
        "/api/hardship/households",
        {
            "union_id": world.union_b.pk,
            "name": data.name,
            "id_number": data.id_number,
            "address": "B镇幸福路 3 号",
            "causes": ["illness"],
            "yearly_income": "7200.00",
        },
    )
    assert filed.status_code == 201, filed.content
    body = filed.json()
    assert body["level"] == "deep" and body["status"] == "draft"
    assert "7200" not in filed.content.decode() and "幸福路" not in filed.content.decode()
    household_id = body["id"]
    member = call(
        clerk,
        "post",
        f"/api/hardship/households/{household_id}/members",
        {"name": "李小明", "relation": "child", "id_number": new_id_number(), "in_school": "初中"},
    )
    assert member.status_code == 201
    visit = call(
        clerk,
        "post",
        f"/api/hardship/households/{household_id}/visits",
        {"visited_on": "2017-03-01", "visitors": "王芳", "findings": "属实"},
    )
    assert visit.status_code == 201
    key, _ = api_token_issue(user=clerk)
    photo = Client().post(
        f"/api/hardship/households/{household_id}/visits/{visit.json()['id']}/photos",
        {"file": h.photo()},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert photo.status_code == 201 and photo.json()["photo_count"] == 1
    submitted = call(clerk, "post", f"/api/hardship/households/{household_id}/submit", {})
    filing_id = submitted.json()["id"]
    own = call(clerk, "post", f"/api/hardship/filings/{filing_id}/decision", {"approve": True})
    assert own.status_code == 403
    decided = call(
        world.staff("town_b", "reviewer"),
        "post",
        f"/api/hardship/filings/{filing_id}/decision",
        {"approve": True},
    )
    assert decided.status_code == 200 and decided.json()["status"] == FilingStatus.APPROVED
    detail = call(clerk, "get", f"/api/hardship/households/{household_id}").json()
    assert detail["status"] == "active" and detail["member_count"] == 2
    assert detail["per_capita_income_masked"] != "3600.00"


def test_bad_member_input_is_a_chinese_422_at_the_field(world):
    household = h.file(world)
    clerk = world.staff("union_b", "clerk")
    url = f"/api/hardship/households/{household.pk}/members"
    for patch, field, words in (
        ({"yearly_income": "-1"}, "yearly_income", "负数"),
        ({"yearly_income": "1.005"}, "yearly_income", "两位小数"),
        ({"id_number": "330402199001011234"}, "id_number", "身份证"),
        ({"health": "<script>x</script>"}, "health", "HTML"),
    ):
        body = {"name": "甲", "relation": "child", "id_number": new_id_number(), **patch}
        response = call(clerk, "post", url, body)
        assert response.status_code == 422, (patch, response.content)
        assert words in field_errors(response)[field]
    assert HouseholdMember.unscoped.filter(household=household).count() == 1


def test_a_second_live_file_is_a_422_at_the_id_number(world):
    household = h.file(world)
    person = household.person
    response = call(
        world.staff("union_b2", "clerk"),
        "post",
        "/api/hardship/households",
        {
            "union_id": world.union_b2.pk,
            "name": person.name,
            "id_number": person.id_number.reveal(),
            "address": "B",
            "causes": ["illness"],
        },
    )
    assert response.status_code == 422
    assert "不能重复建档" in field_errors(response)["id_number"]
    assert Household.unscoped.count() == 1


def test_a_wrong_type_photo_is_refused(world):
    household = h.file(world)
    visit = h.visit(world, household)
    key, _ = api_token_issue(user=world.staff("union_b", "clerk"))
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = Client().post(
        f"/api/hardship/households/{household.pk}/visits/{visit.pk}/photos",
        {"file": SimpleUploadedFile("a.png", b"<svg onload=alert(1)>", content_type="image/png")},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 422
    assert "不符" in field_errors(response)["photos"]
    assert not VisitPhoto.unscoped.exists()


def test_a_reveal_through_the_api_is_logged(world):
    household = h.file(world, income="4321.00")
    member = HouseholdMember.unscoped.get(household=household)
    response = call(
        world.staff("union_b", "reviewer"),
        "post",
        f"/api/hardship/households/{household.pk}/reveal",
        {"field": "yearly_income", "member_id": member.pk, "reason": "case"},
    )
    assert response.json() == {"field": "yearly_income", "value": "4321.00"}
    assert PersonalDataAccess.unscoped.filter(subject_id=member.pk).count() == 1


def test_the_review_lists_and_their_counts(world):
    h.lines(world)
    household = h.approved(world)
    actor = world.staff("district_b", "admin")
    counts = call(actor, "get", "/api/hardship/households/review-counts").json()
    assert counts == {"stale": 0, "unhelped": 1, "above": 0}
    listed = call(actor, "get", "/api/hardship/households?review=unhelped").json()
    assert [item["id"] for item in listed["items"]] == [household.pk]
    left = call(
        world.staff("union_b", "clerk"),
        "post",
        f"/api/hardship/households/{household.pk}/leave",
        {"left_on": datetime.date.today().isoformat(), "reason": "已就业"},  # noqa: DTZ011
    )
    assert left.json()["status"] == "left"


def test_income_lines_are_set_by_the_city_administrator(world):
    body = {"organization_id": world.city.pk, "year": 2017, "level": "deep", "line": "8000"}
    assert (
        call(
            world.staff("district_b", "admin"), "post", "/api/hardship/income-lines", body
        ).status_code
        == 404
    )
    response = call(world.staff("city", "admin"), "post", "/api/hardship/income-lines", body)
    assert response.status_code == 200 and response.json()["line"] == "8000.00"
    body["line"] = "8000.123"
    bad = call(world.staff("city", "admin"), "post", "/api/hardship/income-lines", body)
    assert bad.status_code == 422
