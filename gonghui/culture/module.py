"""What culture adds: classes booked first come or by lottery, events, the menu service."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import (
    BenchScenario,
    DemoStep,
    Figure,
    HomeTile,
    InboxKind,
    MenuEntry,
    MenuSection,
    Module,
    PeriodicJob,
    PortalCard,
    PortalTile,
)
from gonghui.culture import notifications
from gonghui.culture.selectors import booking as booking_selectors
from gonghui.culture.selectors import figures
from gonghui.culture.selectors import menu as menu_selectors

module = Module(
    name="culture",
    label=_("文化服务"),
    urls="gonghui.culture.urls",
    api_routers=(
        ("/culture", "gonghui.culture.api.router"),
        ("/culture/menu", "gonghui.culture.api.menu_router"),
        ("/me/bookings", "gonghui.culture.api.worker_router"),
        ("/me/calendar-feed", "gonghui.culture.api.feed_router"),
    ),
    sections=(MenuSection("culture", _("文化服务"), 40),),
    menu=(
        MenuEntry(
            "sessions",
            "culture",
            _("课程场次"),
            "console:culture_sessions",
            "bi-music-note-beamed",
            10,
        ),
        MenuEntry(
            "courses",
            "culture",
            _("课程与导师"),
            "console:culture_courses",
            "bi-journal-richtext",
            20,
        ),
        MenuEntry(
            "calendar",
            "culture",
            _("活动日历"),
            "console:culture_calendar",
            "bi-calendar-event",
            30,
        ),
        MenuEntry(
            "menu_orders",
            "culture",
            _("菜单式服务"),
            "console:menu_list",
            "bi-card-checklist",
            40,
            badge=menu_selectors.menu_orders_to_decide,
        ),
        MenuEntry("rules", "culture", _("预约规则"), "console:culture_rules", "bi-sliders", 50),
    ),
    home_tiles=(
        HomeTile(
            "menu_orders",
            _("待审核的菜单点单"),
            "console:menu_order_list",
            menu_selectors.menu_orders_to_decide,
            query="state=submitted&side=received",
            perm="approve",
            order=40,
        ),
        HomeTile(
            "sessions_today",
            _("今日开课（签到）"),
            "console:culture_sessions",
            booking_selectors.sessions_today_count,
            perm="edit_records",
            order=45,
        ),
        HomeTile(
            "draws_due",
            _("待开奖的抽签课程"),
            "console:culture_sessions",
            booking_selectors.draws_due_count,
            perm="edit_records",
            order=46,
        ),
    ),
    portal_tiles=(
        PortalTile(
            "culture", _("文化课堂"), "portal:culture_sessions", "bi-music-note-beamed", order=70
        ),
        PortalTile(
            "culture_calendar",
            _("活动日历"),
            "portal:culture_calendar",
            "bi-calendar-event",
            order=80,
        ),
    ),
    portal_cards=(
        PortalCard(
            "culture",
            "culture/portal/_home_card.html",
            "gonghui.culture.views.portal.home_card",
            order=70,
        ),
    ),
    enterprise_tiles=(
        PortalTile("menu_order_new", _("我要点单"), "enterprise:menu_order_new", "bi-cart-plus"),
        PortalTile("menu_orders", _("本企业的点单"), "enterprise:menu_orders", "bi-card-checklist"),
    ),
    notifications=(notifications.BOOKING_KIND, notifications.OFFER_KIND),
    inbox=(InboxKind("booking", _("课程预约"), "gonghui.culture.inbox.booking_items"),),
    periodic=(
        # Lotteries whose window closed, offered seats not confirmed in time, no-shows.
        PeriodicJob(
            "culture-sweep",
            "gonghui.culture.tasks.culture_sweep_task",
            60,
            env="GONGHUI_CULTURE_SWEEP_SECONDS",
        ),
    ),
    demo=(DemoStep("culture", "gonghui.culture.demo.run", after=("members", "places"), order=80),),
    bench=(
        BenchScenario(
            "flash",
            "bench.flash.main",
            help="the flash crowd: thousands of workers rush one session's seats",
            arguments="bench.flash.add_arguments",
            after=("members",),
            order=30,
        ),
    ),
    figures=(
        Figure(
            "culture.sessions",
            _("开课场次"),
            _("场"),
            figures.sessions_held_in,
            order=40,
            dated_by="starts_at",
        ),
        Figure(
            "culture.attendances",
            _("参与人次"),
            _("人次"),
            figures.attendances_in,
            order=41,
            dated_by="session__starts_at",
        ),
    ),
)
