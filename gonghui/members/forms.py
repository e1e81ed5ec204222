from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.core.models import AccessReason
from gonghui.core.validators import (
    check_plain_text,
    form_validator,
    normalize_id_number,
    normalize_mobile,
)
from gonghui.members.models import Education, Household, LeaveReason, MembershipStatus, Sex
from gonghui.organizations.models import Enterprise
from gonghui.organizations.picker import OrgChoiceField


class PersonFields(forms.Form):
    """The person's fields. The ID number and mobile are checked here too, by the platform's
    validators the service uses, so that a form with an empty required field names a wrong
    number in the same answer instead of after the next submit."""

    name = forms.CharField(
        label=_("姓名"), max_length=50, validators=[form_validator(check_plain_text)]
    )
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=30,
        help_text=_("18 位，最后一位可以是 X；出生日期和性别由身份证号自动得出。"),
        validators=[form_validator(normalize_id_number)],
    )
    mobile = forms.CharField(
        label=_("手机号"),
        max_length=20,
        required=False,
        validators=[form_validator(normalize_mobile)],
    )
    household = forms.ChoiceField(
        label=_("户籍类型"), choices=[("", "—"), *Household.choices], required=False
    )
    education = forms.ChoiceField(
        label=_("学历"), choices=[("", "—"), *Education.choices], required=False
    )


class MemberAddForm(PersonFields):
    union = OrgChoiceField(
        label=_("所在工会"), source="grassroots", placeholder=_("输入基层工会名称查找")
    )
    employer = forms.ModelChoiceField(
        label=_("工作单位"), queryset=Enterprise.unscoped.none(), required=False
    )
    joined_on = forms.DateField(label=_("入会日期"), widget=forms.DateInput(attrs={"type": "date"}))

    field_order = ["union", "name", "id_number", "mobile", "household", "education"]

    def __init__(self, *args: Any, unions: Any, employers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["union"].queryset = unions  # type: ignore[attr-defined]
        self.fields["employer"].queryset = employers  # type: ignore[attr-defined]
        self.fields["joined_on"].initial = timezone.localdate()


class PersonEditForm(PersonFields):
    employer = forms.ModelChoiceField(
        label=_("工作单位"), queryset=Enterprise.unscoped.none(), required=False
    )

    def __init__(self, *args: Any, employers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = employers  # type: ignore[attr-defined]
        for name in ("id_number", "mobile"):
            self.fields[name].required = False
            self.fields[name].help_text = _("留空表示不变；如需更正，请填写完整的新号码。")


class MemberFilterForm(forms.Form):
    """The member list's filters and sort (all in the query string, so a list can be linked
    and its export takes the same rows). Without ``status`` in the query the list shows the
    active members; ``status=`` (empty) means every state."""

    q = forms.CharField(label=_("姓名"), required=False, max_length=50)
    org = OrgChoiceField(
        label=_("所在工会"),
        source="subtree",
        required=False,
        placeholder=_("输入工会名称查找"),
    )
    employer = forms.IntegerField(required=False)
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态")), *MembershipStatus.choices], required=False
    )
    sex = forms.ChoiceField(
        label=_("性别"), choices=[("", _("全部性别")), *Sex.choices], required=False
    )
    household = forms.ChoiceField(
        label=_("户籍类型"), choices=[("", _("全部户籍")), *Household.choices], required=False
    )
    joined_from = forms.DateField(
        label=_("入会日期从"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    joined_to = forms.DateField(
        label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args: Any, orgs: Any, sorts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["sort"].choices = [  # type: ignore[attr-defined]
            ("", ""),
            *((key, key) for key in sorts),
            *((f"-{key}", key) for key in sorts),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("joined_from"), data.get("joined_to")
        if start and end and start > end:
            self.add_error("joined_to", _("结束日期不能早于开始日期。"))
        return data


class RevealForm(forms.Form):
    reason = forms.ChoiceField(label=_("查看原因"), choices=AccessReason.choices)
    reason_note = forms.CharField(label=_("说明"), max_length=200, required=False)


class LeaveForm(forms.Form):
    reason = forms.ChoiceField(label=_("退会原因"), choices=LeaveReason.choices)
    ended_on = forms.DateField(label=_("退会日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].initial = timezone.localdate()


class TransferForm(forms.Form):
    """A worker's own transfer (the portal): the union's id from the portal's union search."""

    to_union = forms.IntegerField(label=_("转入工会"), widget=forms.HiddenInput)
    reason = forms.CharField(label=_("转接原因"), max_length=300)


class StaffTransferForm(forms.Form):
    """A transfer started by the member's union (the console): any grassroots union of the
    city, found by name or through the tree (the picker's ``unions_citywide`` source; the view
    sets the same queryset, which validates the posted id)."""

    to_union = OrgChoiceField(
        label=_("转入工会"),
        source="unions_citywide",
        placeholder=_("输入工会名称查找"),
        error_messages={
            "required": _("请选择转入的基层工会。"),
            "invalid_choice": _("请选择转入的基层工会。"),
        },
    )
    reason = forms.CharField(label=_("转接原因"), max_length=300)

    def __init__(self, *args: Any, unions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_union"].queryset = unions  # type: ignore[attr-defined]


class JoinForm(forms.Form):
    union = forms.IntegerField(widget=forms.HiddenInput)
    employer_name = forms.CharField(label=_("工作单位"), max_length=100)
    note = forms.CharField(label=_("补充说明"), max_length=300, required=False)


class RegisterForm(forms.Form):
    name = forms.CharField(label=_("真实姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=30)
    household = forms.ChoiceField(
        label=_("户籍类型"), choices=[("", "—"), *Household.choices], required=False
    )
