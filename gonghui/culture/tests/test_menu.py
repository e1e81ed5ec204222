"""The menu service 菜单式服务 (CUL-4): quotas per item and per unit, held from submission and
given back on refusal or withdrawal, exact under concurrency; who may order, decide and
deliver; the pages and the API as staff meet them, and another branch meeting "not found"."""

from __future__ import annotations

import datetime
import json
import threading
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.accounts.services import api_token_issue
from gonghui.core.scoping import NotFound
from gonghui.culture.models import HOLDING_STATES, Menu, MenuItem, MenuOrder, OrderState
from gonghui.culture.selectors import menu as selectors
from gonghui.culture.services import menu as services
from gonghui.testing.world import build_world

TODAY = timezone.localdate


@pytest.fixture
def world(db):
    return build_world()


def publish_menu(world, org="district_a", *, quota=5, per_unit=2, year=None, publish=True):
    """A menu of ``org`` with one item ("送戏下基层", counted in 场)."""
    admin = world.staff(org, "admin")
    menu = services.menu_create(actor=admin, year=year or TODAY().year, title=f"{org}文化菜单")
    item = services.menu_item_save(
        actor=admin,
        menu=menu,
        kind="performance",
        title="送戏下基层",
        description="越剧专场",
        unit="场",
        quota=quota,
        per_unit_quota=per_unit,
    )
    if publish:
        services.menu_publish(actor=admin, menu=menu)
    return menu, item


def order(world, item, by="union_a", quantity=1, **extra):
    """An order by the clerk of ``by`` (for ``by`` itself unless ``unit=`` says otherwise)."""
    return services.menu_order_create(
        actor=world.staff(by, "clerk"),
        item=item,
        quantity=quantity,
        wanted_on=extra.pop("wanted_on", TODAY()),
        note=extra.pop("note", "厂区礼堂"),
        **extra,
    )


def ordered(item) -> int:
    return MenuItem.objects.get(pk=item.pk).ordered


def messages_of(exc: ValidationError, field: str) -> list[str]:
    return exc.message_dict[field]


# --- quotas ------------------------------------------------------------------------------------


def test_an_order_holds_quota_from_submission(world):
    _menu, item = publish_menu(world)
    placed = order(world, item, quantity=2)
    assert placed.state == OrderState.SUBMITTED
    assert placed.provider == world.district_a and placed.unit == world.union_a
    assert ordered(item) == 2


def test_the_per_unit_limit_is_refused_with_the_reason_and_nothing_saved(world):
    _menu, item = publish_menu(world, quota=5, per_unit=2)
    order(world, item, quantity=2)
    with pytest.raises(ValidationError) as exc:
        order(world, item, quantity=1)
    assert messages_of(exc.value, "quantity") == ["每个单位本年度最多可点 2 场，贵单位已点 2 场。"]
    assert ordered(item) == 2
    assert MenuOrder.unscoped.filter(item=item).count() == 1


def test_the_item_total_is_refused_with_what_is_left_and_nothing_saved(world):
    _menu, item = publish_menu(world, quota=5, per_unit=2)
    order(world, item, "union_a", 2)
    order(world, item, "union_a2", 2)
    with pytest.raises(ValidationError) as exc:
        order(world, item, "town_a", 2)
    assert messages_of(exc.value, "quantity") == ["该项目本年度仅剩 1 场，请减少数量。"]
    assert ordered(item) == 4
    order(world, item, "town_a", 1)
    with pytest.raises(ValidationError) as exc:
        order(world, item, "district_a", 1)
    assert messages_of(exc.value, "quantity") == ["该项目本年度已全部订完，请选择其他项目。"]
    assert ordered(item) == 5
    assert MenuOrder.unscoped.filter(item=item).count() == 3


def test_refusal_gives_the_quota_back(world):
    _menu, item = publish_menu(world, quota=5, per_unit=2)
    placed = order(world, item, quantity=2)
    refused = services.menu_order_decide(
        actor=world.staff("district_a", "reviewer"),
        order=placed,
        approve=False,
        reason="档期已满",
    )
    assert refused.state == OrderState.REJECTED and refused.reason == "档期已满"
    assert ordered(item) == 0
    order(world, item, quantity=2)  # the unit's limit is free again too
    assert ordered(item) == 2


def test_withdrawal_gives_the_quota_back(world):
    _menu, item = publish_menu(world)
    placed = order(world, item, quantity=2)
    cancelled = services.menu_order_cancel(actor=world.staff("union_a", "clerk"), order=placed)
    assert cancelled.state == OrderState.CANCELLED
    assert ordered(item) == 0


def test_approval_and_delivery_keep_holding_the_quota(world):
    _menu, item = publish_menu(world)
    placed = order(world, item, quantity=2)
    approved = services.menu_order_decide(
        actor=world.staff("district_a", "reviewer"), order=placed, approve=True
    )
    delivered = services.menu_order_deliver(
        actor=world.staff("district_a", "clerk"),
        order=approved,
        delivered_on=TODAY(),
        delivery_note="演出顺利",
        audience=320,
    )
    assert delivered.state == OrderState.DELIVERED and delivered.audience == 320
    assert ordered(item) == 2
    with pytest.raises(ValidationError) as exc:
        services.menu_order_cancel(actor=world.staff("union_a", "clerk"), order=delivered)
    assert "state" in exc.value.message_dict
    assert ordered(item) == 2


def test_quota_cannot_be_lowered_below_what_is_ordered(world):
    menu, item = publish_menu(world, quota=5, per_unit=2)
    order(world, item, "union_a", 2)
    order(world, item, "union_a2", 1)
    with pytest.raises(ValidationError) as exc:
        services.menu_item_save(
            actor=world.staff("district_a", "admin"),
            menu=menu,
            item=item,
            kind="performance",
            title="送戏下基层",
            description="",
            unit="场",
            quota=2,
            per_unit_quota=2,
        )
    assert messages_of(exc.value, "quota") == ["已有点单占用 3 场，年度总量不能少于 3。"]
    assert MenuItem.objects.get(pk=item.pk).quota == 5


# --- who may order -----------------------------------------------------------------------------


def test_a_unit_outside_the_menus_subtree_cannot_order(world):
    _menu, item = publish_menu(world, "district_a")
    with pytest.raises(NotFound):  # the page never offers it: not among the menus above
        selectors.menu_item_orderable_get(actor=world.staff("union_b", "clerk"), id=item.pk)
    with pytest.raises(ValidationError) as exc:  # the service refuses it all the same
        order(world, item, "union_b")
    assert messages_of(exc.value, "unit") == [
        "B号机械有限公司工会不在A区总工会的服务范围内，不能点这份菜单。"
    ]
    assert ordered(item) == 0


def test_staff_order_for_a_unit_of_their_subtree_only(world):
    _menu, item = publish_menu(world)
    placed = order(world, item, "town_a", unit=world.union_a)
    assert placed.unit == world.union_a and placed.created_by == world.staff("town_a", "clerk")
    with pytest.raises(NotFound):
        order(world, item, "union_a2", unit=world.union_a)


def test_menus_available_are_published_ones_of_the_unit_and_above(world):
    district_menu, _ = publish_menu(world, "district_a")
    city_menu, _ = publish_menu(world, "city")
    town_draft, _ = publish_menu(world, "town_b", publish=False)
    assert set(selectors.menu_available(actor=world.staff("union_a", "clerk"))) == {
        district_menu,
        city_menu,
    }
    assert set(selectors.menu_available(actor=world.staff("union_b", "clerk"))) == {city_menu}
    assert town_draft not in selectors.menu_available(actor=world.staff("union_b", "clerk"))


def test_an_unpublished_or_past_menu_cannot_be_ordered(world):
    _menu, item = publish_menu(world, publish=False)
    with pytest.raises(ValidationError) as exc:
        order(world, item)
    assert messages_of(exc.value, "item") == ["该菜单尚未发布，不能点单。"]
    past = Menu.objects.create(organization=world.town_a, year=TODAY().year - 1, title="旧菜单")
    old_item = MenuItem.objects.create(
        menu=past, kind="film", title="电影", unit="场", quota=5, per_unit_quota=1
    )
    Menu.unscoped.filter(pk=past.pk).update(is_published=True)
    old_item.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        order(world, old_item, wanted_on=datetime.date(TODAY().year, 12, 31))
    assert "已过期" in messages_of(exc.value, "item")[0]


def test_quantity_and_wanted_date_are_checked(world):
    _menu, item = publish_menu(world)
    with pytest.raises(ValidationError) as exc:
        order(world, item, quantity=0, wanted_on=TODAY() - datetime.timedelta(days=1))
    errors = exc.value.message_dict
    assert errors["quantity"] == ["数量至少为 1。"]
    assert errors["wanted_on"] in (
        ["希望日期不能早于今天。"],
        [f"希望日期应在菜单年度（{TODAY().year} 年）之内。"],  # on 1 January
    )
    with pytest.raises(ValidationError) as exc:
        order(world, item, wanted_on=datetime.date(TODAY().year + 1, 1, 10))
    assert exc.value.message_dict["wanted_on"] == [
        f"希望日期应在菜单年度（{TODAY().year} 年）之内。"
    ]
    assert ordered(item) == 0


def test_a_grassroots_union_does_not_publish_and_one_menu_per_year(world):
    with pytest.raises(PermissionDenied):
        services.menu_create(actor=world.staff("union_a", "admin"), year=TODAY().year, title="x")
    publish_menu(world, "town_a")
    with pytest.raises(ValidationError) as exc:
        services.menu_create(actor=world.staff("town_a", "admin"), year=TODAY().year, title="y")
    assert "year" in exc.value.message_dict


def test_only_the_publisher_edits_its_menu(world):
    menu, item = publish_menu(world, "town_a")
    fields = dict(
        kind="film", title="露天电影", description="", unit="场", quota=3, per_unit_quota=1
    )
    with pytest.raises(PermissionDenied):  # above it: sees it, does not edit it
        services.menu_item_save(actor=world.staff("district_a", "admin"), menu=menu, **fields)
    with pytest.raises(NotFound):
        services.menu_item_save(actor=world.staff("town_b", "admin"), menu=menu, **fields)
    with pytest.raises(NotFound):
        selectors.menu_get(actor=world.staff("district_b", "admin"), id=menu.pk)


# --- who may decide and deliver ---------------------------------------------------------------


def test_only_the_menus_federation_decides_and_with_the_right_role(world):
    _menu, item = publish_menu(world, "district_a")
    placed = order(world, item)
    for outsider in ("district_b", "town_b", "union_a2"):
        with pytest.raises(NotFound):
            services.menu_order_decide(
                actor=world.staff(outsider, "reviewer"), order=placed, approve=True
            )
    for seer in ("town_a", "city"):  # they see the order but do not decide it
        with pytest.raises(PermissionDenied):
            services.menu_order_decide(
                actor=world.staff(seer, "reviewer"), order=placed, approve=True
            )
    with pytest.raises(PermissionDenied):  # a clerk records, a reviewer decides
        services.menu_order_decide(
            actor=world.staff("district_a", "clerk"), order=placed, approve=True
        )
    assert MenuOrder.unscoped.get(pk=placed.pk).state == OrderState.SUBMITTED


def test_a_refusal_needs_a_reason(world):
    _menu, item = publish_menu(world)
    placed = order(world, item, quantity=2)
    with pytest.raises(ValidationError) as exc:
        services.menu_order_decide(
            actor=world.staff("district_a", "reviewer"), order=placed, approve=False, reason=" "
        )
    assert messages_of(exc.value, "reason") == ["不同意时请填写理由，点单单位会看到。"]
    assert ordered(item) == 2


def test_a_menu_decision_is_recorded_and_its_orderer_cannot_decide_it(world):
    from gonghui.core.decisions import steps_of

    _menu, item = publish_menu(world)
    admin = world.staff("district_a", "admin")  # the provider orders for itself
    own = services.menu_order_create(actor=admin, item=item, quantity=2, wanted_on=TODAY())
    with pytest.raises(PermissionDenied, match="录入人"):
        services.menu_order_decide(actor=admin, order=own, approve=True)
    assert services.menu_order_actions(actor=admin, order=own) == {"cancel"}
    reviewer = world.staff("district_a", "reviewer")
    assert {"approve", "reject"} <= services.menu_order_actions(actor=reviewer, order=own)
    services.menu_order_decide(actor=reviewer, order=own, approve=True, reason="按期配送")
    [step] = steps_of(own)
    assert (step.flow, step.step, step.approved) == ("culture.menu_order", "provider", True)
    assert step.organization == world.district_a and step.decided_by == reviewer
    assert step.snapshot["quantity"] == 2 and step.snapshot["item"]["id"] == item.pk
    assert step.snapshot["item_ordered"] == 2 and step.snapshot["item_quota"] == 5
    own.refresh_from_db()
    assert own.state == OrderState.APPROVED and own.reason == "按期配送"
    assert own.decided_by == reviewer


def test_the_provider_refuses_rather_than_withdraws(world):
    _menu, item = publish_menu(world)
    placed = order(world, item, "town_a", unit=world.union_a)
    with pytest.raises(PermissionDenied):
        services.menu_order_cancel(actor=world.staff("district_a", "admin"), order=placed)
    # the town that ordered for the union may withdraw it, as may the union itself
    services.menu_order_cancel(actor=world.staff("town_a", "clerk"), order=placed)
    assert ordered(item) == 0


def test_delivery_is_recorded_for_approved_orders_with_the_audience(world):
    _menu, item = publish_menu(world)
    placed = order(world, item)
    clerk = world.staff("district_a", "clerk")
    with pytest.raises(ValidationError) as exc:
        services.menu_order_deliver(
            actor=clerk, order=placed, delivered_on=TODAY(), audience=10, delivery_note=""
        )
    assert "state" in exc.value.message_dict
    services.menu_order_decide(
        actor=world.staff("district_a", "reviewer"), order=placed, approve=True
    )
    with pytest.raises(ValidationError) as exc:
        services.menu_order_deliver(
            actor=clerk,
            order=placed,
            delivered_on=TODAY() + datetime.timedelta(days=1),
            audience=None,
        )
    assert exc.value.message_dict["delivered_on"] == ["送达日期不能晚于今天。"]
    assert exc.value.message_dict["audience"] == ["请填写受益职工人数（至少 1 人）。"]


def test_orders_are_seen_by_the_units_subtree_and_the_provider_only(world):
    _menu, item = publish_menu(world, "district_a")
    placed = order(world, item, "union_a")
    for seer in ("union_a", "town_a", "district_a", "city"):
        assert selectors.menu_order_get(actor=world.staff(seer, "leader"), id=placed.pk) == placed
    for outsider in ("union_a2", "district_b", "union_b"):
        with pytest.raises(NotFound):
            selectors.menu_order_get(actor=world.staff(outsider, "admin"), id=placed.pk)
        assert not selectors.menu_order_list(actor=world.staff(outsider, "admin")).exists()
    district = world.staff("district_a", "admin")
    assert list(selectors.menu_order_list(actor=district, side="received")) == [placed]
    assert list(selectors.menu_order_list(actor=district, side="placed")) == []
    assert list(selectors.menu_order_list(actor=world.staff("town_a"), side="placed")) == [placed]


# --- concurrency -------------------------------------------------------------------------------


def fire(world, item, attempts: list[str]) -> list[str]:
    """One order of one 场 per entry of ``attempts`` (the ordering organisation), all let go at
    the same moment from their own threads, each with its own database connection."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(by: str) -> None:
        try:
            barrier.wait(timeout=30)
            order(world, item, by, 1)
            result = "ok"
        except ValidationError as exc:
            result = "refused" if "quantity" in exc.message_dict else f"error {exc}"
        except Exception as exc:  # noqa: BLE001 (reported by the callers' assertions)
            result = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(by,)) for by in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == len(attempts), "a thread did not finish"
    assert set(outcomes) <= {"ok", "refused"}, outcomes
    return outcomes


def assert_counted(item, per_unit: int) -> None:
    """What the holding orders add up to is what the item counts, within both quotas."""
    item.refresh_from_db()
    holding = MenuOrder.unscoped.filter(item=item, state__in=HOLDING_STATES)
    assert item.ordered <= item.quota
    assert (holding.aggregate(n=Sum("quantity"))["n"] or 0) == item.ordered
    assert all(row["n"] <= per_unit for row in holding.values("unit").annotate(n=Sum("quantity")))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_orders_never_exceed_the_item_total():
    """Twelve orders from four units at once on an item of five (two per unit): exactly
    five succeed."""
    world = build_world()
    _menu, item = publish_menu(world, "district_a", quota=5, per_unit=2)
    units = ("district_a", "town_a", "union_a", "union_a2")
    outcomes = fire(world, item, [unit for unit in units for _ in range(3)])
    assert outcomes.count("ok") == 5
    assert_counted(item, per_unit=2)
    assert item.ordered == 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_orders_of_one_unit_never_exceed_its_limit():
    """Ten orders from one unit at once, on an item with plenty left but a limit of two per
    unit: exactly two succeed (the per-unit sum is only exact under the item's lock)."""
    world = build_world()
    _menu, item = publish_menu(world, "district_a", quota=50, per_unit=2)
    outcomes = fire(world, item, ["union_a"] * 10)
    assert outcomes.count("ok") == 2
    assert_counted(item, per_unit=2)
    assert item.ordered == 2


# --- pages -------------------------------------------------------------------------------------


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_federation_creates_fills_and_publishes_a_menu(world):
    client = login(world.staff("district_a", "admin"))
    response = client.post(
        reverse("console:menu_list"), {"year": TODAY().year, "title": "年度菜单"}
    )
    menu = Menu.unscoped.get(organization=world.district_a)
    assert response.status_code == 302 and response["Location"] == reverse(
        "console:menu_detail", args=[menu.pk]
    )
    item = {
        "kind": "film",
        "title": "露天电影",
        "description": "",
        "unit": "场",
        "quota": 10,
        "per_unit_quota": 20,
    }
    page = client.post(reverse("console:menu_detail", args=[menu.pk]), item)
    assert page.status_code == 200
    assert "每单位限额不能超过年度总量。" in page.content.decode()
    assert not menu.items.exists()
    item["per_unit_quota"] = 2
    client.post(reverse("console:menu_detail", args=[menu.pk]), item)
    client.post(reverse("console:menu_publish", args=[menu.pk]))
    menu.refresh_from_db()
    assert menu.is_published
    page = client.get(reverse("console:menu_detail", args=[menu.pk])).content.decode()
    assert "露天电影" in page and "已发布" in page


def test_a_unit_orders_from_the_page_and_is_told_when_too_many(world):
    _menu, item = publish_menu(world, quota=5, per_unit=2)
    client = login(world.staff("union_a", "clerk"))
    page = client.get(reverse("console:menu_order_new"))
    assert page.status_code == 200
    assert "送戏下基层" in page.content.decode()
    fragment = client.get(
        reverse("console:menu_order_new"), {"item": item.pk}, HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200
    assert 'data-testid="order-form"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    data = {"item": item.pk, "quantity": 3, "wanted_on": TODAY().isoformat(), "note": ""}
    refused = client.post(reverse("console:menu_order_new"), data)
    assert refused.status_code == 200
    assert "每个单位本年度最多可点 2 场，贵单位已点 0 场。" in refused.content.decode()
    assert not MenuOrder.unscoped.exists()
    data["quantity"] = 2
    done = client.post(reverse("console:menu_order_new"), data)
    placed = MenuOrder.unscoped.get()
    assert done["Location"] == reverse("console:menu_order_detail", args=[placed.pk])
    htmx = client.post(reverse("console:menu_order_new"), data, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and "贵单位已点 2 场" in htmx.content.decode()


def test_the_federation_decides_on_the_order_page(world):
    _menu, item = publish_menu(world)
    placed = order(world, item, quantity=2)
    reviewer = login(world.staff("district_a", "reviewer"))
    page = reviewer.get(reverse("console:menu_order_detail", args=[placed.pk])).content.decode()
    assert 'data-testid="order-approve"' in page and 'data-testid="order-cancel"' not in page
    url = reverse("console:menu_order_act", args=[placed.pk, "reject"])
    missing = reviewer.post(url, {"reason": ""})
    assert missing.status_code == 200
    assert "不同意时请填写理由，点单单位会看到。" in missing.content.decode()
    assert ordered(item) == 2
    assert reviewer.post(url, {"reason": "档期冲突"}).status_code == 302
    assert MenuOrder.unscoped.get(pk=placed.pk).state == OrderState.REJECTED
    assert ordered(item) == 0


def test_the_unit_withdraws_on_the_order_page(world):
    _menu, item = publish_menu(world)
    placed = order(world, item)
    unit = login(world.staff("union_a", "clerk"))
    page = unit.get(reverse("console:menu_order_detail", args=[placed.pk])).content.decode()
    assert 'data-testid="order-cancel"' in page and 'data-testid="order-approve"' not in page
    unit.post(reverse("console:menu_order_act", args=[placed.pk, "cancel"]))
    assert MenuOrder.unscoped.get(pk=placed.pk).state == OrderState.CANCELLED


def test_the_order_list_filters_and_exports(world):
    from openpyxl import load_workbook

    _menu, item = publish_menu(world)
    first = order(world, item, "union_a")
    order(world, item, "union_a2")
    services.menu_order_cancel(actor=world.staff("union_a", "clerk"), order=first)
    client = login(world.staff("district_a", "admin"))
    page = client.get(reverse("console:menu_order_list"), {"state": "submitted"})
    assert [o.unit for o in page.context["page_obj"]] == [world.union_a2]
    export = client.get(reverse("console:menu_order_list"), {"format": "xlsx"})
    book = load_workbook(BytesIO(b"".join(export.streaming_content)))
    text = " ".join(str(c) for row in book.active.iter_rows(values_only=True) for c in row)
    assert world.union_a.name in text and world.union_a2.name in text


def test_pages_cost_the_same_queries_however_many_orders(world):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    menu, item = publish_menu(world, quota=50, per_unit=10)
    order(world, item, "union_a")
    client = login(world.staff("district_a", "admin"))
    pages = [
        reverse("console:menu_order_list"),
        reverse("console:menu_list"),
        reverse("console:menu_detail", args=[menu.pk]),
        reverse("console:menu_item_edit", args=[menu.pk, item.pk]),
        reverse("console:menu_order_new"),
    ]

    def cost(url: str) -> int:
        with CaptureQueriesContext(db) as queries:
            assert client.get(url).status_code == 200, url
        return len(queries)

    [cost(url) for url in pages]  # the first request warms the session and the badges
    before = [cost(url) for url in pages]
    for by in ("union_a", "union_a2", "town_a", "district_a"):
        order(world, item, by, 2)
    assert [cost(url) for url in pages] == before


def test_another_branch_gets_not_found_on_every_menu_page(world):
    menu, item = publish_menu(world, "district_a")
    placed = order(world, item)
    sibling = login(world.staff("district_b", "admin"))
    gets = [
        reverse("console:menu_detail", args=[menu.pk]),
        reverse("console:menu_item_edit", args=[menu.pk, item.pk]),
        reverse("console:menu_order_detail", args=[placed.pk]),
        reverse("console:menu_order_new") + f"?item={item.pk}",
    ]
    for url in gets:
        assert sibling.get(url).status_code == 404, url
    posts = [
        reverse("console:menu_publish", args=[menu.pk]),
        reverse("console:menu_order_new"),
        *(
            reverse("console:menu_order_act", args=[placed.pk, action])
            for action in services.MENU_ORDER_ACTIONS
        ),
    ]
    for url in posts:
        response = sibling.post(url, {"item": item.pk, "quantity": 1, "reason": "x"})
        assert response.status_code == 404, url
    assert MenuOrder.unscoped.get(pk=placed.pk).state == OrderState.SUBMITTED
    listing = sibling.get(reverse("console:menu_order_list")).content.decode()
    assert world.union_a.name not in listing


# --- API ---------------------------------------------------------------------------------------


def api(user, method, path, body=None):
    key, _token = api_token_issue(user=user)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    client = Client()
    if body is None:
        return getattr(client, method)(f"/api/culture/menu{path}", **headers)
    return getattr(client, method)(
        f"/api/culture/menu{path}", json.dumps(body), content_type="application/json", **headers
    )


def test_the_api_orders_decides_and_delivers(world):
    _menu, item = publish_menu(world, quota=5, per_unit=2)
    unit = world.staff("union_a", "clerk")
    menus = api(unit, "get", "/menus").json()
    assert menus[0]["items"][0]["left"] == 5 and menus[0]["items"][0]["unit_left"] == 2
    body = {"item_id": item.pk, "quantity": 3, "wanted_on": TODAY().isoformat()}
    refused = api(unit, "post", "/orders", body)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "quantity", "message": "每个单位本年度最多可点 2 场，贵单位已点 0 场。"}
    ]
    body["quantity"] = 2
    created = api(unit, "post", "/orders", body)
    assert created.status_code == 201
    order_id = created.json()["id"]
    assert created.json()["actions"] == ["cancel"]
    assert api(world.staff("district_b", "admin"), "get", f"/orders/{order_id}").status_code == 404
    decided = api(
        world.staff("district_a", "reviewer"),
        "post",
        f"/orders/{order_id}/decide",
        {"approve": True},
    )
    assert decided.json()["state"] == "approved"
    delivered = api(
        world.staff("district_a", "clerk"),
        "post",
        f"/orders/{order_id}/deliver",
        {"delivered_on": TODAY().isoformat(), "audience": 200, "delivery_note": "顺利"},
    )
    assert delivered.status_code == 200 and delivered.json()["state"] == "delivered"
    listed = api(world.staff("district_a", "admin"), "get", "/orders?side=received").json()
    assert [o["id"] for o in listed["items"]] == [order_id]
    assert api(world.staff("union_b", "clerk"), "get", "/orders").json()["items"] == []
    sibling_body = {"item_id": item.pk, "quantity": 1, "wanted_on": TODAY().isoformat()}
    assert api(world.staff("union_b", "clerk"), "post", "/orders", sibling_body).status_code == 404


def test_the_provider_sees_orders_waiting_for_its_decision_beside_the_menu_entry(world, client):
    _menu, item = publish_menu(world)
    order(world, item)
    client.force_login(world.staff("district_a", "reviewer"))
    page = client.get("/console/culture/menu/orders/").content.decode()
    assert 'class="badge text-bg-warning">1</span>' in page
    client.force_login(world.staff("district_b", "reviewer"))
    assert 'class="badge text-bg-warning">1</span>' not in client.get("/console/").content.decode()
