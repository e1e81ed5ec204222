"""Password sign-in is throttled per account and per address, the same way on the console's
form, the portal's form and the API; one-time codes keep their own limits."""

import datetime
import logging

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse

from gonghui.accounts import services
from gonghui.accounts.models import SignInFailure
from gonghui.conftest import sms_code
from gonghui.core.web import client_ip
from gonghui.testing.world import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = "密码错误次数过多"


def _console(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def _api(client, login, password):
    return client.post(
        "/api/auth/token/password",
        {"login": login, "password": password},
        content_type="application/json",
    )


def _let_time_pass(seconds):
    """Move every recorded failure into the past instead of waiting."""
    SignInFailure.objects.update(at=F("at") - datetime.timedelta(seconds=seconds))


@pytest.fixture
def signin_log():
    """Records of the "gonghui" logger (it does not propagate to the root, where caplog
    listens)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.INFO)
    logger = logging.getLogger("gonghui")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def test_thirty_wrong_passwords_on_the_console_lock_the_account_until_the_lock_ends(
    world, client, settings
):
    # given a clerk's account
    username = "town_a-clerk"
    # when 30 wrong passwords are sent
    pages = [_console(client, username, f"wrong-{i}").content.decode() for i in range(30)]
    # then the first four say the password is wrong and every later one that it is locked
    limit = settings.GONGHUI_SIGNIN_ACCOUNT_FAILURES
    assert all("登录名或密码不正确" in page for page in pages[: limit - 1])
    assert all(f"{LOCKED}，请 1 分钟后再试。" in page for page in pages[limit - 1 :])
    # only the failures before the lock were checked and counted
    assert SignInFailure.objects.count() == limit
    # and the right password is refused while the account is locked
    refused = _console(client, username, PASSWORD)
    assert refused.status_code == 200 and LOCKED in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # when the lock has run out
    _let_time_pass(settings.GONGHUI_SIGNIN_LOCK_SECONDS + 1)
    # then the right password works
    assert _console(client, username, PASSWORD).url == "/console/"
    assert client.session["_auth_user_id"] == str(world.staff("town_a", "clerk").pk)
    # and the account's count starts again: one more mistake is just a mistake
    client.logout()
    again = _console(client, username, "wrong-again").content.decode()
    assert "登录名或密码不正确" in again and LOCKED not in again


def test_the_api_answers_a_locked_account_with_429_and_retry_after(world, client, settings):
    for i in range(30):
        _api(client, "city-admin", f"wrong-{i}")
    response = _api(client, "city-admin", PASSWORD)
    assert response.status_code == 429
    assert response.json() == {"detail": "密码错误次数过多，请 1 分钟后再试。"}
    assert 0 < int(response["Retry-After"]) <= settings.GONGHUI_SIGNIN_LOCK_SECONDS
    _let_time_pass(settings.GONGHUI_SIGNIN_LOCK_SECONDS + 1)
    assert _api(client, "city-admin", PASSWORD).status_code == 200


def test_the_api_documents_its_429(client):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/auth/token/password"]["post"]
    locked = operation["responses"]["429"]
    assert locked["content"]["application/json"]["schema"]["$ref"].endswith("/Message")
    assert locked["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert "Retry-After" in operation["description"]


def test_the_console_and_the_api_share_one_count(world, client, settings):
    for i in range(settings.GONGHUI_SIGNIN_ACCOUNT_FAILURES - 1):
        _api(client, "town_b-clerk", f"wrong-{i}")
    page = _console(client, "town_b-clerk", "wrong-last").content.decode()
    assert f"{LOCKED}，请 1 分钟后再试。" in page
    assert _api(client, "town_b-clerk", PASSWORD).status_code == 429


def test_each_further_failure_after_a_lock_doubles_it_up_to_the_cap(world, settings):
    def fail():
        return services.password_sign_in(
            login="union_a-clerk",
            password="wrong",
            address="192.0.2.1",
            channel="console",
            accounts="staff",
        )

    first = settings.GONGHUI_SIGNIN_LOCK_SECONDS
    for _ in range(settings.GONGHUI_SIGNIN_ACCOUNT_FAILURES - 1):
        assert fail() is None
    locks = []
    for _ in range(10):
        with pytest.raises(services.SignInThrottledError) as caught:
            fail()
        locks.append(caught.value.retry_after)
        _let_time_pass(caught.value.retry_after)
    assert locks[:4] == [first, 2 * first, 4 * first, 8 * first]
    assert max(locks) == locks[-1] == settings.GONGHUI_SIGNIN_LOCK_MAX_SECONDS


def test_one_address_trying_many_accounts_is_throttled(world, settings):
    # given an address that tried a different (wrong) account name each time
    guesser = Client(REMOTE_ADDR="198.51.100.7")
    limit = settings.GONGHUI_SIGNIN_ADDRESS_FAILURES
    answers = [_api(guesser, f"nobody-{i}", "wrong").status_code for i in range(limit)]
    assert answers[:-1] == [422] * (limit - 1) and answers[-1] == 429
    # then even a real account's right password is refused from that address
    refused = _console(guesser, "district_a-clerk", PASSWORD)
    assert LOCKED in refused.content.decode()
    # while the same account signs in from elsewhere
    assert _console(Client(REMOTE_ADDR="203.0.113.9"), "district_a-clerk", PASSWORD).url
    # and that account's success does not give the guessing address more tries
    assert LOCKED in _console(guesser, "district_b-clerk", PASSWORD).content.decode()


def test_an_ipv6_guesser_cannot_rotate_through_its_own_range(world, settings):
    def guess(i, address):
        return services.password_sign_in(
            login=f"nobody-{i}", password="wrong", address=address, channel="api", accounts="any"
        )

    limit = settings.GONGHUI_SIGNIN_ADDRESS_FAILURES
    for i in range(limit - 1):
        assert guess(i, f"2001:db8:1:2::{i + 1:x}") is None
    with pytest.raises(services.SignInThrottledError):
        guess(limit, "2001:db8:1:2::ffff")
    with pytest.raises(services.SignInThrottledError):
        guess(limit + 1, "2001:db8:1:2:ffff:ffff:ffff:1")
    assert guess(limit + 2, "2001:db8:1:3::1") is None  # the next /64 is someone else


def test_the_portal_password_form_is_throttled_too(world, client, settings):
    worker = world.worker("union_a")
    services.worker_set_password(actor=worker, password="a-good-pass-2024")
    form = {"mode": "password", "pw-mobile": worker.test_mobile, "pw-password": "wrong"}
    for _ in range(settings.GONGHUI_SIGNIN_ACCOUNT_FAILURES):
        page = client.post(reverse("portal:login"), form).content.decode()
    assert LOCKED in page
    form["pw-password"] = "a-good-pass-2024"
    assert LOCKED in client.post(reverse("portal:login"), form).content.decode()
    # the worker's mobile is the same account on the API
    assert _api(client, worker.test_mobile, "a-good-pass-2024").status_code == 429


def test_a_locked_password_leaves_one_time_codes_to_their_own_limits(
    world, client, settings, outbox, django_capture_on_commit_callbacks
):
    worker = world.worker("union_a")
    for i in range(settings.GONGHUI_SIGNIN_ACCOUNT_FAILURES):
        _api(client, worker.test_mobile, f"wrong-{i}")
    assert _api(client, worker.test_mobile, "anything").status_code == 429
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/auth/otp", {"mobile": worker.test_mobile}, "application/json")
    code = sms_code(outbox)
    signed_in = client.post(
        "/api/auth/token", {"mobile": worker.test_mobile, "code": code}, "application/json"
    )
    assert signed_in.status_code == 200


def test_failures_and_locks_are_logged(world, client, settings, signin_log):
    for i in range(settings.GONGHUI_SIGNIN_ACCOUNT_FAILURES + 1):
        _console(client, "town_a-reviewer", f"wrong-{i}")
    failed = [r.getMessage() for r in signin_log if r.name == "gonghui.accounts.signin"]
    assert sum("password sign-in failed" in m for m in failed) == 5
    assert all("'town_a-reviewer'" in m and "127.0.0.1" in m for m in failed)
    assert "locked for 60 s" in failed[4]
    assert "refused while locked" in failed[5]
    assert [r.levelno for r in signin_log if "failed" in r.getMessage()] == [logging.WARNING] * 5


def test_a_mobile_number_is_not_written_in_clear(world, client, signin_log):
    worker = world.worker("union_a")
    _api(client, worker.test_mobile, "wrong")
    message = next(r.getMessage() for r in signin_log if r.name == "gonghui.accounts.signin")
    assert worker.test_mobile not in message and worker.test_mobile[-4:] in message
    row = SignInFailure.objects.values().get()
    assert not any(worker.test_mobile in str(value) for value in row.values())


def test_old_failures_are_pruned(world, client, settings):
    _api(client, "city-admin", "wrong")
    _let_time_pass(settings.GONGHUI_SIGNIN_ACCOUNT_WINDOW_SECONDS + 1)
    _api(client, "city-clerk", "wrong")
    assert SignInFailure.objects.count() == 1


def test_the_client_address_comes_from_a_proxy_header_only_when_configured(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.44")
    settings.GONGHUI_CLIENT_IP_HEADER = ""
    assert client_ip(request) == "10.0.0.2"
    settings.GONGHUI_CLIENT_IP_HEADER = "X-Forwarded-For"
    assert client_ip(request) == "192.0.2.44"
    forged = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not an address")
    assert client_ip(forged) == "10.0.0.2"
