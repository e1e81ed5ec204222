"""The enterprise area's home: the contact's own enterprise, its code masked, its covering
union and where it stands in founding one."""

import datetime

import pytest
from django.urls import reverse

from gonghui.accounts import services as account_services
from gonghui.organizations import services as org_services
from gonghui.testing.factories import new_credit_code, new_mobile
from gonghui.unionbuilding import services as building_services

pytestmark = pytest.mark.django_db


def _loose(world):
    return org_services.enterprise_create(
        actor=world.staff("town_b", "clerk"),
        name="未建会公司",
        credit_code=new_credit_code(),
        industry="C",
        employee_count=5,
        area=world.town_b,
    )


def test_home_shows_the_founding_state_of_a_union_not_yet_founded(world, client):
    loose = _loose(world)
    contact = account_services.enterprise_contact_invite(
        actor=world.staff("town_b", "clerk"), enterprise=loose, name="李", mobile=new_mobile()
    )
    client.force_login(contact)
    page = client.get(reverse("enterprise:home")).content.decode()
    assert "未建会" in page and loose.credit_code not in page and loose.credit_code[-2:] in page
    building_services.founding_apply(
        actor=world.staff("town_b", "clerk"),
        parent=world.town_b,
        proposed_name="未建会公司工会",
        grassroots_kind="enterprise",
        enterprises=[loose],
        chair_name="张",
        initial_members=5,
        planned_on=datetime.date(2026, 1, 1),
    )
    page = client.get(reverse("enterprise:home")).content.decode()
    assert "建会申请审核中" in page


def test_home_shows_only_the_contacts_own_enterprise(world, client):
    client.force_login(world.contact("enterprise_a"))
    page = client.get(reverse("enterprise:home")).content.decode()
    assert world.enterprises["enterprise_a"].name in page
    assert world.enterprises["enterprise_b"].name not in page
