"""Reads of the union tree, enterprises and service network, always scoped to the actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from gonghui.core.scoping import NotFound, get_visible
from gonghui.organizations.models import (
    Enterprise,
    Organization,
    OrganizationMove,
    OrgKind,
    ServicePlace,
    ServiceType,
)


def organization_list(
    *,
    actor: Any,
    q: str = "",
    kind: str = "",
    within: Organization | None = None,
) -> QuerySet[Organization]:
    qs = Organization.objects.visible_to(actor)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q) | Q(short_name__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("path")


def organization_get(*, actor: Any, id: int) -> Organization:
    return get_visible(Organization.objects.visible_to(actor).select_related("parent"), pk=id)


def organization_children(*, actor: Any, org: Organization) -> QuerySet[Organization]:
    return (
        Organization.objects.visible_to(actor)
        .filter(parent=org)
        .annotate(child_count=Count("children"))
        .order_by("kind", "name")
    )


def organization_ancestors(*, actor: Any, org: Organization) -> list[Organization]:
    """The chain from the actor's own organisation down to ``org``'s parent (a breadcrumb)."""
    ids = org.ancestor_ids()
    return list(Organization.objects.visible_to(actor).filter(pk__in=ids).order_by("depth"))


def organization_moves(*, actor: Any, org: Organization) -> QuerySet[OrganizationMove]:
    return (
        OrganizationMove.objects.visible_to(actor)
        .filter(organization=org)
        .select_related("old_parent", "new_parent", "actor")
    )


def grassroots_list(*, actor: Any, q: str = "") -> QuerySet[Organization]:
    return organization_list(actor=actor, q=q, kind=OrgKind.GRASSROOTS).filter(is_active=True)


def federation_list(*, actor: Any) -> QuerySet[Organization]:
    """The actor's subtree above the grassroots unions (a city has thousands of those), and
    the actor's own organisation when it is one: who may own a record, a lawyer, a place."""
    depth = actor.organization.depth if getattr(actor, "organization", None) else 0
    return organization_list(actor=actor).exclude(kind=OrgKind.GRASSROOTS, depth__gt=depth)


# --- the organisation picker (organizations.picker) --------------------------------------------

PICKER_LIMIT = 30
PICKER_BROWSE_LIMIT = 200


@dataclass(frozen=True)
class PickerNode:
    org: Organization
    pickable: bool
    expandable: bool
    trail: tuple[str, ...] = ()  # names of the ancestors shown with a search result


def picker_universe(*, actor: Any, city_wide: bool) -> QuerySet[Organization]:
    """The tree a picker browses: the actor's subtree, or the whole city for sources whose
    choices are public by design (``OrgPickerSource.city_wide``)."""
    if city_wide:
        if not getattr(actor, "scope_path", None):
            return Organization.unscoped.none()
        return Organization.unscoped.all()
    return Organization.objects.visible_to(actor)


def picker_search(
    *, universe: QuerySet[Organization], pickable: QuerySet[Organization], q: str
) -> list[PickerNode]:
    """Pickable organisations whose name, short name or code matches ``q``, the shallowest
    first, each with the names of its ancestors in the universe (two queries)."""
    q = q.strip()
    if not q:
        return []
    found = list(
        pickable.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code__iexact=q))
        .annotate(child_count=Count("children"))
        .order_by("depth", "name", "id")[:PICKER_LIMIT]
    )
    ancestor_ids = {i for org in found for i in org.ancestor_ids()}
    names = dict(universe.filter(pk__in=ancestor_ids).values_list("pk", "name"))
    return [
        PickerNode(
            org=org,
            pickable=True,
            expandable=bool(org.child_count) and not org.is_grassroots,
            trail=tuple(names[i] for i in org.ancestor_ids() if i in names),
        )
        for org in found
    ]


def picker_roots(*, universe: QuerySet[Organization]) -> list[Organization]:
    """Where browsing starts: the top of the universe (the actor's own organisation)."""
    top = universe.order_by("depth").values_list("depth", flat=True).first()
    if top is None:
        return []
    return list(universe.filter(depth=top).order_by("name"))


def picker_get(*, universe: QuerySet[Organization], id: int) -> Organization:
    return get_visible(universe, pk=id)


def picker_children(
    *, universe: QuerySet[Organization], pickable: QuerySet[Organization], parent: Organization
) -> list[PickerNode]:
    """The children of ``parent`` a picker shows: those that may be chosen, and those above
    the grassroots that have children (something to choose may lie below them)."""
    children = list(
        universe.filter(parent=parent)
        .annotate(child_count=Count("children"))
        .order_by("kind", "name", "id")
    )
    chosen = set(pickable.filter(parent=parent).values_list("pk", flat=True))
    return [
        PickerNode(
            org=child,
            pickable=child.pk in chosen,
            expandable=bool(child.child_count) and not child.is_grassroots,
        )
        for child in children
        if child.pk in chosen or (child.child_count and not child.is_grassroots)
    ]


def picker_trail(*, universe: QuerySet[Organization], org: Organization) -> list[Organization]:
    """``org`` and its ancestors within the universe, from the top down (a breadcrumb)."""
    return list(universe.filter(pk__in=[*org.ancestor_ids(), org.pk]).order_by("depth"))


def public_union_search(*, q: str, limit: int = 20) -> list[Organization]:
    """Grassroots unions a worker may apply to join: names and codes are public, so this
    directory is deliberately not scoped."""
    q = q.strip()
    if len(q) < 2:
        return []
    return list(
        Organization.unscoped.filter(kind=OrgKind.GRASSROOTS, is_active=True)
        .filter(Q(name__icontains=q) | Q(code__iexact=q))
        .select_related("parent")
        .order_by("name")[:limit]
    )


def public_union_list(*, actor: Any) -> QuerySet[Organization]:
    """The directory of ``public_union_search`` for staff choosing where a member transfers
    to (any active grassroots union of the city; the transfer's receiver decides)."""
    if not getattr(actor, "scope_path", None):
        return Organization.unscoped.none()
    return Organization.unscoped.filter(kind=OrgKind.GRASSROOTS, is_active=True)


def public_union_get(*, id: int) -> Organization:
    return get_visible(Organization.unscoped.filter(kind=OrgKind.GRASSROOTS, is_active=True), pk=id)


def enterprise_list(
    *,
    actor: Any,
    q: str = "",
    industry: str = "",
    unionised: str = "",
    within: Organization | None = None,
) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.visible_to(actor).select_related("area", "union")
    if within is not None:
        qs = qs.filter(
            Q(area__path__startswith=within.path) | Q(union__path__startswith=within.path)
        )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__iexact=q.strip().upper()))
    if industry:
        qs = qs.filter(industry=industry)
    if unionised == "yes":
        qs = qs.filter(union__isnull=False)
    elif unionised == "no":
        qs = qs.filter(union__isnull=True)
    return qs.order_by("name", "id")


def enterprise_get(*, actor: Any, id: int) -> Enterprise:
    return get_visible(Enterprise.objects.visible_to(actor).select_related("area", "union"), pk=id)


def enterprise_covered_get(*, actor: Any, id: int) -> Enterprise:
    """An enterprise whose covering organisation (``Enterprise.covering``: its union, else its
    town) lies in the actor's subtree: the staff who manage its contacts. Seeing it through
    its area alone, while another branch's union covers it, is not enough."""
    path = getattr(actor, "scope_path", None)
    if not path:
        raise NotFound
    covered = Q(union__path__startswith=path) | Q(union__isnull=True, area__path__startswith=path)
    return get_visible(
        Enterprise.objects.visible_to(actor).filter(covered).select_related("area", "union"),
        pk=id,
    )


def service_place_list(
    *, actor: Any, tier: str = "", within: Organization | None = None
) -> QuerySet[ServicePlace]:
    qs = (
        ServicePlace.objects.visible_to(actor)
        .select_related("organization")
        .prefetch_related("service_types", "opening", "staff")
    )
    if within is not None:
        qs = qs.filter(organization__path__startswith=within.path)
    if tier:
        qs = qs.filter(tier=tier)
    return qs


def service_place_get(*, actor: Any, id: int) -> ServicePlace:
    return get_visible(
        ServicePlace.objects.visible_to(actor)
        .select_related("organization")
        .prefetch_related("service_types", "opening", "staff"),
        pk=id,
    )


def service_type_list() -> QuerySet[ServiceType]:
    """Service types are federation-wide reference data, the same for every actor."""
    return ServiceType.objects.filter(is_active=True)


def service_type_all() -> QuerySet[ServiceType]:
    """Every service type, offered or not, for the page that keeps them."""
    return ServiceType.objects.all()
