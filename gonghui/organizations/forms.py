from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.organizations.models import (
    GrassrootsKind,
    Industry,
    Organization,
    OrgKind,
    ServiceTier,
    ServiceType,
    TimeUnit,
    Weekday,
)
from gonghui.organizations.picker import OrgChoiceField


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    short_name = forms.CharField(label=_("简称"), max_length=40, required=False)
    kind = forms.ChoiceField(label=_("层级"), choices=OrgKind.choices)
    grassroots_kind = forms.ChoiceField(
        label=_("基层工会类型"),
        choices=[("", "—"), *GrassrootsKind.choices],
        required=False,
        help_text=_("仅基层工会填写。"),
    )
    code = forms.CharField(
        label=_("组织编码"),
        max_length=20,
        required=False,
        help_text=_("用于批量导入时指明工会；留空则自动生成。"),
    )
    division_code = forms.CharField(label=_("行政区划代码"), max_length=14, required=False)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=22,
        required=False,
        help_text=_("工会法人资格证书上的代码，可留空。"),
    )
    chair_name = forms.CharField(label=_("工会主席"), max_length=50, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    established_on = forms.DateField(
        label=_("成立日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class OrganizationEditForm(OrganizationForm):
    is_active = forms.BooleanField(label=_("有效"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class OrganizationMoveForm(forms.Form):
    new_parent = OrgChoiceField(label=_("移到以下组织之下"), source="federations")
    reason = forms.CharField(label=_("调整原因"), max_length=200)

    def __init__(self, *args: Any, parents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = parents  # type: ignore[attr-defined]


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=100)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=22)
    industry = forms.ChoiceField(label=_("行业"), choices=Industry.choices)
    employee_count = forms.IntegerField(label=_("职工人数"), min_value=0)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    area = OrgChoiceField(label=_("所在镇（街道）"), source="federations")
    union = OrgChoiceField(
        label=_("覆盖的基层工会"),
        source="grassroots",
        required=False,
        help_text=_("尚未建会的企业留空。"),
    )

    def __init__(self, *args: Any, areas: Any, unions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.fields["union"].queryset = unions  # type: ignore[attr-defined]


class EnterpriseFilterForm(forms.Form):
    q = forms.CharField(label=_("名称或信用代码"), required=False)
    industry = forms.ChoiceField(
        label=_("行业"), choices=[("", _("全部行业")), *Industry.choices], required=False
    )
    unionised = forms.ChoiceField(
        label=_("建会情况"),
        choices=[("", _("全部")), ("yes", _("已建会")), ("no", _("未建会"))],
        required=False,
    )


class ServicePlaceForm(forms.Form):
    organization = OrgChoiceField(label=_("所属组织"), source="subtree")
    tier = forms.ChoiceField(label=_("类别"), choices=ServiceTier.choices)
    name = forms.CharField(label=_("名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200)
    phone = forms.CharField(label=_("咨询电话"), max_length=30, required=False)
    service_types = forms.ModelMultipleChoiceField(
        label=_("提供的服务"),
        queryset=ServiceType.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    staff = forms.ModelMultipleChoiceField(
        label=_("值守人员"),
        queryset=Organization.unscoped.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    is_active = forms.BooleanField(label=_("开放"), required=False, initial=True)

    def __init__(self, *args: Any, orgs: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
        for day in Weekday:
            self.fields[f"opens_{day.value}"] = forms.TimeField(
                label=_("%(d)s 开始") % {"d": day.label},
                required=False,
                widget=forms.TimeInput(
                    attrs={"type": "time", "class": "form-control form-control-sm"}
                ),
            )
            self.fields[f"closes_{day.value}"] = forms.TimeField(
                label=_("%(d)s 结束") % {"d": day.label},
                required=False,
                widget=forms.TimeInput(
                    attrs={"type": "time", "class": "form-control form-control-sm"}
                ),
            )

    def opening(self) -> list[tuple[int, Any, Any]]:
        periods = []
        for day in Weekday:
            opens = self.cleaned_data.get(f"opens_{day.value}")
            closes = self.cleaned_data.get(f"closes_{day.value}")
            if opens and closes:
                periods.append((day.value, opens, closes))
            elif opens or closes:
                self.add_error(f"closes_{day.value}", _("请同时填写开始和结束时间。"))
        return periods

    def day_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (day.label, self[f"opens_{day.value}"], self[f"closes_{day.value}"]) for day in Weekday
        ]


class ServiceTypeForm(forms.Form):
    response_limit = forms.IntegerField(label=_("响应时限"), min_value=1, max_value=720)
    response_unit = forms.ChoiceField(label=_("单位"), choices=TimeUnit.choices)
    resolution_limit = forms.IntegerField(label=_("办结时限"), min_value=1, max_value=720)
    resolution_unit = forms.ChoiceField(label=_("单位"), choices=TimeUnit.choices)
    tiers = forms.MultipleChoiceField(
        label=_("可办理的层级"), choices=ServiceTier.choices, widget=forms.CheckboxSelectMultiple
    )
    auto_close_days = forms.IntegerField(label=_("办结后自动关闭天数"), min_value=1, max_value=90)
    is_active = forms.BooleanField(label=_("提供此项服务"), required=False)
