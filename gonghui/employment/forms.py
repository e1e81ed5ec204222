from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.core.money import MoneyFormField
from gonghui.employment.models import CourseType, PlacementSource
from gonghui.organizations.forms import OrgChoiceField
from gonghui.organizations.models import Organization

DATE = forms.DateInput(attrs={"type": "date"})


class PersonField(forms.CharField):
    """A person on the roll, by ID number (typed, posted, never in a URL: ADR 0002)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("身份证号"))
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("help_text", _("在本单位管辖范围内登记在册的会员。"))
        super().__init__(**kwargs)


class CourseForm(forms.Form):
    organization = OrgChoiceField(label=_("主办工会"), queryset=Organization.unscoped.none())
    course_type = forms.ModelChoiceField(label=_("培训项目"), queryset=CourseType.objects.none())
    title = forms.CharField(label=_("培训班名称"), max_length=100)
    place = forms.CharField(label=_("培训地点"), max_length=100)
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=10_000)
    starts_on = forms.DateField(label=_("开班日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结业日期"), widget=DATE)
    enrol_until = forms.DateField(label=_("报名截止日期"), widget=DATE)
    pass_percent = forms.IntegerField(
        label=_("结业出勤率（%）"),
        min_value=1,
        max_value=100,
        initial=80,
        help_text=_("出勤场次达到全部场次的这一比例即准予结业。"),
    )
    open_to_all = forms.BooleanField(label=_("面向全市职工报名"), required=False)
    description = forms.CharField(
        label=_("培训内容"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, organizations: Any, kinds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["course_type"].queryset = kinds  # type: ignore[attr-defined]


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("上课日期"), widget=DATE)
    topic = forms.CharField(label=_("内容"), max_length=100)


class EnrolForm(forms.Form):
    id_number = PersonField()


class AttendanceForm(forms.Form):
    present = forms.TypedMultipleChoiceField(
        label=_("出勤学员"),
        coerce=int,
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, enrolments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = enrolments  # type: ignore[attr-defined]


class CompletionForm(forms.Form):
    completed = forms.TypedChoiceField(
        label=_("结业结果"),
        choices=[("1", _("准予结业")), ("0", _("不予结业"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("原因"), max_length=200)


class FairForm(forms.Form):
    organization = OrgChoiceField(label=_("主办工会"), queryset=Organization.unscoped.none())
    title = forms.CharField(label=_("招聘会名称"), max_length=100)
    campaign = forms.CharField(
        label=_("专项活动"), max_length=50, required=False, help_text=_("例如“春风行动”。")
    )
    held_on = forms.DateField(label=_("举办日期"), widget=DATE)
    place = forms.CharField(label=_("举办地点"), max_length=100)
    served_count = forms.IntegerField(
        label=_("服务人数"), min_value=0, max_value=100_000, initial=0
    )
    note = forms.CharField(
        label=_("备注"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class ServedForm(forms.Form):
    served_count = forms.IntegerField(label=_("服务人数"), min_value=0, max_value=100_000)


class EmployerForm(forms.Form):
    name = forms.CharField(label=_("用人单位"), max_length=100)


class PostForm(forms.Form):
    employer = forms.TypedChoiceField(label=_("参会单位"), coerce=int, choices=())
    title = forms.CharField(label=_("岗位"), max_length=50)
    count = forms.IntegerField(label=_("招聘人数"), min_value=1, max_value=100_000)
    wage_min = MoneyFormField(label=_("月薪下限（元）"))
    wage_max = MoneyFormField(label=_("月薪上限（元）"))

    def __init__(self, *args: Any, employers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employer"].choices = employers  # type: ignore[attr-defined]


class VisitorForm(forms.Form):
    id_number = PersonField()


class PlacementForm(forms.Form):
    organization = OrgChoiceField(label=_("登记工会"), queryset=Organization.unscoped.none())
    id_number = PersonField()
    employer_name = forms.CharField(label=_("用人单位"), max_length=100)
    post = forms.CharField(label=_("岗位"), max_length=50)
    monthly_wage = MoneyFormField(label=_("月工资（元）"), help_text=_("精确到分，例如 3200.00。"))
    starts_on = forms.DateField(label=_("上岗日期"), widget=DATE)
    source = forms.ChoiceField(label=_("就业渠道"), choices=PlacementSource.choices)
    fair = forms.TypedChoiceField(
        label=_("招聘会"), coerce=int, choices=(), required=False, empty_value=None
    )
    course = forms.TypedChoiceField(
        label=_("培训班"), coerce=int, choices=(), required=False, empty_value=None
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        organizations: Any,
        fairs: list[tuple[int, str]],
        courses: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["fair"].choices = [("", _("（无）")), *fairs]  # type: ignore[attr-defined]
        self.fields["course"].choices = [("", _("（无）")), *courses]  # type: ignore[attr-defined]


class FollowUpForm(forms.Form):
    followed_up_on = forms.DateField(label=_("回访日期"), widget=DATE)
    still_employed = forms.TypedChoiceField(
        label=_("是否仍在岗"),
        choices=[("1", _("仍在岗")), ("0", _("已离岗"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("回访情况"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["followed_up_on"].initial = timezone.localdate()
