"""Forms of the session pages. Validation of content lives in the services; these parse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.culture.models import BookingMode

LOCAL_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SessionForm(forms.Form):
    course: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("课程"), queryset=None)
    mode = forms.ChoiceField(label=_("预约方式"), choices=BookingMode.choices)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=LOCAL_INPUT)
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=LOCAL_INPUT)
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=10000)
    opens_at = forms.DateTimeField(label=_("开放预约（抽签报名）时间"), widget=LOCAL_INPUT)
    closes_at = forms.DateTimeField(
        label=_("截止时间"),
        widget=LOCAL_INPUT,
        help_text=_("抽签课程在截止后开奖；随机种子的承诺值在发布时即公示。"),
    )
    venue: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("场地"), queryset=None, required=False
    )
    place = forms.CharField(
        label=_("上课地点"), max_length=200, required=False, help_text=_("未选场地时必填。")
    )
    audience: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("面向会员范围"),
        queryset=None,
        required=False,
        help_text=_("不选则所有实名登记的职工均可预约。"),
    )
    offer_hours = forms.IntegerField(
        label=_("候补确认时限（小时）"), min_value=1, max_value=168, initial=24
    )

    def __init__(self, *args: Any, courses: Any, venues: Any, audiences: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]
        self.fields["venue"].queryset = venues  # type: ignore[attr-defined]
        self.fields["audience"].queryset = audiences  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


class CheckInForm(forms.Form):
    token = forms.CharField(label=_("预约凭证"), max_length=200)
