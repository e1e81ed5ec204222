"""Forms of the casework pages. Validation of content lives in the services; these parse."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.casework.models import CaseState, Channel, LegalAidOutcome, MediationOutcome
from gonghui.core.money import MoneyFormField
from gonghui.organizations.models import ServiceType
from gonghui.organizations.picker import OrgChoiceField, OrgPicker


def _types() -> Any:
    return ServiceType.objects.filter(is_active=True)


class CaseFilterForm(forms.Form):
    """The case queue's filters (in the query string, shared by every tab and the export)."""

    type = forms.ChoiceField(label=_("服务类型"), required=False, choices=())
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *CaseState.choices]
    )
    q = forms.CharField(label=_("编号或事项"), required=False, max_length=50)
    received_from = forms.DateField(
        label=_("提交日期从"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, types: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [  # type: ignore[attr-defined]
            ("", _("全部类型")),
            *((t.code, t.name) for t in types),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("结束日期不能早于开始日期。"))
        return data


class IdempotentForm(forms.Form):
    """A hidden key minted when the form is shown: a double-clicked submit sends the same key
    twice and the service returns the first case instead of opening a second one."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class PortalCaseForm(IdempotentForm):
    service_type: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("服务类型"), queryset=ServiceType.objects.none()
    )
    title = forms.CharField(label=_("事项"), max_length=100)
    description = forms.CharField(
        label=_("情况说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    place: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("就近服务站（点）"),
        queryset=None,
        required=False,
        help_text=_("已入会的职工由所在工会就近受理，可不选。"),
    )

    def __init__(self, *args: Any, places: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = _types()  # type: ignore[attr-defined]
        self.fields["place"].queryset = places  # type: ignore[attr-defined]


class CounterCaseForm(IdempotentForm):
    channel = forms.ChoiceField(
        label=_("来源"),
        choices=[
            (Channel.COUNTER, Channel.COUNTER.label),
            (Channel.HOTLINE, Channel.HOTLINE.label),
        ],
    )
    id_number = forms.CharField(label=_("身份证号"), max_length=18)
    name = forms.CharField(label=_("姓名"), max_length=50)
    mobile = forms.CharField(
        label=_("手机号"), max_length=11, required=False, help_text=_("新登记职工时填写。")
    )
    service_type: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("服务类型"), queryset=ServiceType.objects.none()
    )
    title = forms.CharField(label=_("事项"), max_length=100)
    description = forms.CharField(
        label=_("情况说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = _types()  # type: ignore[attr-defined]


def _confirm(label: Any) -> forms.BooleanField:
    """The box to tick before a step that cannot be undone: the server refuses the step
    without it, so a stray click (or a script's dialog dismissed by habit) changes nothing."""
    return forms.BooleanField(
        label=label,
        required=True,
        error_messages={"required": _("此操作不能撤销，请勾选确认后再提交。")},
    )


class AcceptForm(forms.Form):
    confirm = _confirm(_("确认受理（受理后不能撤销）"))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(ReasonForm):
    confirm = _confirm(_("确认不予受理（事项将关闭，不能撤销）"))


class ReferForm(ReasonForm):
    # The picker offers the city's federations by name and by tree (``referral`` source);
    # the view looks the posted id up again and ``case_refer`` decides whether it may take it.
    to_org = forms.IntegerField(
        label=_("转办单位"),
        widget=OrgPicker(source="referral", placeholder=_("输入单位名称查找，如“区总工会”")),
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("办理结果"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = _confirm(_("确认办结（办结后不能撤销）"))


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("办理记录"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    public = forms.BooleanField(label=_("职工可见"), required=False)


class VisitForm(forms.Form):
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class AssignForm(forms.Form):
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("经办人"), queryset=None)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]


class MaterialForm(forms.Form):
    file = forms.FileField(label=_("材料（PDF、JPG、PNG，10 MB 以内）"))


class ConfirmForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("满意度"),
        coerce=int,
        choices=[(i, "★" * i) for i in range(5, 0, -1)],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请给出 1 到 5 星的评价。"),
            "invalid_choice": _("请给出 1 到 5 星的评价。"),
        },
    )
    comment = forms.CharField(label=_("评价"), max_length=300, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=300, required=False)


class LawyerForm(forms.Form):
    organization = OrgChoiceField(label=_("所属组织"), source="federations")
    name = forms.CharField(label=_("姓名"), max_length=50)
    firm = forms.CharField(label=_("律师事务所"), max_length=100)
    licence_number = forms.CharField(label=_("执业证号"), max_length=17)
    phone = forms.CharField(label=_("联系电话"), max_length=30)
    specialties = forms.CharField(label=_("擅长领域"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("在册"), required=False, initial=True)

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class LawyerAssignForm(forms.Form):
    lawyer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("援助律师"), queryset=None)

    def __init__(self, *args: Any, lawyers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lawyer"].queryset = lawyers  # type: ignore[attr-defined]


class LegalOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("援助结果"), choices=[c for c in LegalAidOutcome.choices if c[0] != "pending"]
    )
    note = forms.CharField(label=_("结果说明"), max_length=2000, required=False)
    recovered_amount = MoneyFormField(label=_("挽回金额（元）"), required=False)


class MediationForm(forms.Form):
    applicant = forms.CharField(label=_("申请人"), max_length=100)
    respondent = forms.CharField(label=_("被申请人"), max_length=100)
    claims = forms.CharField(
        label=_("调解请求"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    mediator = forms.CharField(label=_("调解员"), max_length=50)


class MediationSessionForm(forms.Form):
    held_on = forms.DateField(label=_("调解日期"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("地点"), max_length=100)
    attendees = forms.CharField(label=_("到场人员"), max_length=200)
    summary = forms.CharField(
        label=_("调解经过"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MediationConcludeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("调解结果"), choices=[c for c in MediationOutcome.choices if c[0] != "pending"]
    )
    agreement = forms.CharField(
        label=_("协议内容"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confirm = _confirm(_("确认结案（结案后不能再登记调解）"))


class CounsellorForm(forms.Form):
    user: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("工作人员账号"), queryset=None
    )
    name = forms.CharField(label=_("姓名"), max_length=50)
    qualification = forms.CharField(label=_("资质"), max_length=100)
    introduction = forms.CharField(label=_("简介"), max_length=300, required=False)

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users  # type: ignore[attr-defined]


class SlotForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    minutes = forms.IntegerField(label=_("时长（分钟）"), initial=50, min_value=15, max_value=180)
    place = forms.CharField(label=_("地点"), max_length=100)


class NoteWriteForm(forms.Form):
    text = forms.CharField(
        label=_("咨询记录"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


class BookForm(IdempotentForm):
    topic = forms.CharField(label=_("想咨询的方面"), max_length=100)
