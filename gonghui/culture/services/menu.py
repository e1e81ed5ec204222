"""The menu service 菜单式服务 (CUL-4): a federation publishes a yearly menu of performances,
film screenings, book deliveries and training visits; units of its subtree order from it; the
federation approves or refuses each order and records the delivery.

Quota: an order holds its quantity from submission until it is refused or cancelled (the
``HOLDING_STATES``), both against the item's yearly total (``MenuItem.ordered`` ≤ ``quota``)
and against the per-unit limit (the sum a unit holds on the item ≤ ``per_unit_quota``).
Every change to what an item holds happens under the item's row lock, and ``ordered`` moves
only by a conditional UPDATE, so no number of simultaneous orders exceeds either quota.

Locks are always taken in one order, the item row and then the order row, so two services
running at once cannot deadlock on them.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import decisions
from gonghui.core.locks import LockSpace, lock_one
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.validators import clean_text, raise_errors
from gonghui.culture.models import (
    HOLDING_STATES,
    Menu,
    MenuItem,
    MenuItemKind,
    MenuOrder,
    OrderState,
)
from gonghui.organizations.models import Enterprise, Organization, OrgKind

__all__ = [
    "MENU_ORDER_ACTIONS",
    "menu_create",
    "menu_item_save",
    "menu_may_publish",
    "menu_order_actions",
    "menu_order_cancel",
    "menu_order_create",
    "menu_order_create_for_enterprise",
    "menu_order_decide",
    "menu_order_deliver",
    "menu_publish",
    "menu_unit_held",
    "menu_year_range",
]

# What may be done to an order, for pages and the API to offer only what the services allow.
MENU_ORDER_ACTIONS = ("cancel", "approve", "reject", "deliver")


def _today() -> datetime.date:
    return timezone.localdate()


def menu_year_range() -> range:
    """The years a menu may be made for: this year, and next year (published in the autumn)."""
    year = _today().year
    return range(year, year + 2)


# --- who may do what ---------------------------------------------------------------------------


def _visible(actor: Any, order: MenuOrder) -> bool:
    """The order's scope (``MenuOrder.scope_fields``): its unit or its provider lies in the
    actor's subtree."""
    path: str = getattr(actor, "scope_path", None) or ""
    if not path:
        return False
    return order.unit.path.startswith(path) or order.provider.path.startswith(path)


def _is_provider(actor: Any, order: MenuOrder) -> bool:
    return _visible(actor, order) and actor.organization_id == order.provider_id


def _is_ordering_side(actor: Any, order: MenuOrder) -> bool:
    """The unit itself, or an organisation between the provider and the unit (a town that
    ordered for a union under it). The provider, and anyone above it, decide instead: they
    see the order but do not withdraw it, unless the provider ordered for itself."""
    if not _visible(actor, order):
        return False
    own = actor.organization
    if own.pk == order.unit_id:
        return True
    return (
        order.unit.path.startswith(own.path)
        and own.path.startswith(order.provider.path)
        and own.pk != order.provider_id
    )


def menu_order_actions(*, actor: Any, order: MenuOrder) -> frozenset[str]:
    """The actions the actor may take on the order in its current state (roles included)."""
    found: set[str] = set()
    if order.state == OrderState.SUBMITTED:
        if _is_ordering_side(actor, order) and has_perm(actor, Perm.EDIT_RECORDS):
            found.add("cancel")
        if decisions.may_decide(actor=actor, flow=MENU_ORDER_FLOW, request=order):
            found |= {"approve", "reject"}
    if (
        order.state == OrderState.APPROVED
        and _is_provider(actor, order)
        and has_perm(actor, Perm.EDIT_RECORDS)
    ):
        found.add("deliver")
    return frozenset(found)


def _require_publisher(actor: Any, menu: Menu) -> None:
    """A menu is kept by the staff of the federation that publishes it; those above see it."""
    require_within(actor, menu.organization)
    if actor.organization_id != menu.organization_id:
        raise PermissionDenied(
            _("该菜单由%(org)s发布，您可以查看，但不能修改。") % {"org": menu.organization.name}
        )
    require(actor, Perm.EDIT_RECORDS)


def _require_provider(actor: Any, order: MenuOrder, perm: Perm) -> None:
    if not _visible(actor, order):
        raise NotFound
    if actor.organization_id != order.provider_id:
        raise PermissionDenied(
            _("该点单由%(org)s审核和配送，您可以查看进度。") % {"org": order.provider.name}
        )
    require(actor, perm)


def _require_state(order: MenuOrder, *states: str) -> None:
    if order.state not in states:
        raise ValidationError(
            {
                "state": [
                    _("该点单当前为“%(s)s”，不能执行此操作。") % {"s": order.get_state_display()}
                ]
            }
        )


# --- locks and the counter ---------------------------------------------------------------------


def _lock_item(item_id: int) -> MenuItem:
    """The item row, locked to the end of the transaction. Every service that changes what
    an item holds takes this lock first: it serialises the orders of one item, so the
    per-unit sum read under it is exact and two units cannot both take the last 场."""
    return lock_one(
        LockSpace.MENU_ITEM, MenuItem.objects.select_related("menu", "menu__organization"), item_id
    )


def _lock_order(order: MenuOrder) -> tuple[MenuItem, MenuOrder]:
    """The item, then the order (the fixed order of the module docstring), then the order's
    state re-read from the locked row: it may have moved since the page was loaded."""
    item = _lock_item(order.item_id)
    locked = lock_one(
        LockSpace.MENU_ORDER,
        MenuOrder.unscoped.select_related("unit", "provider", "item", "item__menu"),
        order.pk,
    )
    return item, locked


def menu_unit_held(*, item: MenuItem, unit: Organization) -> int:
    """What the unit's orders hold on the item (exact only under the item's lock)."""
    held = MenuOrder.unscoped.filter(
        item_id=item.pk, unit_id=unit.pk, state__in=HOLDING_STATES
    ).aggregate(n=Sum("quantity"))["n"]
    return int(held or 0)


def _give_back(item: MenuItem, quantity: int) -> None:
    """Return a refused or cancelled order's quantity to the item. Runs under the item lock."""
    moved = MenuItem.objects.filter(pk=item.pk, ordered__gte=quantity).update(
        ordered=F("ordered") - quantity
    )
    if moved != 1:  # the counter always covers the orders it counts
        raise RuntimeError(f"menu item {item.pk}: ordered is below a holding order's quantity")


# --- the menu ----------------------------------------------------------------------------------


def menu_may_publish(*, actor: Any) -> bool:
    """Federations publish menus; a grassroots union orders from them."""
    org = getattr(actor, "organization", None)
    return org is not None and org.kind != OrgKind.GRASSROOTS and has_perm(actor, Perm.EDIT_RECORDS)


@transaction.atomic
def menu_create(*, actor: Any, year: int, title: str) -> Menu:
    """A new (unpublished) menu of the actor's federation for ``year``; one per year."""
    require(actor, Perm.EDIT_RECORDS)
    if not menu_may_publish(actor=actor):
        raise PermissionDenied(_("基层工会不发布服务菜单，请向上级工会点单。"))
    org: Organization = actor.organization
    errors: dict[str, list[str]] = {}
    title = clean_text(title, "title", errors, required=True, limit=100)
    years = menu_year_range()
    if year not in years:
        errors.setdefault("year", []).append(
            _("年度只能是 %(a)s 年或 %(b)s 年。") % {"a": years[0], "b": years[-1]}
        )
    elif Menu.unscoped.filter(organization=org, year=year).exists():
        errors.setdefault("year", []).append(_menu_exists(year))
    raise_errors(errors)
    try:
        with transaction.atomic():  # a savepoint: the failed INSERT leaves the rest usable
            return Menu.objects.create(organization=org, year=year, title=title)
    except IntegrityError:
        # Two submits at once both passed the check above; the unique constraint kept one.
        raise ValidationError({"year": [_menu_exists(year)]}) from None


def _menu_exists(year: int) -> str:
    return _("本单位 %(y)s 年度的服务菜单已经建立，请在原菜单中增加项目。") % {"y": year}


@transaction.atomic
def menu_item_save(
    *,
    actor: Any,
    menu: Menu,
    item: MenuItem | None = None,
    kind: str,
    title: str,
    description: str,
    unit: str,
    quota: int,
    per_unit_quota: int,
) -> MenuItem:
    """Add an item to the menu, or change one. The yearly total may not go below what orders
    already hold. A lower per-unit limit leaves existing orders alone and applies to new
    ones."""
    _require_publisher(actor, menu)
    if item is not None and item.menu_id != menu.pk:
        raise NotFound
    errors: dict[str, list[str]] = {}
    if kind not in MenuItemKind.values:
        errors.setdefault("kind", []).append(_("请选择类别。"))
    title = clean_text(title, "title", errors, required=True, limit=100)
    description = clean_text(
        description, "description", errors, required=False, limit=1000, multiline=True
    )
    unit = clean_text(unit, "unit", errors, required=True, limit=10)
    if quota is None or quota < 1:
        errors.setdefault("quota", []).append(_("年度总量至少为 1。"))
    if per_unit_quota is None or per_unit_quota < 1:
        errors.setdefault("per_unit_quota", []).append(_("每单位限额至少为 1。"))
    elif quota is not None and per_unit_quota > quota:
        errors.setdefault("per_unit_quota", []).append(_("每单位限额不能超过年度总量。"))
    raise_errors(errors)
    if item is None:
        return MenuItem.objects.create(
            menu=menu,
            kind=kind,
            title=title,
            description=description,
            unit=unit,
            quota=quota,
            per_unit_quota=per_unit_quota,
        )
    # Lock the item so an order placed at this moment cannot slip in between reading
    # ``ordered`` and lowering ``quota`` below it.
    item = _lock_item(item.pk)
    if quota < item.ordered:
        raise ValidationError(
            {
                "quota": [
                    _("已有点单占用 %(n)s %(u)s，年度总量不能少于 %(n)s。")
                    % {"n": item.ordered, "u": item.unit}
                ]
            }
        )
    item.kind = kind
    item.title = title
    item.description = description
    item.unit = unit
    item.quota = quota
    item.per_unit_quota = per_unit_quota
    item.save(update_fields=["kind", "title", "description", "unit", "quota", "per_unit_quota"])
    return item


@transaction.atomic
def menu_publish(*, actor: Any, menu: Menu) -> Menu:
    """Open the menu to the units of the federation's subtree."""
    _require_publisher(actor, menu)
    menu = lock_one(LockSpace.MENU, Menu.unscoped.select_related("organization"), menu.pk)
    if menu.is_published:
        raise ValidationError({"menu": [_("该菜单已经发布。")]})
    if menu.year < _today().year:
        raise ValidationError({"menu": [_("该菜单年度已过，不能发布。")]})
    if not menu.items.exists():
        raise ValidationError({"menu": [_("请先增加至少一个项目，再发布菜单。")]})
    menu.is_published = True
    menu.save(update_fields=["is_published"])
    return menu


# --- orders ------------------------------------------------------------------------------------


@transaction.atomic
def menu_order_create(
    *,
    actor: Any,
    item: MenuItem,
    quantity: int,
    wanted_on: datetime.date | None,
    note: str = "",
    unit: Organization | None = None,
) -> MenuOrder:
    """A unit orders ``quantity`` of an item of a published menu of this or a later year,
    published by its own organisation or one above it. ``unit`` defaults to the actor's
    organisation; staff may order for a unit of their subtree. Refused, with nothing saved,
    when the item's yearly total or the unit's limit would be exceeded."""
    require(actor, Perm.EDIT_RECORDS)
    unit = unit or actor.organization
    require_within(actor, unit)
    return _order_place(
        actor=actor, item=item, unit=unit, quantity=quantity, wanted_on=wanted_on, note=note
    )


@transaction.atomic
def menu_order_create_for_enterprise(
    *,
    actor: Any,
    item: MenuItem,
    quantity: int,
    wanted_on: datetime.date | None,
    note: str = "",
) -> MenuOrder:
    """An enterprise contact orders for their own enterprise. The order's unit is the union
    covering the enterprise: it counts against that union's limit, its staff follow it (and
    may withdraw it) as their own, and the federation decides it as any other; the order
    records the enterprise and the contact who placed it."""
    enterprise_id = getattr(actor, "enterprise_id_or_none", None)
    if enterprise_id is None:
        raise NotFound
    enterprise = Enterprise.objects.visible_to(actor).select_related("union").get(pk=enterprise_id)
    if not enterprise.is_active:
        raise ValidationError({"item": [_("贵企业已不在营，不能点单。")]})
    if enterprise.union is None:
        raise ValidationError(
            {"item": [_("贵企业尚未建立工会，暂不能点单。建会事宜请联系所在镇（街道）总工会。")]}
        )
    return _order_place(
        actor=actor,
        item=item,
        unit=enterprise.union,
        quantity=quantity,
        wanted_on=wanted_on,
        note=note,
        enterprise=enterprise,
    )


def _order_place(
    *,
    actor: Any,
    item: MenuItem,
    unit: Organization,
    quantity: int,
    wanted_on: datetime.date | None,
    note: str,
    enterprise: Enterprise | None = None,
) -> MenuOrder:
    """The order itself, once the caller has checked who may order for ``unit``. Must run
    inside the caller's atomic block (it takes the item's lock)."""
    # The race this lock prevents: two orders of the same item read the same ``ordered`` and
    # the same per-unit sum, both pass the checks and together take more than is left (or a
    # unit's two simultaneous orders both fit its limit alone). Under the lock the second
    # waits for the first to commit and then reads what the first took. Everything below is
    # checked on the locked row and its menu as they are now, not on the caller's copy.
    locked = _lock_item(item.pk)
    menu = locked.menu
    provider = menu.organization
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=False, limit=300, multiline=True)
    today = _today()
    if not unit.path.startswith(provider.path):
        errors.setdefault("unit", []).append(
            _("%(u)s不在%(p)s的服务范围内，不能点这份菜单。") % {"u": unit.name, "p": provider.name}
        )
    elif not unit.is_active:
        errors.setdefault("unit", []).append(_("%(u)s已撤销，不能点单。") % {"u": unit.name})
    if not menu.is_published:
        errors.setdefault("item", []).append(_("该菜单尚未发布，不能点单。"))
    elif menu.year < today.year:
        errors.setdefault("item", []).append(
            _("该菜单是 %(y)s 年度的，已过期，不能点单。") % {"y": menu.year}
        )
    if quantity is None or quantity < 1:
        errors.setdefault("quantity", []).append(_("数量至少为 1。"))
    if wanted_on is None:
        errors.setdefault("wanted_on", []).append(_("请选择希望日期。"))
    elif wanted_on.year != menu.year:
        errors.setdefault("wanted_on", []).append(
            _("希望日期应在菜单年度（%(y)s 年）之内。") % {"y": menu.year}
        )
    elif wanted_on < today:
        errors.setdefault("wanted_on", []).append(_("希望日期不能早于今天。"))
    raise_errors(errors)
    assert wanted_on is not None  # noqa: S101 (refused above; for the type checker)
    held = menu_unit_held(item=locked, unit=unit)
    left = locked.quota - locked.ordered
    problems: list[str] = []
    if held + quantity > locked.per_unit_quota:
        problems.append(
            _("每个单位本年度最多可点 %(n)s %(u)s，贵单位已点 %(h)s %(u)s。")
            % {"n": locked.per_unit_quota, "u": locked.unit, "h": held}
        )
    if quantity > left:
        problems.append(_left_message(locked, left))
    if problems:
        raise ValidationError({"quantity": problems})
    # The conditional UPDATE is the statement that takes the quota: it cannot push
    # ``ordered`` past ``quota`` even if a caller forgot the lock above.
    taken = MenuItem.objects.filter(pk=locked.pk, ordered__lte=F("quota") - quantity).update(
        ordered=F("ordered") + quantity
    )
    if taken != 1:
        raise ValidationError({"quantity": [_left_message(locked, left)]})
    return MenuOrder.objects.create(
        item=locked,
        unit=unit,
        enterprise=enterprise,
        provider=provider,
        quantity=quantity,
        wanted_on=wanted_on,
        note=note,
        state=OrderState.SUBMITTED,
        created_by=actor,
    )


def _left_message(item: MenuItem, left: int) -> str:
    if left <= 0:
        return _("该项目本年度已全部订完，请选择其他项目。")
    return _("该项目本年度仅剩 %(n)s %(u)s，请减少数量。") % {"n": left, "u": item.unit}


@transaction.atomic
def menu_order_cancel(*, actor: Any, order: MenuOrder) -> MenuOrder:
    """The ordering unit withdraws its order while it waits for a decision; the quantity goes
    back to the item."""
    item, order = _lock_order(order)
    if not _visible(actor, order):
        raise NotFound
    if not _is_ordering_side(actor, order):
        raise PermissionDenied(_("只有点单单位可以撤回点单；配送单位请作“不同意”处理。"))
    require(actor, Perm.EDIT_RECORDS)
    _require_state(order, OrderState.SUBMITTED)
    _give_back(item, order.quantity)
    order.state = OrderState.CANCELLED
    order.save(update_fields=["state", "updated_at"])
    return order


def _order_refuse(actor: Any, order: MenuOrder, reason: str) -> None:
    """A refused order's quantity goes back to the item (locked by ``_lock_order``)."""
    _give_back(order.item, order.quantity)


def _order_snapshot(order: MenuOrder) -> dict[str, Any]:
    item = order.item
    return {
        "item": {"id": item.pk, "title": item.title, "kind": item.kind, "unit": item.unit},
        "menu": {"id": item.menu_id, "year": item.menu.year},
        "unit": {"id": order.unit_id, "name": order.unit.name},
        "provider": {"id": order.provider_id, "name": order.provider.name},
        "quantity": order.quantity,
        "wanted_on": order.wanted_on,
        "note": order.note,
        "item_quota": item.quota,
        "item_ordered": item.ordered,
        "ordered_at": order.created_at,
    }


# Decided by the staff of the federation that published the menu (those above it see the
# order but do not decide it); the clerk who placed the order is the maker.
MENU_ORDER_FLOW = decisions.register(
    decisions.Flow(
        name="culture.menu_order",
        steps=(
            decisions.Step(
                name="provider",
                label=gettext_lazy("配送单位审核"),
                organization=lambda order: order.provider,
                perm=Perm.APPROVE,
                reach=decisions.Reach.OWN,
                denied=lambda provider: (
                    _("该点单由%(org)s审核和配送，您可以查看进度。") % {"org": provider.name}
                ),
            ),
        ),
        maker=lambda order: order.created_by_id,
        status_field="state",
        pending=OrderState.SUBMITTED,
        approved=OrderState.APPROVED,
        refused=OrderState.REJECTED,
        closed_message=lambda order: (
            _("该点单当前为“%(s)s”，不能执行此操作。") % {"s": order.get_state_display()}
        ),
        closed_field="state",
        note_field="reason",
        reason_message=lambda: _("不同意时请填写理由，点单单位会看到。"),
        snapshot=_order_snapshot,
        apply=lambda actor, order, reason: None,  # approved: the provider arranges delivery
        refuse=_order_refuse,
        lock=lambda order: _lock_order(order)[1],
    )
)


def menu_order_decide(
    *, actor: Any, order: MenuOrder, approve: bool, reason: str = ""
) -> MenuOrder:
    """The federation that published the menu approves an order, or refuses it with a reason
    the unit will read; a refused order's quantity goes back to the item. One transaction
    (``decisions.decide``)."""
    result: MenuOrder = decisions.decide(
        actor=actor, flow=MENU_ORDER_FLOW, request=order, approve=approve, reason=reason
    )
    return result


@transaction.atomic
def menu_order_deliver(
    *,
    actor: Any,
    order: MenuOrder,
    delivered_on: datetime.date | None,
    delivery_note: str = "",
    audience: int | None,
) -> MenuOrder:
    """Record that an approved order was delivered: when, how, and how many workers it
    reached (the figure the dashboard counts)."""
    _item, order = _lock_order(order)
    _require_provider(actor, order, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    delivery_note = clean_text(
        delivery_note, "delivery_note", errors, required=False, limit=300, multiline=True
    )
    ordered_on = timezone.localtime(order.created_at).date()
    if delivered_on is None:
        errors.setdefault("delivered_on", []).append(_("请填写送达日期。"))
    elif delivered_on > _today():
        errors.setdefault("delivered_on", []).append(_("送达日期不能晚于今天。"))
    elif delivered_on < ordered_on:
        errors.setdefault("delivered_on", []).append(
            _("送达日期不能早于点单日期（%(d)s）。") % {"d": ordered_on.isoformat()}
        )
    if audience is None or audience < 1:
        errors.setdefault("audience", []).append(_("请填写受益职工人数（至少 1 人）。"))
    raise_errors(errors)
    _require_state(order, OrderState.APPROVED)
    order.state = OrderState.DELIVERED
    order.delivered_on = delivered_on
    order.delivery_note = delivery_note
    order.audience = audience
    order.save(update_fields=["state", "delivered_on", "delivery_note", "audience", "updated_at"])
    return order
