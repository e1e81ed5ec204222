"""The organisation picker's endpoint and field: only what the source offers this actor, by
name and by tree; the chosen id is checked again on the server."""

import pytest
from django.urls import reverse

from gonghui.members.forms import MemberAddForm
from gonghui.organizations import selectors

pytestmark = pytest.mark.django_db


def pick(client, **query):
    response = client.get(reverse("console:org_pick"), query)
    return response.status_code, response.content.decode()


def test_search_offers_only_the_sources_organisations_in_scope(client, world):
    client.force_login(world.staff("district_a", "clerk"))
    status, page = pick(client, source="grassroots", q="号")
    assert status == 200
    assert world.union_a.name in page and world.union_a2.name in page
    assert world.union_b.name not in page  # another branch
    assert f'data-org-pick="{world.town_a.pk}"' not in page  # not a grassroots union
    # Each result says where it sits.
    assert world.town_a.name in page
    status, page = pick(client, source="subtree", q="B")
    assert status == 200 and "data-org-pick=" not in page and "没有名称含" in page


def test_browsing_starts_at_the_actors_organisation_and_walks_down(client, world):
    client.force_login(world.staff("district_a", "clerk"))
    status, page = pick(client, source="grassroots")
    assert status == 200 and world.district_a.name in page
    # The town is not a choice for a member's union, but it can be opened.
    assert f'data-org-pick="{world.town_a.pk}"' not in page
    assert f"parent={world.town_a.pk}" in page
    status, page = pick(client, source="grassroots", parent=world.town_a.pk)
    assert f'data-org-pick="{world.union_a.pk}"' in page
    # For a filter, any organisation of the subtree is a choice, the top one too.
    status, page = pick(client, source="subtree")
    assert f'data-org-pick="{world.district_a.pk}"' in page
    assert f'data-org-pick="{world.town_a.pk}"' in page


def test_another_branch_and_unknown_sources_are_not_found(client, world):
    client.force_login(world.staff("district_a", "clerk"))
    assert pick(client, source="subtree", parent=world.town_b.pk)[0] == 404
    assert pick(client, source="subtree", parent=world.city.pk)[0] == 404
    assert pick(client, source="subtree", parent="x")[0] == 404
    assert pick(client, source="everything")[0] == 404


def test_referral_offers_the_citys_federations_but_no_grassroots_union(client, world):
    client.force_login(world.staff("union_a", "clerk"))
    status, page = pick(client, source="referral", q="B")
    assert status == 200
    assert f'data-org-pick="{world.town_b.pk}"' in page
    assert f'data-org-pick="{world.district_b.pk}"' in page
    assert f'data-org-pick="{world.union_b.pk}"' not in page
    status, page = pick(client, source="referral")
    assert f'data-org-pick="{world.city.pk}"' in page


def test_the_field_refuses_an_id_the_picker_would_not_offer(world):
    clerk = world.staff("district_a", "clerk")
    data = {
        "name": "周一",
        "id_number": "x",
        "joined_on": "2024-01-01",
    }
    form = MemberAddForm(
        {**data, "union": world.union_b.pk},
        unions=selectors.grassroots_list(actor=clerk),
        employers=selectors.enterprise_list(actor=clerk),
    )
    assert not form.is_valid() and "union" in form.errors
    form = MemberAddForm(
        {**data, "union": world.union_a.pk},
        unions=selectors.grassroots_list(actor=clerk),
        employers=selectors.enterprise_list(actor=clerk),
    )
    form.is_valid()
    assert "union" not in form.errors
    # The widget shows the chosen union's name, and a search box labelled by the field.
    html = str(form["union"])
    assert world.union_a.name in html and 'id="id_union_q"' in html
    assert form["union"].id_for_label == "id_union_q"
