"""Sign-in for the mini-program (one-time codes and passwords exchanged for bearer tokens), and
the staff's operations on enterprise contacts."""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from gonghui.accounts import selectors, services
from gonghui.accounts.models import SignInChannel, User
from gonghui.core.api import Id, Message, OneOf, Text, staff_actor, worker_actor
from gonghui.core.web import client_ip
from gonghui.members.models import Household
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["登录"])
contacts_router = Router(tags=["企业联系人"])
privacy_router = Router(tags=["个人信息保护"])


class OtpIn(Schema):
    mobile: Annotated[str, Text(30)]


class TokenByCodeIn(Schema):
    mobile: Annotated[str, Text(30)]
    code: Annotated[str, Text(10)]


class TokenByPasswordIn(Schema):
    login: Annotated[str, Text(150)]
    password: Annotated[str, Field(max_length=128)]  # as typed: never stripped


class TokenOut(Schema):
    token: str
    kind: str
    registered: bool
    expires_at: str


class RegisterIn(Schema):
    mobile: Annotated[str, Text(30)]
    name: Annotated[str, Text(50)]
    id_number: Annotated[str, Text(30)]
    household: Annotated[str, OneOf(Household, blank=True)] = ""


def _token(user: Any) -> dict[str, Any]:
    key, token = services.api_token_issue(user=user)
    return {
        "token": key,
        "kind": user.kind,
        "registered": user.person_id is not None or user.is_staff_account,
        "expires_at": token.expires_at.isoformat(),
    }


@router.post("/otp", auth=None, response=Message, summary="发送登录验证码")
def send_otp(request: HttpRequest, payload: OtpIn) -> dict[str, str]:
    services.otp_send(mobile=payload.mobile, ip_address=client_ip(request) or "")
    return {"detail": _("验证码已发送。")}


@router.post("/token", auth=None, response=TokenOut, summary="用手机号和验证码换取令牌")
def token_by_code(request: HttpRequest, payload: TokenByCodeIn) -> dict[str, Any]:
    mobile = services.otp_verify(mobile=payload.mobile, code=payload.code)
    return _token(services.worker_account_for_mobile(mobile=mobile))


@router.post(
    "/token/password",
    auth=None,
    response={200: TokenOut, 429: Message},
    summary="用密码换取令牌",
    description=(
        f"职工用手机号、工作人员用登录名。同一账号连续输错密码 "
        f"{settings.GONGHUI_SIGNIN_ACCOUNT_FAILURES} 次（同一地址 "
        f"{settings.GONGHUI_SIGNIN_ADDRESS_FAILURES} 次）后暂时锁定，锁定时间从 "
        f"{settings.GONGHUI_SIGNIN_LOCK_SECONDS} 秒起每再错一次加倍，最长 "
        f"{settings.GONGHUI_SIGNIN_LOCK_MAX_SECONDS} 秒；锁定期间返回 429，`detail` "
        "说明几分钟后再试，响应头 `Retry-After` 给出秒数。"
    ),
    # The 429's body comes from ``response``; this adds its header (merged by status code).
    openapi_extra={
        "responses": {
            429: {
                "description": "密码错误次数过多，暂时锁定",
                "headers": {
                    "Retry-After": {
                        "description": "锁定剩余秒数",
                        "schema": {"type": "integer", "minimum": 1},
                    }
                },
            }
        }
    },
)
def token_by_password(
    request: HttpRequest, payload: TokenByPasswordIn, response: HttpResponse
) -> Any:
    """Workers sign in with their mobile number, staff with their login name."""
    try:
        user = services.password_sign_in(
            login=payload.login,
            password=payload.password,
            address=client_ip(request),
            channel=SignInChannel.API,
            accounts="any",
        )
    except services.SignInThrottledError as exc:
        response["Retry-After"] = str(exc.retry_after)
        return Status(429, {"detail": exc.message})
    if user is None:
        raise ValidationError({"password": [_("账号或密码不正确。")]})
    return Status(200, _token(user))


@router.post("/register", response=Message, summary="职工实名登记（首次登录后）")
def register(request: HttpRequest, payload: RegisterIn) -> dict[str, str]:
    user = worker_actor(request, registered=False)
    services.worker_register(
        actor=user,
        mobile=payload.mobile,
        name=payload.name,
        id_number=payload.id_number,
        household=payload.household,
    )
    return {"detail": _("实名登记完成。")}


@router.post("/logout", response=Message, summary="注销当前令牌")
def logout(request: HttpRequest) -> dict[str, str]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        services.api_token_revoke(user=request.auth, key=header[7:].strip())  # type: ignore[attr-defined]
    return {"detail": _("已注销。")}


# --- the privacy notice (workers) ------------------------------------------------------------


class ConsentOut(Schema):
    version: str
    channel: str
    given_at: str
    ended_at: str | None = None
    end_reason: str = ""


class PrivacyOut(Schema):
    version: str  # the current notice's
    notice_url: str
    consented: bool  # to the current version, not withdrawn
    consent: ConsentOut | None


class ConsentIn(Schema):
    version: Annotated[str, Text(20)]  # the version the worker was shown and agreed to


def _consent(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "version": row.version,
        "channel": row.channel,
        "given_at": row.given_at.isoformat(),
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
        "end_reason": row.end_reason,
    }


def _privacy(request: HttpRequest, user: Any) -> dict[str, Any]:
    consent = selectors.consent_in_force(user=user)
    return {
        "version": selectors.privacy_notice_version(),
        "notice_url": request.build_absolute_uri(reverse("portal:privacy")),
        "consented": consent is not None,
        "consent": _consent(consent),
    }


@privacy_router.get(
    "",
    response=PrivacyOut,
    summary="个人信息保护告知书与我的同意状态",
    description="职工首次使用（以及告知书更新后）须先同意当前版本，否则其他职工接口返回 403。",
)
def privacy_get(request: HttpRequest) -> dict[str, Any]:
    return _privacy(request, worker_actor(request, registered=False, consent=False))


@privacy_router.post(
    "",
    response=PrivacyOut,
    summary="同意个人信息保护告知书",
    description="`version` 须为当前版本（GET 返回的 `version`），否则返回 400，请重新展示新版。",
)
def privacy_give(request: HttpRequest, payload: ConsentIn) -> dict[str, Any]:
    user = worker_actor(request, registered=False, consent=False)
    services.privacy_consent_give(actor=user, version=payload.version, channel=SignInChannel.API)
    return _privacy(request, user)


@privacy_router.post(
    "/withdraw",
    response=PrivacyOut,
    summary="撤回同意",
    description="撤回后其他职工接口返回 403，直到再次同意；记录保留。",
)
def privacy_withdraw(request: HttpRequest) -> dict[str, Any]:
    user = worker_actor(request, registered=False, consent=False)
    services.privacy_consent_withdraw(actor=user, channel=SignInChannel.API)
    return _privacy(request, user)


# --- enterprise contacts (staff) ---------------------------------------------------------------


class ContactIn(Schema):
    name: Annotated[str, Text.of(User, "full_name")]
    mobile: Annotated[str, Text(30)]


class ContactOut(Schema):
    id: int
    name: str
    mobile: str  # masked
    is_active: bool

    @staticmethod
    def resolve_name(obj: User) -> str:
        return obj.full_name

    @staticmethod
    def resolve_mobile(obj: User) -> str:
        return str(obj.mobile or "")


@contacts_router.get(
    "/enterprises/{enterprise_id}/contacts",
    response=list[ContactOut],
    summary="企业联系人列表",
)
def list_contacts(request: HttpRequest, enterprise_id: Id) -> Any:
    actor = staff_actor(request)
    enterprise = org_selectors.enterprise_covered_get(actor=actor, id=enterprise_id)
    return list(selectors.enterprise_contact_list(actor=actor, enterprise=enterprise))


@contacts_router.post(
    "/enterprises/{enterprise_id}/contacts",
    response={201: ContactOut},
    summary="邀请企业联系人",
    description="覆盖该企业的工会（未建会的为所在镇街）及其上级的工作人员可以邀请；"
    "联系人收到短信后用该手机号在“企业联系人登录”页面登录。",
)
def invite_contact(request: HttpRequest, enterprise_id: Id, payload: ContactIn) -> Any:
    actor = staff_actor(request)
    enterprise = org_selectors.enterprise_covered_get(actor=actor, id=enterprise_id)
    contact = services.enterprise_contact_invite(
        actor=actor, enterprise=enterprise, name=payload.name, mobile=payload.mobile
    )
    return contact


@contacts_router.post(
    "/enterprises/{enterprise_id}/contacts/{contact_id}/deactivate",
    response=ContactOut,
    summary="停用企业联系人",
)
def deactivate_contact(request: HttpRequest, enterprise_id: Id, contact_id: Id) -> Any:
    actor = staff_actor(request)
    enterprise = org_selectors.enterprise_covered_get(actor=actor, id=enterprise_id)
    contact = selectors.enterprise_contact_get(actor=actor, enterprise=enterprise, id=contact_id)
    return services.enterprise_contact_deactivate(actor=actor, contact=contact)
