"""Reads of the periods and their rules, scoped to the actor: a period of a federation is seen
by its staff, those above, and the organisations below it (``Period.staff_scope``).

Also the "try these rules on an invoice" calculator: a read, it writes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gonghui.core.money import check_money
from gonghui.core.permissions import Perm, has_perm
from gonghui.core.scoping import get_visible
from gonghui.core.validators import raise_errors
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import Period, PeriodStatus
from gonghui.mutualaid.services.periods import has_records
from gonghui.organizations.models import Organization

MAX_TRY_AMOUNTS = 10


def period_list(*, actor: Any, status: str = "") -> QuerySet[Period]:
    qs = Period.objects.visible_to(actor).select_related("organization", "fund")
    if status in PeriodStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("organization__path", "-number")


def period_get(*, actor: Any, id: int) -> Period:
    return get_visible(period_list(actor=actor), pk=id)


def period_may_edit(*, actor: Any, period: Period) -> bool:
    """Whether the actor may change the period: staff of its organisation or above with
    the right to edit records (those below only see it)."""
    path = getattr(actor, "scope_path", None) or ""
    return (
        bool(path)
        and period.organization.path.startswith(path)
        and (has_perm(actor, Perm.EDIT_RECORDS))
    )


def period_has_records(*, period: Period) -> bool:
    return has_records(period)


def period_latest_ids(*, actor: Any) -> set[int]:
    """The latest period of each organisation the actor sees (what "copy into the next
    period" is offered on)."""
    latest: dict[int, tuple[int, int]] = {}
    for pk, org_id, number in period_list(actor=actor).values_list(
        "pk", "organization_id", "number"
    ):
        if org_id not in latest or number > latest[org_id][1]:
            latest[org_id] = (pk, number)
    return {pk for pk, _number in latest.values()}


def period_covering(*, union: Organization, day: datetime.date) -> Period | None:
    """The published (or closed) period whose dates cover ``day`` for a member of
    ``union``: of the nearest organisation above it (or itself) that runs one. The rules in
    force when a treatment happened are this period's. Unscoped on purpose: the union's own
    records decide it, whoever asks."""
    ids = [*union.ancestor_ids(), union.pk]
    found = (
        Period.unscoped.filter(organization_id__in=ids, starts_on__lte=day, ends_on__gte=day)
        .exclude(status=PeriodStatus.DRAFT)
        .select_related("organization")
        .order_by("-organization__depth")
        .first()
    )
    return found


def period_rules(*, period: Period) -> rules.RuleSet | None:
    """The period's rules, or ``None`` when they are not set (or not valid: a draft)."""
    try:
        return rules.parse(period.rules)
    except ValidationError:
        return None


# --- the calculator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    """What the calculator shows: the claim's eligible amount (its invoices' sum), what the
    earlier claims of the year were taken to have used and paid, and the benefit."""

    category: rules.Category
    eligible: Decimal
    earlier: tuple[rules.Earlier, ...]
    benefit: rules.Benefit


def benefit_try(
    *,
    actor: Any,
    period: Period,
    category: str,
    amounts: list[Any],
    earlier_eligible: Any = None,
    other_benefit: Any = None,
) -> Trial:
    """The benefit the period's rules give a claim whose invoices have these eligible
    self-paid ``amounts``, after earlier claims of the year in the same category whose
    eligible amounts sum to ``earlier_eligible`` (taken as one claim, computed by the same
    rules) and earlier benefits in other categories of ``other_benefit``. Writes nothing.
    ``period`` comes from ``period_get`` (the actor's scope)."""
    errors: dict[str, list[str]] = {}
    parsed = period_rules(period=period)
    if parsed is None:
        raise ValidationError({"period": [_("本期尚未设置有效的保障规则。")]})
    try:
        cat = parsed.category(category)
    except KeyError:
        errors.setdefault("category", []).append(_("请选择本期的保障类别。"))
        cat = None
    cleaned: list[Decimal] = []
    if not [a for a in amounts if a not in (None, "")]:
        errors.setdefault("amounts", []).append(_("请至少填写一张发票的政策内自付金额。"))
    if len(amounts) > MAX_TRY_AMOUNTS:
        errors.setdefault("amounts", []).append(
            _("最多填写 %(n)s 张发票。") % {"n": MAX_TRY_AMOUNTS}
        )
    for index, value in enumerate(amounts[:MAX_TRY_AMOUNTS]):
        amount = check_money(value, f"amounts.{index}", errors)
        if amount is not None:
            cleaned.append(amount)
    before = check_money(earlier_eligible, "earlier_eligible", errors)
    other = check_money(other_benefit, "other_benefit", errors)
    raise_errors(errors)
    if cat is None:  # reported above
        raise ValidationError({"category": [_("请选择本期的保障类别。")]})
    earlier: list[rules.Earlier] = []
    if before:
        first = rules.compute(parsed, cat.code, before, [])
        earlier.append(rules.Earlier(cat.code, before, first.deductible_used, first.amount))
    if other:
        # Another category's benefit counts against the overall yearly cap only.
        earlier.append(rules.Earlier("", Decimal("0.00"), Decimal("0.00"), other))
    eligible = sum(cleaned, Decimal("0.00"))
    return Trial(
        category=cat,
        eligible=eligible,
        earlier=tuple(earlier),
        benefit=rules.compute(parsed, cat.code, eligible, earlier),
    )
