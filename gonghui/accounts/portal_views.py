"""The worker's sign-in, registration and profile in the portal (phone first)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gonghui.accounts import selectors, services
from gonghui.accounts.forms import OtpLoginForm, PasswordLoginForm, SetPasswordForm
from gonghui.accounts.models import SignInChannel
from gonghui.core.web import apply_errors, client_ip, error_text, worker_required
from gonghui.members.forms import RegisterForm

VERIFIED_MOBILE = "portal_verified_mobile"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return "/m/"


def _sign_in(request: HttpRequest, user: Any, mobile: str) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if user.person_id is None:
        request.session[VERIFIED_MOBILE] = mobile
        return redirect("portal:register")
    return redirect(_next_url(request))


@dataclass
class MobileSignIn:
    """A posted sign-in by mobile number, read: the two forms (errors on them), and the
    account found, if any (``mobile``: the number a code verified)."""

    otp_form: OtpLoginForm
    pw_form: PasswordLoginForm
    mode: str
    account: Any = None
    mobile: str = ""


def mobile_sign_in(
    request: HttpRequest,
    *,
    channel: str,
    accounts: str,
    account_for_mobile: Callable[[str], Any],
) -> MobileSignIn:
    """The workers' and the enterprise contacts' sign-in: a one-time code, or a password.
    ``account_for_mobile`` finds the account a verified number opens (None: none)."""
    posted = request.method == "POST"
    mode = request.POST.get("mode", "otp")
    result = MobileSignIn(
        OtpLoginForm(request.POST if posted and mode == "otp" else None, prefix="otp"),
        PasswordLoginForm(request.POST if posted and mode == "password" else None, prefix="pw"),
        mode,
    )
    if posted and mode == "otp" and result.otp_form.is_valid():
        try:
            result.mobile = services.otp_verify(
                mobile=result.otp_form.cleaned_data["mobile"],
                code=result.otp_form.cleaned_data["code"],
            )
        except ValidationError as exc:
            apply_errors(result.otp_form, exc)
        else:
            result.account = account_for_mobile(result.mobile)
    elif posted and mode == "password" and result.pw_form.is_valid():
        try:
            result.account = services.password_sign_in(
                login=result.pw_form.cleaned_data["mobile"],
                password=result.pw_form.cleaned_data["password"],
                address=client_ip(request),
                channel=channel,
                accounts=accounts,
            )
        except services.SignInThrottledError as exc:
            result.pw_form.add_error(None, exc.message)
        else:
            if result.account is None:
                result.pw_form.add_error(
                    None, _("手机号或密码不正确。没有设置过密码，请用验证码登录。")
                )
    return result


def login_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_authenticated and getattr(user, "is_worker_account", False):
        return redirect("portal:home")
    signin = mobile_sign_in(
        request,
        channel=SignInChannel.PORTAL,
        accounts="worker",
        account_for_mobile=lambda mobile: services.worker_account_for_mobile(mobile=mobile),
    )
    if signin.account is not None:
        return _sign_in(request, signin.account, signin.mobile)
    otp_form, pw_form, mode = signin.otp_form, signin.pw_form, signin.mode
    return render(
        request,
        "accounts/portal_login.html",
        {
            "otp_form": otp_form,
            "pw_form": pw_form,
            "mode": mode,
            "next": _next_url(request),
            "demo_mode": settings.GONGHUI_DEMO,
        },
    )


@require_POST
def send_code(request: HttpRequest) -> HttpResponse:
    """HTMX: send a sign-in code; answers with a one-line status for the form."""
    mobile = request.POST.get("otp-mobile", "")
    try:
        services.otp_send(mobile=mobile, ip_address=client_ip(request) or "")
    except ValidationError as exc:
        # A number asked for again too soon: the button counts down what is left.
        wait = services.otp_resend_wait(mobile=mobile)
        context = {"error": error_text(exc), "wait": wait}
        return render(request, "accounts/_code_status.html", context, status=200)
    wait = settings.GONGHUI_OTP_RESEND_SECONDS
    return render(request, "accounts/_code_status.html", {"sent": True, "wait": wait})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:login")


@login_required(login_url="portal:login")
def register(request: HttpRequest) -> HttpResponse:
    """First sign-in of a number nobody registered: real name and ID number."""
    user: Any = request.user
    if not user.is_worker_account:
        return redirect("front_door")  # staff to their console, contacts to their area
    if user.person_id is not None:
        return redirect("portal:home")
    mobile = request.session.get(VERIFIED_MOBILE, "")
    if not mobile:
        logout(request)
        messages.info(request, _("请先用手机验证码登录。"))
        return redirect("portal:login")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.worker_register(actor=user, mobile=mobile, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session.pop(VERIFIED_MOBILE, None)
            messages.success(request, _("实名登记完成。"))
            return redirect("portal:home")
    return render(request, "accounts/portal_register.html", {"form": form, "mobile": mobile})


@login_required(login_url="portal:login")
def profile(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.is_worker_account or user.person is None:
        return redirect("portal:home")
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.worker_set_password(actor=user, password=form.cleaned_data["password"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已设置，下次可以用手机号和密码登录。"))
            return redirect("portal:profile")
    return render(request, "accounts/portal_profile.html", {"form": form, "person": user.person})


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice. Anyone may read it; a signed-in worker agrees to it here (the
    portal sends them here until they do: ``accounts.middleware``), sees what they agreed to
    and when, and may withdraw it."""
    user: Any = request.user
    worker = user.is_authenticated and getattr(user, "is_worker_account", False)
    if request.method == "POST" and worker and request.POST.get("agree") != "1":
        messages.error(request, _("请先勾选“我已阅读并同意”。"))
        return redirect(request.get_full_path())
    if request.method == "POST" and worker:
        try:
            services.privacy_consent_give(
                actor=user, version=request.POST.get("version", ""), channel=SignInChannel.PORTAL
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return redirect(request.get_full_path())
        messages.success(request, _("感谢您的同意，欢迎使用网上工会。"))
        if user.person_id is None:
            return redirect("portal:register")
        return redirect(_next_url(request))
    version = selectors.privacy_notice_version()
    return render(
        request,
        "accounts/portal_privacy.html",
        {
            "worker": worker,
            "version": version,
            "notice_template": selectors.privacy_notice_template(version),
            "consent": selectors.consent_in_force(user=user) if worker else None,
            "history": list(selectors.consent_history(user=user)[:10]) if worker else [],
            "next": _next_url(request),
        },
    )


@worker_required
@require_POST
def privacy_withdraw(request: HttpRequest) -> HttpResponse:
    """Withdrawing consent signs the worker out: the portal cannot show or take their data
    without it. Signing in again shows the notice again."""
    services.privacy_consent_withdraw(actor=request.user, channel=SignInChannel.PORTAL)  # type: ignore[arg-type]
    logout(request)
    messages.info(
        request,
        _("您已撤回对个人信息处理的同意，并已退出登录。再次登录时需要重新阅读并同意告知书。"),
    )
    return redirect("portal:login")
