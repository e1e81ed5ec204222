from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class DecisionForm(forms.Form):
    """An approve / refuse decision with the reviewer's note (required when refusing; the
    service checks that, so the message names the rule)."""

    decision = forms.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")])
    note = forms.CharField(
        label=_("审批意见"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @property
    def approved(self) -> bool:
        return self.cleaned_data["decision"] == "approve"


class NotificationSettingsForm(forms.Form):
    """A worker's SMS settings: the kinds they receive by SMS (only the kinds a worker may turn
    off are offered) and quiet hours."""

    sms_on = forms.MultipleChoiceField(
        label=_("接收短信的消息"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不勾选的消息只在“我的消息”中查看，不再发送短信。"),
    )
    quiet_from = forms.TimeField(
        label=_("免打扰开始"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_until = forms.TimeField(
        label=_("免打扰结束"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("免打扰时段内的短信在时段结束后发送；可以跨过午夜，例如 22:00 至 07:00。"),
    )

    def __init__(self, *args: Any, optional: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sms_on"].choices = optional  # type: ignore[attr-defined]
        self.optional_codes = [code for code, _label in optional]

    def sms_off(self) -> list[str]:
        chosen = set(self.cleaned_data["sms_on"])
        return [code for code in self.optional_codes if code not in chosen]
