"""What the medical mutual-aid module adds (MMA-1..3): periods and their benefit rules,
enrolment by the unions and the fees they pay, and claims settled online. Each part declares
its menu entries, routers, demo step and figures in its own tuple, so the parts merge cleanly."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import BenchScenario, DemoStep, MenuSection, Module
from gonghui.mutualaid import module_claims as claims
from gonghui.mutualaid.enrolment_module import (
    ENROL_API,
    ENROL_DEMO,
    ENROL_FIGURES,
    ENROL_MENU,
    ENROL_PORTAL,
)
from gonghui.mutualaid.views.periods import MENU as PERIOD_MENU

PERIOD_API = (("/mutualaid/periods", "gonghui.mutualaid.api.periods.router"),)
PERIOD_DEMO = (
    DemoStep(
        "mutualaid-periods",
        "gonghui.mutualaid.demo.run_periods",
        after=("tree",),
        order=90,
    ),
)

module = Module(
    name="mutualaid",
    label=_("职工医疗互助保障"),
    urls="gonghui.mutualaid.urls",
    api_routers=(*PERIOD_API, *ENROL_API, *claims.API_ROUTERS),
    sections=(MenuSection("mutualaid", _("医疗互助"), 67),),
    menu=(*PERIOD_MENU, *ENROL_MENU, *claims.MENU),
    home_tiles=(*claims.HOME_TILES,),
    portal_tiles=(*ENROL_PORTAL, *claims.PORTAL_TILES),
    inbox=(*claims.INBOX,),
    notifications=(*claims.NOTIFICATIONS,),
    periodic=(*claims.PERIODIC,),
    demo=(*PERIOD_DEMO, *ENROL_DEMO, *claims.DEMO),
    figures=(*ENROL_FIGURES, *claims.FIGURES),
    personal_data=(*claims.PERSONAL_DATA,),
    bench=(
        BenchScenario(
            "mutualaid",
            "bench.mutualaid.main",
            help="medical mutual aid: bulk enrolment of 500,000 against a roll of 1,000,000",
            arguments="bench.mutualaid.add_arguments",
            after=("members",),
        ),
    ),
)
