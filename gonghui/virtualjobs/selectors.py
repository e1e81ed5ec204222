"""Reads for virtual jobs, each scoped to the actor."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from gonghui.core.crypto import mask_name
from gonghui.core.scoping import get_visible
from gonghui.funds import selectors as funds_selectors
from gonghui.hardship.models import Household, HouseholdMember
from gonghui.organizations.models import Enterprise
from gonghui.virtualjobs import services
from gonghui.virtualjobs.models import (
    LIVE_POST_STATUSES,
    SOURCE_KIND,
    Adoption,
    PayRun,
    PayRunLine,
    Post,
    PostEvent,
    PostStatus,
    Suspension,
)


def post_list(
    *,
    actor: Any,
    status: str = "",
    q: str = "",
    organization: Any = None,
    adopter: str = "",
) -> QuerySet[Post]:
    qs = Post.objects.visible_to(actor).select_related(
        "organization", "household__union", "member", "fund"
    )
    if status:
        qs = qs.filter(status=status)
    if organization is not None:
        qs = qs.filter(
            Q(organization__path__startswith=organization.path)
            | Q(household__union__path__startswith=organization.path)
        )
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(member__name__contains=q))
    if adopter:
        qs = qs.filter(adopter_name__contains=adopter)
    return qs.order_by("-id")


def post_get(*, actor: Any, id: int) -> Post:
    return get_visible(post_list(actor=actor).select_related("created_by", "person"), pk=id)


def post_events(*, actor: Any, post: Post) -> QuerySet[PostEvent]:
    return PostEvent.objects.visible_to(actor).filter(post=post).select_related("by")


def post_adoptions(*, actor: Any, post: Post) -> QuerySet[Adoption]:
    return (
        Adoption.objects.visible_to(actor)
        .filter(post=post)
        .select_related("fund", "enterprise", "income")
        .order_by("from_month")
    )


def post_suspensions(*, actor: Any, post: Post) -> QuerySet[Suspension]:
    return Suspension.objects.visible_to(actor).filter(post=post).order_by("from_month")


def post_lines(*, actor: Any, post: Post) -> QuerySet[PayRunLine]:
    return (
        PayRunLine.objects.visible_to(actor)
        .filter(post=post)
        .select_related("run", "fund")
        .order_by("-month")
    )


def line_items(*, actor: Any, lines: list[PayRunLine]) -> dict[int, Any]:
    """The funds' payable item of each line (its state: pending, in a batch, paid)."""
    items = funds_selectors.payable_list(actor=actor, status="").filter(
        source_kind=SOURCE_KIND, source_id__in=[line.pk for line in lines]
    )
    return {item.source_id: item for item in items}


def candidate_list(*, actor: Any, q: str = "") -> QuerySet[HouseholdMember]:
    """Members of households on the roll in the actor's subtree who lost working capacity
    in part or in full and hold no live post: who may be given one."""
    live = Post.unscoped.filter(member=OuterRef("pk"), status__in=LIVE_POST_STATUSES)
    qs = (
        HouseholdMember.objects.visible_to(actor)
        .filter(household__status="active", work_capacity__in=services.LOST_CAPACITY)
        .exclude(Exists(live))
        .select_related("household", "household__union", "household__person")
    )
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(household__person__name__contains=q))
    return qs.order_by("-id")


def candidate_get(*, actor: Any, id: int) -> HouseholdMember:
    """One of ``candidate_list``: anyone else is "not found" for the post's form."""
    return get_visible(candidate_list(actor=actor), pk=id)


def household_get(*, actor: Any, id: int) -> Household:
    """A household of the actor's subtree (any status: the service says why it will not
    do), for a post's form."""
    return get_visible(Household.objects.visible_to(actor).select_related("union", "person"), pk=id)


def household_members(*, actor: Any, household: Household) -> QuerySet[HouseholdMember]:
    return HouseholdMember.objects.visible_to(actor).filter(household=household).order_by("id")


def household_member_get(*, actor: Any, household: Household, id: int) -> HouseholdMember:
    return get_visible(household_members(actor=actor, household=household), pk=id)


def enterprise_by_credit_code(*, actor: Any, credit_code: str) -> Enterprise | None:
    """An enterprise of the actor's subtree by its credit code, as an adopter (``None`` if
    there is none: the form says so at the field)."""
    code = credit_code.strip().upper()
    if not code:
        return None
    return Enterprise.objects.visible_to(actor).filter(credit_code=code).first()


def funds_for(*, actor: Any, post: Post) -> Any:
    """Funds that may pay ``post``: the actor's, of the post's organisation or above."""
    path = post.organization.path
    ancestors = [path[: i + 1] for i, char in enumerate(path) if char == "/"]
    return (
        funds_selectors.fund_list(actor=actor)
        .filter(active=True, organization__path__in=ancestors or [path])
        .order_by("organization__path", "name")
    )


@dataclass
class AdoptedPost:
    """An adoption as its enterprise sees it: the post, the months, what has been paid; the
    person in the post by a masked name only (their household's file is not the
    enterprise's to read)."""

    adoption: Adoption
    person: str
    months_paid: int
    paid: Decimal


def enterprise_adoptions(*, actor: Any) -> list[AdoptedPost]:
    """The adoptions of the enterprise the contact acts for, newest first."""
    adoptions = list(
        Adoption.objects.visible_to(actor)
        .select_related("post", "post__organization", "post__member")
        .order_by("-from_month", "-id")[:200]
    )
    # The posts' pay lines in one query, each counted for the adoption whose months hold it.
    lines: dict[int, list[tuple[datetime.date, Decimal]]] = {}
    for post_id, month, amount in PayRunLine.unscoped.filter(
        post_id__in={a.post_id for a in adoptions}
    ).values_list("post_id", "month", "amount"):
        lines.setdefault(post_id, []).append((month, amount))
    shown = []
    for adoption in adoptions:
        held = [
            amount
            for month, amount in lines.get(adoption.post_id, [])
            if month >= adoption.from_month
            and (adoption.to_month is None or month <= adoption.to_month)
        ]
        shown.append(
            AdoptedPost(
                adoption=adoption,
                person=mask_name(adoption.post.member.name),
                months_paid=len(held),
                paid=sum(held, Decimal("0.00")),
            )
        )
    return shown


def run_list(*, actor: Any, month: datetime.date | None = None) -> QuerySet[PayRun]:
    qs = PayRun.objects.visible_to(actor).select_related("organization", "created_by")
    if month is not None:
        qs = qs.filter(month=month)
    return qs.order_by("-month", "-id")


def run_get(*, actor: Any, id: int) -> PayRun:
    return get_visible(run_list(actor=actor), pk=id)


def run_lines(*, actor: Any, run: PayRun) -> QuerySet[PayRunLine]:
    return (
        PayRunLine.objects.visible_to(actor)
        .filter(run=run)
        .select_related("post", "post__member", "fund")
        .order_by("id")
    )


def due_this_month(actor: Any) -> int:
    """Posts of the actor's subtree due for this month and not yet paid (the home tile)."""
    organization = getattr(actor, "organization", None)
    if organization is None:
        return 0
    month = services.month_of(timezone.localdate())
    return services.payable_posts(organization=organization, month=month).count()


# --- figures ------------------------------------------------------------------------------------


def posts_in(actor: Any, org: Any, year: int) -> QuerySet[Post]:
    """Posts of ``org``'s subtree adopted and in their term at some month of ``year``."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 1)
    return (
        Post.objects.visible_to(actor)
        .filter(
            organization__path__startswith=org.path, start_month__lte=last, end_month__gte=first
        )
        .exclude(status=PostStatus.OPEN)
    )


def lines_in(actor: Any, org: Any, year: int) -> QuerySet[PayRunLine]:
    """Months of pay handed over for ``year`` by posts of ``org``'s subtree."""
    return PayRunLine.objects.visible_to(actor).filter(
        post__organization__path__startswith=org.path, month__year=year
    )


def paid_in(actor: Any, org: Any, year: int) -> Decimal:
    total = lines_in(actor, org, year).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")
