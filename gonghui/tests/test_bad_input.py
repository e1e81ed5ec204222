"""The bad-input corpus, sent to every text, number and date field of every write operation of
the API: each value is refused with a 4xx and a Chinese message, or stored exactly as sent;
never a server error, and a refused request writes nothing at all.

The operations and their fields come from the OpenAPI document, and each starts from the valid
body the scope matrix sends, so a new write operation is covered without being listed here.
Every request runs in a savepoint that is rolled back, so each value meets the same records.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from gonghui.accounts.services import api_token_issue
from gonghui.api import api
from gonghui.testing.database import changed_tables, row_counts
from gonghui.tests.test_scope_matrix import (
    API_OWNERS,
    OWNER,
    WORKERS_ONLY,
    _payload,
    matrix,  # noqa: F401 (the fixture, built once for this module)
    staff_api_url,
)

TEXT = [
    "\x00",
    "工资\x01拖欠",
    "行一\n行二",
    "\u202e三张",  # right-to-left override
    "\u200f李四",  # right-to-left mark
    "\ud800",  # a lone surrogate
    "👩‍👩‍👧 一家🎉",
    "长" * 10_000,
    '=HYPERLINK("http://x","y")',
    "+1-1",
    "<script>alert(1)</script>",
    "<b>粗</b>",
    "１２３４５",  # full-width digits
    "   ",
    "",
]
NUMBERS: list[Any] = [
    2**63,
    2**64,
    -(2**63) - 1,
    -1,
    0,
    2_147_483_648,
    1e308,
    math.inf,
    math.nan,
    1.5,
    "１２",
    "12",
    True,
]
DATES = [
    "9999-12-31",
    "0001-01-01",
    "1899-12-31",
    "2026-02-30",
    "2026-13-01",
    "０２０２６-０１-０１",
    "2026-1-1",
    "2026-12-05T25:00:00+08:00",
    "2030-01-01T09:00:00",  # no time zone: read in Asia/Shanghai, or refused
    "not a date",
    12345,
]
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# No field of any kind may take these: what no column can hold or no person can mean.
ALWAYS_REFUSED: list[Any] = [
    "\x00",
    "工资\x01拖欠",
    "\u202e三张",
    "\ud800",
    "长" * 10_000,
    2**64,
    -(2**63) - 1,
    math.inf,
    "9999-12-31",
    "2026-02-30",
]
SCHEMA = api.get_openapi_schema()


def _claim_body(ids: dict[str, Any]) -> dict[str, Any]:
    """A mutual-aid claim of the scope matrix's insured worker (``worker_b.lonely``)."""
    from gonghui.tests.test_scope_matrix import _mutualaid_claim_body

    return _mutualaid_claim_body(ids, "0099")


# /api/me operations: the worker's own writes, with the bodies they need (or, for a body
# that names the scope matrix's records, the function of its ids that makes it).
WORKER_BODIES: dict[tuple[str, str], dict[str, Any] | Callable[[dict[str, Any]], Any]] = {
    ("POST", "/api/me/mutualaid/claims"): _claim_body,
    ("POST", "/api/me/mutualaid/claims/preview"): _claim_body,
    ("POST", "/api/me/mutualaid/enrolments"): lambda ids: {"period_id": ids["ma_period_id"]},
    ("POST", "/api/me/cases"): {
        "service_type": "hardship",
        "title": "大病救助",
        "description": "家人重病。",
    },
    ("POST", "/api/me/cases/{case_id}/withdraw"): {"reason": "已自行解决"},
    ("POST", "/api/me/cases/{case_id}/confirm"): {"rating": 5, "comment": "满意"},
    ("POST", "/api/me/counselling/slots/{slot_id}/book"): {"topic": "工作压力"},
    ("POST", "/api/me/transfer-requests"): {"to_union_id": None, "reason": "换工作"},
    ("POST", "/api/me/join-applications"): {"union_id": None, "employer_name": "B2号公司"},
    ("POST", "/api/me/privacy"): {"version": "2026-12"},
    ("POST", "/api/me/assistance/rounds/{round_id}/applications"): {
        "beneficiary": "child",
        "beneficiary_name": "王小明",
        "school": "嘉兴学院",
        "education_level": "bachelor",
        "admission_year": 2017,
        "note": "家庭困难",
        "account_holder": "王",
        "bank_name": "农业银行",
        "bank_card": "6228480328123456789",
    },
}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = SCHEMA["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _kind(node: dict[str, Any]) -> str | None:
    """ "text", "number" or "date" for a scalar field; None for anything else."""
    node = _resolve(node)
    options = [_resolve(o) for o in node.get("anyOf", [node])]
    types = {o.get("type") for o in options} | {o.get("format") for o in options}
    if types & {"date", "date-time"}:
        return "date"
    if types & {"integer", "number"}:
        return "number"
    if "string" in types and not any("enum" in o for o in options):
        return "text"
    return None


def _fields(method: str, path: str) -> dict[str, str]:
    body = SCHEMA["paths"][path][method.lower()].get("requestBody", {})
    media = body.get("content", {}).get("application/json")
    if media is None:
        return {}
    properties = _resolve(media["schema"]).get("properties", {})
    return {name: kind for name, node in properties.items() if (kind := _kind(node))}


def _writes(*, worker: bool) -> list[tuple[str, str]]:
    """Write operations with a JSON body: the worker's own (``/api/me``) or the staff's."""
    return sorted(
        (method.upper(), path)
        for path, methods in SCHEMA["paths"].items()
        for method in methods
        if method in ("post", "put", "patch")
        and (path == "/api/me" or path.startswith("/api/me/")) == worker
        and not path.startswith("/api/auth")
        and _fields(method.upper(), path)
    )


STAFF_WRITES = _writes(worker=False)
WORKER_WRITES = [w for w in _writes(worker=True) if w in WORKER_BODIES]


def _writes_so_far() -> int:
    """Rows this connection has inserted, updated or deleted so far, rolled back or not."""
    if connection.vendor == "sqlite":
        return int(connection.connection.total_changes)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)"
            " FROM pg_stat_xact_user_tables"
        )
        return int(cursor.fetchone()[0])


def _messages(response: Any) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        return [response.content.decode(errors="replace")]
    found = [str(body.get("detail", ""))]
    found += [str(e.get("message", "")) for e in body.get("errors", [])]
    return found


def _always_refused(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return True
    return any(type(value) is type(v) and value == v for v in ALWAYS_REFUSED)


def _strings(node: Any) -> set[str]:
    """Every string in a JSON answer: an accepted value must come back as it was sent."""
    if isinstance(node, str):
        return {node}
    if isinstance(node, dict):
        return set().union(*(_strings(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_strings(v) for v in node)) if node else set()
    return set()


def _send(client: Client, method: str, url: str, key: str, body: dict[str, Any]) -> Any:
    return getattr(client, method.lower())(
        url,
        json.dumps(body),  # ASCII escapes: a lone surrogate travels as \\ud800
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def _corpus(kind: str) -> list[Any]:
    # Each kind gets its own corpus and a value of another kind.
    return {"text": [*TEXT, 42], "number": [*NUMBERS, "十二"], "date": [*DATES, "长" * 10_000]}[
        kind
    ]


# Text fields whose answer is masked personal data (a claim's diagnosis): what was stored
# cannot be read back from the answer.
MASKED_IN_ANSWERS = {"diagnosis"}


def _probe(method: str, path: str, url: str, key: str, body: dict[str, Any]) -> list[str]:
    client = Client()
    problems: list[str] = []
    # The valid body itself must work, or the corpus tests nothing.
    with transaction.atomic():
        response = _send(client, method, url, key, body)
        transaction.set_rollback(True)
    assert response.status_code < 300, f"{method} {path}: {response.content[:300]!r}"
    baseline = row_counts()
    for field, kind in _fields(method, path).items():
        for value in _corpus(kind):
            where = f"{method} {path} {field}={str(value)[:20]!r}"
            with transaction.atomic():
                before = _writes_so_far()
                response = _send(client, method, url, key, {**body, field: value})
                status = response.status_code
                if status >= 500:
                    problems.append(f"{where}: {status}")
                elif status < 400 and _always_refused(value):
                    problems.append(f"{where}: accepted ({status})")
                elif status >= 400:
                    if not any(CHINESE.search(m) for m in _messages(response)):
                        problems.append(f"{where}: {status} without a Chinese message")
                    if _writes_so_far() != before and changed_tables(baseline):
                        problems.append(f"{where}: refused but wrote {changed_tables(baseline)}")
                elif field in MASKED_IN_ANSWERS:
                    pass  # personal data: the answer shows it masked, by design
                elif kind == "text" and isinstance(value, str) and value.strip():
                    answer = response.json() if response.content else None
                    if isinstance(answer, dict) and field in answer:
                        if value.strip() not in _strings(answer):
                            problems.append(f"{where}: not stored as sent")
                transaction.set_rollback(True)
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"), STAFF_WRITES, ids=[f"{m} {p}" for m, p in STAFF_WRITES]
)
def test_staff_write_survives_the_corpus(matrix, method, path):  # noqa: F811
    url, _names = staff_api_url(matrix, path)
    user = matrix.world.staff(*API_OWNERS.get((method, path), OWNER))
    if (method, path) in WORKERS_ONLY:
        user = matrix.worker_b
    key, _token = api_token_issue(user=user)
    body = _payload(method, path, matrix.ids, matrix.world)
    assert _probe(method, path, url, key, body) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"), WORKER_WRITES, ids=[f"{m} {p}" for m, p in WORKER_WRITES]
)
def test_worker_write_survives_the_corpus(matrix, method, path):  # noqa: F811
    ids = {
        "case_id": matrix.ids["case_id"],
        "slot_id": _free_slot(matrix).pk,
        "round_id": matrix.ids["open_round_id"],  # a round the worker has not applied to
    }
    if path.endswith("/confirm"):
        ids["case_id"] = matrix.ids["resolved_case_id"]
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    url = path.format(**{n: ids[n] for n in names})
    template = WORKER_BODIES[(method, path)]
    body = dict(template(matrix.ids) if callable(template) else template)
    for key in ("to_union_id", "union_id"):
        if key in body:
            body[key] = matrix.world.union_b2.pk
    worker = matrix.worker_b
    if "/mutualaid/claims" in path:
        worker = matrix.worker_b.lonely  # the one insured in the claims period
    if path.endswith(("/join-applications", "/transfer-requests")):
        # Someone with no request pending: a newcomer to join, a member of union_b to move.
        worker = matrix.world.worker(None if path.endswith("/join-applications") else "union_b")
    key, _token = api_token_issue(user=worker)
    assert _probe(method, path, url, key, body) == []


def _free_slot(built: Any) -> Any:
    from django.utils import timezone

    from gonghui.casework.services import counselling as counselling_services

    return counselling_services.slot_publish(
        actor=built.world.staff("district_b", "clerk"),
        starts_at=timezone.now() + datetime.timedelta(days=4),
        minutes=50,
        place="B中心",
    )


def test_every_worker_write_with_a_body_is_probed():
    assert [w for w in _writes(worker=True) if w not in WORKER_BODIES] == []


def test_a_query_string_with_control_characters_is_a_clear_400(client):
    response = client.get("/console/members/?q=%00")
    assert response.status_code == 400
    assert "控制字符" in response.content.decode()
    response = client.get("/api/organizations?q=a%01b")
    assert response.status_code == 400 and "控制字符" in response.json()["detail"]


# --- console forms ---------------------------------------------------------------------------

FORM_TEXT = ["\x00", "工资\x01拖欠", "\u202e三张", "长" * 10_000, "=1+1", "<script>x</script>"]
FORM_NUMBER = ["99999999999999999999999", "-1", "１２", "1e309", "abc"]
FORM_DATE = ["9999-12-31", "2026-02-30", "０２０２６-０１-０１", "abc"]
FORM_KIND = {
    "text": "text",
    "search": "text",
    "tel": "text",
    "email": "text",
    "textarea": "text",
    "number": "number",
    "date": "date",
    "datetime-local": "date",
    "time": "date",
}


class _Forms(HTMLParser):
    """The POST forms of a page: action, and each field with its type and current value."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._form = {"action": a.get("action", ""), "fields": {}, "values": {}}
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a or name not in self._form["values"]:
                    self._form["values"][name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._form["values"][name] = a.get("value", "")
                if kind in FORM_KIND and kind != "hidden":
                    self._form["fields"][name] = FORM_KIND[kind]
        elif tag == "textarea":
            self._textarea = name
            self._form["values"][name] = ""
            self._form["fields"][name] = "text"
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            values = self._form["values"]
            if "selected" in a or (self._select not in values and a.get("value")):
                values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form["values"][self._textarea] += data


def _console_pages() -> list[tuple[str, Any]]:
    from gonghui.tests.test_scope_matrix import CONSOLE, POST_ONLY

    return [(n, p) for n, p in CONSOLE if n not in POST_ONLY]


CONSOLE_PAGES = _console_pages()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "pattern"), CONSOLE_PAGES, ids=[n for n, _ in CONSOLE_PAGES])
def test_console_form_survives_the_corpus(matrix, name, pattern):  # noqa: F811
    from django.urls import reverse

    from gonghui.tests.test_scope_matrix import OWNERS, _close

    client = Client()
    client.force_login(matrix.world.staff(*OWNERS.get(name, ("district_b", "admin"))))
    url = reverse(name, kwargs={key: matrix.ids[key] for key in pattern.converters})
    page = client.get(url)
    if "text/html" not in page.get("Content-Type", ""):
        _close(page)  # a download holds its file open
        return
    parser = _Forms()
    parser.feed(page.content.decode())
    baseline = row_counts()
    problems: list[str] = []
    corpus = {"text": FORM_TEXT, "number": FORM_NUMBER, "date": FORM_DATE}
    for form in parser.forms:
        action = form["action"] or url
        for field, kind in form["fields"].items():
            for value in corpus[kind]:
                where = f"{name} {action} {field}={value[:20]!r}"
                with transaction.atomic():
                    before = _writes_so_far()
                    response = client.post(action, {**form["values"], field: value})
                    status = response.status_code
                    if status >= 500:
                        problems.append(f"{where}: {status}")
                    elif status == 200 and _writes_so_far() != before:
                        if changed_tables(baseline):
                            problems.append(f"{where}: refused but wrote")
                    transaction.set_rollback(True)
    assert problems == []
