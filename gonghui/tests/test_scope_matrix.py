"""Every console URL and every API operation, as an actor from a sibling branch of the union
tree (must be "not found") and as an actor in scope (must succeed).

Routes are collected from the URL resolver and the OpenAPI schema, so a new route fails here
until this file knows how to exercise it: that is the point (ORG-2).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from gonghui.accounts.services import api_token_issue
from gonghui.api import api
from gonghui.core import imports
from gonghui.core.services import Subject, personal_data_log
from gonghui.members import card
from gonghui.members import services as member_services
from gonghui.organizations import services as org_services
from gonghui.organizations.models import OrgKind, ServiceType
from gonghui.testing.factories import new_credit_code, new_id_number
from gonghui.testing.sheets import csv_upload
from gonghui.testing.world import World, build_world
from gonghui.unionbuilding import services as building_services
from gonghui.unionbuilding.models import HomeStandardItem, MechanismType

SENTINEL_MEMBER = "乙方会员甲"
SENTINELS = ("B号机械有限公司", SENTINEL_MEMBER, "B镇职工服务站")

# Routes whose answer is deliberately the same for everyone, and why.
PUBLIC_BY_DESIGN = {
    # The directory of grassroots unions a worker may apply to join or transfer into: names
    # and codes of unions are public information, needed across branches.
    "console:union_search": "union directory for transfers",
    "portal:union_search": "union directory for joining",
    # A member card's QR code is checked by whoever scans it; the signed token is the key.
    "portal:card_verify": "signed card token",
}
POST_ONLY = {"console:member_reveal", "console:member_lookup", "console:import_start"}
# Who succeeds in scope, where it is not the district administrator: an import is checked
# and confirmed by the person who uploaded it.
OWNERS = {"console:import_start": ("town_b", "clerk")}
POST_DATA = {
    "console:member_reveal": {"reason": "verify"},
    "console:import_start": {},
}


def _walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            found += _walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name and namespace in {"console", "portal"}:
            found.append((f"{namespace}:{entry.name}", entry.pattern))
    return found


ROUTES = sorted({name: pattern for name, pattern in _walk(get_resolver().url_patterns)}.items())
CONSOLE = [(n, p) for n, p in ROUTES if n.startswith("console:")]
PORTAL = [(n, p) for n, p in ROUTES if n.startswith("portal:")]
OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method in methods
)


@dataclass
class Matrix:
    world: World
    ids: dict[str, Any]
    worker_a: Any
    worker_b: Any


def _build() -> Matrix:
    w = build_world()
    b_clerk, b_reviewer = w.staff("town_b", "clerk"), w.staff("town_b", "reviewer")
    w.orgs["town_b2"] = org_services.organization_create(
        actor=None, parent=w.district_b, name="B2镇总工会", kind=OrgKind.TOWN, code="TOWN_B2"
    )
    membership = w.member("union_b", name=SENTINEL_MEMBER)
    worker_b = w.worker("union_b")
    worker_a = w.worker("union_a")
    join = member_services.join_apply(
        actor=(joiner := w.worker()), person=joiner.person, union=w.union_b, employer_name="B号"
    )
    worker_join = member_services.join_apply(
        actor=(lonely := w.worker()), person=lonely.person, union=w.union_b2, employer_name="B2"
    )
    transfer = member_services.transfer_request(
        actor=b_clerk, membership=membership, to_union=w.union_b2, reason="工作调动"
    )
    worker_b_membership = worker_b.person.memberships.get(status="active")
    worker_transfer = member_services.transfer_request(
        actor=worker_b, membership=worker_b_membership, to_union=w.union_b2, reason="换工作"
    )
    loose = org_services.enterprise_create(
        actor=b_clerk,
        name="B3号未建会公司",
        credit_code=new_credit_code(),
        industry="C",
        employee_count=20,
        area=w.town_b,
    )
    spare = org_services.enterprise_create(
        actor=b_clerk,
        name="B4号未建会公司",
        credit_code=new_credit_code(),
        industry="C",
        employee_count=20,
        area=w.town_b,
    )
    founding = building_services.founding_apply(
        actor=b_clerk,
        parent=w.town_b,
        proposed_name="B3号未建会公司工会",
        grassroots_kind="enterprise",
        enterprises=[loose],
        chair_name="李",
        initial_members=5,
        planned_on=datetime.date(2024, 1, 1),
    )
    congress = MechanismType.objects.get(code="congress")
    building_services.mechanism_save(
        actor=b_clerk,
        union=w.union_b,
        type=congress,
        established_on=datetime.date(2020, 1, 1),
        evidence=SimpleUploadedFile("决议.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )
    home = building_services.home_assess(
        actor=b_clerk,
        union=w.union_b,
        assessed_on=datetime.date(2024, 5, 1),
        scores={i.pk: (Decimal(i.max_score), "") for i in HomeStandardItem.objects.all()},
    )
    brand = building_services.brand_register(
        actor=b_clerk,
        organization=w.town_b,
        year=datetime.date.today().year,  # noqa: DTZ011
        title="B镇品牌",
        description="B",
    )
    place = org_services.service_place_save(
        actor=b_clerk,
        place=None,
        organization=w.town_b,
        tier="station",
        name="B镇职工服务站",
        address="B镇",
        service_types=ServiceType.objects.all()[:2],
    )
    job = imports.import_job_create(actor=b_clerk, kind="members", upload=csv_upload([]))
    personal_data_log(
        actor=b_clerk,
        subjects=[Subject.of(membership.person)],
        fields=["mobile"],
        reason="contact",
    )
    ids = {
        "org_id": w.union_b.pk,
        "enterprise_id": w.enterprises["enterprise_b"].pk,
        "place_id": place.pk,
        "membership_id": membership.pk,
        "field": "id_number",
        "join_id": join.pk,
        "transfer_id": transfer.pk,
        "founding_id": founding.pk,
        "type_id": congress.pk,
        "assessment_id": home.pk,
        "brand_id": brand.pk,
        "user_id": b_clerk.pk,
        "job_id": job.pk,
        "kind": "members",
        "token": card.card_token(membership),
        "worker_join_id": worker_join.pk,
        "worker_transfer_id": worker_transfer.pk,
        "spare_enterprise": spare.pk,
        "free_membership_id": w.member("union_b").pk,
        "member_id_number": membership.person.id_number.reveal(),
        "b_reviewer": b_reviewer,
    }
    worker_b.lonely = lonely  # type: ignore[attr-defined]
    return Matrix(w, ids, worker_a, worker_b)


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction that is rolled back at the end; each test
    runs in a savepoint inside it (the ``db`` fixture), so tests cannot disturb each other."""
    with django_db_blocker.unblock():
        block = transaction.atomic()
        block.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _console_call(client: Client, name: str, pattern: Any, ids: dict[str, Any]) -> Any:
    kwargs = {key: ids[key] for key in pattern.converters}
    url = reverse(name, kwargs=kwargs)
    if name in POST_ONLY:
        data = POST_DATA.get(name, {"key": ids["member_id_number"]})
        response = client.post(url, data)
    else:
        response = client.get(url)
    _close(response)
    return response


def _close(response: Any) -> None:
    """Close a file download (it holds its file open) without the end-of-request signal
    closing the test's database connection, as the test client itself arranges."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


# --- console --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "pattern"), CONSOLE, ids=[n for n, _ in CONSOLE])
def test_console_route_is_scoped(db, matrix, name, pattern):
    sibling = _client(matrix.world.staff("district_a", "admin"))
    owner = _client(matrix.world.staff(*OWNERS.get(name, ("district_b", "admin"))))
    unknown = set(pattern.converters) - set(matrix.ids)
    assert not unknown, f"{name}: teach the scope matrix the URL parameters {unknown}"
    if name in POST_ONLY:
        assert (
            sibling.get(
                reverse(name, kwargs={k: matrix.ids[k] for k in pattern.converters})
            ).status_code
            == 405
        )
    response = _console_call(sibling, name, pattern, matrix.ids)
    if pattern.converters and name not in PUBLIC_BY_DESIGN and set(pattern.converters) != {"kind"}:
        assert response.status_code == 404, (
            f"{name} answered {response.status_code} to another branch"
        )
    else:
        assert response.status_code == 200, name
        if name not in PUBLIC_BY_DESIGN and response.get("Content-Type", "").startswith(
            "text/html"
        ):
            page = response.content.decode()
            leaked = [s for s in SENTINELS if s in page]
            assert not leaked, f"{name} shows another branch's {leaked}"
    response = _console_call(owner, name, pattern, matrix.ids)
    assert response.status_code in {200, 204, 302}, f"{name}: {response.status_code}"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("console:member_list", {"org": "org_id"}),
        ("console:coverage", {"org": "org_id"}),
        ("console:member_list", {"employer": "enterprise_id"}),
    ],
)
def test_query_parameters_naming_another_branch_are_not_found(db, matrix, name, params):
    query = {key: matrix.ids[value] for key, value in params.items()}
    sibling = _client(matrix.world.staff("district_a", "admin"))
    assert sibling.get(reverse(name), query).status_code == 404
    owner = _client(matrix.world.staff("district_b", "admin"))
    assert owner.get(reverse(name), query).status_code == 200


EXPORTABLE_LISTS = {
    "console:org_tree",
    "console:enterprise_list",
    "console:place_list",
    "console:member_list",
    "console:join_list",
    "console:transfer_list",
    "console:founding_list",
    "console:home_list",
    "console:brand_list",
    "console:coverage",
    "console:staff_list",
    "console:access_log",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("name", sorted(EXPORTABLE_LISTS))
def test_every_list_exports_within_scope(db, matrix, name):
    from io import BytesIO

    from openpyxl import load_workbook

    def sheet_text(user: Any, query: dict[str, str]) -> str:
        response = _client(user).get(reverse(name), {"format": "xlsx", **query})
        assert response.status_code == 200 and response["Content-Type"] == XLSX, name
        workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
        return " ".join(str(c) for row in workbook.active.iter_rows(values_only=True) for c in row)

    everything = {"status": ""}  # lists that default to pending requests: show all
    sibling = sheet_text(matrix.world.staff("district_a", "admin"), everything)
    assert not [s for s in SENTINELS if s in sibling], name
    if name in {"console:member_list", "console:enterprise_list", "console:place_list"}:
        owner = sheet_text(matrix.world.staff("district_b", "admin"), everything)
        assert [s for s in SENTINELS if s in owner], f"{name}: the owner's export is empty"


# --- portal -----------------------------------------------------------------------------------

PORTAL_IDS = {"join_id": "worker_join_id", "transfer_id": "worker_transfer_id"}


@pytest.mark.parametrize(("name", "pattern"), PORTAL, ids=[n for n, _ in PORTAL])
def test_portal_route_shows_a_worker_only_their_own(db, matrix, name, pattern):
    params = set(pattern.converters)
    if not params or name in PUBLIC_BY_DESIGN:
        return  # the worker's own pages (no ids) or public by design
    unknown = params - set(PORTAL_IDS)
    assert not unknown, f"{name}: teach the scope matrix the URL parameters {unknown}"
    kwargs = {key: matrix.ids[PORTAL_IDS[key]] for key in params}
    url = reverse(name, kwargs=kwargs)
    other = _client(matrix.worker_a)
    method = "post" if name.endswith(("withdraw", "cancel")) else "get"
    assert getattr(other, method)(url).status_code == 404
    owner_user = matrix.worker_b if "transfer" in name else matrix.worker_b.lonely
    assert getattr(_client(owner_user), method)(url).status_code in {200, 302}


# --- API ----------------------------------------------------------------------------------------

AUTH_OPERATIONS = {
    "/api/auth/otp",
    "/api/auth/token",
    "/api/auth/token/password",
    "/api/auth/register",
    "/api/auth/logout",
}


def _payload(method: str, path: str, ids: dict[str, Any], world: World) -> dict[str, Any] | None:
    """A valid body for each write, so the request reaches the scope check."""
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/organizations/{org_id}/children"): {
            "name": "新基层工会",
            "kind": "grassroots",
            "grassroots_kind": "enterprise",
        },
        ("PATCH", "/api/organizations/{org_id}"): {"phone": "0573-1234567"},
        ("POST", "/api/organizations/{org_id}/move"): {
            "new_parent_id": world.orgs["town_b2"].pk,
            "reason": "区划调整",
        },
        ("POST", "/api/enterprises"): {
            "name": "新公司",
            "credit_code": new_credit_code(),
            "industry": "C",
            "employee_count": 5,
            "area_id": world.town_b.pk,
        },
        ("PATCH", "/api/enterprises/{enterprise_id}"): {"employee_count": 120},
        ("POST", "/api/members"): {
            "union_id": world.union_b.pk,
            "name": "新会员",
            "id_number": new_id_number(),
            "joined_on": "2024-01-01",
        },
        ("POST", "/api/members/lookup"): {"id_number": ids["member_id_number"]},
        ("POST", "/api/members/{membership_id}/reveal"): {"field": "id_number", "reason": "verify"},
        ("POST", "/api/members/{membership_id}/leave"): {
            "reason": "retired",
            "ended_on": datetime.date.today().isoformat(),  # noqa: DTZ011
        },
        ("POST", "/api/members/{membership_id}/transfer"): {
            "to_union_id": world.union_b2.pk,
            "reason": "调动",
        },
        ("POST", "/api/join-applications/{join_id}/decision"): {"approve": True},
        ("POST", "/api/transfers/{transfer_id}/decision"): {"approve": True},
        ("POST", "/api/foundings"): {
            "parent_id": world.town_b.pk,
            "proposed_name": "B4号工会",
            "grassroots_kind": "enterprise",
            "enterprise_ids": [ids["spare_enterprise"]],
            "chair_name": "王",
            "initial_members": 5,
            "planned_on": "2024-06-01",
        },
        ("POST", "/api/foundings/{founding_id}/decision"): {"approve": True},
        ("POST", "/api/homes/{assessment_id}/decision"): {"approve": True},
        ("POST", "/api/brands/{brand_id}/score"): {"score": "91.5"},
        ("POST", "/api/transfers/{transfer_id}/cancel"): {},
    }
    if method == "GET":
        return None
    key = (method, path)
    assert key in bodies, f"{method} {path}: give the scope matrix a valid body"
    return bodies[key]


def _api(client: Client, method: str, url: str, token: str, body: dict[str, Any] | None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is None:
        return getattr(client, method.lower())(url, **headers)
    return getattr(client, method.lower())(
        url, json.dumps(body), content_type="application/json", **headers
    )


def _is_worker_path(path: str) -> bool:
    return path == "/api/me" or path.startswith("/api/me/")


STAFF_OPERATIONS = [
    op for op in OPERATIONS if not _is_worker_path(op[1]) and not op[1].startswith("/api/auth/")
]
WORKER_OPERATIONS = [op for op in OPERATIONS if _is_worker_path(op[1])]
# Writes without an id in the path whose body names another branch's organisation.
BODY_NAMES_ANOTHER_BRANCH = {
    ("POST", "/api/enterprises"),
    ("POST", "/api/foundings"),
    ("POST", "/api/members"),
}


@pytest.mark.parametrize(
    ("method", "path"), STAFF_OPERATIONS, ids=[f"{m} {p}" for m, p in STAFF_OPERATIONS]
)
def test_api_operation_is_scoped(db, matrix, method, path):
    world, ids = matrix.world, matrix.ids
    params = {"org_id": world.union_b.pk, **{k: v for k, v in ids.items() if k != "org_id"}}
    if path.startswith("/api/members/{membership_id}/"):
        params["membership_id"] = ids["free_membership_id"]  # no transfer pending on it
    if path.startswith("/api/organizations/{org_id}") and not path.endswith("coverage"):
        params["org_id"] = world.union_b2.pk if path.endswith("/move") else world.town_b.pk
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    unknown = set(names) - set(params)
    assert not unknown, f"{path}: teach the scope matrix the parameters {unknown}"
    url = path.format(**{n: params[n] for n in names})
    body = _payload(method, path, ids, world)
    sibling_key, _ = api_token_issue(user=world.staff("district_a", "admin"))
    response = _api(Client(), method, url, sibling_key, body)
    if names or (method, path) in BODY_NAMES_ANOTHER_BRANCH:
        assert response.status_code == 404, (
            f"{method} {path}: {response.status_code} {response.content[:200]}"
        )
    else:
        assert response.status_code in {200, 201, 422}, f"{method} {path}: {response.status_code}"
        text = response.content.decode()
        if response.status_code < 300:
            assert not [s for s in SENTINELS if s in text], f"{method} {path} leaks"
    owner_key, _ = api_token_issue(user=world.staff("district_b", "admin"))
    response = _api(Client(), method, url, owner_key, _payload(method, path, ids, world))
    assert response.status_code < 300, (
        f"{method} {path}: {response.status_code} {response.content[:300]}"
    )


@pytest.mark.parametrize(
    ("method", "path"), WORKER_OPERATIONS, ids=[f"{m} {p}" for m, p in WORKER_OPERATIONS]
)
def test_api_worker_operation_shows_only_their_own(db, matrix, method, path):
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    if not names:
        return  # the worker's own records, found through their account
    ids = {"join_id": matrix.ids["worker_join_id"], "transfer_id": matrix.ids["worker_transfer_id"]}
    url = path.format(**{n: ids[n] for n in names})
    other_key, _ = api_token_issue(user=matrix.worker_a)
    assert (
        _api(Client(), method, url, other_key, {} if method == "POST" else None).status_code == 404
    )
    owner = matrix.worker_b if "transfer" in path else matrix.worker_b.lonely
    owner_key, _ = api_token_issue(user=owner)
    assert (
        _api(Client(), method, url, owner_key, {} if method == "POST" else None).status_code == 200
    )


def test_every_api_operation_is_covered():
    covered = set(STAFF_OPERATIONS) | set(WORKER_OPERATIONS)
    rest = {op for op in OPERATIONS if op not in covered}
    assert {path for _, path in rest} <= AUTH_OPERATIONS
