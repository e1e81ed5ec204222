"""The privacy notice: explicit consent before the portal and the worker API, recorded with
who, version, when and channel, withdrawable, and asked again for a new version."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from gonghui.accounts import selectors, services
from gonghui.accounts.models import ConsentEnd, PrivacyConsent
from gonghui.accounts.services import api_token_issue

VERSION = "2026-12"


def test_a_worker_who_has_not_agreed_is_shown_the_notice_before_any_portal_page(client, world):
    # given a registered worker who never agreed
    worker = world.worker("union_a", consent=False)
    client.force_login(worker)
    for name in ("portal:home", "portal:card", "portal:inbox", "portal:culture_sessions"):
        # when they open a portal page
        response = client.get(reverse(name))
        # then they are sent to the notice, and back afterwards
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:privacy") + "?next=")
    page = client.get(reverse("portal:privacy")).content.decode()
    assert "敏感个人信息" in page and "身份证号" in page and 'data-testid="consent-form"' in page
    # The portal's tabs would only lead back here: they come with the consent.
    assert 'data-testid="nav-home"' not in page


def test_the_notice_keeps_the_portal_tabs_for_a_worker_who_has_agreed(client, world):
    client.force_login(world.worker("union_a"))
    page = client.get(reverse("portal:privacy")).content.decode()
    assert 'data-testid="nav-home"' in page and "consent-form" not in page


def test_agreeing_records_who_which_version_when_and_the_channel(client, world):
    worker = world.worker("union_a", consent=False)
    client.force_login(worker)
    response = client.post(
        reverse("portal:privacy") + "?next=/m/card/", {"version": VERSION, "agree": "1"}
    )
    assert response.status_code == 302 and response["Location"] == "/m/card/"
    consent = PrivacyConsent.objects.get(user=worker)
    assert (consent.version, consent.channel, consent.ended_at) == (VERSION, "portal", None)
    assert consent.given_at is not None
    assert client.get(reverse("portal:home")).status_code == 200


def test_without_the_box_ticked_nothing_is_recorded(client, world):
    worker = world.worker("union_a", consent=False)
    client.force_login(worker)
    client.post(reverse("portal:privacy"), {"version": VERSION})
    assert not PrivacyConsent.objects.filter(user=worker).exists()
    assert client.get(reverse("portal:home")).status_code == 302


def test_registering_comes_after_the_consent_since_it_takes_the_id_number(client, world, outbox):
    # given a new number signed in with a code (an account, no person yet, no consent)
    from gonghui.testing.factories import new_mobile

    mobile = new_mobile()
    user = services.worker_account_for_mobile(mobile=mobile)
    client.force_login(user)
    session = client.session
    session["portal_verified_mobile"] = mobile
    session.save()
    # then the registration form waits for the consent
    response = client.get(reverse("portal:register"))
    assert response["Location"].startswith(reverse("portal:privacy"))
    # and agreeing leads to it
    response = client.post(reverse("portal:privacy"), {"version": VERSION, "agree": "1"})
    assert response["Location"] == reverse("portal:register")
    assert client.get(reverse("portal:register")).status_code == 200


def test_withdrawing_is_recorded_signs_the_worker_out_and_the_notice_is_asked_again(client, world):
    worker = world.worker("union_a")
    client.force_login(worker)
    page = client.get(reverse("portal:privacy")).content.decode()
    assert 'data-testid="consent-status"' in page and "撤回同意" in page
    response = client.post(reverse("portal:privacy_withdraw"))
    assert response["Location"] == reverse("portal:login")
    ended = PrivacyConsent.objects.get(user=worker)
    assert ended.end_reason == ConsentEnd.WITHDRAWN and ended.ended_channel == "portal"
    assert ended.ended_at is not None
    # signed out; signing in again shows the notice again
    assert client.get(reverse("portal:home"))["Location"].startswith(reverse("portal:login"))
    client.force_login(worker)
    assert client.get(reverse("portal:home"))["Location"].startswith(reverse("portal:privacy"))


def test_a_new_notice_version_asks_again_and_supersedes_the_old_consent(client, world, settings):
    worker = world.worker("union_a")
    settings.GONGHUI_PRIVACY_NOTICE_VERSION = "2027-06"
    assert selectors.consent_in_force(user=worker) is None
    client.force_login(worker)
    assert client.get(reverse("portal:home"))["Location"].startswith(reverse("portal:privacy"))
    services.privacy_consent_give(actor=worker, version="2027-06", channel="portal")
    rows = list(selectors.consent_history(user=worker))
    assert [(c.version, c.end_reason) for c in rows] == [
        ("2027-06", ""),
        (VERSION, ConsentEnd.SUPERSEDED),
    ]


def test_agreeing_to_a_notice_replaced_meanwhile_is_refused(world):
    worker = world.worker("union_a", consent=False)
    with pytest.raises(ValidationError) as caught:
        services.privacy_consent_give(actor=worker, version="2025-01", channel="portal")
    assert "已更新" in str(caught.value)
    assert not PrivacyConsent.objects.filter(user=worker).exists()


def test_agreeing_twice_keeps_one_consent_in_force(world):
    worker = world.worker("union_a")
    services.privacy_consent_give(actor=worker, version=VERSION, channel="api")
    assert PrivacyConsent.objects.filter(user=worker).count() == 1


def test_the_notice_is_public_and_staff_cannot_consent_for_anyone(client, world):
    page = client.get(reverse("portal:privacy")).content.decode()
    assert "个人信息保护告知书" in page and 'data-testid="consent-form"' not in page
    with pytest.raises(Exception, match="仅限职工"):
        services.privacy_consent_give(
            actor=world.staff("town_a", "clerk"), version=VERSION, channel="portal"
        )


def test_the_worker_api_is_closed_after_withdrawal_until_consent_is_given_again(client, world):
    worker = world.worker("union_a")
    key, _token = api_token_issue(user=worker)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/me", **auth).status_code == 200
    body = client.post("/api/me/privacy/withdraw", **auth).json()
    assert body["consented"] is False
    response = client.get("/api/me", **auth)
    assert response.status_code == 403 and "告知书" in response.json()["detail"]
    body = client.get("/api/me/privacy", **auth).json()
    assert body["version"] == VERSION and body["notice_url"].endswith("/m/privacy/")
    body = client.post(
        "/api/me/privacy", {"version": VERSION}, content_type="application/json", **auth
    ).json()
    assert body["consented"] is True and body["consent"]["channel"] == "api"
    assert client.get("/api/me", **auth).status_code == 200


def test_the_code_button_is_told_how_long_to_count_down(client, world, settings):
    # given a number that has not asked for a code
    from gonghui.testing.factories import new_mobile

    mobile = new_mobile()
    url = reverse("portal:send_code")
    # when it asks, the answer carries the full resend wait
    first = client.post(url, {"otp-mobile": mobile}).content.decode()
    assert f'data-wait="{settings.GONGHUI_OTP_RESEND_SECONDS}"' in first
    # and asking again at once is refused with what is left of it
    again = client.post(url, {"otp-mobile": mobile}).content.decode()
    assert "秒后再试" in again
    left = int(again.split('data-wait="')[1].split('"')[0])
    assert 0 < left <= settings.GONGHUI_OTP_RESEND_SECONDS
    # a malformed number gets its error and no countdown
    assert "data-wait" not in client.post(url, {"otp-mobile": "12"}).content.decode()
