"""What the work and training module adds (AST-5, "源头脱贫"): training courses with
enrolment, attendance and completion, job fairs, placements and their three-month
follow-up, the programme's figures, and a panel on a person's pages."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import (
    DemoStep,
    Figure,
    HomeTile,
    InboxKind,
    MenuEntry,
    MenuSection,
    Module,
    PersonPanel,
    PortalCard,
    PortalTile,
)
from gonghui.employment import notifications, selectors

module = Module(
    name="employment",
    label=_("就业培训"),
    urls="gonghui.employment.urls",
    api_routers=(
        ("/employment", "gonghui.employment.api.router"),
        ("/me/training", "gonghui.employment.api.worker_router"),
    ),
    sections=(MenuSection("employment", _("就业培训"), 75),),
    menu=(
        MenuEntry(
            "training", "employment", _("技能培训"), "console:training_list", "bi-mortarboard", 10
        ),
        MenuEntry("fairs", "employment", _("招聘会"), "console:fair_list", "bi-megaphone", 20),
        MenuEntry(
            "placements",
            "employment",
            _("就业安置"),
            "console:placement_list",
            "bi-briefcase",
            30,
            badge=selectors.followups_due,
            badge_topic="employment",
        ),
    ),
    home_tiles=(
        HomeTile(
            "placement_followups",
            _("到期待回访的就业安置"),
            "console:placement_list",
            selectors.followups_due,
            query="due=1",
            topic="employment",
            perm="edit_records",
            order=75,
        ),
    ),
    portal_tiles=(
        PortalTile("training", _("技能培训"), "portal:training_home", "bi-mortarboard", order=60),
    ),
    portal_cards=(
        PortalCard(
            "training",
            "employment/portal/_home_card.html",
            "gonghui.employment.portal_views.home_card",
            order=60,
        ),
    ),
    inbox=(InboxKind("training", _("技能培训"), "gonghui.employment.inbox.enrolment_items"),),
    notifications=(notifications.TRAINING_KIND,),
    demo=(DemoStep("employment", "gonghui.employment.demo.run", after=("members",), order=80),),
    figures=(
        Figure(
            "employment.sessions",
            _("培训场次"),
            _("场"),
            selectors.sessions_in,
            order=80,
            dated_by="held_on",
        ),
        Figure(
            "employment.trained",
            _("职业技能培训"),
            _("人"),
            selectors.trained_in,
            order=81,
            dated_by="completed_on",
        ),
        Figure(
            "employment.entrepreneurship_trained",
            _("创业培训"),
            _("人"),
            selectors.entrepreneurship_trained_in,
            order=82,
            dated_by="completed_on",
        ),
        Figure(
            "employment.fairs",
            _("招聘会"),
            _("场"),
            selectors.fairs_in,
            order=83,
            dated_by="held_on",
        ),
        Figure(
            "employment.served",
            _("招聘会服务人数"),
            _("人"),
            selectors.fairs_in,
            value=selectors.served_in,
            order=84,
            dated_by="held_on",
            month_sum="served_count",
        ),
        Figure(
            "employment.placed",
            _("就业安置"),
            _("人"),
            selectors.placed_in,
            order=85,
            dated_by="starts_on",
        ),
    ),
    person_panels=(
        PersonPanel(
            "placements",
            _("就业安置"),
            "gonghui.employment.selectors.person_placements",
            "employment/panels/placements.html",
            order=50,
        ),
        PersonPanel(
            "training",
            _("技能培训"),
            "gonghui.employment.selectors.person_training",
            "employment/panels/training.html",
            order=51,
        ),
    ),
)
