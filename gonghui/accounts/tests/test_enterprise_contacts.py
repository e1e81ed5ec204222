"""Enterprise contacts: invited by the staff covering the enterprise, signing in at their own
entry with a code or a password, deactivated by the same staff."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from gonghui.accounts import services
from gonghui.accounts.models import AccountKind, User
from gonghui.conftest import sms_code
from gonghui.core.scoping import NotFound
from gonghui.organizations import services as org_services
from gonghui.testing.factories import new_credit_code, new_mobile

pytestmark = pytest.mark.django_db


def _invite(world, actor, enterprise="enterprise_b", mobile=None, name="王经理"):
    return services.enterprise_contact_invite(
        actor=actor,
        enterprise=world.enterprises[enterprise],
        name=name,
        mobile=mobile or new_mobile(),
    )


def _code_login(client, mobile, outbox, capture):
    with capture(execute=True):
        client.post(reverse("enterprise:send_code"), {"otp-mobile": mobile})
    return client.post(
        reverse("enterprise:login"),
        {"mode": "otp", "otp-mobile": mobile, "otp-code": sms_code(outbox)},
    )


# --- invitation --------------------------------------------------------------------------------


def test_the_covering_union_invites_and_the_contact_is_told_by_sms(
    world, outbox, django_capture_on_commit_callbacks
):
    mobile = new_mobile()
    with django_capture_on_commit_callbacks(execute=True):
        contact = _invite(world, world.staff("union_b", "clerk"), mobile=mobile)
    assert contact.kind == AccountKind.ENTERPRISE
    assert contact.enterprise == world.enterprises["enterprise_b"]
    assert contact.scope_path is None and not contact.is_staff_account
    assert not contact.has_usable_password()
    stored = User.objects.filter(pk=contact.pk).values_list("mobile", "mobile_hash").get()
    assert mobile.encode() not in stored[0].token and mobile not in stored[1]
    assert stored[0].reveal() == mobile
    assert outbox[-1][0] == mobile and "企业联系人登录" in outbox[-1][1]


def test_staff_above_the_covering_union_may_invite(world):
    assert _invite(world, world.staff("district_b", "admin")).is_active
    assert _invite(world, world.staff("town_b", "clerk")).is_active


def test_a_union_not_covering_the_enterprise_gets_not_found(world):
    for outsider in (world.staff("union_b2", "admin"), world.staff("district_a", "admin")):
        with pytest.raises(NotFound):
            _invite(world, outsider)
    client = Client()
    client.force_login(world.staff("union_b2", "admin"))
    url = reverse("console:enterprise_contacts", args=[world.enterprises["enterprise_b"].pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "王", "mobile": new_mobile()}).status_code == 404


def test_an_enterprise_without_a_union_is_covered_by_its_town(world):
    loose = org_services.enterprise_create(
        actor=world.staff("town_b", "clerk"),
        name="未建会公司",
        credit_code=new_credit_code(),
        industry="C",
        employee_count=5,
        area=world.town_b,
    )
    contact = services.enterprise_contact_invite(
        actor=world.staff("town_b", "clerk"), enterprise=loose, name="李", mobile=new_mobile()
    )
    assert contact.enterprise == loose
    with pytest.raises(NotFound):
        services.enterprise_contact_invite(
            actor=world.staff("union_b", "admin"), enterprise=loose, name="李", mobile=new_mobile()
        )


def test_one_mobile_is_one_enterprise_contact(world):
    clerk = world.staff("town_b", "clerk")
    mobile = new_mobile()
    _invite(world, clerk, mobile=mobile)
    with pytest.raises(ValidationError, match="本企业的联系人"):
        _invite(world, clerk, mobile=mobile)
    with pytest.raises(ValidationError, match="另一家企业"):
        _invite(world, clerk, enterprise="enterprise_b2", mobile=mobile)


def test_bad_name_and_mobile_are_refused_with_nothing_saved(world):
    with pytest.raises(ValidationError) as caught:
        _invite(world, world.staff("union_b", "clerk"), mobile="123", name="")
    assert set(caught.value.message_dict) == {"name", "mobile"}
    assert not User.objects.filter(kind=AccountKind.ENTERPRISE).exists()


def test_a_leader_may_not_invite(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _invite(world, world.staff("union_b", "leader"))


def test_console_page_invites_lists_and_deactivates(world, client):
    client.force_login(world.staff("union_b", "clerk"))
    enterprise = world.enterprises["enterprise_b"]
    url = reverse("console:enterprise_contacts", args=[enterprise.pk])
    detail = client.get(reverse("console:enterprise_detail", args=[enterprise.pk]))
    assert url in detail.content.decode()
    mobile = new_mobile()
    response = client.post(url, {"name": "王经理", "mobile": mobile})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "王经理" in page and mobile not in page and mobile[-4:] in page  # masked
    contact = User.objects.get(kind=AccountKind.ENTERPRISE, full_name="王经理")
    deactivate = reverse("console:enterprise_contact_deactivate", args=[enterprise.pk, contact.pk])
    assert client.post(deactivate).status_code == 302
    contact.refresh_from_db()
    assert not contact.is_active
    # Another enterprise's address does not reach the contact.
    other = reverse(
        "console:enterprise_contact_deactivate",
        args=[world.enterprises["enterprise_b2"].pk, contact.pk],
    )
    assert client.post(other).status_code == 404


def test_api_invites_lists_and_deactivates(world):
    key, _ = services.api_token_issue(user=world.staff("union_b", "clerk"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    enterprise = world.enterprises["enterprise_b"]
    base = f"/api/enterprises/{enterprise.pk}/contacts"
    client = Client()
    mobile = new_mobile()
    created = client.post(
        base, json.dumps({"name": "王经理", "mobile": mobile}), "application/json", **headers
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "王经理" and body["mobile"] != mobile and body["is_active"]
    assert [c["id"] for c in client.get(base, **headers).json()] == [body["id"]]
    gone = client.post(f"{base}/{body['id']}/deactivate", **headers)
    assert gone.status_code == 200 and gone.json()["is_active"] is False
    sibling, _ = services.api_token_issue(user=world.staff("union_b2", "admin"))
    assert client.get(base, HTTP_AUTHORIZATION=f"Bearer {sibling}").status_code == 404


# --- sign-in -----------------------------------------------------------------------------------


def test_contact_signs_in_with_a_code_at_the_enterprise_entry(
    world, client, outbox, django_capture_on_commit_callbacks
):
    contact = world.contact("enterprise_b")
    response = _code_login(client, contact.test_mobile, outbox, django_capture_on_commit_callbacks)
    assert response["Location"] == "/enterprise/"
    home = client.get(reverse("enterprise:home")).content.decode()
    enterprise = world.enterprises["enterprise_b"]
    assert enterprise.name in home and world.union_b.name in home
    assert enterprise.credit_code not in home and enterprise.credit_code[:4] in home
    assert "已建会" in home


def test_a_number_that_is_no_contact_is_refused_after_its_code(
    world, client, outbox, django_capture_on_commit_callbacks
):
    response = _code_login(client, new_mobile(), outbox, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "不是企业联系人" in response.content.decode()
    assert not User.objects.filter(kind=AccountKind.WORKER).exists()  # no account was made


def test_one_mobile_may_be_a_worker_and_a_contact_each_at_its_entry(
    world, outbox, settings, django_capture_on_commit_callbacks
):
    settings.GONGHUI_OTP_RESEND_SECONDS = 0
    worker = world.worker("union_b")
    contact = _invite(world, world.staff("union_b", "clerk"), mobile=worker.test_mobile)
    at_enterprise, at_portal = Client(), Client()
    _code_login(at_enterprise, worker.test_mobile, outbox, django_capture_on_commit_callbacks)
    assert int(at_enterprise.session["_auth_user_id"]) == contact.pk
    with django_capture_on_commit_callbacks(execute=True):
        at_portal.post(reverse("portal:send_code"), {"otp-mobile": worker.test_mobile})
    at_portal.post(
        reverse("portal:login"),
        {"mode": "otp", "otp-mobile": worker.test_mobile, "otp-code": sms_code(outbox)},
    )
    assert int(at_portal.session["_auth_user_id"]) == worker.pk


def test_contact_sets_a_password_and_signs_in_with_it(world, client):
    contact = world.contact("enterprise_b")
    client.force_login(contact)
    page = client.post(
        reverse("enterprise:profile"), {"password": "qiye-mima-2026", "password2": "qiye-mima-2026"}
    )
    assert page.status_code == 302
    client.logout()
    wrong = client.post(
        reverse("enterprise:login"),
        {"mode": "password", "pw-mobile": contact.test_mobile, "pw-password": "nope-nope-1"},
    )
    assert "手机号或密码不正确" in wrong.content.decode()
    right = client.post(
        reverse("enterprise:login"),
        {"mode": "password", "pw-mobile": contact.test_mobile, "pw-password": "qiye-mima-2026"},
    )
    assert right["Location"] == "/enterprise/"
    # The contact's password does not open the workers' portal.
    client.logout()
    portal = client.post(
        reverse("portal:login"),
        {"mode": "password", "pw-mobile": contact.test_mobile, "pw-password": "qiye-mima-2026"},
    )
    assert portal.status_code == 200 and "_auth_user_id" not in client.session


def test_deactivated_contact_is_signed_out_and_cannot_sign_in(
    world, outbox, django_capture_on_commit_callbacks
):
    contact = world.contact("enterprise_b")
    contact.set_password("qiye-mima-2026")
    contact.save()
    signed_in = Client()
    signed_in.force_login(contact)
    key, _ = services.api_token_issue(user=contact)
    services.enterprise_contact_deactivate(actor=world.staff("union_b", "clerk"), contact=contact)
    assert signed_in.get(reverse("enterprise:home"))["Location"].startswith("/enterprise/login/")
    assert services.api_token_user(key=key) is None
    fresh = Client()
    response = _code_login(fresh, contact.test_mobile, outbox, django_capture_on_commit_callbacks)
    assert "不是企业联系人" in response.content.decode()
    assert (
        services.enterprise_contact_password_user(
            mobile=contact.test_mobile, password="qiye-mima-2026"
        )
        is None
    )
    with pytest.raises(ValidationError, match="已停用"):
        services.enterprise_contact_deactivate(
            actor=world.staff("union_b", "clerk"), contact=contact
        )


def test_a_deactivated_contact_may_be_invited_again(world):
    contact = world.contact("enterprise_b")
    clerk = world.staff("union_b", "clerk")
    services.enterprise_contact_deactivate(actor=clerk, contact=contact)
    again = _invite(world, clerk, mobile=contact.test_mobile, name="王新")
    assert again.pk == contact.pk and again.is_active and again.full_name == "王新"


def test_only_the_covering_staff_deactivate(world):
    contact = world.contact("enterprise_b")
    with pytest.raises(NotFound):
        services.enterprise_contact_deactivate(
            actor=world.staff("union_b2", "admin"), contact=contact
        )


# --- what a contact reaches --------------------------------------------------------------------


def test_console_pages_and_staff_api_are_not_found_for_a_contact(world, client):
    contact = world.contact("enterprise_b")
    client.force_login(contact)
    own = world.enterprises["enterprise_b"].pk
    for url in (
        reverse("console:home"),
        reverse("console:enterprise_detail", args=[own]),
        reverse("console:enterprise_contacts", args=[own]),
    ):
        assert client.get(url).status_code == 404, url
    key, _ = services.api_token_issue(user=contact)
    for path in ("/api/enterprises", f"/api/enterprises/{own}", f"/api/enterprises/{own}/contacts"):
        assert Client().get(path, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 404, path


def test_portal_sends_a_contact_to_the_enterprise_area(world, client):
    client.force_login(world.contact("enterprise_b"))
    assert client.get(reverse("portal:home"))["Location"] == reverse("enterprise:home")
    assert client.get("/")["Location"] == reverse("enterprise:home")


def test_the_enterprise_area_sends_staff_and_workers_home(world, client):
    client.force_login(world.staff("union_b", "clerk"))
    assert client.get(reverse("enterprise:home"))["Location"] == reverse("console:home")
    client.force_login(world.worker("union_b"))
    assert client.get(reverse("enterprise:home"))["Location"] == reverse("portal:home")
    client.logout()
    assert client.get(reverse("enterprise:home"))["Location"].startswith("/enterprise/login/")


def test_the_portal_sign_in_page_leads_to_the_enterprise_entry(client):
    page = client.get(reverse("portal:login")).content.decode()
    assert reverse("enterprise:login") in page
    assert "企业联系人登录" in client.get(reverse("enterprise:login")).content.decode()
