"""The enrolment part's entries in the module declaration (``module.py`` adds these tuples
beside the periods' and the claims'): console menu, demo step, figures."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import DemoStep, Figure, MenuEntry, PortalTile

ENROL_MENU = (
    MenuEntry(
        "mutualaid_enrolments",
        "mutualaid",
        _("参保登记"),
        "console:mutualaid_enrolments",
        "bi-person-check",
        20,
    ),
    MenuEntry(
        "mutualaid_bills",
        "mutualaid",
        _("缴费通知单"),
        "console:mutualaid_bills",
        "bi-receipt",
        25,
    ),
)

ENROL_PORTAL = (
    PortalTile(
        "mutualaid_enrolment",
        _("医疗互助参保"),
        "portal:mutualaid_enrolment",
        "bi-shield-plus",
        order=50,
    ),
)

ENROL_API = (
    ("/mutualaid/enrolment", "gonghui.mutualaid.api.enrolment.router"),
    ("/me/mutualaid", "gonghui.mutualaid.api.enrolment.me_router"),
)

ENROL_DEMO = (
    DemoStep(
        "mutualaid_enrolment",
        "gonghui.mutualaid.demo_enrolment.run_enrolment",
        after=("members", "mutualaid-periods"),
        order=95,
    ),
)


def _insured(actor: Any, org: Any, year: int) -> Any:
    from gonghui.mutualaid.selectors import enrolment

    return enrolment.insured_in_year(actor, org, year)


def _fees_received(actor: Any, org: Any, year: int) -> Any:
    from gonghui.mutualaid.selectors import enrolment

    return enrolment.fees_received_in_year(actor, org, year)


def _payments(actor: Any, org: Any, year: int) -> Any:
    from gonghui.mutualaid.selectors import enrolment

    return enrolment.fee_payments_in_year(actor, org, year)


ENROL_FIGURES = (
    Figure(
        "mutualaid.insured",
        _("医疗互助参保职工"),
        _("人"),
        _insured,
        order=70,
    ),
    Figure(
        "mutualaid.fees_received",
        _("医疗互助收到缴费"),
        _("元"),
        _payments,
        value=_fees_received,
        order=71,
        home=False,
    ),
)
