"""Schemathesis against the API's own OpenAPI document, as each kind of account: a staff clerk,
a worker, and the city's administrator. Any server error, or any answer that the document does
not describe (status, content type, body), fails.

The accounts act on the scope matrix's small city (built once for the module), so generated
requests meet real records as well as missing ones. The seed and the number of examples are
fixed, so a run is repeatable and stays within a few minutes; ``GONGHUI_FUZZ_EXAMPLES`` raises
the number for a longer hunt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gonghui.accounts.services import api_token_issue
from gonghui.tests.test_scope_matrix import matrix  # noqa: F401 (the fixture)

EXAMPLES = int(os.environ.get("GONGHUI_FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
# Signing out revokes the token the run is using; it is exercised by the API tests.
schema = schema.exclude(path="/api/auth/logout")


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection when a request starts and finishes;
    in a test that would end the test's transaction. Django's test client does the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _account(built: Any, who: str) -> Any:
    if who == "worker":
        return built.worker_b
    if who == "clerk":
        return built.world.staff("town_b", "clerk")
    return built.world.staff("city", "admin")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["clerk", "worker", "admin"])
@schema.parametrize()
@seed(2018)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_document_says(matrix, who, case):  # noqa: F811
    key, _token = api_token_issue(user=_account(matrix, who))
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
