"""A small city with two sibling branches, for scope tests and service tests.

    city (市总)
    ├── district_a ── town_a ── union_a (enterprise_a), union_a2 (enterprise_a2)
    └── district_b ── town_b ── union_b (enterprise_b), union_b2 (enterprise_b2)

Every organisation has one staff account per role: ``world.staff("town_b", "clerk")``; an
enterprise's contact is made on demand: ``world.contact("enterprise_b")``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password

from gonghui.accounts import services as account_services
from gonghui.accounts.models import User
from gonghui.core.permissions import Role
from gonghui.members import services as member_services
from gonghui.members.models import Membership
from gonghui.organizations import services as org_services
from gonghui.organizations.models import Enterprise, GrassrootsKind, Organization, OrgKind
from gonghui.testing.factories import new_credit_code, new_mobile, person_input
from gonghui.unionbuilding import services as building_services

PASSWORD = "test-pass-2018"


@dataclass
class World:
    orgs: dict[str, Organization] = field(default_factory=dict)
    accounts: dict[tuple[str, str], User] = field(default_factory=dict)
    enterprises: dict[str, Enterprise] = field(default_factory=dict)

    def staff(self, org: str, role: str = "admin") -> User:
        return self.accounts[(org, role)]

    def __getattr__(self, name: str) -> Any:
        orgs = self.__dict__.get("orgs", {})
        if name in orgs:
            return orgs[name]
        raise AttributeError(name)

    def member(self, union: str, **person: Any) -> Membership:
        """A new member of ``union``, enrolled by that union's town clerk."""
        town = "town_a" if union.endswith(("_a", "_a2")) else "town_b"
        return member_services.member_add(
            actor=self.staff(town, "clerk"),
            union=self.orgs[union],
            data=person_input(**person),
            joined_on=datetime.date(2020, 5, 1),
        )

    def worker(self, union: str | None = None, *, consent: bool = True) -> User:
        """A signed-up worker account, a member of ``union`` when given, who has agreed to the
        privacy notice (``consent=False``: who has not)."""
        mobile = new_mobile()
        if union is not None:
            self.member(union, mobile=mobile)
        user = account_services.worker_account_for_mobile(mobile=mobile)
        if user.person_id is None:
            account_services.worker_register(
                actor=user,
                mobile=mobile,
                name=person_input().name,
                id_number=person_input().id_number,
            )
            user.refresh_from_db()
        if consent:
            account_services.privacy_consent_give(
                actor=user, version=settings.GONGHUI_PRIVACY_NOTICE_VERSION, channel="portal"
            )
        user.test_mobile = mobile  # type: ignore[attr-defined]
        return user

    def contact(self, enterprise: str = "enterprise_b") -> User:
        """An enterprise contact of ``enterprise``, invited by the clerk of the union that
        covers it (``enterprise_b`` → ``union_b``)."""
        union = "union_" + enterprise.removeprefix("enterprise_")
        mobile = new_mobile()
        user = account_services.enterprise_contact_invite(
            actor=self.staff(union, "clerk"),
            enterprise=self.enterprises[enterprise],
            name=f"{enterprise}联系人",
            mobile=mobile,
        )
        user.test_mobile = mobile  # type: ignore[attr-defined]
        return user


def build_world() -> World:
    world = World()
    password_hash = make_password(PASSWORD)

    def org(key: str, parent: str | None, name: str, kind: str, gk: str = "") -> None:
        world.orgs[key] = org_services.organization_create(
            actor=None,
            parent=world.orgs[parent] if parent else None,
            name=name,
            kind=kind,
            grassroots_kind=gk,
            code=key.upper(),
        )
        for role in Role.values:
            world.accounts[(key, role)] = account_services.staff_create(
                actor=None,
                organization=world.orgs[key],
                username=f"{key}-{role}",
                full_name=f"{name}{role}",
                roles=[role],
                password_hash=password_hash,
            )

    org("city", None, "测试市总工会", OrgKind.CITY)
    for side in ("a", "b"):
        org(f"district_{side}", "city", f"{side.upper()}区总工会", OrgKind.DISTRICT)
        org(f"town_{side}", f"district_{side}", f"{side.upper()}镇总工会", OrgKind.TOWN)
        clerk = world.staff(f"town_{side}", "clerk")
        reviewer = world.staff(f"town_{side}", "reviewer")
        for suffix in ("", "2"):
            enterprise = org_services.enterprise_create(
                actor=clerk,
                name=f"{side.upper()}{suffix}号机械有限公司",
                credit_code=new_credit_code(),
                industry="C",
                employee_count=100,
                area=world.orgs[f"town_{side}"],
            )
            application = building_services.founding_apply(
                actor=clerk,
                parent=world.orgs[f"town_{side}"],
                proposed_name=f"{enterprise.name}工会",
                grassroots_kind=GrassrootsKind.ENTERPRISE,
                enterprises=[enterprise],
                chair_name="张主席",
                initial_members=10,
                planned_on=datetime.date(2020, 1, 1),
            )
            application = building_services.founding_decide(
                actor=reviewer, application=application, approve=True, code=f"UNION_{side}{suffix}"
            )
            key = f"union_{side}{suffix}"
            assert application.union is not None  # noqa: S101
            world.orgs[key] = application.union
            enterprise.refresh_from_db()
            world.enterprises[f"enterprise_{side}{suffix}"] = enterprise
            for role in Role.values:
                world.accounts[(key, role)] = account_services.staff_create(
                    actor=None,
                    organization=application.union,
                    username=f"{key}-{role}",
                    full_name=f"{key}{role}",
                    roles=[role],
                    password_hash=password_hash,
                )
    return world
