"""Counter intake through the API: nothing half-saved, nothing learned across branches."""

import pytest

from gonghui.testing.database import changed_tables, row_counts
from gonghui.testing.factories import new_id_number
from gonghui.tests.test_api import api, staff_token

pytestmark = pytest.mark.django_db


def _intake(client, token, **fields):
    body = {
        "channel": "counter",
        "id_number": new_id_number(),
        "name": "赵新",
        "service_type": "hardship",
        "title": "大病救助",
        "description": "家人重病，医药费难以承担。",
    }
    body.update(fields)
    return api(client, "post", "/cases", token, body)


def test_a_refused_counter_request_leaves_every_table_unchanged(client, world):
    token = staff_token(client, "town_a-clerk")
    before = row_counts()
    response, body = _intake(client, token, description="")
    assert response.status_code == 422
    assert [e["field"] for e in body["errors"]] == ["description"]
    assert changed_tables(before) == {}


def test_every_bad_field_of_a_counter_request_is_reported_at_once(client, world):
    token = staff_token(client, "town_a-clerk")
    response, body = _intake(client, token, id_number="123", name="", title="", description="")
    assert response.status_code == 422
    assert {e["field"] for e in body["errors"]} == {"id_number", "name", "title", "description"}


def test_another_branchs_member_gets_the_same_answer_whatever_the_name(client, world):
    member = world.member("union_b")
    number = member.person.id_number.reveal()
    token = staff_token(client, "town_a-clerk")
    right, right_body = _intake(client, token, id_number=number, name=member.person.name)
    wrong, wrong_body = _intake(client, token, id_number=number, name="随便一个名字")
    assert right.status_code == wrong.status_code == 201
    foreign = {world.district_b.name, world.town_b.name, world.union_b.name, world.union_b2.name}
    for body in (right_body, wrong_body):
        text = str(body)
        assert not any(name in text for name in foreign)
    assert wrong_body["person_name"] == "随便一个名字"
    assert right_body["handler_id"] == wrong_body["handler_id"]
    # A member of the clerk's own branch is checked against the record.
    own = world.member("union_a")
    response, body = _intake(
        client, token, id_number=own.person.id_number.reveal(), name="随便一个名字"
    )
    assert response.status_code == 422 and body["errors"][0]["field"] == "name"
