"""Which organisation handles a case: the tier each kind of organisation serves as, the
nearest one that may handle a type (SVC-2), and the one above it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gonghui.members import selectors as member_selectors
from gonghui.members.models import Person
from gonghui.organizations.models import (
    Organization,
    OrgKind,
    ServicePlace,
    ServiceTier,
    ServiceType,
)

TIER_OF_KIND = {
    OrgKind.GRASSROOTS: ServiceTier.POINT,
    OrgKind.TOWN: ServiceTier.STATION,
    OrgKind.SYSTEM: ServiceTier.STATION,
    OrgKind.DISTRICT: ServiceTier.CENTRE,
    OrgKind.CITY: ServiceTier.CENTRE,
}


def tier_of(org: Organization) -> str:
    return str(TIER_OF_KIND[OrgKind(org.kind)])


# --- routing ----------------------------------------------------------------------------------


def case_route(
    *, person: Person, service_type: ServiceType, near: Organization | None = None
) -> Organization:
    """The organisation nearest the worker whose tier may handle the type: their grassroots
    union's service point, else their town's station, else the district centre (SVC-2).
    ``near`` stands in for the union when the worker has none (a non-member at a counter)."""
    membership = member_selectors.active_membership(person=person)
    start = membership.union if membership is not None else near
    if start is None:
        raise ValidationError({"place": [_("您尚未加入工会，请选择就近的职工服务站（点）。")]})
    return route_from(start, service_type)


def route_from(start: Organization, service_type: ServiceType) -> Organization:
    """The nearest organisation at or above ``start`` whose tier may handle the type,
    preferring one with a service place that offers it."""
    chain = [start, *reversed(list(Organization.unscoped.filter(pk__in=start.ancestor_ids())))]
    chain.sort(key=lambda o: -o.depth)
    allowed = [o for o in chain if o.is_active and tier_of(o) in service_type.tiers]
    if not allowed:
        return chain[-1]
    with_place = set(
        ServicePlace.unscoped.filter(
            organization__in=allowed, is_active=True, service_types=service_type
        ).values_list("organization_id", flat=True)
    )
    for org in allowed:
        if org.pk in with_place:
            return org
    return allowed[0]


def upper_of(org: Organization, service_type: ServiceType) -> Organization | None:
    """The nearest organisation above ``org`` whose tier may handle the type; None when
    nobody above may handle it (the case is at the top for its type)."""
    key = (org.pk, service_type.pk)
    return uppers_of({key}, {service_type.pk: service_type})[key]


def uppers_of(
    keys: set[tuple[int, int]], types: dict[int, ServiceType]
) -> dict[tuple[int, int], Organization | None]:
    """``upper_of`` for every (handler, type), from one read of their ancestors."""
    handlers = {o.pk: o for o in Organization.unscoped.filter(pk__in={h for h, _t in keys})}
    ancestors = {
        o.pk: o
        for o in Organization.unscoped.filter(
            pk__in={a for h in handlers.values() for a in h.ancestor_ids()}, is_active=True
        )
    }
    found: dict[tuple[int, int], Organization | None] = {}
    for handler_id, type_id in keys:
        chain = sorted(
            (ancestors[a] for a in handlers[handler_id].ancestor_ids() if a in ancestors),
            key=lambda o: -o.depth,
        )
        tiers = types[type_id].tiers
        found[(handler_id, type_id)] = next((o for o in chain if tier_of(o) in tiers), None)
    return found
