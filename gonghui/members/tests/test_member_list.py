"""The member list: filters, sort keys, keyset pages and the page box, within the scope."""

import datetime

import pytest
from django.urls import reverse

from gonghui.members import selectors
from gonghui.members.models import Membership

pytestmark = pytest.mark.django_db

NAMES = ["丁一", "王二", "张三", "李四", "赵五", "钱六", "孙七"]


@pytest.fixture
def clerk_client(client, world):
    client.force_login(world.staff("district_a", "clerk"))
    return client


@pytest.fixture
def roll(world):
    """Seven members of branch A (in two unions, joined over seven years), and one of B."""
    members = []
    for i, name in enumerate(NAMES):
        m = world.member("union_a" if i % 2 else "union_a2", name=name)
        Membership.unscoped.filter(pk=m.pk).update(joined_on=datetime.date(2015 + i, 3, 1))
        members.append(m)
    world.member("union_b", name="乙方会员")
    return members


def names(response):
    return [m.person.name for m in response.context["page_obj"]]


def walk(client, query, direction="page-next"):
    """Every row, following the page's own 下一页 links from the first page."""
    seen, response = [], client.get(reverse("console:member_list"), query)
    while True:
        seen += names(response)
        page = response.context["page_obj"]
        if not page.has_next:
            return seen
        response = client.get(
            reverse("console:member_list"),
            {**query, "after": page.after, "page": page.next_page_number()},
        )


def test_each_sort_key_orders_the_rows_both_ways(clerk_client, roll):
    expected = {
        "name": sorted(NAMES),
        "joined": NAMES,
        "union": None,  # checked below: grouped by the union's name
    }
    for key, order in expected.items():
        response = clerk_client.get(reverse("console:member_list"), {"sort": key})
        got = names(response)
        if order is not None:
            assert got == order, key
        unions = [m.union.name for m in response.context["page_obj"]]
        if key == "union":
            assert unions == sorted(unions)
        down = names(clerk_client.get(reverse("console:member_list"), {"sort": f"-{key}"}))
        assert sorted(down) == sorted(got)
        if order is not None:
            assert down == order[::-1], key


def test_a_sort_key_outside_the_whitelist_is_the_default_order(clerk_client, roll):
    assert selectors.member_order("person__id_number_hash") == selectors.MEMBER_DEFAULT_ORDER
    assert selectors.member_order("-name") == ("-person__name", "-id")
    response = clerk_client.get(reverse("console:member_list"), {"sort": "person__mobile_hash"})
    assert response.status_code == 200
    assert names(response) == NAMES[::-1]  # the newest registration first


def test_keyset_pages_cover_the_list_once_each_way(clerk_client, roll, settings):
    settings.GONGHUI_PAGE_SIZE = 3
    for sort in ("", "name", "-name", "joined", "-union", "status"):
        query = {"sort": sort} if sort else {}
        forward = walk(clerk_client, query)
        assert sorted(forward) == sorted(NAMES), sort
        assert len(forward) == len(set(forward))
        # Back from the last page through the 上一页 links gives the same rows in reverse.
        last = clerk_client.get(reverse("console:member_list"), {**query, "page": 3})
        back = names(last)
        page = last.context["page_obj"]
        while page.has_previous:
            response = clerk_client.get(
                reverse("console:member_list"),
                {**query, "before": page.before, "page": page.previous_page_number()},
            )
            back = names(response) + back
            page = response.context["page_obj"]
        assert back == forward, sort


def test_a_page_typed_by_number_is_the_same_from_either_end(clerk_client, roll, settings):
    settings.GONGHUI_PAGE_SIZE = 2
    everything = walk(clerk_client, {"sort": "name"})
    for number in (1, 2, 3, 4):
        response = clerk_client.get(
            reverse("console:member_list"), {"sort": "name", "page": number}
        )
        assert names(response) == everything[(number - 1) * 2 : number * 2]
        assert response.context["page_obj"].number == number
    # Past the end, or not a number: the nearest page that exists.
    response = clerk_client.get(reverse("console:member_list"), {"sort": "name", "page": 99})
    assert names(response) == everything[6:] and response.context["page_obj"].number == 4
    response = clerk_client.get(reverse("console:member_list"), {"page": "x"})
    assert response.context["page_obj"].number == 1


def test_a_forged_cursor_is_ignored(clerk_client, roll):
    for cursor in ("not-base64!", "W10", "WyJ4Il0", "e30"):
        response = clerk_client.get(reverse("console:member_list"), {"after": cursor})
        assert response.status_code == 200
        assert names(response) == NAMES[::-1]


def test_filters_by_union_state_and_join_dates(clerk_client, world, roll):
    url = reverse("console:member_list")
    in_a = names(clerk_client.get(url, {"org": world.union_a.pk, "sort": "joined"}))
    assert in_a == NAMES[1::2]
    town = names(clerk_client.get(url, {"org": world.town_a.pk, "sort": "joined"}))
    assert town == NAMES  # a federation covers its subtree
    dated = clerk_client.get(
        url, {"joined_from": "2016-01-01", "joined_to": "2018-03-01", "sort": "joined"}
    )
    assert names(dated) == NAMES[1:4]
    # The state: active by default, any with an empty status, one state when named.
    left = roll[0]
    Membership.unscoped.filter(pk=left.pk).update(status="left")
    assert "丁一" not in names(clerk_client.get(url))
    assert "丁一" not in names(clerk_client.get(url, {"page": 1}))  # paging keeps the default
    assert "丁一" in names(clerk_client.get(url, {"status": ""}))
    assert names(clerk_client.get(url, {"status": "left"})) == ["丁一"]
    # A reversed range is an error at the field, not an empty list without a word.
    page = clerk_client.get(url, {"joined_from": "2019-01-01", "joined_to": "2016-01-01"})
    assert "结束日期不能早于开始日期" in page.content.decode()


def test_another_branch_never_appears_and_its_union_is_not_found(clerk_client, world, roll):
    url = reverse("console:member_list")
    for query in ({}, {"sort": "name"}, {"sort": "-union"}, {"status": ""}, {"q": "乙方"}):
        assert "乙方会员" not in clerk_client.get(url, query).content.decode()
    assert clerk_client.get(url, {"org": world.union_b.pk}).status_code == 404
    assert clerk_client.get(url, {"org": world.district_b.pk}).status_code == 404


def test_the_export_takes_the_filters(clerk_client, world, roll):
    from io import BytesIO

    from openpyxl import load_workbook

    response = clerk_client.get(
        reverse("console:member_list"),
        {"format": "xlsx", "org": world.union_a.pk, "joined_from": "2017-01-01", "sort": "name"},
    )
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    exported = [row[0] for row in workbook.active.iter_rows(values_only=True) if row[0] in NAMES]
    workbook.close()
    assert exported == sorted(["李四", "钱六"])


def test_an_empty_roll_says_what_to_do_next(client, world):
    client.force_login(world.staff("union_a", "clerk"))
    page = client.get(reverse("console:member_list")).content.decode()
    assert "还没有会员" in page and reverse("console:member_create") in page
    page = client.get(reverse("console:member_list"), {"q": "无此人"}).content.decode()
    assert "没有符合条件的会员" in page and "清除筛选" in page
