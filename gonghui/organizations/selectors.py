"""Reads of the union tree, enterprises and service network, always scoped to the actor."""

from __future__ import annotations

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
