"""What the medical mutual-aid module adds (MMA-1..3): periods and their benefit rules,
enrolment by the unions and the fees they pay, and claims settled online."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import Module

module = Module(
    name="mutualaid",
    label=_("职工医疗互助保障"),
)
