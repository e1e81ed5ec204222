from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DecisionForm(forms.Form):
    """An approve / refuse decision with the reviewer's note (required when refusing; the
    service checks that, so the message names the rule)."""

    decision = forms.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")])
    note = forms.CharField(
        label=_("审批意见"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @property
    def approved(self) -> bool:
        return self.cleaned_data["decision"] == "approve"
