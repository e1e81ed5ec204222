"""Forms of the menu-service pages. They parse; the rules (quotas, dates, who may) live in
``gonghui.culture.services.menu``, whose messages land at the field that caused them. A
field is required here only where it always is (the asterisk tells the user before they
submit); a conditional rule (a reason when refusing) is left to the service to explain."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.culture.models import MenuItemKind


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
