"""The member list as a clerk uses it, in headless Chromium with the content security policy
in force: the union chosen with the organisation picker by typing a name and by walking the
tree, a join-date range, a sort by column and the page box.

Browser, page and sign-in are those of ``gonghui/tests/test_browser.py``.
"""

from __future__ import annotations

import datetime
import shutil

import pytest

from gonghui.members.models import Membership
from gonghui.tests import test_browser as shared
from gonghui.tests.test_browser import CHROMIUM, staff_sign_in
from gonghui.tests.test_csp_browser import watch

browser = shared.browser
page = shared.page
city = shared.city

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def member(city, union: str, name: str, joined: datetime.date) -> Membership:
    membership = city.member(union, name=name)
    Membership.unscoped.filter(pk=membership.pk).update(joined_on=joined)
    return membership


def table(page) -> str:
    return page.inner_text("[data-testid=member-table]")


def test_member_list_filtered_by_a_union_picked_by_name_and_by_tree(page, city):
    problems = watch(page)
    member(city, "union_a", "欧阳甲", datetime.date(2016, 3, 1))
    member(city, "union_a2", "欧阳乙", datetime.date(2021, 3, 1))
    member(city, "union_a", "司马丁", datetime.date(2022, 3, 1))
    member(city, "union_b", "欧阳丙", datetime.date(2016, 3, 1))
    staff_sign_in(page, "district_a-clerk")
    page.goto(page.base + "/console/members/")
    assert "欧阳丙" not in table(page)

    # By name: type part of it, click the union among the results.
    page.fill("[data-testid=org-picker-q-org]", "A2号")
    page.click("[data-org-pick]:has-text('A2号机械有限公司工会')")
    assert page.inner_text("[data-org-picker-chosen]") == "A2号机械有限公司工会"
    assert page.locator("[data-org-picker-results] > *").count() == 0
    page.click("[data-testid=member-filter]")
    page.wait_for_url(f"**org={city.union_a2.pk}**")
    assert "欧阳乙" in table(page) and "欧阳甲" not in table(page)
    # The page comes back with the union still chosen.
    assert page.inner_text("[data-org-picker-chosen]") == "A2号机械有限公司工会"

    # By the tree: the district, its town, then the union; and a join-date range.
    page.click("[data-testid=org-picker-browse-org]")
    page.click(f"[hx-get$='parent={city.town_a.pk}']")
    page.click(f"[data-org-pick='{city.union_a.pk}']")
    assert page.inner_text("[data-org-picker-chosen]") == "A号机械有限公司工会"
    page.fill("[data-testid=joined-from]", "2015-01-01")
    page.fill("[data-testid=joined-to]", "2017-12-31")
    page.click("[data-testid=member-filter]")
    page.wait_for_url(f"**org={city.union_a.pk}**")
    assert "欧阳甲" in table(page)
    assert "司马丁" not in table(page) and "欧阳乙" not in table(page)

    # Clear the union and the dates: the whole district, sorted by name by its header.
    page.click("[data-org-picker-clear]")
    assert page.inner_text("[data-org-picker-chosen]") == "未选择"
    page.fill("[data-testid=joined-from]", "")
    page.fill("[data-testid=joined-to]", "")
    page.click("[data-testid=member-filter]")
    page.wait_for_url("**status=active**")
    page.click("[data-testid=sort-name]")
    page.wait_for_url("**sort=name**")
    rows = page.locator("[data-testid=member-table] tbody tr td:first-child").all_inner_texts()
    assert rows == sorted(["欧阳甲", "欧阳乙", "司马丁"])
    assert problems == [], "\n".join(problems)


def test_member_list_pages_by_link_and_by_number(page, city, settings):
    settings.GONGHUI_PAGE_SIZE = 2
    for i in range(5):
        member(city, "union_a", f"会员{i}", datetime.date(2020, 1, 1 + i))
    staff_sign_in(page, "district_a-clerk")
    page.goto(page.base + "/console/members/?sort=joined")
    assert "第 1 / 3 页" in page.inner_text("[data-testid=pagination]")
    page.click("[data-testid=page-next]")
    page.wait_for_url("**after=**")
    assert "会员2" in table(page) and "会员0" not in table(page)
    page.fill("#page-number", "3")
    page.click("[data-testid=page-jump] button")
    page.wait_for_url("**page=3**")
    assert "会员4" in table(page) and "第 3 / 3 页" in page.inner_text("[data-testid=pagination]")
    page.click("[data-testid=page-prev]")
    page.wait_for_url("**before=**")
    assert "会员2" in table(page) and "会员3" in table(page)
