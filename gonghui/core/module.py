"""What the platform core adds: the staff home and sign-in pages' neighbours (imports, the
working-day calendar, the personal-data access log, the API docs) and the worker's inbox."""

from django.utils.translation import gettext_lazy as _

from gonghui.core import selectors
from gonghui.core.modules import (
    BenchScenario,
    HomeTile,
    MenuEntry,
    MenuSection,
    Module,
    PeriodicJob,
    PortalTile,
)

module = Module(
    name="core",
    label=_("平台"),
    urls="gonghui.core.urls",
    api_routers=(("/me/requests", "gonghui.core.api_inbox.router"),),
    sections=(MenuSection("admin", _("管理"), 900),),
    menu=(
        # The import list serves the member roll and the enterprises; clerks look for it there.
        MenuEntry(
            "imports",
            "members",
            _("批量导入"),
            "console:import_list",
            "bi-file-earmark-spreadsheet",
            order=40,
        ),
        # The calendar sets the casework deadlines; clerks look for it beside the cases.
        MenuEntry(
            "workcalendar", "services", _("工作日历"), "console:workcalendar", "bi-calendar3", 60
        ),
        MenuEntry(
            "access_log",
            "admin",
            _("个人信息访问日志"),
            "console:access_log",
            "bi-shield-lock",
            order=20,
            perm="audit",
        ),
        MenuEntry(
            "api_docs", "admin", _("接口文档"), "/api/docs", "bi-code-slash", 90, new_tab=True
        ),
    ),
    periodic=(
        # SMS the task after commit could not send: broker down, gateway failing, quiet
        # hours over.
        PeriodicJob(
            "notifications-deliver",
            "gonghui.core.tasks.deliver_due_notifications",
            60,
            env="GONGHUI_NOTIFY_SECONDS",
        ),
        # Imports whose process died are settled (nothing imported, to retry or cancel), and
        # the files of imports left for a day are deleted.
        PeriodicJob(
            "imports-settle",
            "gonghui.core.tasks.settle_imports",
            60,
            env="GONGHUI_IMPORT_SETTLE_SECONDS",
        ),
    ),
    home_tiles=(
        HomeTile(
            "imports",
            _("待确认或已中断的导入"),
            "console:import_list",
            selectors.imports_waiting_count,
            perm="edit_records",
            order=60,
        ),
    ),
    bench=(
        BenchScenario(
            "pages",
            "bench.pages.main",
            help="every console, portal and enterprise page of the demo city, as each role",
            arguments="bench.pages.add_arguments",
            order=90,
        ),
    ),
    portal_tiles=(PortalTile("inbox", _("我的申请"), "portal:inbox", "bi-inbox", order=30),),
)
