"""Services that take several locks take them in the order of the lock table
(``gonghui.core.locks``), so two of them running at once cannot wait on each other in a
circle."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from gonghui.core import locks
from gonghui.core.locks import LockSpace
from gonghui.culture.services import menu as menu_services
from gonghui.members import services as member_services
from gonghui.members.models import Membership, MembershipStatus
from gonghui.organizations import services as org_services
from gonghui.testing.factories import new_credit_code
from gonghui.unionbuilding import services as unionbuilding_services

pytestmark = pytest.mark.django_db


def spaces(taken: list[locks.Taken]) -> list[LockSpace]:
    return [t.space for t in taken]


def test_a_transfer_decision_locks_the_request_then_the_membership(world):
    worker = world.worker("union_a")
    old = Membership.unscoped.get(person=worker.person, status=MembershipStatus.ACTIVE)
    transfer = member_services.transfer_request(
        actor=worker, membership=old, to_union=world.union_b, reason="换工作"
    )
    with locks.traced() as taken:
        member_services.transfer_decide(
            actor=world.staff("town_b", "clerk"), transfer=transfer, accept=True
        )
    assert spaces(taken) == [LockSpace.TRANSFER_REQUEST, LockSpace.MEMBERSHIP]
    assert locks.in_table_order(taken)


def test_a_founding_approval_locks_the_application_then_its_enterprises_in_key_order(world):
    enterprises = [
        org_services.enterprise_create(
            actor=world.staff("town_a", "clerk"),
            name=f"新企业{n}",
            credit_code=new_credit_code(),
            industry="C",
            employee_count=40,
            area=world.town_a,
        )
        for n in range(3)
    ]
    application = unionbuilding_services.founding_apply(
        actor=world.staff("town_a", "clerk"),
        parent=world.town_a,
        proposed_name="A镇小微企业联合工会",
        grassroots_kind="joint",
        enterprises=list(reversed(enterprises)),
        chair_name="王主席",
        initial_members=30,
        planned_on=datetime.date(2024, 1, 1),
    )
    with locks.traced() as taken:
        unionbuilding_services.founding_decide(
            actor=world.staff("town_a", "reviewer"), application=application, approve=True
        )
    assert spaces(taken) == [LockSpace.FOUNDING_APPLICATION, LockSpace.ENTERPRISE]
    assert taken[1].keys == tuple(sorted(e.pk for e in enterprises))
    assert locks.in_table_order(taken)


def test_a_menu_order_decision_locks_the_item_then_the_order(world):
    admin = world.staff("district_a", "admin")
    menu = menu_services.menu_create(actor=admin, year=timezone.localdate().year, title="菜单")
    item = menu_services.menu_item_save(
        actor=admin,
        menu=menu,
        kind="performance",
        title="送戏下基层",
        description="越剧专场",
        unit="场",
        quota=5,
        per_unit_quota=2,
    )
    menu_services.menu_publish(actor=admin, menu=menu)
    placed = menu_services.menu_order_create(
        actor=world.staff("union_a", "clerk"),
        item=item,
        quantity=1,
        wanted_on=timezone.localdate(),
        note="厂区礼堂",
    )
    with locks.traced() as taken:
        menu_services.menu_order_decide(
            actor=world.staff("district_a", "reviewer"), order=placed, approve=True
        )
    assert spaces(taken) == [LockSpace.MENU_ITEM, LockSpace.MENU_ORDER]
    assert locks.in_table_order(taken)
