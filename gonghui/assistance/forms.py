from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.assistance import rules
from gonghui.assistance.models import TIER_KINDS, TIER_LABELS, Beneficiary, HelpKind
from gonghui.funds.models import Fund
from gonghui.organizations.models import Organization
from gonghui.organizations.picker import OrgChoiceField


class ProgrammeForm(forms.Form):
    organization = OrgChoiceField(
        label=_("主办组织"), queryset=Organization.unscoped.none(), source="federations"
    )
    kind = forms.ChoiceField(label=_("帮扶类别"), choices=HelpKind.choices)
    name = forms.CharField(label=_("项目名称"), max_length=100)
    description = forms.CharField(
        label=_("项目说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class RoundForm(forms.Form):
    name = forms.CharField(
        label=_("批次名称"), max_length=100, help_text=_("例如“2017 金秋助学”。")
    )
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2099)
    opens_on = forms.DateField(
        label=_("申请开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closes_on = forms.DateField(
        label=_("申请截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    tiers = forms.MultipleChoiceField(
        label=_("审核层级"),
        choices=[(kind, TIER_LABELS[kind]) for kind in TIER_KINDS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("从下往上依次审核：下一级同意后，上一级才能审核。"),
    )
    funds = forms.ModelMultipleChoiceField(
        label=_("支出基金"),
        queryset=Fund.unscoped.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("每份申请由其所在工会之上最近的一个基金支付。"),
    )
    once_per_household = forms.BooleanField(label=_("每户限申请一次"), required=False)
    documents_required = forms.BooleanField(label=_("须上传证明材料"), required=False)
    documents_hint = forms.CharField(
        label=_("证明材料说明"),
        max_length=200,
        required=False,
        help_text=_("例如“请上传录取通知书（图片或 PDF）”。"),
    )
    rules_data = forms.CharField(
        label=_("申报条件"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 10, "class": "form-control font-monospace"}),
        help_text=_(
            "“全部满足”：每一项都要符合；“满足其一”：符合一项即可（写明不符合时告知）；"
            "每个条件写明“不符合时告知”申请人的原因。"
        ),
    )
    amounts = forms.CharField(
        label=_("补助标准"),
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control font-monospace"}),
        help_text=_(
            '每人固定：{"固定金额": "4500.00"}；按学段：'
            '{"按": "子女录取学段", "金额": {"本科": "4000.00"} }。'
        ),
    )

    def __init__(self, *args: Any, funds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["funds"].queryset = funds  # type: ignore[attr-defined]

    @staticmethod
    def template_initial(key: str) -> dict[str, Any]:
        label, rule, table = rules.TEMPLATES[key]
        return {
            "name": str(label),
            "rules_data": json.dumps(rules.readable(rule), ensure_ascii=False, indent=2),
            "amounts": json.dumps(rules.readable(table), ensure_ascii=False, indent=2),
        }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); the service checks each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [d for d in data if d]
        return [data] if data else []


# The declared fields a round asks for only when its rules or amounts use their facts.
ASKED_BY = {
    "school": {"child.education_level", "child.admission_year", "child.admitted_this_year"},
    "education_level": {"child.education_level"},
    "admission_year": {"child.admission_year", "child.admitted_this_year"},
    "condition": {"member.condition"},
}


class ApplicationForm(forms.Form):
    """What an application declares; the round decides which of the fields matter: with
    ``round``, a field none of its facts use is left out (no illness on a study grant), and
    a grant for a child starts with the child as the beneficiary."""

    beneficiary = forms.ChoiceField(label=_("受助对象"), choices=Beneficiary.choices)
    beneficiary_name = forms.CharField(label=_("受助人姓名"), max_length=50)
    school = forms.CharField(label=_("录取学校"), max_length=100, required=False)
    education_level = forms.ChoiceField(
        label=_("录取学段"), choices=[("", "—"), *rules.EDUCATION_LEVELS], required=False
    )
    admission_year = forms.IntegerField(
        label=_("录取年份"), min_value=1990, max_value=2099, required=False
    )
    condition = forms.ChoiceField(
        label=_("患病情况"), choices=[("", "—"), *rules.CONDITIONS], required=False
    )
    note = forms.CharField(
        label=_("申请说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    account_holder = forms.CharField(label=_("收款户名"), max_length=50, required=False)
    bank_name = forms.CharField(label=_("开户行"), max_length=100, required=False)
    bank_card = forms.CharField(
        label=_("银行卡号"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    documents = MultipleFileField(
        label=_("证明材料"),
        required=False,
        help_text=_("录取通知书、诊断证明等，PDF、JPG 或 PNG，每个不超过 10 MB，最多 5 个。"),
    )

    def __init__(self, *args: Any, round: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.about_child = False
        if round is None:
            return
        asked = rules.facts_used(round.rules, round.amounts)
        for name, facts in ASKED_BY.items():
            if not asked & facts:
                del self.fields[name]
        self.about_child = bool(asked & ASKED_BY["school"])
        if self.about_child:
            self.initial.setdefault("beneficiary", Beneficiary.CHILD)

    def declared(self) -> Any:
        from gonghui.assistance.services import Declared

        data = self.cleaned_data
        return Declared(
            beneficiary=data["beneficiary"],
            beneficiary_name=data["beneficiary_name"],
            school=data.get("school", ""),
            education_level=data.get("education_level", ""),
            admission_year=data.get("admission_year"),
            condition=data.get("condition", ""),
            note=data["note"],
        )


class ClerkApplicationForm(ApplicationForm):
    id_number = forms.CharField(
        label=_("申请人身份证号"),
        max_length=18,
        help_text=_("申请人须为本单位会员或已建立困难职工档案。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    field_order = ("id_number",)


class BankForm(forms.Form):
    account_holder = forms.CharField(label=_("收款户名"), max_length=50)
    bank_name = forms.CharField(label=_("开户行"), max_length=100)
    bank_card = forms.CharField(
        label=_("银行卡号"), max_length=30, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class ProposalFilterForm(forms.Form):
    org = OrgChoiceField(
        label=_("范围（含下级）"), queryset=Organization.unscoped.none(), required=False
    )

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = organizations  # type: ignore[attr-defined]


class FiguresFilterForm(forms.Form):
    org = OrgChoiceField(
        label=_("组织（含下级）"), queryset=Organization.unscoped.none(), required=False
    )
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False)

    def __init__(self, *args: Any, organizations: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["year"].choices = [(y, str(y)) for y in years]  # type: ignore[attr-defined]
