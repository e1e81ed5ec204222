"""Reads for programmes, rounds and applications, each scoped to the actor; the proposals
from the hardship files; the worker's view; the figures and the public transparency page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.utils import timezone

from gonghui.assistance import rules
from gonghui.assistance.models import (
    LIVE_STATUSES,
    TIER_KINDS,
    Application,
    ApplicationStatus,
    HelpKind,
    Programme,
    Round,
)
from gonghui.core.scoping import get_visible
from gonghui.organizations.models import Organization

SOURCE_KIND = "assistance.application"


# --- programmes and rounds ------------------------------------------------------------------


def programme_list(*, actor: Any, kind: str = "") -> QuerySet[Programme]:
    qs = Programme.objects.visible_to(actor).select_related("organization")
    if kind in HelpKind.values:
        qs = qs.filter(kind=kind)
    return qs.annotate(round_count=Count("rounds")).order_by("organization__path", "name", "pk")


def programme_get(*, actor: Any, id: int) -> Programme:
    return get_visible(programme_list(actor=actor), pk=id)


def round_list(*, actor: Any, programme: Programme | None = None) -> QuerySet[Round]:
    qs = Round.objects.visible_to(actor).select_related("programme", "programme__organization")
    if programme is not None:
        qs = qs.filter(programme=programme)
    return qs.order_by("-year", "-opens_on", "-pk")


def round_get(*, actor: Any, id: int) -> Round:
    return get_visible(round_list(actor=actor), pk=id)


def round_counts(*, actor: Any, round: Round) -> dict[str, Any]:
    """Applications of the round in the actor's subtree, by status, with the amounts."""
    rows = (
        Application.objects.visible_to(actor)
        .filter(round=round)
        .values("status")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    )
    return {row["status"]: (row["n"], row["total"] or Decimal("0.00")) for row in rows}


# --- applications ---------------------------------------------------------------------------


def application_list(
    *,
    actor: Any,
    round: Round | None = None,
    status: str = "",
    tier: str = "",
    mine: bool = False,
) -> QuerySet[Application]:
    """Applications of the actor's subtree. ``tier``: those waiting at that level;
    ``mine``: those waiting for the actor's own organisation (what they may decide)."""
    qs = Application.objects.visible_to(actor).select_related(
        "round", "person", "union", "waiting_at"
    )
    if round is not None:
        qs = qs.filter(round=round)
    if status in ApplicationStatus.values:
        qs = qs.filter(status=status)
    if tier in TIER_KINDS:
        qs = qs.filter(status=ApplicationStatus.PENDING, waiting_at__kind=tier)
    if mine:
        qs = qs.filter(status=ApplicationStatus.PENDING, waiting_at_id=actor.organization_id)
    return qs


def application_get(*, actor: Any, id: int) -> Application:
    return get_visible(
        application_list(actor=actor).select_related("round__programme", "household"), pk=id
    )


def applications_get(*, actor: Any, ids: Iterable[int]) -> list[Application]:
    """Each of ``ids`` through the actor's scope; ``NotFound`` if any is not visible."""
    from gonghui.core.scoping import NotFound

    wanted = set(ids)
    found = list(application_list(actor=actor).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise NotFound
    return found


def queue_counts(*, actor: Any, round: Round | None = None) -> dict[str, int]:
    """Pending applications of the actor's subtree per tier waiting (one grouped query)."""
    qs = application_list(actor=actor, round=round, status=ApplicationStatus.PENDING)
    rows = qs.values("waiting_at__kind").annotate(n=Count("pk")).order_by()
    counts = {kind: 0 for kind in TIER_KINDS}
    for row in rows:
        if row["waiting_at__kind"] in counts:
            counts[row["waiting_at__kind"]] = row["n"]
    return counts


def applications_waiting(actor: Any) -> int:
    """What waits for the actor's own organisation (the menu badge, the home tile)."""
    return application_list(actor=actor, mine=True).count()


def payments_of(application_ids: Iterable[int]) -> dict[int, Any]:
    """The funds' payable item of each approved application (read back by its source)."""
    from gonghui.funds.models import PayableItem

    items = PayableItem.unscoped.filter(source_kind=SOURCE_KIND, source_id__in=set(application_ids))
    return {item.source_id: item for item in items}


def documents_of(application: Application) -> list[Any]:
    return list(application.documents.all())


# --- proposals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A household on the roll that the round's rules do not rule out and that has not
    applied. ``complete``: every condition is decided by the file alone and the amount is
    known, so a clerk may enter it in bulk; otherwise the worker's own facts are missing
    (the child's school, the condition) and it is entered one by one."""

    household_id: int
    person_id: int
    name: str
    union_id: int
    union_name: str
    level: str
    amount: Decimal | None
    complete: bool
    missing: tuple[str, ...]


def proposal_list(
    *,
    actor: Any,
    round: Round,
    organization: Organization,
    household_ids: Iterable[int] | None = None,
) -> list[Proposal]:
    """ "Eligible and not yet applied": the households on the roll in ``organization``'s
    subtree (and the round's), whose person has no live application in the round, checked
    against the round's rules with what the file knows. One query for the list."""
    from gonghui.hardship.models import Household, HouseholdStatus
    from gonghui.members.models import Membership, MembershipStatus

    live = Application.unscoped.filter(round=round, status__in=LIVE_STATUSES)
    qs = (
        Household.objects.visible_to(actor)
        .filter(
            status=HouseholdStatus.ACTIVE,
            union__path__startswith=organization.path,
        )
        .filter(union__path__startswith=round.programme.organization.path)
        .exclude(Exists(live.filter(person=OuterRef("person"))))
        .annotate(
            is_member=Exists(
                Membership.unscoped.filter(
                    person=OuterRef("person"), status=MembershipStatus.ACTIVE
                )
            )
        )
    )
    if round.once_per_household:
        qs = qs.exclude(Exists(live.filter(household_once=OuterRef("pk"))))
    if household_ids is not None:
        qs = qs.filter(pk__in=set(household_ids))
    rows = qs.values(
        "pk",
        "person_id",
        "person__name",
        "person__household",
        "union_id",
        "union__name",
        "level__code",
        "level__name",
        "above_line",
        "is_member",
    ).order_by("union__path", "pk")
    found = []
    for row in rows:
        facts = {
            "person.is_member": row["is_member"],
            "person.household_type": {"rural": "migrant", "urban": "urban"}.get(
                row["person__household"], ""
            ),
            "household.status": "active",
            "household.level": row["level__code"] or "",
            "household.above_line": row["above_line"],
        }
        if not rules.evaluate(round.rules, facts, assume_missing=True).eligible:
            continue
        full = rules.failures(round.rules, facts)
        amount, _why = rules.amount_for(round.amounts, facts)
        missing = tuple(
            dict.fromkeys(
                str(rules.FACTS[f].label) for f, _r in full if f is not None and f not in facts
            )
        )
        found.append(
            Proposal(
                household_id=row["pk"],
                person_id=row["person_id"],
                name=row["person__name"],
                union_id=row["union_id"],
                union_name=row["union__name"],
                level=row["level__name"] or "",
                amount=amount,
                complete=not full and amount is not None,
                missing=missing,
            )
        )
    return found


# --- the worker -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenRound:
    round: Round
    may_apply: bool
    reasons: tuple[str, ...]
    applied: Application | None


def rounds_for_worker(*, user: Any) -> list[OpenRound]:
    """The rounds open now in the worker's union's line (its own and those above), each
    with whether the worker may apply and, if not, why (the facts the worker declares when
    applying are assumed: the form asks for them)."""
    from gonghui.assistance import services

    person = user.person
    union = services._memberships_union(person)
    household = services._live_household(person)
    if union is None and household is not None:
        union = household.union
    if union is None:
        return []
    today = timezone.localdate()
    rounds = list(
        Round.unscoped.filter(
            programme__organization_id__in=[*union.ancestor_ids(), union.pk],
            programme__active=True,
            opens_on__lte=today,
            closes_on__gte=today,
        )
        .select_related("programme", "programme__organization")
        .order_by("closes_on", "pk")
    )
    applied = {
        a.round_id: a
        for a in Application.unscoped.filter(
            person=person, round__in=rounds, status__in=LIVE_STATUSES
        )
    }
    facts = services.person_facts(
        person=person,
        household=household,
        is_member=services._memberships_union(person) is not None,
    )
    shown = []
    for r in rounds:
        outcome = rules.evaluate(r.rules, facts, assume_missing=True)
        done = applied.get(r.pk)
        shown.append(OpenRound(r, outcome.eligible and done is None, outcome.reasons, done))
    return shown


def worker_applications(*, user: Any) -> QuerySet[Application]:
    return (
        Application.objects.visible_to(user)
        .select_related("round", "round__programme", "union", "waiting_at")
        .order_by("-created_at", "-pk")
    )


def worker_application_get(*, user: Any, id: int) -> Application:
    return get_visible(worker_applications(user=user), pk=id)


# --- figures and transparency ---------------------------------------------------------------


def approved_in(actor: Any, org: Any, year: int) -> QuerySet[Application]:
    """Applications of ``org``'s subtree approved in ``year``."""
    return Application.objects.visible_to(actor).filter(
        union__path__startswith=org.path,
        status=ApplicationStatus.APPROVED,
        decided_at__year=year,
    )


def approved_amount_in(actor: Any, org: Any, year: int) -> Decimal:
    total = approved_in(actor, org, year).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")


def households_helped_in(actor: Any, org: Any, year: int) -> QuerySet[Any]:
    """Households of the roll with an application approved in ``year`` (each once)."""
    from gonghui.hardship.models import Household

    helped = approved_in(actor, org, year).filter(household=OuterRef("pk"))
    return Household.objects.visible_to(actor).filter(Exists(helped))


def approved_of_kind(kind: str) -> Any:
    def records(actor: Any, org: Any, year: int) -> QuerySet[Application]:
        return approved_in(actor, org, year).filter(round__programme__kind=kind)

    return records


def amount_of_kind(kind: str) -> Any:
    def value(actor: Any, org: Any, year: int) -> Decimal:
        total = approved_of_kind(kind)(actor, org, year).aggregate(t=Sum("amount"))["t"]
        return total if total is not None else Decimal("0.00")

    return value


def households_of_kind(kind: str) -> Any:
    """Households of the roll helped by an application of ``kind`` approved in the year."""

    def records(actor: Any, org: Any, year: int) -> QuerySet[Any]:
        from gonghui.hardship.models import Household

        helped = approved_of_kind(kind)(actor, org, year).filter(household=OuterRef("pk"))
        return Household.objects.visible_to(actor).filter(Exists(helped))

    return records


def study_of_level(level: str) -> Any:
    """Approved study grants (金秋助学) whose child was admitted at ``level``."""

    def records(actor: Any, org: Any, year: int) -> QuerySet[Application]:
        # The fact's key has a dot in it: the lookup names the whole key.
        return approved_in(actor, org, year).filter(
            round__programme__kind=HelpKind.STUDY, **{"facts__child.education_level": level}
        )

    return records


def study_amount_of_level(level: str) -> Any:
    def value(actor: Any, org: Any, year: int) -> Decimal:
        total = study_of_level(level)(actor, org, year).aggregate(t=Sum("amount"))["t"]
        return total if total is not None else Decimal("0.00")

    return value


@dataclass(frozen=True)
class FigureLine:
    key: str
    label: str
    unit: str
    value: Decimal
    money: bool = False  # an amount in yuan (a figure whose value is a ``Decimal``)


@dataclass(frozen=True)
class KindLine:
    """One help kind: the approved applications, the households helped and the yuan."""

    kind: str
    label: str
    approved: int
    households: int
    amount: Decimal


@dataclass(frozen=True)
class LevelLine:
    level: str
    label: str
    children: int
    amount: Decimal


@dataclass
class AssistanceFigures:
    """The figures page and the figures API: every registered figure of the assistance-related
    modules for ``organization``'s subtree in ``year`` (``figures``, in their order), the same
    numbers arranged per help kind and per education level, and raised versus paid per source
    of funds (the funds module's own report)."""

    organization: Any
    year: int
    figures: list[FigureLine]
    by_source: list[Any]

    def value(self, key: str) -> Decimal:
        for line in self.figures:
            if line.key == key:
                return line.value
        return Decimal(0)

    @property
    def by_kind(self) -> list[KindLine]:
        return [
            KindLine(
                kind,
                str(label),
                int(self.value(f"assistance.approved.{kind}")),
                int(self.value(f"assistance.households.{kind}")),
                self.value(f"assistance.amount.{kind}"),
            )
            for kind, label in HelpKind.choices
        ]

    @property
    def by_level(self) -> list[LevelLine]:
        return [
            LevelLine(
                level,
                str(label),
                int(self.value(f"assistance.study.{level}")),
                self.value(f"assistance.study_amount.{level}"),
            )
            for level, label in rules.EDUCATION_LEVELS
        ]

    @property
    def headline(self) -> list[FigureLine]:
        """The figures not shown per kind or per level."""
        from gonghui.core import modules

        return [line for line in self.figures if modules.figure(line.key).home]


def assistance_figures(*, actor: Any, organization: Any, year: int) -> AssistanceFigures:
    """``organization`` comes from a selector; ``figure_value`` checks the scope again."""
    from gonghui.core import modules
    from gonghui.funds import selectors as funds_selectors

    lines = []
    for key in figure_keys():
        figure = modules.figure(key)
        value = modules.figure_value(key, actor=actor, org=organization, year=year)
        lines.append(
            FigureLine(
                key,
                str(figure.label),
                str(figure.unit),
                Decimal(value),
                money=isinstance(value, Decimal),
            )
        )
    report = funds_selectors.raised_paid_report(actor=actor, organization=organization, year=year)
    return AssistanceFigures(
        organization=organization, year=year, figures=lines, by_source=report.by_source_kind
    )


@dataclass(frozen=True)
class DistrictLine:
    name: str
    approved: int
    approved_sum: Decimal
    paid: int
    paid_sum: Decimal


@dataclass(frozen=True)
class Transparency:
    round: Round
    lines: list[DistrictLine]
    raised: Decimal
    paid: Decimal


def round_transparency(*, round_id: int) -> Transparency:
    """The public page of a round: no person, only counts and sums per district (the
    applicant's union's district, or the union itself where it has none), and the money
    raised into the round's funds against what they paid for it. Public by design."""
    from gonghui.core.scoping import NotFound
    from gonghui.funds.models import EntryKind, LedgerEntry, PayableItem

    found = Round.unscoped.select_related("programme").filter(pk=round_id).first()
    if found is None:
        raise NotFound
    approved = Application.unscoped.filter(round=found, status=ApplicationStatus.APPROVED)
    rows = approved.values("pk", "union__path", "amount")
    paid_ids = set(
        PayableItem.unscoped.filter(
            source_kind=SOURCE_KIND, source_id__in=approved.values("pk"), status="paid"
        ).values_list("source_id", flat=True)
    )
    districts = {
        org.pk: org.name for org in Organization.unscoped.filter(kind="district").only("pk", "name")
    }
    lines: dict[str, list[Any]] = {}
    for row in rows:
        ids = [int(p) for p in row["union__path"].strip("/").split("/")]
        name = next((districts[i] for i in ids if i in districts), "—")
        line = lines.setdefault(name, [0, Decimal("0.00"), 0, Decimal("0.00")])
        line[0] += 1
        line[1] += row["amount"]
        if row["pk"] in paid_ids:
            line[2] += 1
            line[3] += row["amount"]
    fund_ids = list(found.funds.values_list("pk", flat=True))
    raised = LedgerEntry.unscoped.filter(fund_id__in=fund_ids, kind=EntryKind.INCOME).aggregate(
        t=Sum("amount")
    )["t"] or Decimal("0.00")
    paid = sum((line[3] for line in lines.values()), Decimal("0.00"))
    return Transparency(
        round=found,
        lines=[DistrictLine(name, *values) for name, values in sorted(lines.items())],
        raised=raised,
        paid=paid,
    )


def figure_keys() -> list[str]:
    """The registered figures of the assistance-related modules (the figures API)."""
    from gonghui.core import modules

    prefixes = ("assistance.", "hardship.", "funds.", "virtualjobs.", "employment.")
    return [f.key for f in modules.figures() if f.key.startswith(prefixes)]


def applicant_lookup(*, actor: Any, id_number: str) -> Any:
    """The person with this ID number whom the actor's subtree knows (a member of it, or the
    worker of a hardship file it keeps), or None. Raises ``ValidationError`` for a number
    that is not one."""
    from gonghui.core.validators import normalize_id_number
    from gonghui.hardship.models import Household
    from gonghui.members.models import Person
    from gonghui.members.services import id_number_hash

    digest = id_number_hash(normalize_id_number(id_number))
    person = Person.objects.visible_to(actor).filter(id_number_hash=digest).first()
    if person is None:
        household = (
            Household.objects.visible_to(actor)
            .filter(person__id_number_hash=digest)
            .select_related("person")
            .first()
        )
        person = household.person if household is not None else None
    return person
