"""What organisations add: the union tree, enterprises and service places."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import MenuEntry, MenuSection, Module, OrgPickerSource

module = Module(
    name="organizations",
    label=_("组织"),
    urls="gonghui.organizations.urls",
    api_routers=(("/", "gonghui.organizations.api.router"),),
    org_pickers=(
        # Any organisation of the actor's subtree (filters, a staff account's organisation).
        OrgPickerSource("subtree", "gonghui.organizations.selectors.organization_list"),
        # Above the grassroots unions (owners of lawyers, places, brands; parents).
        OrgPickerSource("federations", "gonghui.organizations.selectors.federation_list"),
        # Active grassroots unions (a member's union, the union covering an enterprise).
        OrgPickerSource("grassroots", "gonghui.organizations.selectors.grassroots_list"),
        # Any active grassroots union of the city: where a member transfers to (public by
        # design, as the workers' union directory).
        OrgPickerSource(
            "unions_citywide", "gonghui.organizations.selectors.public_union_list", city_wide=True
        ),
    ),
    sections=(MenuSection("organizations", _("组织"), 10),),
    menu=(
        MenuEntry(
            "org_tree", "organizations", _("组织架构"), "console:org_tree", "bi-diagram-3", 10
        ),
        MenuEntry(
            "enterprises", "organizations", _("企业"), "console:enterprise_list", "bi-buildings", 20
        ),
        MenuEntry("places", "organizations", _("服务阵地"), "console:place_list", "bi-geo-alt", 30),
    ),
)
