"""Forms of the hardship console pages. Services check everything again; a form's own checks
are only what the browser needs to send the right shape."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.core.money import MoneyFormField
from gonghui.hardship.models import HouseholdStatus, Relation
from gonghui.members.forms import RevealForm
from gonghui.organizations.picker import OrgChoiceField

__all__ = ["RevealForm"]

CAPACITIES = (("full", _("完全")), ("partial", _("部分丧失")), ("none", _("完全丧失")))
DATE = forms.DateInput(attrs={"type": "date"})


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one input; the service checks each (type, size, contents)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/jpeg,image/png"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class RollFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名"), required=False, max_length=50)
    org = OrgChoiceField(
        label=_("建档工会（含下级）"),
        source="subtree",
        required=False,
        placeholder=_("输入工会名称查找"),
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态")), *HouseholdStatus.choices], required=False
    )
    level = forms.ChoiceField(label=_("困难等级"), required=False, choices=())
    cause = forms.ChoiceField(label=_("致困原因"), required=False, choices=())

    def __init__(self, *args: Any, orgs: Any, levels: Any, causes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["level"].choices = [("", _("全部等级")), *((x.code, x.name) for x in levels)]  # type: ignore[attr-defined]
        self.fields["cause"].choices = [("", _("全部原因")), *((x.code, x.name) for x in causes)]  # type: ignore[attr-defined]


def _causes_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("致困原因"), choices=(), widget=forms.CheckboxSelectMultiple
    )


class HouseholdForm(forms.Form):
    union = OrgChoiceField(
        label=_("建档工会"),
        source="hardship_unions",
        placeholder=_("基层工会或镇（街道）总工会"),
    )
    name = forms.CharField(label=_("职工姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=30,
        help_text=_("已登记的职工按身份证号找到；未登记的将同时登记。"),
    )
    mobile = forms.CharField(label=_("手机号"), max_length=20, required=False)
    address = forms.CharField(label=_("家庭住址"), max_length=200)
    causes = _causes_field()
    cause_note = forms.CharField(
        label=_("致困情况说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    yearly_income = MoneyFormField(label=_("职工本人年收入（元）"), required=False)
    health = forms.CharField(label=_("职工本人健康状况"), max_length=200, required=False)
    work_capacity = forms.ChoiceField(label=_("劳动能力"), choices=CAPACITIES)

    def __init__(self, *args: Any, unions: Any, causes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["union"].queryset = unions  # type: ignore[attr-defined]
        self.fields["causes"].choices = [(c.code, c.name) for c in causes]  # type: ignore[attr-defined]


class HouseholdEditForm(forms.Form):
    address = forms.CharField(
        label=_("家庭住址"),
        max_length=200,
        required=False,
        help_text=_("留空则不修改（住址加密保存，不在此显示）。"),
    )
    causes = _causes_field()
    cause_note = forms.CharField(
        label=_("致困情况说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, causes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["causes"].choices = [(c.code, c.name) for c in causes]  # type: ignore[attr-defined]


class MemberForm(forms.Form):
    """A member; on an edit the sealed fields start empty and, left empty, keep their
    stored values (they are not shown in full to be edited)."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    relation = forms.ChoiceField(
        label=_("与职工关系"), choices=[c for c in Relation.choices if c[0] != Relation.SELF]
    )
    id_number = forms.CharField(label=_("身份证号"), max_length=30)
    yearly_income = MoneyFormField(label=_("年收入（元）"), required=False)
    health = forms.CharField(label=_("健康状况"), max_length=200, required=False)
    work_capacity = forms.ChoiceField(label=_("劳动能力"), choices=CAPACITIES)
    in_school = forms.CharField(
        label=_("在读学段"),
        max_length=20,
        required=False,
        help_text=_("如：小学、初中、高中、中职、大学；不在读留空。"),
    )

    def __init__(self, *args: Any, editing: bool = False, is_self: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("id_number", "yearly_income", "health"):
                self.fields[name].required = False
                self.fields[name].help_text = _("留空则不修改（加密保存，不在此显示）。")
        if is_self:
            del self.fields["relation"]
            self.fields["name"].disabled = True
            self.fields["id_number"].disabled = True


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("核查日期"), widget=DATE)
    visitors = forms.CharField(label=_("核查人员"), max_length=100)
    findings = forms.CharField(
        label=_("核查情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = MultipleImageField(label=_("现场照片（JPG、PNG，每张 5 MB 以内，最多 9 张）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(label=_("核查日期"), widget=DATE)
    note = forms.CharField(
        label=_("核查结论"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    with_visit = forms.BooleanField(label=_("同时登记一次入户核查"), required=False)
    visitors = forms.CharField(label=_("核查人员"), max_length=100, required=False)
    findings = forms.CharField(
        label=_("核查情况"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = MultipleImageField(label=_("现场照片（JPG、PNG，每张 5 MB 以内）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewed_on"].initial = timezone.localdate()


class LeaveForm(forms.Form):
    left_on = forms.DateField(label=_("退出日期"), widget=DATE)
    reason = forms.CharField(label=_("退出原因"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["left_on"].initial = timezone.localdate()


class ReenterForm(forms.Form):
    note = forms.CharField(
        label=_("重新纳入的理由"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class IncomeLineForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    level: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("困难等级"), queryset=None, empty_label=None
    )
    line = MoneyFormField(label=_("家庭人均年收入标准（元，含）"))

    def __init__(self, *args: Any, levels: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].queryset = levels  # type: ignore[attr-defined]
        self.fields["year"].initial = timezone.localdate().year
