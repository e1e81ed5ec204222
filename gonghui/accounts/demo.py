"""The demo city's enterprise contacts: invited by their enterprise's union, as a union would."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gonghui.accounts import services
from gonghui.organizations.models import Enterprise

if TYPE_CHECKING:
    from gonghui.demo.loader import DemoBuilder


def run(builder: DemoBuilder) -> None:
    """The module's demo step: each listed contact is invited by the administrator of the
    union covering the enterprise (``<slug>-admin``)."""
    named = {e["slug"]: e for e in builder.data["named_enterprises"]}
    for contact in builder.data.get("enterprise_contacts", []):
        item = named[contact["enterprise"]]
        enterprise = Enterprise.unscoped.get(name=item["name"])
        services.enterprise_contact_invite(
            actor=builder.staff[f"{item['slug']}-admin"],
            enterprise=enterprise,
            name=contact["name"],
            mobile=contact["mobile"],
        )
    builder.log(f"企业联系人：{len(builder.data.get('enterprise_contacts', []))} 人")
