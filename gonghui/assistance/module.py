"""What the assistance module adds: the five helps' programmes, rounds and applications
(AST-2): set-up, review queues per tier, proposals from the hardship files, the worker's
applications in the portal and the public page of each round."""

from django.utils.translation import gettext_lazy as _

from gonghui.assistance import notifications, selectors
from gonghui.assistance.models import HelpKind
from gonghui.core.modules import (
    BenchScenario,
    DemoStep,
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
        MenuEntry(
            "assistance_figures",
            "assistance",
            _("帮扶统计"),
            "console:assistance_figures",
            "bi-bar-chart",
            30,
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
    # After the hardship roll's step (the city's income lines) and the virtual jobs' (their
    # families, on the roll since 2016, are among those helped in 2017).
    demo=(
        DemoStep(
            "assistance",
            "gonghui.assistance.demo.run",
            after=("members", "hardship", "virtualjobs"),
            order=96,
        ),
    ),
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
                home=False,
            )
            for kind, label in (
                (HelpKind.HARDSHIP, _("助困金额")),
                (HelpKind.MEDICAL, _("助医金额")),
                (HelpKind.STUDY, _("助学金额")),
                (HelpKind.WORK, _("助业金额")),
                (HelpKind.ENTERPRISE, _("助创金额")),
            )
        ),
        *(
            Figure(
                f"assistance.approved.{kind}",
                label,
                _("人次"),
                selectors.approved_of_kind(kind),
                order=64,
                dated_by="decided_at",
                home=False,
            )
            for kind, label in (
                (HelpKind.HARDSHIP, _("助困人次")),
                (HelpKind.MEDICAL, _("助医人次")),
                (HelpKind.STUDY, _("助学人次")),
                (HelpKind.WORK, _("助业人次")),
                (HelpKind.ENTERPRISE, _("助创人次")),
            )
        ),
        *(
            Figure(
                f"assistance.households.{kind}",
                label,
                _("户"),
                selectors.households_of_kind(kind),
                order=65,
                home=False,
            )
            for kind, label in (
                (HelpKind.HARDSHIP, _("助困家庭")),
                (HelpKind.MEDICAL, _("助医家庭")),
                (HelpKind.STUDY, _("助学家庭")),
                (HelpKind.WORK, _("助业家庭")),
                (HelpKind.ENTERPRISE, _("助创家庭")),
            )
        ),
        *(
            Figure(
                f"assistance.study.{level}",
                label,
                _("人"),
                selectors.study_of_level(level),
                order=66,
                dated_by="decided_at",
                home=False,
            )
            for level, label in (
                ("secondary_vocational", _("金秋助学：中等职业学校")),
                ("college", _("金秋助学：高职（大专）")),
                ("bachelor", _("金秋助学：本科")),
                ("postgraduate", _("金秋助学：研究生")),
            )
        ),
        *(
            Figure(
                f"assistance.study_amount.{level}",
                label,
                _("元"),
                selectors.study_of_level(level),
                value=selectors.study_amount_of_level(level),
                order=67,
                home=False,
            )
            for level, label in (
                ("secondary_vocational", _("金秋助学金额：中等职业学校")),
                ("college", _("金秋助学金额：高职（大专）")),
                ("bachelor", _("金秋助学金额：本科")),
                ("postgraduate", _("金秋助学金额：研究生")),
            )
        ),
    ),
    personal_data=(
        ("assistance_snapshot", _("审批依据的家庭收入与健康状况")),
        ("assistance_document", _("帮扶申请材料")),
    ),
)
