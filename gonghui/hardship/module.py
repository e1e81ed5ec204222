"""What the hardship module adds: the roll of households in hardship (AST-1)."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import (
    DemoStep,
    Figure,
    HomeTile,
    MenuEntry,
    MenuSection,
    Module,
    OrgPickerSource,
    PortalTile,
)
from gonghui.hardship import notifications, selectors

module = Module(
    name="hardship",
    label=_("困难职工档案"),
    urls="gonghui.hardship.urls",
    api_routers=(("/hardship", "gonghui.hardship.api.router"),),
    sections=(MenuSection("hardship", _("困难帮扶"), 65),),
    menu=(
        MenuEntry(
            "households",
            "hardship",
            _("困难职工档案"),
            "console:household_list",
            "bi-house-heart",
            10,
            badge=selectors.filings_waiting,
            badge_topic="hardship",
        ),
        MenuEntry(
            "income_lines",
            "hardship",
            _("困难认定标准"),
            "console:income_line_list",
            "bi-rulers",
            20,
        ),
    ),
    home_tiles=(
        HomeTile(
            "filings",
            _("待审批的困难职工档案"),
            "console:household_list",
            selectors.filings_waiting,
            query="status=pending",
            topic="hardship",
            perm="approve",
            order=65,
        ),
    ),
    portal_tiles=(
        PortalTile(
            "hardship_mine",
            _("困难职工档案"),
            "portal:hardship_mine",
            "bi-house-heart",
            order=65,
            visible=selectors.has_file,
        ),
    ),
    notifications=(notifications.FILE_KIND,),
    org_pickers=(
        OrgPickerSource("hardship_unions", "gonghui.hardship.selectors.filing_union_list"),
    ),
    demo=(DemoStep("hardship", "gonghui.hardship.demo.run", after=("members",), order=65),),
    figures=(
        Figure(
            "hardship.households",
            _("在册困难职工家庭"),
            _("户"),
            selectors.households_in,
            order=65,
        ),
        Figure(
            "hardship.filed",
            _("新建困难职工档案"),
            _("户"),
            selectors.filed_in,
            order=66,
            dated_by="filed_on",
        ),
    ),
    personal_data=(("hardship_photo", _("入户核查照片")),),
    person_scopes=("gonghui.hardship.selectors.person_filed_in",),
)
