"""The enterprise contact's sign-in and profile in the enterprise area (``/enterprise/``).

A separate entry from the workers' portal: the same one-time codes, but a verified number opens
the number's enterprise contact account here and its worker account there, so one person may
be both without a chooser (docs/adr/0012)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gonghui.accounts import services
from gonghui.accounts.forms import SetPasswordForm
from gonghui.accounts.models import SignInChannel
from gonghui.accounts.portal_views import mobile_sign_in
from gonghui.core.web import apply_errors, enterprise_required

HOME = "/enterprise/"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return HOME


def login_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_authenticated and getattr(user, "is_enterprise_account", False):
        return redirect("enterprise:home")
    signin = mobile_sign_in(
        request,
        channel=SignInChannel.ENTERPRISE,
        accounts="enterprise",
        account_for_mobile=lambda mobile: services.enterprise_contact_for_mobile(mobile=mobile),
    )
    if signin.mobile and signin.account is None:
        signin.otp_form.add_error(None, _("该手机号不是企业联系人。请联系覆盖贵企业的工会邀请您。"))
    if signin.account is not None:
        login(request, signin.account, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_next_url(request))
    otp_form, pw_form, mode = signin.otp_form, signin.pw_form, signin.mode
    return render(
        request,
        "accounts/enterprise_login.html",
        {
            "otp_form": otp_form,
            "pw_form": pw_form,
            "mode": mode,
            "next": _next_url(request),
            "demo_mode": settings.GONGHUI_DEMO,
            "demo_contacts": _demo_contacts(),
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("enterprise:login")


@enterprise_required
def profile(request: HttpRequest) -> HttpResponse:
    """The contact's name and masked number, and the password they may sign in with."""
    user: Any = request.user
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_contact_set_password(
                actor=user, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已设置，下次可以用手机号和密码登录。"))
            return redirect("enterprise:profile")
    return render(request, "accounts/enterprise_profile.html", {"form": form})


def _demo_contacts() -> list[dict[str, str]]:
    if not settings.GONGHUI_DEMO:
        return []
    from gonghui.demo.accounts import demo_contacts

    return demo_contacts()
