"""Reads of the menu service, scoped to the actor.

Two views of the same menus: the publishing federation (and those above it) see the menus of
their subtree through ``Menu.objects.visible_to``; a unit sees the published menus it may
order from, those of its own organisation and of every organisation above it
(``menu_available``). Orders are seen by the unit's subtree and by the provider's
(``MenuOrder.scope_fields``), and an order placed for an enterprise by that enterprise's
contacts (``MenuOrder.enterprise_field``); anyone else gets ``NotFound``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from gonghui.core.scoping import get_visible, subtree_q
from gonghui.culture.models import HOLDING_STATES, Menu, MenuItem, MenuOrder, OrderState
from gonghui.organizations.models import Enterprise, Organization

__all__ = [
    "menu_orders_to_decide",
    "MENU_ORDER_SIDES",
    "menu_available",
    "menu_offer",
    "menu_get",
    "menu_item_get",
    "menu_item_orderable_get",
    "menu_items",
    "menu_list",
    "menu_order_get",
    "menu_order_list",
    "menu_ordering_unit",
]

# Filters of the order list: orders the actor's federation received on its menus, or orders
# placed by the actor's subtree on menus of others.
MENU_ORDER_SIDES = ("received", "placed")


def menu_list(*, actor: Any) -> QuerySet[Menu]:
    """Menus published (or being prepared) by the actor's organisation and its subtree."""
    return (
        Menu.objects.visible_to(actor)
        .select_related("organization")
        .annotate(item_count=Count("items"))
        .order_by("-year", "organization__path", "pk")
    )


def menu_get(*, actor: Any, id: int) -> Menu:
    return get_visible(Menu.objects.visible_to(actor).select_related("organization"), pk=id)


def menu_ordering_unit(*, actor: Any) -> Organization | None:
    """The unit the actor orders for: a staff member's organisation; for an enterprise
    contact, the union covering their enterprise (none while it has no union)."""
    if getattr(actor, "enterprise_id_or_none", None) is not None:
        enterprise = Enterprise.objects.visible_to(actor).select_related("union").first()
        return enterprise.union if enterprise is not None and enterprise.is_active else None
    if not getattr(actor, "scope_path", None):
        return None
    org: Organization | None = getattr(actor, "organization", None)
    return org


def menu_available(*, actor: Any) -> QuerySet[Menu]:
    """Published menus of this or a later year that the actor's unit may order from: those
    of its own organisation and of the organisations above it. Reads across the scope on
    purpose (an ancestor's menu is not in the actor's subtree), limited to that chain."""
    org = menu_ordering_unit(actor=actor)
    if org is None:
        return Menu.unscoped.none()
    return (
        Menu.unscoped.filter(
            organization_id__in=[*org.ancestor_ids(), org.pk],
            is_published=True,
            year__gte=timezone.localdate().year,
        )
        .select_related("organization")
        .order_by("year", "-organization__depth", "pk")
    )


def menu_items(*, menu: Menu, unit: Organization | None = None) -> QuerySet[MenuItem]:
    """The menu's items; with ``unit``, each carries ``held`` = what that unit's orders hold
    on it (for "left for your unit" = ``per_unit_quota - held``)."""
    items = menu.items.all()
    if unit is not None:
        items = items.annotate(
            held=Coalesce(
                Sum(
                    "orders__quantity",
                    filter=Q(orders__unit_id=unit.pk, orders__state__in=HOLDING_STATES),
                ),
                Value(0),
                output_field=IntegerField(),
            )
        )
    return items.order_by("kind", "pk")


def menu_offer(*, actor: Any, unit: Organization | None) -> list[tuple[Menu, list[MenuItem]]]:
    """The menus ``actor`` may order from for ``unit``, each with its items; each item carries
    ``unit_left``, what the unit may still order (a limit lowered below what it holds shows 0).
    The unit's own order page and an enterprise contact's (through its covering union)."""
    offer = []
    for menu in menu_available(actor=actor):
        items = list(menu_items(menu=menu, unit=unit))
        for row in items:
            held = getattr(row, "held", 0)  # no unit (an enterprise without a union): none held
            row.unit_left = max(0, row.per_unit_quota - held)  # type: ignore[attr-defined]
        offer.append((menu, items))
    return offer


def menu_item_get(*, menu: Menu, id: int) -> MenuItem:
    """An item of a menu the caller already fetched through a scoped selector."""
    return get_visible(menu.items.select_related("menu", "menu__organization"), pk=id)


def menu_item_orderable_get(*, actor: Any, id: int) -> MenuItem:
    """An item the actor's unit may order: on a menu of ``menu_available``."""
    return get_visible(
        MenuItem.objects.filter(menu__in=menu_available(actor=actor)).select_related(
            "menu", "menu__organization"
        ),
        pk=id,
    )


def menu_order_list(
    *,
    actor: Any,
    state: str | None = None,
    menu: Menu | int | None = None,
    side: str = "",
) -> QuerySet[MenuOrder]:
    """Orders the actor may see, newest first. ``menu`` narrows to one menu (a ``Menu`` or its
    id: filtering a scoped list by a foreign id reveals nothing); ``side`` is one of
    ``MENU_ORDER_SIDES``."""
    qs = MenuOrder.objects.visible_to(actor)
    if state:
        qs = qs.filter(state=state)
    if menu is not None:
        qs = qs.filter(item__menu_id=menu.pk if isinstance(menu, Menu) else menu)
    own = getattr(actor, "organization_id", None)
    if side == "received":
        qs = qs.filter(provider_id=own)
    elif side == "placed":
        path = actor.scope_path or ""
        qs = qs.filter(Q(unit_id=own) | (subtree_q("unit", path) & ~Q(provider_id=own)))
    return qs.select_related(
        "item", "item__menu", "unit", "enterprise", "provider", "created_by", "decided_by"
    ).order_by("-created_at", "-pk")


def menu_order_get(*, actor: Any, id: int) -> MenuOrder:
    return get_visible(
        MenuOrder.objects.visible_to(actor).select_related(
            "item",
            "item__menu",
            "item__menu__organization",
            "unit",
            "enterprise",
            "provider",
            "created_by",
            "decided_by",
        ),
        pk=id,
    )


def menu_orders_to_decide(actor: Any) -> int:
    """Orders on the actor's organisation's menus waiting for its decision (the menu badge)."""
    own = getattr(actor, "organization_id", None)
    if not own:
        return 0
    return (
        MenuOrder.objects.visible_to(actor)
        .filter(provider_id=own, state=OrderState.SUBMITTED)
        .count()
    )
