from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.core.money import MoneyFormField
from gonghui.organizations.models import Organization
from gonghui.organizations.picker import OrgChoiceField


class MonthInput(forms.TextInput):
    input_type = "month"


def month_field(label: Any, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=10, widget=MonthInput(attrs={"placeholder": "2017-01"}), **kwargs
    )


class PostFilterForm(forms.Form):
    """The posts list's filters, all in the query string (the export takes the same rows)."""

    q = forms.CharField(label=_("岗位或人员"), required=False, max_length=50)
    adopter = forms.CharField(label=_("认领单位"), required=False, max_length=50)
    org = OrgChoiceField(
        label=_("设岗或建档工会（含下级）"),
        required=False,
        placeholder=_("输入工会名称查找"),
    )
    status = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args: Any, orgs: Any, statuses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("全部状态")), *statuses]  # type: ignore[attr-defined]


class PostForm(forms.Form):
    organization = OrgChoiceField(label=_("设岗工会"), queryset=Organization.unscoped.none())
    title = forms.CharField(label=_("岗位名称"), max_length=50, help_text=_("例如：社区保洁协管员"))
    duties = forms.CharField(
        label=_("岗位职责"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    monthly_amount = MoneyFormField(
        label=_("每月待遇（元）"), help_text=_("精确到分，例如 300.00。")
    )
    start_month = month_field(_("起始月份"))
    end_month = month_field(_("终止月份"))
    account_holder = forms.CharField(label=_("户名"), max_length=50)
    bank_name = forms.CharField(label=_("开户行"), max_length=100)
    bank_card = forms.CharField(label=_("银行卡号"), max_length=30)

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class AdoptForm(forms.Form):
    credit_code = forms.CharField(
        label=_("认领企业的统一社会信用代码"),
        max_length=18,
        required=False,
        help_text=_("已登记的企业填写信用代码；机关、事业单位不填，填写下面的单位名称。"),
    )
    adopter_name = forms.CharField(label=_("认领单位名称"), max_length=100, required=False)
    fund: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("支出基金"),
        queryset=None,
        empty_label=None,
        help_text=_("认领资金存入并支付该岗位的基金（本级或上级）。"),
    )
    from_month = month_field(_("认领起始月份"))
    committed = MoneyFormField(label=_("认领资金（元）"), required=False)
    received_on = forms.DateField(
        label=_("到账日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    receipt_number = forms.CharField(label=_("收据编号"), max_length=40, required=False)

    def __init__(self, *args: Any, funds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = funds  # type: ignore[attr-defined]


class SuspendForm(forms.Form):
    from_month = month_field(_("暂停起始月份"))
    reason = forms.CharField(label=_("暂停原因"), max_length=200)


class ResumeForm(forms.Form):
    from_month = month_field(_("恢复发放月份"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class EndForm(forms.Form):
    last_month = month_field(_("最后发放月份"))
    reason = forms.CharField(label=_("终止原因"), max_length=200)


class PayRunForm(forms.Form):
    organization = OrgChoiceField(label=_("发放工会"), queryset=Organization.unscoped.none())
    month = month_field(_("发放月份"))

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
