"""The REST API: token and session sign-in, the worker's own records, staff records, errors."""

import json

import pytest
from django.test import Client

from gonghui.conftest import sms_code
from gonghui.members.models import JoinApplication
from gonghui.testing.factories import new_id_number, new_mobile
from gonghui.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


def api(client, method, path, token=None, body=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    kwargs = {"content_type": "application/json"} if body is not None else {}
    data = json.dumps(body) if body is not None else None
    call = getattr(client, method)
    response = (
        call(f"/api{path}", data, **kwargs, **headers, **extra)
        if data
        else call(f"/api{path}", **headers, **extra)
    )
    return response, (response.json() if response.content else None)


def staff_token(client, username):
    response, body = api(
        client, "post", "/auth/token/password", body={"login": username, "password": PASSWORD}
    )
    assert response.status_code == 200, body
    return body["token"]


def test_openapi_docs_are_served(client):
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/auth/token" in schema["paths"]


def test_worker_signs_in_with_a_code_registers_and_applies(
    client, world, outbox, django_capture_on_commit_callbacks
):
    mobile = new_mobile()
    with django_capture_on_commit_callbacks(execute=True):
        response, _ = api(client, "post", "/auth/otp", body={"mobile": mobile})
    assert response.status_code == 200
    response, body = api(
        client, "post", "/auth/token", body={"mobile": mobile, "code": sms_code(outbox)}
    )
    assert response.status_code == 200 and body["registered"] is False
    token = body["token"]
    # Nothing of the worker's before they agree to the privacy notice (registering included:
    # it takes the ID number).
    response, body = api(client, "get", "/me", token)
    assert response.status_code == 403 and "个人信息保护告知书" in body["detail"]
    response, body = api(client, "get", "/me/privacy", token)
    assert body["consented"] is False and body["consent"] is None
    response, body = api(client, "post", "/me/privacy", token, {"version": body["version"]})
    assert response.status_code == 200 and body["consented"] is True
    assert body["consent"]["channel"] == "api"
    response, body = api(client, "get", "/me", token)
    assert response.status_code == 403 and "实名登记" in body["detail"]
    response, body = api(
        client,
        "post",
        "/auth/register",
        token,
        {"mobile": mobile, "name": "周八", "id_number": new_id_number()},
    )
    assert response.status_code == 200, body
    response, body = api(client, "get", "/me", token)
    assert body["person"]["name"] == "周八" and body["membership"] is None
    assert "*" in body["person"]["id_number"]
    response, body = api(client, "get", "/me/unions?q=B号", token)
    assert [u["id"] for u in body] == [world.union_b.pk]
    response, body = api(
        client,
        "post",
        "/me/join-applications",
        token,
        {"union_id": world.union_b.pk, "employer_name": "B号机械有限公司"},
    )
    assert response.status_code == 201 and body["status"] == "pending"
    response, body = api(client, "get", "/me/requests", token)
    assert [(i["kind"], i["status"]) for i in body] == [("join", "pending")]
    # Staff of union B approve it through the API too.
    staff = staff_token(client, "union_b-clerk")
    response, body = api(
        client, "post", f"/join-applications/{body[0]['id']}/decision", staff, {"approve": True}
    )
    assert response.status_code == 200 and body["status"] == "approved"
    response, body = api(client, "get", "/me/card", token)
    assert response.status_code == 200 and body["union_name"] == world.union_b.name


def test_validation_errors_are_chinese_and_name_the_field(client, world):
    token = staff_token(client, "town_a-clerk")
    response, body = api(
        client,
        "post",
        "/members",
        token,
        {
            "union_id": world.union_a.pk,
            "name": "<b>x</b>",
            "id_number": "123",
            "mobile": "1",
            "joined_on": "2024-01-01",
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in body["errors"]}
    assert {"name", "id_number", "mobile"} <= fields
    assert any("身份证号应为 18 位" in e["message"] for e in body["errors"])


def test_exact_lookup_goes_in_the_body(client, world):
    membership = world.member("union_a")
    token = staff_token(client, "district_a-clerk")
    response, body = api(
        client,
        "post",
        "/members/lookup",
        token,
        {"id_number": membership.person.id_number.reveal()},
    )
    assert [m["id"] for m in body] == [membership.pk]
    other = staff_token(client, "district_b-clerk")
    response, body = api(
        client,
        "post",
        "/members/lookup",
        other,
        {"id_number": membership.person.id_number.reveal()},
    )
    assert body == []


def test_reveal_through_the_api_is_logged(client, world):
    from gonghui.core.models import PersonalDataAccess

    membership = world.member("union_a")
    token = staff_token(client, "town_a-reviewer")
    response, body = api(
        client,
        "post",
        f"/members/{membership.pk}/reveal",
        token,
        {"field": "mobile", "reason": "contact"},
    )
    assert body["value"] == membership.person.mobile.reveal()
    assert PersonalDataAccess.unscoped.get().channel == "page"
    leader = staff_token(client, "town_a-leader")
    response, body = api(
        client,
        "post",
        f"/members/{membership.pk}/reveal",
        leader,
        {"field": "mobile", "reason": "contact"},
    )
    assert response.status_code == 403


def test_workers_cannot_use_staff_endpoints_and_staff_not_worker_ones(client, world):
    worker = world.worker("union_a")
    from gonghui.accounts.services import api_token_issue

    key, _ = api_token_issue(user=worker)
    response, body = api(client, "get", "/members", key)
    assert response.status_code == 403 and "工作人员" in body["detail"]
    staff = staff_token(client, "city-admin")
    response, body = api(client, "get", "/me", staff)
    assert response.status_code == 403


def test_no_credentials_is_401(client):
    assert client.get("/api/members").status_code == 401
    assert client.get("/api/me").status_code == 401


def test_session_auth_needs_csrf_for_writes(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.staff("town_a", "clerk"))
    assert browser.get("/api/organizations").status_code == 200
    response = browser.post("/api/enterprises", json.dumps({}), content_type="application/json")
    assert response.status_code == 403


def test_wrong_password_is_a_clear_422(client, world):
    response, body = api(
        client, "post", "/auth/token/password", body={"login": "city-admin", "password": "nope"}
    )
    assert response.status_code == 422 and body["errors"][0]["message"] == "账号或密码不正确。"


def test_worker_sees_only_their_own_requests(client, world):
    a, b = world.worker(), world.worker()
    from gonghui.accounts.services import api_token_issue
    from gonghui.members import services

    application = services.join_apply(
        actor=b, person=b.person, union=world.union_b, employer_name="x"
    )
    key, _ = api_token_issue(user=a)
    response, _ = api(client, "get", f"/me/join-applications/{application.pk}", key)
    assert response.status_code == 404
    response, _ = api(client, "post", f"/me/join-applications/{application.pk}/withdraw", key)
    assert response.status_code == 404
    assert JoinApplication.unscoped.get().status == "pending"


def test_logout_revokes_the_token(client, world):
    token = staff_token(client, "city-admin")
    assert api(client, "post", "/auth/logout", token)[0].status_code == 200
    assert api(client, "get", "/organizations", token)[0].status_code == 401
