from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.organizations.models import Enterprise, GrassrootsKind
from gonghui.organizations.picker import OrgChoiceField


class FoundingForm(forms.Form):
    parent = OrgChoiceField(label=_("上级工会"), source="federations")
    proposed_name = forms.CharField(label=_("拟成立工会名称"), max_length=100)
    grassroots_kind = forms.ChoiceField(label=_("工会类型"), choices=GrassrootsKind.choices)
    enterprises = forms.ModelMultipleChoiceField(
        label=_("覆盖企业"),
        queryset=Enterprise.unscoped.none(),
        help_text=_("联合工会、楼宇工会可覆盖多家企业；按住 Ctrl 多选。"),
    )
    chair_name = forms.CharField(label=_("拟任工会主席"), max_length=50)
    initial_members = forms.IntegerField(label=_("首批会员人数"), min_value=1)
    planned_on = forms.DateField(
        label=_("拟成立日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("申请说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, parents: Any, enterprises: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["enterprises"].queryset = enterprises  # type: ignore[attr-defined]
        self.fields["enterprises"].widget.attrs["size"] = 10


class MechanismForm(forms.Form):
    established_on = forms.DateField(
        label=_("建立日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_held_on = forms.DateField(
        label=_("最近一次开展"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    evidence = forms.FileField(
        label=_("佐证材料"), required=False, help_text=_("PDF、JPG 或 PNG，不超过 10 MB。")
    )
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class HomeAssessmentForm(forms.Form):
    assessed_on = forms.DateField(
        label=_("评定日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("评定意见"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, items: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.fields["assessed_on"].initial = timezone.localdate()
        for item in self.items:
            self.fields[f"score_{item.pk}"] = forms.DecimalField(
                label=item.title,
                min_value=0,
                max_value=item.max_score,
                decimal_places=1,
                help_text=item.description,
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("说明"), max_length=300, required=False
            )

    def item_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(i, self[f"score_{i.pk}"], self[f"note_{i.pk}"]) for i in self.items]

    def scores(self) -> dict[int, tuple[Any, str]]:
        return {
            i.pk: (self.cleaned_data[f"score_{i.pk}"], self.cleaned_data[f"note_{i.pk}"])
            for i in self.items
        }


class BrandForm(forms.Form):
    organization = OrgChoiceField(label=_("申报组织"), source="federations")
    year = forms.IntegerField(label=_("年度"))
    title = forms.CharField(label=_("品牌项目"), max_length=100)
    description = forms.CharField(
        label=_("项目内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args: Any, orgs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["year"].initial = timezone.localdate().year


class BrandScoreForm(forms.Form):
    score = forms.DecimalField(label=_("考核得分"), min_value=0, max_value=100, decimal_places=1)
    score_note = forms.CharField(label=_("考核意见"), max_length=300, required=False)
