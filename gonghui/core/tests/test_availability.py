"""A backing service down: the cache (pointed at a port where nothing listens) or the
database. Only-a-cache work goes on; a guard refuses with 503; nothing answers 500."""

import json

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import Client, RequestFactory

from gonghui.core.middleware import ServiceUnavailableMiddleware

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: connection refused
    }
}


@pytest.fixture
def redis_down(settings):
    settings.CACHES = DEAD_REDIS


def test_a_sign_in_code_with_the_cache_down_is_refused_with_a_json_503(db, redis_down):
    response = Client().post(
        "/api/auth/otp", json.dumps({"mobile": "13957300009"}), content_type="application/json"
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "暂时不可用" in response.json()["detail"]


def test_the_booking_rule_is_read_from_the_database_with_the_cache_down(db, redis_down):
    from gonghui.culture.services import rules

    assert rules.rules_current().pk is not None


def test_a_page_meeting_a_restarting_database_answers_a_friendly_503():
    def view(request):
        raise OperationalError("terminating connection due to administrator command")

    middleware = ServiceUnavailableMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/console/")
    response = middleware.process_exception(request, view_error(view, request))
    assert response is not None and response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "服务暂时不可用" in response.content.decode()


def test_other_errors_are_left_to_the_500_page():
    middleware = ServiceUnavailableMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/console/")
    assert middleware.process_exception(request, ValueError("a bug")) is None
    assert middleware.process_exception(request, FileNotFoundError("x")) is None


def view_error(view, request):
    try:
        view(request)
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("the view did not fail")


@pytest.mark.parametrize(
    ("path", "json_body"), [("/console/", False), ("/api/me/bookings", True), ("/m/", False)]
)
def test_a_database_restart_met_in_a_middleware_answers_503_not_500(db, settings, path, json_body):
    """The session or the user is read by a middleware before any view runs, where no
    ``process_exception`` sees the error: the 500 handler tells a restarting database apart."""
    from unittest import mock

    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load",
        side_effect=OperationalError("the database system is shutting down"),
    ):
        response = client.get(path)
    assert response.status_code == 503, response.content[:200]
    assert response["Retry-After"] == "10"
    if json_body:
        assert "暂时不可用" in response.json()["detail"]
    else:
        assert "服务暂时不可用" in response.content.decode()


def test_a_bug_still_answers_the_500_page(db, settings):
    from unittest import mock

    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load", side_effect=ValueError("bug")
    ):
        response = client.get("/console/")
    assert response.status_code == 500 and "系统出错了" in response.content.decode()
