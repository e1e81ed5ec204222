"""Reads for claims, each scoped to the actor: the review queues, a claim with its invoices,
documents, draw and payment, the worker's own claims, and the claim figures (claims and
benefit by category, days from submission to payment, the zero-trip share) per period and
subtree."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from gonghui.core.scoping import NotFound, get_visible
from gonghui.mutualaid.models import (
    LIVE_CLAIM_STATES,
    Claim,
    ClaimChannel,
    ClaimRoute,
    ClaimStatus,
    Enrolment,
    EnrolmentStatus,
    Period,
    SampleDraw,
)

SOURCE_KIND = "mutualaid.claim"
ZERO = Decimal("0.00")

# The console's queues: what each shows.
QUEUES: dict[str, Q] = {
    "unrouted": Q(status=ClaimStatus.PENDING, route=""),
    "sampled": Q(status=ClaimStatus.PENDING, route=ClaimRoute.SAMPLED),
    "above": Q(status=ClaimStatus.PENDING, route=ClaimRoute.ABOVE),
    "flagged": Q(status=ClaimStatus.PENDING, route=ClaimRoute.FLAGGED),
    "auto": Q(route=ClaimRoute.AUTO),
    "approved": Q(status__in=(ClaimStatus.APPROVED, ClaimStatus.PAID)),
    "refused": Q(status=ClaimStatus.REFUSED),
    "all": Q(),
}
REVIEW_QUEUES = ("sampled", "above", "flagged")


def claim_list(
    *, actor: Any, period: Period | None = None, queue: str = "", organization: Any = None
) -> QuerySet[Claim]:
    qs = Claim.objects.visible_to(actor).select_related("period", "person", "union")
    if period is not None:
        qs = qs.filter(period=period)
    if queue in QUEUES:
        qs = qs.filter(QUEUES[queue])
    if organization is not None:
        qs = qs.filter(union__path__startswith=organization.path)
    return qs.order_by("-created_at", "-pk")


def claim_get(*, actor: Any, id: int) -> Claim:
    return get_visible(claim_list(actor=actor).select_related("period__fund", "draw"), pk=id)


def queue_counts(*, actor: Any, period: Period | None = None) -> dict[str, int]:
    """Claims of the actor's subtree in each queue (one query)."""
    qs = claim_list(actor=actor, period=period)
    found = qs.aggregate(**{name: Count("pk", filter=q) for name, q in QUEUES.items()})
    return {name: found[name] or 0 for name in QUEUES}


def claims_waiting(actor: Any) -> int:
    """Claims waiting for a reviewer in the actor's subtree (menu badge, home tile)."""
    return (
        Claim.objects.visible_to(actor)
        .filter(status=ClaimStatus.PENDING, route__in=REVIEW_QUEUES)
        .count()
    )


def payments_of(claim_ids: Iterable[int]) -> dict[int, Any]:
    """The funds' payable item of each approved claim (read back by its source)."""
    from gonghui.funds.models import PayableItem

    items = PayableItem.unscoped.filter(source_kind=SOURCE_KIND, source_id__in=set(claim_ids))
    return {item.source_id: item for item in items}


def invoices_of(claim: Claim) -> list[Any]:
    return list(claim.invoices.all())


def documents_of(claim: Claim) -> list[Any]:
    return list(claim.documents.all())


def document_get(*, claim: Claim, id: int) -> Any:
    found = claim.documents.filter(pk=id).first()
    if found is None:
        raise NotFound
    return found


def period_list(*, actor: Any) -> QuerySet[Period]:
    """Periods whose claims the actor may see: those of a federation above or within the
    actor's organisation (a grassroots union sees its city's periods)."""
    org = getattr(actor, "organization", None)
    if org is None:
        return Period.unscoped.none()
    return Period.unscoped.filter(
        Q(organization_id__in=[*org.ancestor_ids(), org.pk])
        | Q(organization__path__startswith=org.path)
    ).order_by("-starts_on", "-pk")


def period_get(*, actor: Any, id: int) -> Period:
    found = period_list(actor=actor).filter(pk=id).first()
    if found is None:
        raise NotFound
    return found


def draw_get(*, actor: Any, id: int) -> SampleDraw:
    found = SampleDraw.unscoped.select_related("period").filter(pk=id).first()
    if found is None or not period_list(actor=actor).filter(pk=found.period_id).exists():
        raise NotFound
    return found


def person_lookup(*, actor: Any, id_number: str) -> Any:
    """The person with this ID number enrolled through a union in the actor's subtree (the
    clerk claims for them), or None. ``ValidationError`` for a number that is not one."""
    from gonghui.core.validators import normalize_id_number
    from gonghui.members.models import Person
    from gonghui.members.services import id_number_hash

    digest = id_number_hash(normalize_id_number(id_number))
    enrolled = Enrolment.objects.visible_to(actor).filter(person__id_number_hash=digest)
    return Person.unscoped.filter(pk__in=enrolled.values("person")).first()


# --- the worker -----------------------------------------------------------------------------


def worker_claims(*, user: Any) -> QuerySet[Claim]:
    return (
        Claim.objects.visible_to(user)
        .select_related("period", "union")
        .order_by("-created_at", "-pk")
    )


def worker_claim_get(*, user: Any, id: int) -> Claim:
    return get_visible(worker_claims(user=user), pk=id)


def worker_enrolments(*, user: Any) -> list[Enrolment]:
    """The worker's enrolments (live or not), latest period first."""
    return list(
        Enrolment.objects.visible_to(user)
        .select_related("period", "union")
        .order_by("-period__starts_on", "-pk")
    )


def worker_categories(*, user: Any) -> list[tuple[str, str]]:
    """The categories of the worker's active enrolments' periods (for the claim form)."""
    from gonghui.mutualaid import rules

    seen: dict[str, str] = {}
    for enrolment in worker_enrolments(user=user):
        if enrolment.status != EnrolmentStatus.ACTIVE:
            continue
        try:
            parsed = rules.parse(enrolment.period.rules)
        except Exception:  # noqa: BLE001, S112 (a period's rules were checked when saved)
            continue
        for category in parsed.categories:
            seen.setdefault(category.code, category.name)
    return list(seen.items())


# --- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryLine:
    code: str
    name: str
    claims: int
    approved: int
    benefit: Decimal


@dataclass
class ClaimFigures:
    """One period's claim figures for ``organization``'s subtree."""

    period: Period
    organization: Any
    insured: int
    claims: int
    approved: int
    refused: int
    benefit: Decimal
    paid: int
    avg_days_to_payment: Decimal | None
    zero_trip: int
    by_category: list[CategoryLine] = field(default_factory=list)
    by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def zero_trip_share(self) -> Decimal | None:
        """Claims settled with zero trips (portal or union, no counter visit) over all
        claims, in percent; None without claims."""
        if not self.claims:
            return None
        return (Decimal(self.zero_trip) * 100 / self.claims).quantize(Decimal("0.1"))


def zero_trip_q() -> Q:
    return Q(channel__in=(ClaimChannel.PORTAL, ClaimChannel.UNION), counter_visit=False)


def _claims_of(actor: Any, organization: Any, period: Period) -> QuerySet[Claim]:
    return (
        Claim.objects.visible_to(actor)
        .filter(period=period, union__path__startswith=organization.path)
        .exclude(status=ClaimStatus.WITHDRAWN)
    )


def insured_count(*, actor: Any, organization: Any, period: Period) -> int:
    """Active enrolments of the period in ``organization``'s subtree."""
    return (
        Enrolment.objects.visible_to(actor)
        .filter(
            period=period,
            status=EnrolmentStatus.ACTIVE,
            union__path__startswith=organization.path,
        )
        .count()
    )


def claim_figures(*, actor: Any, organization: Any, period: Period) -> ClaimFigures:
    """``organization`` comes from a selector (scoped); the claims are scoped again."""
    from gonghui.funds.models import ItemStatus, PayableItem
    from gonghui.mutualaid import rules

    claims = _claims_of(actor, organization, period)
    approved_q = Q(status__in=(ClaimStatus.APPROVED, ClaimStatus.PAID))
    totals = claims.aggregate(
        claims=Count("pk"),
        approved=Count("pk", filter=approved_q),
        refused=Count("pk", filter=Q(status=ClaimStatus.REFUSED)),
        benefit=Sum("benefit", filter=approved_q),
        zero_trip=Count("pk", filter=zero_trip_q()),
    )
    names: dict[str, str] = {}
    try:
        names = {c.code: c.name for c in rules.parse(period.rules).categories}
    except Exception:  # noqa: BLE001, S110 (rules are checked when saved)
        pass
    rows = (
        claims.values("category")
        .annotate(
            n=Count("pk"),
            approved=Count("pk", filter=approved_q),
            benefit=Sum("benefit", filter=approved_q),
        )
        .order_by("category")
    )
    by_category = [
        CategoryLine(
            row["category"],
            names.get(row["category"], row["category"]),
            row["n"],
            row["approved"],
            row["benefit"] or ZERO,
        )
        for row in rows
    ]
    channels = {
        row["channel"]: row["n"]
        for row in claims.values("channel").annotate(n=Count("pk")).order_by()
    }
    paid = list(
        PayableItem.unscoped.filter(
            source_kind=SOURCE_KIND,
            status=ItemStatus.PAID,
            source_id__in=claims.filter(approved_q).values("pk"),
        ).values_list("source_id", "paid_at")
    )
    submitted = dict(claims.filter(pk__in=[s for s, _p in paid]).values_list("pk", "created_at"))
    days = [
        (paid_at - submitted[source]).total_seconds() / 86400
        for source, paid_at in paid
        if paid_at is not None and source in submitted
    ]
    average = Decimal(sum(days) / len(days)).quantize(Decimal("0.1")) if days else None
    return ClaimFigures(
        period=period,
        organization=organization,
        insured=insured_count(actor=actor, organization=organization, period=period),
        claims=totals["claims"] or 0,
        approved=totals["approved"] or 0,
        refused=totals["refused"] or 0,
        benefit=totals["benefit"] or ZERO,
        paid=len(days),
        avg_days_to_payment=average,
        zero_trip=totals["zero_trip"] or 0,
        by_category=by_category,
        by_channel=channels,
    )


def figures_series(*, actor: Any, organization: Any) -> list[ClaimFigures]:
    """Every period's figures (oldest first): the insured series and the claims."""
    periods = list(period_list(actor=actor).order_by("starts_on", "pk"))
    return [claim_figures(actor=actor, organization=organization, period=p) for p in periods]


# --- the module's figures (per year: the period starting in that year) ----------------------


def claims_in(actor: Any, org: Any, year: int) -> QuerySet[Claim]:
    """Claims of ``org``'s subtree in the periods starting in ``year``."""
    return (
        Claim.objects.visible_to(actor)
        .filter(union__path__startswith=org.path, period__starts_on__year=year)
        .exclude(status=ClaimStatus.WITHDRAWN)
    )


def approved_in(actor: Any, org: Any, year: int) -> QuerySet[Claim]:
    return claims_in(actor, org, year).filter(status__in=(ClaimStatus.APPROVED, ClaimStatus.PAID))


def benefit_in(actor: Any, org: Any, year: int) -> Decimal:
    total = approved_in(actor, org, year).aggregate(t=Sum("benefit"))["t"]
    return total if total is not None else ZERO


def zero_trip_in(actor: Any, org: Any, year: int) -> QuerySet[Claim]:
    return claims_in(actor, org, year).filter(zero_trip_q())


def zero_trip_share_in(actor: Any, org: Any, year: int) -> Decimal:
    """Percent of the year's claims settled with zero trips (0 without claims)."""
    qs = claims_in(actor, org, year)
    found = qs.aggregate(n=Count("pk"), z=Count("pk", filter=zero_trip_q()))
    if not found["n"]:
        return Decimal("0.0")
    share: Decimal = (Decimal(found["z"]) * 100 / found["n"]).quantize(Decimal("0.1"))
    return share


def live_claims_of(person_id: int, period: Period) -> QuerySet[Claim]:
    return Claim.unscoped.filter(person_id=person_id, period=period, status__in=LIVE_CLAIM_STATES)


def days_between(start: datetime.datetime, end: datetime.datetime) -> float:
    return (end - start).total_seconds() / 86400
