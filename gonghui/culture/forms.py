"""Forms of the culture pages: sessions, the catalogue (courses, mentors, venues, calendar
events) and the published booking rule, and the menu service. They parse; every content rule
(required text, lengths, times in order, quotas, who may) lives in the services, whose
``ValidationError`` the views put back on these forms at the field that caused it. A field is
required here only where it always is (the asterisk tells the user before they submit); a
conditional rule (a reason when refusing) is left to the service to explain."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.culture.models import (
    BookingMode,
    BookingRules,
    Category,
    EventKind,
    MenuItemKind,
    VenueKind,
)
from gonghui.organizations.picker import OrgChoiceField

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
    audience = OrgChoiceField(
        label=_("面向会员范围"),
        source="subtree",
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


# ``datetime-local`` posts "2026-12-01T19:30" (Django parses it as ISO 8601, in the current
# time zone) and must be given its initial value in the same shape, or the browser shows it
# empty.
DATETIME_LOCAL = forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"})


def _choices(options: Any, blank: str | None = None) -> list[tuple[str, Any]]:
    head = [("", blank)] if blank is not None else []
    return [*head, *options]


class OwnedForm(forms.Form):
    """A record kept by an organisation of the actor's subtree, chosen when it is created.
    ``organizations=None`` drops the field: an existing record stays with its organisation
    (the services keep it there)."""

    organization = OrgChoiceField(label=_("所属组织"), source="federations")

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organizations is None:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class MentorForm(OwnedForm):
    name = forms.CharField(label=_("姓名"), max_length=50)
    speciality = forms.CharField(
        label=_("专长"), max_length=100, help_text=_("例如：古筝、烘焙、书法。")
    )
    title = forms.CharField(label=_("职称或头衔"), max_length=100, required=False)
    bio = forms.CharField(
        label=_("简介"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label=_("在聘"), required=False, initial=True)


class VenueForm(OwnedForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=VenueKind.choices)
    partner = forms.CharField(
        label=_("合作单位"),
        max_length=100,
        required=False,
        help_text=_("合作培训基地必填：提供场地的企业或机构。"),
    )
    address = forms.CharField(label=_("地址"), max_length=200)
    capacity = forms.IntegerField(label=_("容纳人数"))


class CourseForm(OwnedForm):
    series: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("系列"), queryset=None)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    title = forms.CharField(label=_("课程名称"), max_length=100)
    description = forms.CharField(
        label=_("课程介绍"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    mentor: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("导师"),
        queryset=None,
        required=False,
        help_text=_("本单位或上级单位导师团的导师。"),
    )
    is_public_class = forms.BooleanField(label=_("公益大课堂"), required=False, initial=True)

    def __init__(self, *args: Any, series: Any, mentors: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = series  # type: ignore[attr-defined]
        self.fields["mentor"].queryset = mentors  # type: ignore[attr-defined]
        self.fields["mentor"].label_from_instance = (  # type: ignore[attr-defined]
            lambda m: f"{m.name}（{m.speciality} · {m.organization.name}）"
        )


class EventForm(OwnedForm):
    kind = forms.ChoiceField(label=_("类别"), choices=EventKind.choices)
    title = forms.CharField(label=_("名称"), max_length=100)
    series: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("系列"), queryset=None, required=False, empty_label=_("（不属于某一系列）")
    )
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DATETIME_LOCAL)
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DATETIME_LOCAL)
    venue: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("场地"),
        queryset=None,
        required=False,
        help_text=_("选择登记过的场地时，地点可不填，按场地名称和地址填写。"),
    )
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    description = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, series: Any, venues: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = series  # type: ignore[attr-defined]
        self.fields["venue"].queryset = venues  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        venue = data.pop("venue", None)
        if venue is not None and not data.get("place", "").strip():
            data["place"] = f"{venue.name}（{venue.address}）"[:200]
        return data


RULE_FIELDS = (
    "weekly_limit",
    "no_show_limit",
    "no_show_window_days",
    "suspension_days",
    "lottery_divisor",
)


class RulesForm(forms.Form):
    """The published booking rule; the ranges are the service's (``rules_update``)."""

    weekly_limit = forms.IntegerField(
        label=BookingRules._meta.get_field("weekly_limit").verbose_name,
        help_text=_("按上课日期所在的一周（周一至周日）计算，先到先得预约与抽签报名合计。"),
    )
    no_show_limit = forms.IntegerField(
        label=BookingRules._meta.get_field("no_show_limit").verbose_name,
        help_text=_(
            "预约成功后未签到记一次缺席；统计期内达到此数，自最近一次缺席起暂停先到先得预约。"
        ),
    )
    no_show_window_days = forms.IntegerField(
        label=BookingRules._meta.get_field("no_show_window_days").verbose_name,
        help_text=_("只统计最近这些天内的缺席。"),
    )
    suspension_days = forms.IntegerField(
        label=BookingRules._meta.get_field("suspension_days").verbose_name,
    )
    lottery_divisor = forms.IntegerField(
        label=BookingRules._meta.get_field("lottery_divisor").verbose_name,
        help_text=_("暂停期间仍可报名抽签，中签权重除以此数（1 表示不降低）。"),
    )


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _count_input() -> forms.NumberInput:
    # A hint to the browser only; the service checks the number and says what is wrong.
    return forms.NumberInput(attrs={"min": 1})


class MenuForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=())
    title = forms.CharField(label=_("菜单名称"), max_length=100)

    def __init__(self, *args: Any, years: range, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]  # type: ignore[attr-defined]


class MenuItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=MenuItemKind.choices)
    title = forms.CharField(label=_("项目名称"), max_length=100)
    description = forms.CharField(
        label=_("说明"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    unit = forms.CharField(
        label=_("计量单位"), max_length=10, initial="场", help_text=_("如：场、册、次。")
    )
    quota = forms.IntegerField(label=_("年度总量"), widget=_count_input())
    per_unit_quota = forms.IntegerField(
        label=_("每单位限额"),
        widget=_count_input(),
        help_text=_("每个点单单位本年度最多可点的数量。"),
    )


class MenuOrderForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("数量"), initial=1, widget=_count_input())
    wanted_on = forms.DateField(label=_("希望日期"), widget=_date_input())
    note = forms.CharField(
        label=_("需求说明"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如：演出场地、观众人数、联系人。"),
    )


class _OwnIds(forms.Form):
    """The order page shows several of these forms at once; each gets its own element ids
    (the posted field names stay plain)."""

    id_prefix = "order"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class RefuseForm(_OwnIds):
    id_prefix = "refuse"
    # Not required here: the service says why a refusal needs a reason, at this field.
    reason = forms.CharField(
        label=_("不同意的理由"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApproveForm(_OwnIds):
    id_prefix = "approve"

    reason = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class DeliverForm(_OwnIds):
    id_prefix = "deliver"
    delivered_on = forms.DateField(label=_("送达日期"), widget=_date_input())
    audience = forms.IntegerField(label=_("受益职工人数"), widget=_count_input())
    delivery_note = forms.CharField(
        label=_("送达记录"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RatingForm(forms.Form):
    """A class rated by the worker who attended it: five tappable stars and a comment."""

    rating = forms.TypedChoiceField(
        label=_("满意度"),
        coerce=int,
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        widget=forms.RadioSelect,
        error_messages={"required": _("请给出 1 到 5 星的评价。")},
    )
    comment = forms.CharField(label=_("评价"), max_length=300, required=False)
