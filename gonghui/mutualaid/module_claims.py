"""What the claims part of mutual aid declares to the platform (``module.py`` gathers it):
menu entries, the staff home's tile, the inbox kind, the worker's message kind, the periodic
adjudication run, the demo step and the figures."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import (
    DemoStep,
    Figure,
    HomeTile,
    InboxKind,
    MenuEntry,
    PeriodicJob,
    PortalTile,
)
from gonghui.mutualaid import notifications
from gonghui.mutualaid.selectors import claims as selectors

SECTION = "mutualaid"

MENU = (
    MenuEntry(
        "mutualaid_claims",
        SECTION,
        _("互助理赔审核"),
        "console:mutualaid_claims",
        "bi-clipboard2-pulse",
        40,
        badge=selectors.claims_waiting,
    ),
    MenuEntry(
        "mutualaid_figures",
        SECTION,
        _("互助保障统计"),
        "console:mutualaid_figures",
        "bi-bar-chart",
        60,
    ),
)
HOME_TILES = (
    HomeTile(
        "mutualaid_claims",
        _("待审核的互助理赔"),
        "console:mutualaid_claims",
        selectors.claims_waiting,
        query="queue=review",
        perm="approve",
        order=66,
    ),
)
PORTAL_TILES = (
    PortalTile(
        "mutualaid_claims",
        _("互助理赔"),
        "portal:mutualaid_claims",
        "bi-clipboard2-pulse",
        order=47,
    ),
)
INBOX = (InboxKind("mutualaid", _("互助理赔"), "gonghui.mutualaid.inbox.claim_items"),)
NOTIFICATIONS = (notifications.CLAIM_KIND,)
PERIODIC = (
    # Pending claims without a route: flagged, above the threshold, sampled or approved.
    PeriodicJob(
        "mutualaid-adjudicate",
        "gonghui.mutualaid.tasks.claims_adjudicate_task",
        300,
        env="GONGHUI_MUTUALAID_ADJUDICATE_SECONDS",
    ),
)
# Registered in ``module.py`` when the enrolment step it follows is there (the lead's merge):
# ``demo=(*claims.DEMO, ...)``.
DEMO = (
    DemoStep(
        "mutualaid_claims",
        "gonghui.mutualaid.demo_claims.run_claims",
        after=("mutualaid_enrolment",),
        order=96,
    ),
)
FIGURES = (
    Figure(
        "mutualaid.claims",
        _("互助理赔申请"),
        _("笔"),
        selectors.claims_in,
        order=70,
    ),
    Figure(
        "mutualaid.benefit",
        _("互助理赔赔付金额"),
        _("元"),
        selectors.approved_in,
        value=selectors.benefit_in,
        order=71,
    ),
    Figure(
        "mutualaid.zero_trip",
        _("互助理赔“零跑腿”占比"),
        _("%"),
        selectors.zero_trip_in,
        value=selectors.zero_trip_share_in,
        order=72,
        home=False,
    ),
)
PERSONAL_DATA = (("mutualaid_document", _("互助理赔材料")),)
API_ROUTERS = (
    ("/mutualaid/claims", "gonghui.mutualaid.api.claims.router"),
    ("/mutualaid", "gonghui.mutualaid.api.claims.figures_router"),
    ("/me/mutualaid/claims", "gonghui.mutualaid.api.claims.worker_router"),
)
