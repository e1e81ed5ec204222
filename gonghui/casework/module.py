"""What casework adds: the service centres' requests (SVC), lawyers, counselling."""

from django.utils.translation import gettext_lazy as _

from gonghui.casework import notifications, selectors
from gonghui.core.modules import (
    BenchScenario,
    DemoStep,
    Figure,
    HomeTile,
    InboxKind,
    MenuEntry,
    MenuSection,
    Module,
    OrgPickerSource,
    PeriodicJob,
    PortalTile,
)

module = Module(
    name="casework",
    label=_("职工服务"),
    urls="gonghui.casework.urls",
    api_routers=(
        ("/me/cases", "gonghui.casework.api.worker_router"),
        ("/me/counselling", "gonghui.casework.api.counselling_router"),
        ("/", "gonghui.casework.api.router"),
    ),
    # Where a case may be referred (转办): any active federation of the city, whatever branch.
    org_pickers=(
        OrgPickerSource(
            "referral", "gonghui.casework.selectors.referral_target_list", city_wide=True
        ),
    ),
    sections=(MenuSection("services", _("职工服务"), 30),),
    menu=(
        MenuEntry(
            "cases",
            "services",
            _("服务事项"),
            "console:case_list",
            "bi-inboxes",
            10,
            badge=selectors.unaccepted_count,
            badge_topic="cases",
        ),
        MenuEntry(
            "case_open",
            "services",
            _("窗口/热线登记"),
            "console:case_open",
            "bi-telephone-inbound",
            20,
        ),
        MenuEntry(
            "case_figures", "services", _("服务统计"), "console:case_figures", "bi-graph-up", 30
        ),
        MenuEntry("lawyers", "services", _("援助律师"), "console:lawyer_list", "bi-briefcase", 40),
        MenuEntry(
            "counselling", "services", _("心理咨询"), "console:counselling", "bi-chat-heart", 50
        ),
        MenuEntry(
            "service_types", "services", _("服务类型"), "console:service_types", "bi-list-check", 70
        ),
    ),
    home_tiles=(
        HomeTile(
            "cases",
            _("待受理的服务事项"),
            "console:case_list",
            selectors.unaccepted_count,
            topic="cases",
            order=30,
            perm="edit_records",
        ),
        HomeTile(
            "cases_mine",
            _("我经办的服务事项"),
            "console:case_list",
            selectors.mine_count,
            query="queue=mine",
            topic="cases",
            order=31,
            perm="edit_records",
        ),
        HomeTile(
            "cases_overdue",
            _("已超期的服务事项"),
            "console:case_list",
            selectors.overdue_count,
            query="queue=overdue",  # not cached by topic: a case becomes overdue by time
            order=32,
            perm="edit_records",
        ),
    ),
    portal_tiles=(
        PortalTile("ask_help", _("我要求助"), "portal:case_new", "bi-life-preserver", order=40),
        PortalTile(
            "legal_aid",
            _("法律援助"),
            "portal:case_new",
            "bi-briefcase",
            query="type=legal_aid",
            order=50,
        ),
        PortalTile(
            "counselling", _("心理咨询预约"), "portal:counselling", "bi-chat-heart", order=60
        ),
        PortalTile("stations", _("就近服务站"), "portal:stations", "bi-geo-alt", order=65),
    ),
    notifications=(notifications.DECISION_KIND, notifications.PROGRESS_KIND),
    inbox=(InboxKind("case", _("服务事项"), "gonghui.casework.inbox.case_items"),),
    periodic=(
        PeriodicJob(
            "casework-sweep",
            "gonghui.casework.tasks.case_sweep_task",
            300,
            env="GONGHUI_SWEEP_SECONDS",
        ),
    ),
    demo=(
        DemoStep("casework", "gonghui.casework.demo.run", after=("members", "places"), order=70),
    ),
    bench=(
        BenchScenario(
            "cases",
            "bench.cases.main",
            help="the case queue and the overdue sweep over a million cases",
            arguments="bench.cases.add_arguments",
            after=("members",),
            order=20,
        ),
    ),
    figures=(
        Figure(
            "cases.received",
            _("受理服务事项"),
            _("件"),
            selectors.cases_received_in,
            order=30,
            dated_by="created_at",
        ),
        Figure(
            "cases.resolved",
            _("办结服务事项"),
            _("件"),
            selectors.cases_resolved_in,
            order=31,
            dated_by="resolved_at",
        ),
    ),
    personal_data=(("case_material", _("服务事项材料")),),
)
