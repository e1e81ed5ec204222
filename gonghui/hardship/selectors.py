"""Reads of the hardship roll, each scoped to the actor's subtree."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from gonghui.core.permissions import Perm, has_perm
from gonghui.core.scoping import NotFound, get_visible, subtree_q
from gonghui.hardship.models import (
    FilingStatus,
    HardshipCause,
    HardshipLevel,
    HomeVisit,
    Household,
    HouseholdEvent,
    HouseholdFiling,
    HouseholdMember,
    HouseholdStatus,
    IncomeLine,
    VisitPhoto,
)

# The three review lists of the roll (AST-1): key → label is in the views.
REVIEW_LISTS = ("stale", "unhelped", "above")
REVIEW_DAYS = 365
ROLL_ORDER = ("-id",)


def cause_list() -> QuerySet[HardshipCause]:
    return HardshipCause.objects.filter(active=True)


def level_list() -> QuerySet[HardshipLevel]:
    return HardshipLevel.objects.filter(active=True)


def _stale_before(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) - datetime.timedelta(days=REVIEW_DAYS)


def review_q(name: str, *, today: datetime.date | None = None) -> Q:
    """The condition of one review list: 一年未更新 (``stale``), 建档未帮扶 (``unhelped``),
    应退出 (``above``); each among the households on the roll."""
    active = Q(status=HouseholdStatus.ACTIVE)
    if name == "stale":
        return active & (Q(reviewed_on__isnull=True) | Q(reviewed_on__lt=_stale_before(today)))
    if name == "unhelped":
        return active & Q(helped_on__isnull=True)
    if name == "above":
        return active & Q(above_line=True)
    raise ValueError(name)


def household_list(
    *,
    actor: Any,
    within: Any = None,
    status: str = "",
    level: str = "",
    cause: str = "",
    q: str = "",
    review: str = "",
) -> QuerySet[Household]:
    """The roll of the actor's subtree (or of ``within``, already checked to lie in it)."""
    qs = Household.objects.visible_to(actor).select_related("person", "union", "level")
    if within is not None:
        qs = qs.filter(union__path__startswith=within.path)
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level__code=level)
    if cause:
        qs = qs.filter(causes__code=cause)
    if q:
        qs = qs.filter(person__name__contains=q)
    if review:
        qs = qs.filter(review_q(review))
    return qs.order_by(*ROLL_ORDER)


def review_counts(*, actor: Any, within: Any = None) -> dict[str, int]:
    """How many households each review list holds (the tabs' counts)."""
    base = household_list(actor=actor, within=within)
    return {name: base.filter(review_q(name)).count() for name in REVIEW_LISTS}


def household_get(*, actor: Any, id: int) -> Household:
    return get_visible(
        Household.objects.visible_to(actor).select_related(
            "person", "union", "union__parent", "level", "created_by", "decided_by"
        ),
        pk=id,
    )


def member_list(*, household: Household) -> QuerySet[HouseholdMember]:
    """The members of a household the caller read through ``household_get``."""
    return HouseholdMember.unscoped.filter(household=household).select_related("person")


def member_get(*, household: Household, id: int) -> HouseholdMember:
    return get_visible(member_list(household=household), pk=id)


def visit_list(*, household: Household) -> QuerySet[HomeVisit]:
    return (
        HomeVisit.unscoped.filter(household=household)
        .select_related("recorded_by")
        .prefetch_related("photos")
    )


def visit_get(*, household: Household, id: int) -> HomeVisit:
    return get_visible(visit_list(household=household), pk=id)


def photo_get(*, household: Household, id: int) -> VisitPhoto:
    return get_visible(
        VisitPhoto.unscoped.filter(visit__household=household).select_related(
            "visit", "visit__household", "visit__household__person"
        ),
        pk=id,
    )


def event_list(*, household: Household) -> QuerySet[HouseholdEvent]:
    return HouseholdEvent.unscoped.filter(household=household).select_related("by")


def filing_list(*, actor: Any, status: str = "") -> QuerySet[HouseholdFiling]:
    qs = HouseholdFiling.objects.visible_to(actor).select_related(
        "household", "household__person", "household__union", "created_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def filings_of(*, household: Household) -> QuerySet[HouseholdFiling]:
    return HouseholdFiling.unscoped.filter(household=household).select_related("created_by")


def filing_pending(*, household: Household) -> HouseholdFiling | None:
    return filings_of(household=household).filter(status=FilingStatus.PENDING).first()


def filing_get(*, actor: Any, id: int) -> HouseholdFiling:
    return get_visible(filing_list(actor=actor), pk=id)


def filings_waiting(actor: Any) -> int:
    """Submissions waiting for this person's decision: the filing union's parent is the
    actor's own organisation (the flow's step is ``OWN``), and the actor did not submit it."""
    if not has_perm(actor, Perm.APPROVE) or not getattr(actor, "organization_id", None):
        return 0
    return (
        filing_list(actor=actor, status=FilingStatus.PENDING)
        .filter(household__union__parent_id=actor.organization_id)
        .exclude(created_by=actor)
        .count()
    )


def income_line_list(*, actor: Any, organization: Any = None) -> QuerySet[IncomeLine]:
    """The lines in the actor's subtree and those of the federations above the actor: a
    district or a town reads the city's lines that decide its households' levels."""
    org = getattr(actor, "organization", None)
    above = org.ancestor_ids() if org is not None else []
    qs = IncomeLine.unscoped.filter(
        IncomeLine.scope_q(actor) | Q(organization_id__in=above)
    ).select_related("organization", "level", "set_by")
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs.order_by("organization__path", "-year", "level__order")


def within_get(*, actor: Any, org: Any) -> Any:
    """``org`` if it lies in the actor's subtree, otherwise "not found"."""
    path = getattr(actor, "scope_path", None)
    if org is None or not path or not org.path.startswith(path):
        raise NotFound
    return org


# --- figures -----------------------------------------------------------------------------


def households_in(actor: Any, org: Any, year: int) -> QuerySet[Household]:
    """Households on the roll in ``org``'s subtree (a stock: as it stands now)."""
    return Household.objects.visible_to(actor).filter(
        union__path__startswith=org.path, status=HouseholdStatus.ACTIVE
    )


def filed_in(actor: Any, org: Any, year: int) -> QuerySet[Household]:
    """Files approved in ``year`` in ``org``'s subtree (by their filing date)."""
    return Household.objects.visible_to(actor).filter(
        union__path__startswith=org.path, filed_on__year=year
    )


def filing_union_list(*, actor: Any) -> QuerySet[Any]:
    """The unions that may file a household (grassroots and town unions), in the actor's
    subtree: the filing form's organisation picker."""
    from gonghui.organizations import selectors as org_selectors
    from gonghui.organizations.models import OrgKind

    return org_selectors.organization_list(actor=actor).filter(
        kind__in=(OrgKind.GRASSROOTS, OrgKind.TOWN), is_active=True
    )


def person_filed_in(path: str) -> Q:
    """A worker whose hardship file a union of the subtree at ``path`` keeps is known to that
    subtree's staff, on the roll or not (``Module.person_scopes``): a worker registered on the
    spot by ID number can then be placed in work, trained or helped there."""
    return Q(Exists(Household.unscoped.filter(subtree_q("union", path), person=OuterRef("pk"))))


def has_file(user: Any) -> bool:
    """Whether the worker has a hardship file beyond a draft (the portal home's tile)."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return False
    return (
        Household.unscoped.filter(person_id=person_id)
        .exclude(status=HouseholdStatus.DRAFT)
        .exists()
    )
