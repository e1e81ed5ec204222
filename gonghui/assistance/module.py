"""What the assistance module adds: the five helps' programmes, rounds and applications
(AST-2): set-up, review queues per tier, proposals from the hardship files, the worker's
applications in the portal and the public page of each round."""

from django.utils.translation import gettext_lazy as _

from gonghui.assistance import notifications, selectors
from gonghui.assistance.models import HelpKind
from gonghui.core.modules import (
    BenchScenario,
    Figure,
    HomeTile,
    InboxKind,
    MenuEntry,
    MenuSection,
    Module,
    PortalCard,
    PortalTile,
)

module = Module(
    name="assistance",
    label=_("五助帮扶"),
    urls="gonghui.assistance.urls",
    api_routers=(
        ("/assistance", "gonghui.assistance.api.router"),
        ("/me/assistance", "gonghui.assistance.api.worker_router"),
    ),
    sections=(MenuSection("assistance", _("五助帮扶"), 65),),
    menu=(
        MenuEntry(
            "assistance_queue",
            "assistance",
            _("帮扶申请审核"),
            "console:assistance_queue",
            "bi-clipboard-check",
            10,
            badge=selectors.applications_waiting,
            badge_topic="assistance",
        ),
        MenuEntry(
            "assistance_programmes",
            "assistance",
            _("帮扶项目与批次"),
            "console:assistance_programmes",
            "bi-heart",
            20,
        ),
    ),
    portal_tiles=(
        PortalTile("assistance", _("五助帮扶"), "portal:assistance_home", "bi-heart", order=45),
    ),
    portal_cards=(
        PortalCard(
            "assistance",
            "assistance/portal/_home_card.html",
            "gonghui.assistance.portal_views.home_card",
            order=45,
        ),
    ),
    home_tiles=(
        HomeTile(
            "assistance_queue",
            _("待审核的帮扶申请"),
            "console:assistance_queue",
            selectors.applications_waiting,
            query="queue=mine",
            topic="assistance",
            perm="approve",
            order=65,
        ),
    ),
    inbox=(InboxKind("assistance", _("帮扶申请"), "gonghui.assistance.inbox.application_items"),),
    notifications=(notifications.DECISION_KIND,),
    bench=(
        BenchScenario(
            "assistance",
            "bench.assistance.main",
            help="hardship files, proposals, bulk approval and payment batches at scale",
            arguments="bench.assistance.add_arguments",
            order=40,
        ),
    ),
    figures=(
        Figure(
            "assistance.approved",
            _("批准帮扶申请"),
            _("人次"),
            selectors.approved_in,
            order=60,
            dated_by="decided_at",
        ),
        Figure(
            "assistance.approved_amount",
            _("批准帮扶金额"),
            _("元"),
            selectors.approved_in,
            value=selectors.approved_amount_in,
            order=61,
        ),
        Figure(
            "assistance.households_helped",
            _("帮扶困难职工家庭"),
            _("户"),
            selectors.households_helped_in,
            order=62,
        ),
        *(
            Figure(
                f"assistance.amount.{kind}",
                label,
                _("元"),
                selectors.approved_of_kind(kind),
                value=selectors.amount_of_kind(kind),
                order=63,
            )
            for kind, label in (
                (HelpKind.HARDSHIP, _("助困金额")),
                (HelpKind.MEDICAL, _("助医金额")),
                (HelpKind.STUDY, _("助学金额")),
                (HelpKind.WORK, _("助业金额")),
                (HelpKind.ENTERPRISE, _("助创金额")),
            )
        ),
    ),
)
