"""The API's contract: every input is bounded in the OpenAPI document and refused in Chinese
when out of bounds, and every error an operation can answer is declared with its body."""

import datetime
import json

import pytest

from gonghui.api import api as the_api
from gonghui.tests.test_api import api, staff_token

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def _schema():
    return the_api.get_openapi_schema()


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _leaves(schema, node, where):
    """Every scalar a client can send: (where, its JSON schema)."""
    node = _resolve(schema, node)
    for key in ("anyOf", "oneOf", "allOf"):
        for option in node.get(key, []):
            yield from _leaves(schema, option, where)
    kind = node.get("type")
    if kind == "object":
        for name, child in node.get("properties", {}).items():
            yield from _leaves(schema, child, f"{where}.{name}")
    elif kind == "array":
        yield where, node
        yield from _leaves(schema, node.get("items", {}), f"{where}[]")
    elif kind is not None:
        yield where, node


def _operations():
    schema = _schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method in METHODS:
                yield schema, f"{method.upper()} {path}", operation


def _inputs(schema, operation):
    for parameter in operation.get("parameters", []):
        yield from _leaves(schema, parameter["schema"], parameter["name"])
    body = operation.get("requestBody", {}).get("content", {})
    for media in body.values():
        yield from _leaves(schema, media["schema"], "body")


def test_every_input_a_client_sends_is_bounded_in_the_schema():
    unbounded = []
    for schema, name, operation in _operations():
        for where, node in _inputs(schema, operation):
            kind = node["type"]
            if "enum" in node or "const" in node or node.get("format") == "binary":
                continue
            if kind == "integer" and ("maximum" not in node or "minimum" not in node):
                unbounded.append(f"{name} {where}: integer without minimum and maximum")
            elif kind == "number" and "maximum" not in node:
                unbounded.append(f"{name} {where}: number without maximum")
            elif kind == "string" and not {"maxLength", "format", "pattern"} & set(node):
                unbounded.append(f"{name} {where}: string without maxLength")
            elif kind == "array" and "maxItems" not in node:
                unbounded.append(f"{name} {where}: array without maxItems")
    assert unbounded == []


def test_every_operation_declares_its_errors_with_their_bodies():
    missing = []
    for _unused, name, operation in _operations():
        responses = operation["responses"]
        expected = set()
        if operation.get("security"):
            expected |= {"401", "403", "404"}
        if operation.get("parameters") or operation.get("requestBody"):
            expected.add("422")
        if operation.get("requestBody"):
            expected |= {"400", "413"}
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected.add("400")
        declared = {str(code) for code in responses}
        for code in sorted(expected - declared):
            missing.append(f"{name}: {code}")
        for code in expected & declared:
            content = responses.get(code, responses.get(int(code), {})).get("content", {})
            assert "application/json" in content, f"{name} {code} has no body shape"
    assert missing == []


@pytest.mark.parametrize("page", ["55599038296048263168", "9223372036854775807", "100001", "0"])
def test_page_numbers_out_of_range_are_a_chinese_422(client, world, page):
    token = staff_token(client, "city-admin")
    response, body = api(client, "get", f"/organizations?page={page}", token)
    assert response.status_code == 422
    assert body["errors"][0]["field"] == "page"
    assert "不能" in body["errors"][0]["message"]


@pytest.mark.parametrize("number", [str(2**63), str(2**64), "0", "-1"])
def test_a_record_number_no_key_can_hold_is_not_found(client, world, number):
    token = staff_token(client, "city-admin")
    response, body = api(client, "get", f"/organizations/{number}", token)
    assert response.status_code == 404
    assert body == {"detail": "记录不存在，或不在您的管辖范围内。"}


def test_an_id_in_a_body_beyond_a_64_bit_key_is_a_chinese_422(client, world):
    token = staff_token(client, "city-admin")
    body = {"new_parent_id": 2**64, "reason": "调整"}
    response, answer = api(client, "post", f"/organizations/{world.union_a.pk}/move", token, body)
    assert response.status_code == 422
    assert answer["errors"] == [{"field": "new_parent_id", "message": f"不能大于 {2**63 - 1}。"}]


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("capacity", 9223372036854775808, "不能大于"),
        ("capacity", 2147483648, "不能大于"),
        ("capacity", -1, "不能小于"),
        ("starts_at", "9999-12-31T09:00:00+08:00", "日期应在"),
        ("starts_at", "2026-02-30T09:00:00+08:00", "时间格式"),
        ("mode", "bogus", "取值无效"),
        ("place", "教室\u0000一", "控制字符"),
    ],
)
def test_session_numbers_dates_and_choices_are_bounded(client, world, field, value, fragment):
    token = staff_token(client, "city-admin")
    body = {
        "course_id": 1,
        "starts_at": "2030-01-01T09:00:00+08:00",
        "ends_at": "2030-01-01T11:00:00+08:00",
        "capacity": 20,
        "mode": "first_come",
        "opens_at": "2029-12-01T09:00:00+08:00",
        "closes_at": "2029-12-31T09:00:00+08:00",
        "place": "市职工文化中心",
        field: value,
    }
    response, answer = api(client, "post", "/culture/sessions", token, body)
    assert response.status_code == 422, answer
    assert [e["field"] for e in answer["errors"]] == [field]
    assert fragment in answer["errors"][0]["message"]


@pytest.mark.parametrize("body", [{"is_active": None}, {"code": None}, {"name": None}])
def test_a_patch_refuses_null_where_the_column_cannot_hold_it(client, world, body):
    token = staff_token(client, "city-admin")
    response, answer = api(client, "patch", f"/organizations/{world.union_a.pk}", token, body)
    assert response.status_code == 422, answer
    assert answer["errors"][0]["field"] == next(iter(body))
    world.union_a.refresh_from_db()
    assert world.union_a.is_active and world.union_a.code


def test_an_unknown_kind_of_organisation_is_a_422_not_a_key_error(client, world):
    token = staff_token(client, "city-admin")
    response, answer = api(
        client,
        "post",
        f"/organizations/{world.city.pk}/children",
        token,
        {"name": "新区总工会", "kind": "bogus"},
    )
    assert response.status_code == 422
    assert answer["errors"][0]["field"] == "kind"
    assert "取值无效" in answer["errors"][0]["message"]


def test_the_service_refuses_an_unknown_kind_too(world):
    from django.core.exceptions import ValidationError

    from gonghui.organizations import services

    with pytest.raises(ValidationError) as caught:
        services.organization_create(
            actor=world.staff("city"), parent=world.city, name="新区", kind="bogus"
        )
    assert "kind" in caught.value.message_dict


def test_schema_errors_are_chinese(client, world):
    token = staff_token(client, "city-admin")
    response, answer = api(
        client,
        "post",
        "/members",
        token,
        {"union_id": "abc", "name": "张三", "id_number": 1, "joined_on": "2024-13-01"},
    )
    assert response.status_code == 422
    messages = {e["field"]: e["message"] for e in answer["errors"]}
    assert messages["union_id"] == "应为整数。"
    assert messages["id_number"] == "应为文本。"
    assert messages["joined_on"].startswith("日期格式应为 YYYY-MM-DD")
    assert all(not m.isascii() for m in messages.values())


def test_not_found_is_chinese_and_says_nothing_else(client, world):
    token = staff_token(client, "town_a-clerk")
    response, answer = api(client, "get", f"/organizations/{world.union_b.pk}", token)
    assert response.status_code == 404
    assert answer == {"detail": "记录不存在，或不在您的管辖范围内。"}


def test_an_oversized_body_is_a_413_and_a_broken_multipart_body_a_400(client, world):
    token = staff_token(client, "city-admin")
    big = json.dumps({"name": "张" * (6 * 1024 * 1024 // 3), "kind": "town"})
    response = client.post(
        f"/api/organizations/{world.city.pk}/children",
        big,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 413
    assert "过大" in response.json()["detail"]
    # A file upload whose multipart body names no boundary.
    worker = world.worker("union_a")
    from gonghui.accounts import services as account_services

    key, _token = account_services.api_token_issue(user=worker)
    response = client.post(
        "/api/me/cases/1/materials",
        b"--x\r\nContent-Disposition: form-data; name=file\r\n\r\n1\r\n--x--",
        content_type="multipart/form-data",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 400
    assert "boundary" in response.json()["detail"]


def test_an_unparseable_json_body_is_a_chinese_400(client, world):
    token = staff_token(client, "city-admin")
    response = client.post(
        f"/api/organizations/{world.city.pk}/children",
        b"{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"] and not response.json()["detail"].isascii()


def test_opening_hours_are_sent_as_the_schema_declares(client, world):
    from gonghui.organizations import services

    services.service_place_save(
        actor=world.staff("town_a"),
        place=None,
        organization=world.town_a,
        tier="station",
        name="A镇职工服务站",
        address="A镇人民路 1 号",
        opening=[(0, datetime.time(8, 30), datetime.time(17, 0))],
    )
    token = staff_token(client, "town_a-clerk")
    response, body = api(client, "get", "/places", token)
    opening = body["items"][0]["opening"][0]
    assert (opening["opens"], opening["closes"]) == ("08:30", "17:00")
    declared = _schema()["components"]["schemas"]["OpeningOut"]["properties"]["opens"]
    assert declared.get("format") != "time" and "pattern" in declared


def _schema_classes():
    from ninja import Schema

    seen, todo = [], list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in seen if c.__module__.startswith("gonghui.")]


def test_no_two_different_schemas_share_a_name():
    # The OpenAPI document keys its components by class name: of two different schemas with
    # one name, clients (and the contract tests above) see only one.
    _schema()
    by_name: dict[str, list[type]] = {}
    for cls in _schema_classes():
        by_name.setdefault(cls.__name__, []).append(cls)
    clashes = []
    for name, classes in by_name.items():
        shapes = {json.dumps(c.model_json_schema(), sort_keys=True) for c in classes}
        if len(shapes) > 1:
            clashes.append(f"{name}: " + ", ".join(c.__module__ for c in classes))
    assert not clashes, "schemas that differ under one name: " + "; ".join(clashes)
