from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.core.models import AccessReason
from gonghui.core.money import MoneyFormField
from gonghui.funds.models import IncomeKind, SourceKind
from gonghui.organizations.forms import OrgChoiceField
from gonghui.organizations.models import Organization


class FundForm(forms.Form):
    organization = OrgChoiceField(label=_("所属组织"), queryset=Organization.unscoped.none())
    name = forms.CharField(label=_("基金名称"), max_length=100)
    source_kind = forms.ModelChoiceField(
        label=_("资金来源"), queryset=SourceKind.objects.none(), empty_label=None
    )
    purpose = forms.CharField(
        label=_("用途"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, organizations: Any, kinds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["source_kind"].queryset = kinds  # type: ignore[attr-defined]


class IncomeForm(forms.Form):
    # A fee (缴费) is recorded by the scheme that bills it (mutual aid), not typed in here.
    kind = forms.ChoiceField(
        label=_("类型"), choices=[c for c in IncomeKind.choices if c[0] != IncomeKind.FEE]
    )
    donor = forms.CharField(label=_("捐赠方或拨款单位"), max_length=100)
    amount = MoneyFormField(label=_("金额（元）"), help_text=_("精确到分，例如 12000.00。"))
    received_on = forms.DateField(
        label=_("到账日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    receipt_number = forms.CharField(label=_("收据编号"), max_length=40)
    purpose = forms.CharField(
        label=_("用途"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()


class BatchForm(forms.Form):
    organization = OrgChoiceField(label=_("发放组织"), queryset=Organization.unscoped.none())
    title = forms.CharField(label=_("批次名称"), max_length=100)
    items = forms.TypedMultipleChoiceField(
        label=_("款项"), coerce=int, choices=(), widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args: Any, organizations: Any, item_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["items"].choices = [(i, i) for i in item_ids]  # type: ignore[attr-defined]


class ResultForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("发放结果"), choices=[("paid", _("已到账")), ("failed", _("发放失败"))]
    )
    lines = forms.TypedMultipleChoiceField(
        label=_("明细"), coerce=int, choices=(), widget=forms.CheckboxSelectMultiple
    )
    paid_on = forms.DateField(
        label=_("到账日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("银行回单上的到账日期；不填为今天。"),
    )
    reason = forms.CharField(
        label=_("失败原因"),
        max_length=200,
        required=False,
        help_text=_("按银行回单填写，例如“户名与卡号不符”。"),
    )

    def __init__(self, *args: Any, line_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(i, i) for i in line_ids]  # type: ignore[attr-defined]


class RevealForm(forms.Form):
    reason = forms.ChoiceField(label=_("查看原因"), choices=AccessReason.choices)
    reason_note = forms.CharField(label=_("说明"), max_length=200, required=False)
