"""What accounts add: sign-in (outside the registry: ``/accounts/``), the staff list, the
API's sign-in endpoints."""

from django.utils.translation import gettext_lazy as _

from gonghui.core.modules import DemoStep, MenuEntry, Module

module = Module(
    name="accounts",
    label=_("账号"),
    urls="gonghui.accounts.urls",
    api_routers=(
        ("/auth", "gonghui.accounts.api.router"),
        ("/", "gonghui.accounts.api.contacts_router"),
        ("/me/privacy", "gonghui.accounts.api.privacy_router"),
    ),
    demo=(
        DemoStep(
            "enterprise_contacts",
            "gonghui.accounts.demo.run",
            after=("enterprises",),
            order=65,
        ),
    ),
    menu=(MenuEntry("staff", "admin", _("工作人员"), "console:staff_list", "bi-person-badge", 10),),
)
