"""The console pages and the API of virtual jobs."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from gonghui.accounts.services import api_token_issue
from gonghui.funds.models import Income, PayableItem
from gonghui.testing.database import changed_tables, row_counts
from gonghui.virtualjobs import services
from gonghui.virtualjobs.models import PayRun, PayRunLine, Post, PostStatus
from gonghui.virtualjobs.tests import helpers as h

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(**overrides: str) -> dict[str, str]:
    return {"organization": "", **h.post_data(), **overrides}


def test_a_clerk_sets_up_a_post_has_it_adopted_and_pays_a_month_on_the_pages(world):
    clerk = world.staff("town_b", "clerk")
    client = login(clerk)
    filed, member = h.household(world)
    fund = h.fund(world, "town_b", name="B镇虚拟岗位认领资金")
    # The member shows among those who may be given a post.
    page = client.get(reverse("console:vj_post_create"))
    assert member.name in page.content.decode()
    url = reverse("console:vj_post_create") + f"?member={member.pk}"
    response = client.post(url, form_data(organization=str(world.town_b.pk)))
    post = Post.unscoped.get(member=member)
    assert response.status_code == 302 and response["Location"].endswith(f"/{post.pk}/adopt/")
    response = client.post(
        reverse("console:vj_post_adopt", args=[post.pk]),
        {
            "credit_code": world.enterprises["enterprise_b"].credit_code,
            "fund": str(fund.pk),
            "from_month": "2017-01",
            "committed": "3600.00",
            "received_on": "2017-01-05",
            "receipt_number": "PH-001",
        },
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.ACTIVE and post.fund == fund
    assert Income.unscoped.get(fund=fund).amount == 3600
    response = client.post(
        reverse("console:vj_run_create"),
        {"organization": str(world.town_b.pk), "month": "2017-01"},
    )
    run = PayRun.unscoped.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{run.pk}/")
    detail = client.get(reverse("console:vj_post_detail", args=[post.pk])).content.decode()
    assert (
        "2017-01" in detail
        and "待发放" in detail
        and world.enterprises["enterprise_b"].name in detail
    )
    assert "6228***********6789" in detail and "6228480328123456789" not in detail
    listing = client.get(reverse("console:vj_post_list"), {"q": "保洁"}).content.decode()
    assert post.title in listing
    # A suspension, then an end, through their forms.
    client.post(
        reverse("console:vj_post_suspend", args=[post.pk]),
        {"from_month": "2017-02", "reason": "住院治疗"},
    )
    post.refresh_from_db()
    assert post.status == PostStatus.SUSPENDED
    client.post(
        reverse("console:vj_post_end", args=[post.pk]),
        {"last_month": "2017-02", "reason": "病故"},
    )
    post.refresh_from_db()
    assert post.status == PostStatus.ENDED


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"monthly_amount": "-1"}, "monthly_amount", "不能为负数"),
        ({"monthly_amount": "300.001"}, "monthly_amount", "最多两位小数"),
        ({"end_month": "2016-06"}, "end_month", "不能早于起始月份"),
        ({"title": "<img src=x onerror=alert(1)>"}, "title", ""),
    ],
)
def test_bad_input_on_the_post_form_is_shown_at_its_field(world, overrides, field, fragment):
    client = login(world.staff("town_b", "clerk"))
    _filed, member = h.household(world)
    url = reverse("console:vj_post_create") + f"?member={member.pk}"
    before = row_counts()
    response = client.post(url, form_data(organization=str(world.town_b.pk), **overrides))
    assert changed_tables(before) == {}
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and fragment in " ".join(errors[field]), errors
    assert "<img src=x" not in response.content.decode()
    assert not Post.unscoped.exists()


def test_a_pay_run_for_a_future_month_is_refused_at_the_month(world):
    h.post(world)
    client = login(world.staff("town_b", "clerk"))
    before = row_counts()
    response = client.post(
        reverse("console:vj_run_create"), {"organization": str(world.town_b.pk), "month": "2099-01"}
    )
    assert changed_tables(before) == {}
    assert response.status_code == 200
    assert "不能为未来月份" in " ".join(response.context["form"].errors["month"])
    assert not PayRunLine.unscoped.exists()


def test_a_member_able_to_work_is_not_offered_and_cannot_be_given_a_post(world):
    filed, _member = h.household(world, capacity="full")
    client = login(world.staff("town_b", "clerk"))
    able = filed.members.get(relation="spouse")
    assert able.name not in client.get(reverse("console:vj_post_create")).content.decode()
    assert client.get(reverse("console:vj_post_create") + f"?member={able.pk}").status_code == 404


def test_the_api_sets_up_adopts_and_pays(world):
    key, _ = api_token_issue(user=world.staff("town_b", "clerk"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    filed, member = h.household(world)
    fund = h.fund(world, "town_b")

    def post(path, body):
        response = Client().post(
            f"/api/virtual-jobs{path}", json.dumps(body), content_type="application/json", **headers
        )
        return response, json.loads(response.content)

    response, body = post(
        "/posts",
        {
            "organization_id": world.town_b.pk,
            "household_id": filed.pk,
            "member_id": member.pk,
            **h.post_data(),
        },
    )
    assert response.status_code == 201, body
    assert body["bank_card"] == "6228***********6789" and body["status"] == "open"
    post_id = body["id"]
    response, body = post(
        f"/posts/{post_id}/adopt",
        {"fund_id": fund.pk, "adopter_name": "平湖市税务局", "from_month": "2017-01"},
    )
    assert response.status_code == 200 and body["status"] == "active", body
    response, body = post("/pay-runs", {"organization_id": world.town_b.pk, "month": "2017-01"})
    assert response.status_code == 201 and body["line_count"] == 1, body
    assert PayableItem.unscoped.get(source_id=body["lines"][0]["id"]).amount == 300
    response, body = post("/pay-runs", {"organization_id": world.town_b.pk, "month": "2017-01"})
    assert response.status_code == 422
    assert "都已发放" in body["errors"][0]["message"]
    assert body["errors"][0]["field"] == "month"


def test_the_posts_list_filters_by_union_status_and_adopter(world):
    fund = h.fund(world, money="10000")
    in_b = h.post(world, "union_b", fund_=fund, title="河道保洁员")
    in_b2 = h.post(world, "union_b2", fund_=fund, title="村务信息员")
    client = login(world.staff("district_b", "admin"))
    url = reverse("console:vj_post_list")
    page = client.get(url, {"org": world.union_b2.pk}).content.decode()
    assert in_b2.title in page and in_b.title not in page
    page = client.get(url, {"status": "suspended"}).content.decode()
    assert in_b.title not in page and "没有符合条件的岗位" in page
    page = client.get(url, {"adopter": "B号机械"}).content.decode()
    assert in_b.title in page and in_b2.title in page
    assert client.get(url, {"org": world.union_a.pk}).status_code == 404


def test_an_adopting_enterprise_sees_its_posts_and_their_pay_but_not_the_family(world):
    fund = h.fund(world, money="10000")
    post = h.post(world, fund_=fund)  # adopted by enterprise_b
    services.pay_run_create(
        actor=world.staff("town_b", "clerk"), organization=world.town_b, month="2017-01"
    )
    own = login(world.contact("enterprise_b")).get(reverse("enterprise:vj_adoptions"))
    html = own.content.decode()
    assert post.title in html and "1 个月，¥300.00" in html
    assert "李**" in html and "李秀英" not in html
    other = login(world.contact("enterprise_a")).get(reverse("enterprise:vj_adoptions"))
    assert post.title not in other.content.decode()
