"""Forms for claims: the claim itself (the worker's phone page and the clerk's page share it:
up to three invoices, the documents by kind, the bank account), the reviewer's actions, the
counter's lookup of the person and the figures filter. The service checks every rule; a
form only parses what was typed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gonghui.core.models import AccessReason
from gonghui.mutualaid.models import ClaimChannel, DocumentKind

INVOICE_ROWS = 3
# The service's error keys for invoices (``invoices.0.total``) → the form's fields.
INVOICE_FIELDS = ("code", "number", "total", "insurance_paid", "eligible")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); the service checks each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,image/*"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [d for d in data if d]
        return [data] if data else []


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


def _money(label: Any, required: bool = False) -> forms.CharField:
    # Text, not a DecimalField: the service's money rule gives the Chinese message.
    return forms.CharField(
        label=label,
        max_length=20,
        required=required,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class ClaimForm(forms.Form):
    category = forms.ChoiceField(label=_("保障类别"), choices=())
    hospital = forms.CharField(label=_("就诊医院"), max_length=100)
    admitted_on = forms.DateField(label=_("入院（就诊）日期"), widget=_date())
    discharged_on = forms.DateField(label=_("出院日期"), widget=_date())
    diagnosis = forms.CharField(label=_("诊断"), max_length=200)
    account_holder = forms.CharField(label=_("收款户名"), max_length=50)
    bank_name = forms.CharField(label=_("开户行"), max_length=100)
    bank_card = forms.CharField(
        label=_("银行卡号"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    invoice_files = MultipleFileField(
        label=_("发票照片或 PDF"),
        required=False,
        help_text=_("PDF、JPG 或 PNG，每个不超过 10 MB。"),
    )
    discharge_files = MultipleFileField(label=_("出院小结（门诊病历）"), required=False)

    def __init__(self, *args: Any, categories: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *categories]  # type: ignore[attr-defined]
        for i in range(INVOICE_ROWS):
            required = i == 0
            self.fields[f"inv{i}_code"] = forms.CharField(
                label=_("发票代码"), max_length=20, required=required
            )
            self.fields[f"inv{i}_number"] = forms.CharField(
                label=_("发票号码"), max_length=20, required=required
            )
            self.fields[f"inv{i}_total"] = _money(_("费用总额"), required)
            self.fields[f"inv{i}_insurance_paid"] = _money(_("统筹支付"))
            self.fields[f"inv{i}_eligible"] = _money(_("政策内自付"), required)

    @property
    def main_fields(self) -> list[Any]:
        names = ("category", "hospital", "admitted_on", "discharged_on", "diagnosis")
        return [self[name] for name in names]

    @property
    def bank_fields(self) -> list[Any]:
        return [self[name] for name in ("account_holder", "bank_name", "bank_card")]

    @property
    def invoice_rows(self) -> list[list[Any]]:
        return [[self[f"inv{i}_{f}"] for f in INVOICE_FIELDS] for i in range(INVOICE_ROWS)]

    def data_for_service(self) -> Any:
        from gonghui.mutualaid.services.claims import ClaimInput, InvoiceInput

        data = self.cleaned_data
        invoices = []
        for i in range(INVOICE_ROWS):
            values = {f: (data.get(f"inv{i}_{f}") or "").strip() for f in INVOICE_FIELDS}
            if i and not any(values.values()):
                continue
            invoices.append(
                InvoiceInput(
                    code=values["code"],
                    number=values["number"],
                    total=values["total"],
                    insurance_paid=values["insurance_paid"] or "0",
                    eligible=values["eligible"],
                )
            )
        return ClaimInput(
            category=data.get("category") or "",
            hospital=data.get("hospital") or "",
            admitted_on=data.get("admitted_on"),
            discharged_on=data.get("discharged_on"),
            diagnosis=data.get("diagnosis") or "",
            invoices=invoices,
            account_holder=data.get("account_holder") or "",
            bank_name=data.get("bank_name") or "",
            bank_card=data.get("bank_card") or "",
        )

    def documents(self) -> list[tuple[str, Any]]:
        return [
            *((DocumentKind.INVOICE, f) for f in self.cleaned_data.get("invoice_files") or []),
            *((DocumentKind.DISCHARGE, f) for f in self.cleaned_data.get("discharge_files") or []),
        ]

    def apply_service_errors(self, exc: ValidationError) -> None:
        """A service's errors at their fields (``invoices.0.total`` → ``inv0_total``)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, errors in exc.error_dict.items():
            target: str | None = key
            if key.startswith("invoices."):
                parts = key.split(".")
                target = f"inv{parts[1]}_{parts[2]}" if len(parts) == 3 else None
            if key == "documents":
                target = "invoice_files"
            if target not in self.fields:
                target = None
            for error in errors:
                self.add_error(target, error.messages)


class DocumentsForm(forms.Form):
    """Documents sent after the claim (补充材料), of one kind."""

    kind = forms.ChoiceField(label=_("材料类型"), choices=DocumentKind.choices)
    document_files = MultipleFileField(
        label=_("文件"), help_text=_("PDF、JPG 或 PNG，每个不超过 10 MB。"), required=False
    )

    def documents(self) -> list[tuple[str, Any]]:
        kind = self.cleaned_data.get("kind") or ""
        return [(kind, f) for f in self.cleaned_data.get("document_files") or []]

    def apply_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, errors in exc.error_dict.items():
            self.add_error("document_files" if key == "documents" else None, errors)


class ClerkClaimForm(ClaimForm):
    channel = forms.ChoiceField(
        label=_("受理方式"),
        choices=[(ClaimChannel.UNION, _("工会代办")), (ClaimChannel.COUNTER, _("窗口受理"))],
    )
    counter_visit = forms.BooleanField(
        label=_("职工本人到窗口办理"),
        required=False,
        help_text=_("工会代办时，若仍需职工本人到窗口补办手续，请勾选（计入“跑腿”）。"),
    )


class PersonLookupForm(forms.Form):
    id_number = forms.CharField(label=_("职工身份证号"), max_length=18)


class ApproveForm(forms.Form):
    note = forms.CharField(label=_("审核意见（可选）"), max_length=300, required=False)


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("不予赔付原因"), max_length=300, required=False)


class AdjustForm(forms.Form):
    eligible = forms.CharField(label=_("核定政策内自付（元）"), max_length=20)
    reason = forms.CharField(label=_("调整原因"), max_length=300, required=False)


class RevealForm(forms.Form):
    reason = forms.ChoiceField(label=_("查看原因"), choices=AccessReason.choices)
