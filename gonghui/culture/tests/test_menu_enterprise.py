"""The menu service from the enterprise area: a contact orders for their enterprise; the order
is the covering union's (its limit, its staff) and the federation decides it as any other;
another enterprise's contact meets "not found"."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.accounts import services as account_services
from gonghui.core.scoping import NotFound
from gonghui.culture.models import OrderState
from gonghui.culture.selectors import menu as selectors
from gonghui.culture.services import menu as services
from gonghui.culture.tests.test_menu import order, publish_menu
from gonghui.organizations import services as org_services
from gonghui.testing.factories import new_credit_code, new_mobile
from gonghui.testing.world import build_world

TODAY = timezone.localdate


@pytest.fixture
def world(db):
    return build_world()


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _place(client, item, quantity=1):
    return client.post(
        reverse("enterprise:menu_order_new"),
        {"item": item.pk, "quantity": quantity, "wanted_on": TODAY().isoformat(), "note": "厂区"},
    )


def test_contact_orders_for_the_enterprise_through_its_union(world):
    _menu, item = publish_menu(world, "district_b", quota=5, per_unit=2)
    contact = world.contact("enterprise_b")
    client = _client(contact)
    page = client.get(reverse("enterprise:menu_order_new")).content.decode()
    assert "送戏下基层" in page and world.union_b.name in page
    assert (
        "order-form"
        in client.get(reverse("enterprise:menu_order_new"), {"item": item.pk}).content.decode()
    )
    response = _place(client, item)
    assert response.status_code == 302
    placed = selectors.menu_order_list(actor=contact).get()
    assert response["Location"] == reverse("enterprise:menu_order", args=[placed.pk])
    assert placed.unit == world.union_b and placed.provider == world.district_b
    assert placed.enterprise == world.enterprises["enterprise_b"]
    assert placed.created_by == contact and placed.state == OrderState.SUBMITTED
    # The covering union's staff follow it as their own; the federation decides it.
    union_clerk = world.staff("union_b", "clerk")
    assert selectors.menu_order_get(actor=union_clerk, id=placed.pk) == placed
    assert "cancel" in services.menu_order_actions(actor=union_clerk, order=placed)
    detail = _client(union_clerk).get(reverse("console:menu_order_detail", args=[placed.pk]))
    assert world.enterprises["enterprise_b"].name in detail.content.decode()
    services.menu_order_decide(actor=world.staff("district_b", "admin"), order=placed, approve=True)
    mine = client.get(reverse("enterprise:menu_orders")).content.decode()
    assert "送戏下基层" in mine and "已同意" in mine


def test_enterprise_orders_count_against_the_union_limit(world):
    _menu, item = publish_menu(world, "district_b", quota=5, per_unit=2)
    order(world, item, by="union_b")
    contact = world.contact("enterprise_b")
    with pytest.raises(ValidationError, match="每个单位本年度最多可点"):
        services.menu_order_create_for_enterprise(
            actor=contact, item=item, quantity=2, wanted_on=TODAY()
        )
    response = _place(_client(contact), item, quantity=2)
    assert response.status_code == 200 and "每个单位本年度最多可点" in response.content.decode()


def test_an_enterprise_without_a_union_cannot_order(world):
    _menu, item = publish_menu(world, "district_b")
    loose = org_services.enterprise_create(
        actor=world.staff("town_b", "clerk"),
        name="未建会公司",
        credit_code=new_credit_code(),
        industry="C",
        employee_count=5,
        area=world.town_b,
    )
    contact = account_services.enterprise_contact_invite(
        actor=world.staff("town_b", "clerk"), enterprise=loose, name="李", mobile=new_mobile()
    )
    with pytest.raises(ValidationError, match="尚未建立工会"):
        services.menu_order_create_for_enterprise(
            actor=contact, item=item, quantity=1, wanted_on=TODAY()
        )
    client = _client(contact)
    assert "尚未建立工会" in client.get(reverse("enterprise:menu_order_new")).content.decode()
    assert "未建会" in client.get(reverse("enterprise:home")).content.decode()


def test_a_menu_outside_the_union_chain_is_not_found(world):
    _menu, item = publish_menu(world, "district_a")
    contact = world.contact("enterprise_b")
    with pytest.raises(NotFound):
        selectors.menu_item_orderable_get(actor=contact, id=item.pk)
    assert _place(_client(contact), item).status_code == 404


def test_staff_cannot_use_the_enterprise_ordering_service(world):
    _menu, item = publish_menu(world, "district_b")
    with pytest.raises(NotFound):
        services.menu_order_create_for_enterprise(
            actor=world.staff("union_b", "admin"), item=item, quantity=1, wanted_on=TODAY()
        )


def test_another_enterprise_contact_meets_not_found(world):
    _menu, item = publish_menu(world, "district_b", per_unit=5)
    mine = world.contact("enterprise_b")
    _place(_client(mine), item)
    placed = selectors.menu_order_list(actor=mine).get()
    staff_order = order(world, item, by="union_b")
    neighbour = _client(world.contact("enterprise_b2"))
    assert neighbour.get(reverse("enterprise:menu_order", args=[placed.pk])).status_code == 404
    # An order the union placed itself is not the enterprise's either.
    own = _client(mine)
    assert own.get(reverse("enterprise:menu_order", args=[staff_order.pk])).status_code == 404
    assert own.get(reverse("enterprise:menu_order", args=[placed.pk])).status_code == 200
    listing = neighbour.get(reverse("enterprise:menu_orders")).content.decode()
    assert "送戏下基层" not in listing
