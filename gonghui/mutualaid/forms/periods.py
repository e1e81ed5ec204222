"""Forms of the period pages: a period's settings, and the calculator. The rules editor is
not a Django form: its rows come and go (``views.periods.RulesEditor`` reads the posted
fields into the rules' JSON and puts ``rules.parse``'s errors back at each field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.core.money import MoneyFormField
from gonghui.funds.models import Fund
from gonghui.mutualaid.models import Period
from gonghui.organizations.models import Organization
from gonghui.organizations.picker import OrgChoiceField

DATE = forms.DateInput(attrs={"type": "date"})


class PeriodForm(forms.Form):
    organization = OrgChoiceField(
        label=_("主办工会"), queryset=Organization.unscoped.none(), source="federations"
    )
    name = forms.CharField(label=_("名称"), max_length=60, help_text=_("例如“第四期（2017年）”。"))
    starts_on = forms.DateField(label=_("保障开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("保障结束日期"), widget=DATE)
    enrol_opens_on = forms.DateField(label=_("参保登记开始"), widget=DATE)
    enrol_closes_on = forms.DateField(label=_("参保登记截止"), widget=DATE)
    fee = MoneyFormField(label=_("每人缴费（元）"))
    fund = forms.ModelChoiceField(label=_("互助保障基金"), queryset=Fund.unscoped.none())
    waiting_days = forms.IntegerField(
        label=_("首次参保等待期（天）"),
        min_value=0,
        max_value=365,
        initial=90,
        help_text=_("连续参保的职工不设等待期。"),
    )
    claim_days = forms.IntegerField(
        label=_("出院后申请期限（天）"),
        min_value=1,
        max_value=730,
        required=False,
        help_text=_("不限请留空；与下面的截止日期同时设置时两者都适用。"),
    )
    claims_close_on = forms.DateField(
        label=_("理赔申请截止日期"),
        required=False,
        widget=DATE,
        help_text=_("例如次年 3 月 31 日。"),
    )
    auto_approve_below = MoneyFormField(
        label=_("自动审核限额（元）"),
        initial="0",
        help_text=_("赔付金额低于此数且无异常提示的理赔自动核准（抽检的除外）。"),
    )
    sample_percent = forms.IntegerField(
        label=_("抽检比例（%）"), min_value=0, max_value=100, initial=0
    )
    flag_multiple = forms.DecimalField(
        label=_("异常倍数"),
        min_value=1,
        max_digits=5,
        decimal_places=2,
        initial=3,
        help_text=_("政策内自付超过本期同类别或同医院平均值的这一倍数时，提示人工审核。"),
    )

    def __init__(self, *args: Any, organizations: Any = None, funds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = funds  # type: ignore[attr-defined]
        if organizations is None:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]

    @staticmethod
    def initial_of(period: Period) -> dict[str, Any]:
        names = (
            "name starts_on ends_on enrol_opens_on enrol_closes_on fee waiting_days claim_days "
            "claims_close_on auto_approve_below sample_percent flag_multiple"
        ).split()
        return {"fund": period.fund_id, **{name: getattr(period, name) for name in names}}


class CalculatorForm(forms.Form):
    period = forms.ModelChoiceField(label=_("保障期"), queryset=Period.unscoped.none())
    category = forms.ChoiceField(label=_("保障类别"), choices=())
    amounts = forms.CharField(
        label=_("各张发票的政策内自付金额（元）"),
        max_length=200,
        help_text=_("一张发票填一个金额，多张用空格或逗号隔开，例如 3200.50 1800。"),
    )
    earlier_eligible = MoneyFormField(
        label=_("本年此前同类别已申报的政策内自付合计（元）"), required=False
    )
    other_benefit = MoneyFormField(label=_("本年此前其他类别已赔付合计（元）"), required=False)

    def __init__(self, *args: Any, periods: Any, categories: list[tuple[str, str]], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["period"].queryset = periods  # type: ignore[attr-defined]
        self.fields["category"].choices = categories  # type: ignore[attr-defined]

    def amount_list(self) -> list[str]:
        text = self.cleaned_data.get("amounts") or ""
        return [part for part in text.replace("，", ",").replace(",", " ").split() if part]
