"""What union building (三建联动) adds: founding, mechanisms, workers' homes, brand projects."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import Figure, HomeTile, MenuEntry, MenuSection, Module
from gonghui.unionbuilding import selectors

module = Module(
    name="unionbuilding",
    label=_("三建联动"),
    urls="gonghui.unionbuilding.urls",
    api_routers=(("/", "gonghui.unionbuilding.api.router"),),
    sections=(MenuSection("building", _("三建联动"), 50),),
    menu=(
        MenuEntry("foundings", "building", _("建会审批"), "console:founding_list", "bi-flag", 10),
        MenuEntry(
            "homes", "building", _("职工之家评定"), "console:home_list", "bi-house-heart", 20
        ),
        MenuEntry("brands", "building", _("品牌项目考核"), "console:brand_list", "bi-award", 30),
        MenuEntry("coverage", "building", _("覆盖率报表"), "console:coverage", "bi-bar-chart", 40),
    ),
    home_tiles=(
        HomeTile(
            "foundings",
            _("待审批的建会申请"),
            "console:founding_list",
            selectors.foundings_waiting,
            query="status=pending",
            perm="approve",
            order=50,
        ),
        HomeTile(
            "homes",
            _("待审核的职工之家评定"),
            "console:home_list",
            selectors.homes_waiting,
            query="status=submitted",
            perm="approve",
            order=60,
        ),
    ),
    figures=(
        Figure(
            "unions.founded",
            _("新建工会"),
            _("个"),
            selectors.unions_founded_in,
            order=50,
            dated_by="decided_at",
        ),
        Figure(
            "homes.approved",
            _("认定职工之家"),
            _("个"),
            selectors.homes_approved_in,
            order=51,
            dated_by="decided_at",
        ),
    ),
)
