"""Forms of the enrolment pages: one field each as the services take them; the services
check (one place per rule)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.core.money import MoneyFormField


class EnrolForm(forms.Form):
    id_number = forms.CharField(
        label=_("身份证号"), max_length=30, help_text=_("在册会员的 18 位身份证号")
    )


class PaymentForm(forms.Form):
    amount = MoneyFormField(label=_("到账金额（元）"), help_text=_("精确到分，可以部分缴费。"))
    paid_on = forms.DateField(label=_("到账日期"), widget=forms.DateInput(attrs={"type": "date"}))
    bank_reference = forms.CharField(label=_("银行流水号"), max_length=60)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class RefundForm(forms.Form):
    left_on = forms.DateField(
        label=_("离开单位日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("退保原因"), max_length=200)
    account_holder = forms.CharField(
        label=_("退款户名"), max_length=50, required=False, help_text=_("已缴费的才需填写")
    )
    bank_name = forms.CharField(label=_("开户行"), max_length=100, required=False)
    bank_card = forms.CharField(label=_("银行账号"), max_length=40, required=False)
