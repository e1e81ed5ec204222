"""API of the menu service 菜单式服务 (staff), mounted at ``/api/culture/menu``: the menus a
unit may order from, ordering and withdrawing, and the federation's decisions and delivery
records. Same selectors and services as the console pages."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gonghui.core.api import Count, Date, Id, Pages, Search, Text, staff_actor
from gonghui.culture.models import MenuItem, MenuOrder
from gonghui.culture.selectors import menu as selectors
from gonghui.culture.services import menu as services
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["文化服务：菜单"])


class ItemOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    description: str
    unit: str
    quota: int
    per_unit_quota: int
    ordered: int
    left: int
    unit_held: int
    unit_left: int

    @staticmethod
    def resolve_kind_label(obj: MenuItem) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_unit_held(obj: Any) -> int:
        return int(getattr(obj, "held", 0))

    @staticmethod
    def resolve_unit_left(obj: Any) -> int:
        return max(0, obj.per_unit_quota - int(getattr(obj, "held", 0)))


class MenuOut(Schema):
    id: int
    year: int
    title: str
    organization_id: int
    organization_name: str
    items: list[ItemOut]


class OrderOut(Schema):
    id: int
    menu_id: int
    menu_title: str
    item_id: int
    item_title: str
    item_unit: str
    unit_id: int
    unit_name: str
    provider_id: int
    provider_name: str
    quantity: int
    wanted_on: datetime.date
    note: str
    state: str
    state_label: str
    reason: str
    delivered_on: datetime.date | None
    delivery_note: str
    audience: int | None
    created_at: datetime.datetime
    actions: list[str]

    @staticmethod
    def resolve_menu_id(obj: MenuOrder) -> int:
        return obj.item.menu_id

    @staticmethod
    def resolve_menu_title(obj: MenuOrder) -> str:
        return obj.item.menu.title

    @staticmethod
    def resolve_item_title(obj: MenuOrder) -> str:
        return obj.item.title

    @staticmethod
    def resolve_item_unit(obj: MenuOrder) -> str:
        return obj.item.unit

    @staticmethod
    def resolve_unit_name(obj: MenuOrder) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_provider_name(obj: MenuOrder) -> str:
        return obj.provider.name

    @staticmethod
    def resolve_state_label(obj: MenuOrder) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_actions(obj: Any) -> list[str]:
        """What the caller may do next (``cancel``, ``approve``, ``reject``, ``deliver``)."""
        return sorted(getattr(obj, "allowed_actions", ()))


class OrderIn(Schema):
    item_id: Id
    quantity: Annotated[Count, Field(ge=1)]
    wanted_on: Date | None = None
    note: Annotated[str, Text(300, multiline=True)] = ""
    unit_id: Id | None = None


class DecideIn(Schema):
    approve: bool
    reason: Annotated[str, Text(300, multiline=True)] = ""


class DeliverIn(Schema):
    delivered_on: Date | None = None
    delivery_note: Annotated[str, Text(300, multiline=True)] = ""
    audience: Count | None = None


def _out(actor: Any, order: MenuOrder) -> MenuOrder:
    order.allowed_actions = services.menu_order_actions(  # type: ignore[attr-defined]
        actor=actor, order=order
    )
    return order


def _order(request: HttpRequest, order_id: Id) -> tuple[Any, MenuOrder]:
    actor = staff_actor(request)
    return actor, selectors.menu_order_get(actor=actor, id=order_id)


@router.get("/menus", response=list[MenuOut], summary="本单位可点的菜单和项目")
def available_menus(request: HttpRequest) -> Any:
    """Published menus of this or a later year from the caller's organisation and those
    above it; each item with what is left overall and for the caller's unit."""
    actor = staff_actor(request)
    return [
        {
            "id": menu.pk,
            "year": menu.year,
            "title": menu.title,
            "organization_id": menu.organization_id,
            "organization_name": menu.organization.name,
            "items": list(selectors.menu_items(menu=menu, unit=actor.organization)),
        }
        for menu in selectors.menu_available(actor=actor)
    ]


@router.get("/orders", response=list[OrderOut], summary="点单记录")
@paginate(Pages, page_size=50)
def list_orders(
    request: HttpRequest, state: Search = "", menu_id: Id | None = None, side: Search = ""
) -> Any:
    """``side``: ``received`` (orders on the caller's menus) or ``placed`` (orders of the
    caller's subtree on others' menus); both when empty."""
    actor = staff_actor(request)
    return selectors.menu_order_list(actor=actor, state=state, menu=menu_id, side=side)


@router.post("/orders", response={201: OrderOut}, summary="点单")
def create_order(request: HttpRequest, payload: OrderIn) -> Any:
    """``unit_id`` defaults to the caller's organisation; staff may order for a unit of
    their subtree. 422 with the reason at ``quantity`` when a quota would be exceeded."""
    actor = staff_actor(request)
    item = selectors.menu_item_orderable_get(actor=actor, id=payload.item_id)
    unit = None
    if payload.unit_id is not None:
        unit = org_selectors.organization_get(actor=actor, id=payload.unit_id)
    order = services.menu_order_create(
        actor=actor,
        item=item,
        quantity=payload.quantity,
        wanted_on=payload.wanted_on,
        note=payload.note,
        unit=unit,
    )
    return Status(201, _out(actor, selectors.menu_order_get(actor=actor, id=order.pk)))


@router.get("/orders/{order_id}", response=OrderOut, summary="点单详情")
def get_order(request: HttpRequest, order_id: Id) -> Any:
    actor, order = _order(request, order_id)
    return _out(actor, order)


@router.post("/orders/{order_id}/cancel", response=OrderOut, summary="撤回点单")
def cancel_order(request: HttpRequest, order_id: Id) -> Any:
    actor, order = _order(request, order_id)
    services.menu_order_cancel(actor=actor, order=order)
    return _out(actor, selectors.menu_order_get(actor=actor, id=order_id))


@router.post("/orders/{order_id}/decide", response=OrderOut, summary="审核点单")
def decide_order(request: HttpRequest, order_id: Id, payload: DecideIn) -> Any:
    actor, order = _order(request, order_id)
    services.menu_order_decide(
        actor=actor, order=order, approve=payload.approve, reason=payload.reason
    )
    return _out(actor, selectors.menu_order_get(actor=actor, id=order_id))


@router.post("/orders/{order_id}/deliver", response=OrderOut, summary="记录送达")
def deliver_order(request: HttpRequest, order_id: Id, payload: DeliverIn) -> Any:
    actor, order = _order(request, order_id)
    services.menu_order_deliver(
        actor=actor,
        order=order,
        delivered_on=payload.delivered_on,
        delivery_note=payload.delivery_note,
        audience=payload.audience,
    )
    return _out(actor, selectors.menu_order_get(actor=actor, id=order_id))
