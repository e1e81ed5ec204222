"""What the virtual-jobs module adds: posts for households on the hardship roll, adopted by
enterprises and public units, and the monthly pay runs handed to the funds (AST-4)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import DemoStep, Figure, HomeTile, MenuEntry, Module, PortalTile
from gonghui.virtualjobs import notifications, selectors

module = Module(
    name="virtualjobs",
    label=_("虚拟岗位"),
    urls="gonghui.virtualjobs.urls",
    api_routers=(("/virtual-jobs", "gonghui.virtualjobs.api.router"),),
    # Under the funds' heading: a virtual job is paid money, as the programmes are.
    menu=(
        MenuEntry("vj_posts", "funds", _("虚拟岗位"), "console:vj_post_list", "bi-briefcase", 40),
        MenuEntry(
            "vj_runs",
            "funds",
            _("虚拟岗位月度发放"),
            "console:vj_run_list",
            "bi-calendar2-check",
            41,
        ),
    ),
    home_tiles=(
        HomeTile(
            "vj_due",
            _("本月待发放的虚拟岗位"),
            "console:vj_run_list",
            selectors.due_this_month,
            topic="virtualjobs",
            perm="edit_records",
            order=72,
        ),
    ),
    enterprise_tiles=(
        PortalTile("vj_adoptions", _("认领的虚拟岗位"), "enterprise:vj_adoptions", "bi-briefcase"),
    ),
    notifications=(notifications.POST_KIND,),
    # After the hardship roll's step, which sets the city's income lines the filing needs.
    demo=(
        DemoStep(
            "virtualjobs", "gonghui.virtualjobs.demo.run", after=("members", "hardship"), order=95
        ),
    ),
    figures=(
        Figure(
            "virtualjobs.posts",
            _("虚拟岗位"),
            _("个"),
            selectors.posts_in,
            order=80,
        ),
        Figure(
            "virtualjobs.paid",
            _("虚拟岗位待遇"),
            _("元"),
            selectors.lines_in,
            value=selectors.paid_in,
            order=81,
            dated_by="month",
        ),
    ),
)
