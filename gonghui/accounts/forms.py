from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from gonghui.accounts import services
from gonghui.accounts.models import SignInChannel
from gonghui.core.permissions import Role
from gonghui.core.web import client_ip
from gonghui.organizations.picker import OrgChoiceField


class StaffLoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("登录名或密码不正确。"),
        "inactive": _("该账号已停用，请联系管理员。"),
    }

    def clean(self) -> dict[str, Any]:
        """Django's check, through the throttled sign-in every password goes through."""
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = services.password_sign_in(
                    login=username,
                    password=password,
                    address=client_ip(self.request) if self.request else None,
                    channel=SignInChannel.CONSOLE,
                    accounts="staff",
                )
            except services.SignInThrottledError as exc:
                raise forms.ValidationError(exc.message, code="throttled") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff_account:
            raise forms.ValidationError(
                _("这是职工账号，请从“职工登录”用手机号登录。"), code="not_staff"
            )


class OtpRequestForm(forms.Form):
    mobile = forms.CharField(label=_("手机号"), max_length=20)


class OtpLoginForm(forms.Form):
    mobile = forms.CharField(label=_("手机号"), max_length=20)
    code = forms.CharField(label=_("验证码"), max_length=6)


class PasswordLoginForm(forms.Form):
    mobile = forms.CharField(label=_("手机号"), max_length=20)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)


class SetPasswordForm(forms.Form):
    password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("再输入一次"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class StaffForm(forms.Form):
    organization = OrgChoiceField(label=_("所属组织"), source="subtree")
    username = forms.CharField(label=_("登录名"), max_length=40)
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        label=_("初始密码"), widget=forms.PasswordInput, help_text=_("至少 8 位，不能全是数字。")
    )

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = orgs  # type: ignore[attr-defined]


class StaffEditForm(forms.Form):
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("启用"), required=False)


class EnterpriseContactForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    mobile = forms.CharField(
        label=_("手机号"),
        max_length=20,
        help_text=_("联系人用这个手机号接收验证码登录。"),
    )
