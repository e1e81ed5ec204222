import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gonghui.accounts import services
from gonghui.accounts.models import OneTimeCode, User
from gonghui.conftest import sms_code
from gonghui.core.scoping import NotFound
from gonghui.testing.factories import new_id_number, new_mobile

pytestmark = pytest.mark.django_db


def _send(mobile, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.otp_send(mobile=mobile)


def test_code_is_sent_and_works_once(outbox, django_capture_on_commit_callbacks):
    mobile = new_mobile()
    _send(mobile, django_capture_on_commit_callbacks)
    assert outbox[-1][0] == mobile
    code = sms_code(outbox)
    assert OneTimeCode.objects.filter(code_hash__contains=code).count() == 0  # only a hash kept
    assert services.otp_verify(mobile=mobile, code=code) == mobile
    with pytest.raises(ValidationError, match="不正确或已过期"):
        services.otp_verify(mobile=mobile, code=code)


def test_resend_is_throttled(django_capture_on_commit_callbacks):
    mobile = new_mobile()
    _send(mobile, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="秒后再试"):
        services.otp_send(mobile=mobile)


def test_wrong_guesses_spend_the_code(outbox, settings, django_capture_on_commit_callbacks):
    mobile = new_mobile()
    _send(mobile, django_capture_on_commit_callbacks)
    code = sms_code(outbox)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(settings.GONGHUI_OTP_MAX_ATTEMPTS):
        with pytest.raises(ValidationError):
            services.otp_verify(mobile=mobile, code=wrong)
    with pytest.raises(ValidationError):
        services.otp_verify(mobile=mobile, code=code)


def test_expired_code_is_refused(outbox, django_capture_on_commit_callbacks):
    mobile = new_mobile()
    _send(mobile, django_capture_on_commit_callbacks)
    OneTimeCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(ValidationError):
        services.otp_verify(mobile=mobile, code=sms_code(outbox))


def test_bad_mobile_gets_a_message():
    with pytest.raises(ValidationError) as caught:
        services.otp_send(mobile="12345")
    assert "手机号" in caught.value.message_dict["mobile"][0]


def test_new_number_registers_then_is_the_same_account(world):
    mobile = new_mobile()
    user = services.worker_account_for_mobile(mobile=mobile)
    assert user.is_worker_account and user.person_id is None
    person = services.worker_register(
        actor=user, mobile=mobile, name="赵六", id_number=new_id_number()
    )
    assert person.mobile.reveal() == mobile
    assert services.worker_account_for_mobile(mobile=mobile) == user


def test_registering_an_id_number_the_union_recorded_with_another_mobile_is_explained(world):
    membership = world.member("union_a")
    mobile = new_mobile()
    user = services.worker_account_for_mobile(mobile=mobile)
    with pytest.raises(ValidationError, match="联系所在工会更正手机号"):
        services.worker_register(
            actor=user,
            mobile=mobile,
            name=membership.person.name,
            id_number=membership.person.id_number.reveal(),
        )


def test_member_recorded_by_the_union_signs_in_with_their_mobile(world):
    mobile = new_mobile()
    membership = world.member("union_a", mobile=mobile)
    user = services.worker_account_for_mobile(mobile=mobile)
    assert user.person_id == membership.person_id


def test_password_sign_in_for_workers(world):
    worker = world.worker("union_a")
    assert services.worker_password_user(mobile=worker.test_mobile, password="x") is None
    services.worker_set_password(actor=worker, password="my-secret-2018")
    assert (
        services.worker_password_user(mobile=worker.test_mobile, password="my-secret-2018")
        == worker
    )
    with pytest.raises(ValidationError):
        services.worker_set_password(actor=worker, password="123")


def test_api_tokens_are_hashed_expire_and_revoke(world):
    user = world.staff("city")
    key, token = services.api_token_issue(user=user)
    assert key not in token.key_hash
    assert services.api_token_user(key=key) == user
    services.api_token_revoke(user=user, key=key)
    assert services.api_token_user(key=key) is None
    key, token = services.api_token_issue(user=user)
    token.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    token.save()
    assert services.api_token_user(key=key) is None


def test_staff_accounts_are_created_within_scope(world):
    admin = world.staff("district_a")
    user = services.staff_create(
        actor=admin,
        organization=world.town_a,
        username="new-clerk",
        full_name="新经办",
        roles=["clerk"],
        password="a-good-password-1",
    )
    assert user.organization == world.town_a and user.roles == ["clerk"]
    with pytest.raises(NotFound):
        services.staff_create(
            actor=admin,
            organization=world.town_b,
            username="x",
            full_name="x",
            roles=["clerk"],
            password="a-good-password-1",
        )
    with pytest.raises(ValidationError) as caught:
        services.staff_create(
            actor=admin,
            organization=world.town_a,
            username="new-clerk",
            full_name="<b>x</b>",
            roles=[],
            password="123",
        )
    assert set(caught.value.message_dict) == {"username", "full_name", "roles", "password"}


def test_admin_cannot_lock_themself_out(world):
    admin = world.staff("district_a")
    with pytest.raises(ValidationError, match="不能取消自己"):
        services.staff_update(
            actor=admin, user=admin, full_name="x", roles=["clerk"], is_active=True
        )
    assert User.objects.get(pk=admin.pk).roles == ["admin"]
