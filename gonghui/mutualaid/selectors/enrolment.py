"""Reads of enrolment (MMA-2): periods one may enrol in, enrolments, bills, payments, and the
enrolment figures per period and subtree (MMA-2 point 5). Every read is scoped to the actor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from gonghui.core.money import CENT
from gonghui.core.scoping import get_visible, subtree_q
from gonghui.members.models import Membership, MembershipStatus
from gonghui.mutualaid.models import (
    Bill,
    Enrolment,
    EnrolmentStatus,
    FeePayment,
    FeePaymentKind,
    Period,
    PeriodStatus,
)


def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def enrolment_periods(*, actor: Any) -> QuerySet[Period]:
    """The periods the actor's unions may enrol in: those run by a federation above the actor
    (or the actor's own organisation), and those run within the actor's subtree; never a
    draft. A worker sees those of the federations above their union (``portal``)."""
    path = getattr(actor, "scope_path", None)
    if not path:
        return Period.unscoped.none()
    return (
        Period.unscoped.filter(
            Q(organization__path__in=_ancestor_paths(path)) | subtree_q("organization", path)
        )
        .exclude(status=PeriodStatus.DRAFT)
        .select_related("organization", "fund")
        .order_by("-number")
    )


def periods_for_union_path(path: str) -> QuerySet[Period]:
    """The periods (not drafts) run by the federations above a union: what its members may
    enrol in (for the portal, which knows the union but has no staff scope)."""
    return (
        Period.unscoped.filter(organization__path__in=_ancestor_paths(path))
        .exclude(status=PeriodStatus.DRAFT)
        .select_related("organization")
        .order_by("-number")
    )


def period_get(*, actor: Any, id: int) -> Period:
    return get_visible(enrolment_periods(actor=actor), pk=id)


def enrolment_list(
    *, actor: Any, period: Period | None = None, union: Any = None, status: str = ""
) -> QuerySet[Enrolment]:
    qs = Enrolment.objects.visible_to(actor).select_related("person", "union", "period", "bill")
    if period is not None:
        qs = qs.filter(period=period)
    if union is not None:
        qs = qs.filter(subtree_q("union", union.path))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def enrolment_get(*, actor: Any, id: int) -> Enrolment:
    return get_visible(
        Enrolment.objects.visible_to(actor).select_related("person", "union", "period", "bill"),
        pk=id,
    )


def my_enrolments(*, person_id: int) -> QuerySet[Enrolment]:
    """A worker's own enrolments, every period (the portal)."""
    return (
        Enrolment.unscoped.filter(person_id=person_id)
        .select_related("period", "union")
        .order_by("-period__number", "-id")
    )


def bill_list(*, actor: Any, period: Period | None = None, status: str = "") -> QuerySet[Bill]:
    qs = Bill.objects.visible_to(actor).select_related("union", "period")
    if period is not None:
        qs = qs.filter(period=period)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def bill_get(*, actor: Any, id: int) -> Bill:
    return get_visible(Bill.objects.visible_to(actor).select_related("union", "period"), pk=id)


def bill_payments(*, actor: Any, bill: Bill) -> QuerySet[FeePayment]:
    return FeePayment.objects.visible_to(actor).filter(bill=bill).order_by("paid_on", "id")


# --- figures ----------------------------------------------------------------------------------


def _subtree(actor: Any, org: Any) -> str:
    path = org.path if org is not None else actor.scope_path
    if not path.startswith(actor.scope_path):
        from gonghui.core.scoping import NotFound

        raise NotFound
    return str(path)


def insured_records(actor: Any, org: Any, period: Period) -> QuerySet[Enrolment]:
    """The insured persons of a period in a subtree: enrolments that took effect."""
    return Enrolment.objects.visible_to(actor).filter(
        subtree_q("union", _subtree(actor, org)), period=period, status=EnrolmentStatus.ACTIVE
    )


def enrolment_figures(*, actor: Any, period: Period, org: Any = None) -> dict[str, Any]:
    """Insured persons, enrolled unions, fees billed and received (net of refunds), and the
    coverage of the roll (insured / active members), for one period and subtree."""
    path = _subtree(actor, org)
    enrolments = Enrolment.objects.visible_to(actor).filter(subtree_q("union", path), period=period)
    counted = enrolments.aggregate(
        insured=Count("id", filter=Q(status=EnrolmentStatus.ACTIVE)),
        billed_people=Count("id", filter=Q(status__in=["billed", "active"])),
        unions=Count("union", filter=Q(status=EnrolmentStatus.ACTIVE), distinct=True),
    )
    bills = Bill.objects.visible_to(actor).filter(subtree_q("union", path), period=period)
    money = bills.exclude(status="cancelled").aggregate(billed=Sum("amount"))
    payments = FeePayment.objects.visible_to(actor).filter(
        subtree_q("bill__union", path), bill__period=period
    )
    received = payments.filter(kind=FeePaymentKind.RECEIVED).aggregate(s=Sum("amount"))["s"]
    refunded = payments.filter(kind=FeePaymentKind.REFUND).aggregate(s=Sum("amount"))["s"]
    members = Membership.unscoped.filter(
        subtree_q("union", path), status=MembershipStatus.ACTIVE
    ).count()
    insured = counted["insured"]
    zero = Decimal("0.00")
    return {
        "period": period.number,
        "name": period.name,
        "insured": insured,
        "enrolled": counted["billed_people"],
        "unions": counted["unions"],
        "billed": Decimal(money["billed"] or zero).quantize(CENT),
        "received": Decimal(received or zero).quantize(CENT),
        "refunded": Decimal(refunded or zero).quantize(CENT),
        "members": members,
        "coverage": round(insured / members * 100, 1) if members else None,
    }


def enrolment_series(*, actor: Any, org: Any = None) -> list[dict[str, Any]]:
    """``enrolment_figures`` for every period the actor may see, oldest first (the figures
    page's insured-per-period chart: 18万 / 37万 / 47万 / 49万+ in the demo city)."""
    periods = sorted(enrolment_periods(actor=actor), key=lambda p: (p.organization_id, p.number))
    return [enrolment_figures(actor=actor, period=p, org=org) for p in periods]


def _periods_of_year(actor: Any, year: int) -> QuerySet[Period]:
    return enrolment_periods(actor=actor).filter(starts_on__year=year)


def insured_in_year(actor: Any, org: Any, year: int) -> QuerySet[Enrolment]:
    """The module figure: insured persons of the period(s) that began in ``year``."""
    return Enrolment.objects.visible_to(actor).filter(
        subtree_q("union", org.path),
        period__in=_periods_of_year(actor, year),
        status=EnrolmentStatus.ACTIVE,
    )


def fee_payments_in_year(actor: Any, org: Any, year: int) -> QuerySet[FeePayment]:
    return FeePayment.objects.visible_to(actor).filter(
        subtree_q("bill__union", org.path),
        bill__period__in=_periods_of_year(actor, year),
        kind=FeePaymentKind.RECEIVED,
    )


def fees_received_in_year(actor: Any, org: Any, year: int) -> Decimal:
    total = fee_payments_in_year(actor, org, year).aggregate(s=Sum("amount"))["s"]
    return Decimal(total or 0).quantize(CENT)


def self_enrol_period(*, actor: Any, id: int) -> Period | None:
    """The period ``id`` if the worker's union is under the federation running it."""
    membership = (
        Membership.objects.visible_to(actor)
        .filter(status=MembershipStatus.ACTIVE)
        .select_related("union")
        .first()
    )
    if membership is None:
        return None
    return periods_for_union_path(membership.union.path).filter(pk=id).first()
