"""Reads for 三建联动, and the coverage figures (ORG-5), computed from records, never typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from gonghui.core.scoping import get_visible
from gonghui.members.models import Membership, MembershipStatus
from gonghui.organizations.models import Enterprise, Organization, OrgKind
from gonghui.unionbuilding.models import (
    AssessmentStatus,
    BrandProject,
    Decision,
    FoundingApplication,
    HomeAssessment,
    HomeStandardItem,
    Mechanism,
    MechanismType,
)


def founding_list(*, actor: Any, status: str = "") -> QuerySet[FoundingApplication]:
    qs = FoundingApplication.objects.visible_to(actor).select_related("parent", "union")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def enterprise_founding_state(*, actor: Any, enterprise: Enterprise) -> str:
    """Where the enterprise stands in founding a union, for its own page: ``"founded"``,
    ``"applying"`` (an application naming it awaits a decision) or ``"none"``. The caller
    fetched ``enterprise`` through a scoped selector; only the state is told, not the
    application (whose parent's subtree alone may read it)."""
    if enterprise.union_id is not None:
        return "founded"
    pending = FoundingApplication.unscoped.filter(
        enterprises=enterprise, status=Decision.PENDING
    ).exists()
    return "applying" if pending else "none"


def founding_get(*, actor: Any, id: int) -> FoundingApplication:
    return get_visible(
        FoundingApplication.objects.visible_to(actor)
        .select_related("parent", "union", "created_by", "decided_by")
        .prefetch_related("enterprises"),
        pk=id,
    )


@dataclass(frozen=True)
class ChecklistLine:
    type: MechanismType
    mechanism: Mechanism | None


def mechanism_checklist(*, actor: Any, union: Organization) -> list[ChecklistLine]:
    """Every mechanism type with the union's record for it, or a gap."""
    records = {m.type_id: m for m in Mechanism.objects.visible_to(actor).filter(union=union)}
    return [ChecklistLine(t, records.get(t.pk)) for t in MechanismType.objects.all()]


def home_assessment_list(
    *, actor: Any, status: str = "", union: Organization | None = None
) -> QuerySet[HomeAssessment]:
    qs = HomeAssessment.objects.visible_to(actor).select_related("union", "rating", "assessed_by")
    if status:
        qs = qs.filter(status=status)
    if union is not None:
        qs = qs.filter(union=union)
    return qs.order_by("-assessed_on", "-id")


def home_assessment_get(*, actor: Any, id: int) -> HomeAssessment:
    return get_visible(
        HomeAssessment.objects.visible_to(actor)
        .select_related("union", "rating", "assessed_by", "decided_by")
        .prefetch_related("scores__item"),
        pk=id,
    )


def home_standard_items() -> QuerySet[HomeStandardItem]:
    return HomeStandardItem.objects.all()


def current_home(*, actor: Any, union: Organization) -> HomeAssessment | None:
    """The latest approved assessment: the union's current rating."""
    return (
        home_assessment_list(actor=actor, status=AssessmentStatus.APPROVED, union=union)
        .order_by("-assessed_on", "-id")
        .first()
    )


def brand_list(*, actor: Any, year: int | None = None) -> QuerySet[BrandProject]:
    qs = BrandProject.objects.visible_to(actor).select_related("organization", "scored_by")
    if year:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "organization__path")


def brand_get(*, actor: Any, id: int) -> BrandProject:
    return get_visible(
        BrandProject.objects.visible_to(actor).select_related(
            "organization", "scored_by", "created_by"
        ),
        pk=id,
    )


# --- coverage ---------------------------------------------------------------------------------


def _rate(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


@dataclass
class Coverage:
    """Figures of one subtree. Rates are ``None`` where the denominator is zero."""

    org: Organization | None
    label: str
    enterprises: int = 0
    unionised: int = 0
    employees: int = 0
    members: int = 0
    grassroots: int = 0
    homes: int = 0
    children: list[Coverage] = field(default_factory=list)

    @property
    def unionisation_rate(self) -> Decimal | None:
        """建会率: enterprises covered by a union / enterprises."""
        return _rate(self.unionised, self.enterprises)

    @property
    def membership_rate(self) -> Decimal | None:
        """入会率: active members / employees of the enterprises in the area."""
        return _rate(self.members, self.employees)

    @property
    def home_rate(self) -> Decimal | None:
        """创建率: grassroots unions with a rated workers' home / grassroots unions."""
        return _rate(self.homes, self.grassroots)

    def add(self, other: Coverage) -> None:
        for name in ("enterprises", "unionised", "employees", "members", "grassroots", "homes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def coverage_report(*, actor: Any, org: Organization) -> Coverage:
    """The figures of ``org``'s subtree, with one row per child subtree (and one for records
    held at ``org`` itself). A handful of grouped queries, rolled up by path in Python."""
    orgs = list(
        Organization.objects.visible_to(actor)
        .filter(path__startswith=org.path)
        .values_list("id", "path", "kind", "is_active")
    )
    paths = {oid: path for oid, path, _kind, _active in orgs}
    total = Coverage(org=org, label=org.name)
    children = {
        child.pk: Coverage(org=child, label=child.name)
        for child in Organization.objects.visible_to(actor)
        .filter(parent=org)
        .order_by("kind", "name")
    }
    own = Coverage(org=None, label=_("%(org)s（本级）") % {"org": org.name})

    def bucket(org_id: int) -> Coverage:
        rest = paths[org_id][len(org.path) :]
        if not rest:
            return own
        return children.get(int(rest.split("/", 1)[0]), own)

    enterprises = Enterprise.objects.visible_to(actor).filter(is_active=True)
    figures: dict[str, Any] = {
        "n": Count("id"),
        "unionised": Count("id", filter=Q(union__is_active=True)),
        "employees": Sum("employee_count"),
    }
    if org.kind == OrgKind.GRASSROOTS:
        # A grassroots union has no territory: its figures are those of the enterprises it
        # covers (else its page would read "12 名会员 / 0 名职工").
        enterprise_rows = [
            {"area_id": org.pk, **enterprises.filter(union=org).aggregate(**figures)}
        ]
    else:
        enterprise_rows = list(
            enterprises.filter(area__path__startswith=org.path)
            .values("area_id")
            .annotate(**figures)
        )
    for row in enterprise_rows:
        target = bucket(row["area_id"])
        target.enterprises += row["n"]
        target.unionised += row["unionised"]
        target.employees += row["employees"] or 0
    member_rows = (
        Membership.objects.visible_to(actor)
        .filter(
            union__path__startswith=org.path,
            union__is_active=True,
            status=MembershipStatus.ACTIVE,
        )
        .values("union_id")
        .annotate(n=Count("id"))
    )
    for row in member_rows:
        bucket(row["union_id"]).members += row["n"]
    grassroots = [oid for oid, _path, kind, active in orgs if kind == OrgKind.GRASSROOTS and active]
    for oid in grassroots:
        bucket(oid).grassroots += 1
    latest: dict[int, bool] = {}
    assessments = (
        HomeAssessment.objects.visible_to(actor)
        .filter(union__path__startswith=org.path, status=AssessmentStatus.APPROVED)
        .order_by("union_id", "-assessed_on", "-id")
        .values_list("union_id", "rating__counts_as_home")
    )
    for union_id, counts in assessments:
        latest.setdefault(union_id, bool(counts))
    active_grassroots = set(grassroots)
    for union_id, counts in latest.items():
        if counts and union_id in active_grassroots:
            bucket(union_id).homes += 1
    parts = list(children.values())
    if own.enterprises or own.members or own.grassroots:
        parts.append(own)
    for part in parts:
        total.add(part)
    total.children = parts
    return total


def mechanism_type_get(*, id: int) -> MechanismType:
    """One of the mechanisms every union keeps (reference data), or "not found"."""
    return get_visible(MechanismType.objects.all(), pk=id)


# --- figures (the module registry's; the dashboard reads them) --------------------------------


def unions_founded_in(actor: Any, org: Any, year: int) -> QuerySet[FoundingApplication]:
    """Founding applications under the subtree of ``org`` approved in ``year`` (新建工会)."""
    return FoundingApplication.objects.visible_to(actor).filter(
        parent__path__startswith=org.path, status=Decision.APPROVED, decided_at__year=year
    )


def homes_approved_in(actor: Any, org: Any, year: int) -> QuerySet[HomeAssessment]:
    """Home assessments of unions in the subtree of ``org`` approved in ``year``."""
    return HomeAssessment.objects.visible_to(actor).filter(
        union__path__startswith=org.path, status=AssessmentStatus.APPROVED, decided_at__year=year
    )


def foundings_waiting(actor: Any) -> int:
    """Founding applications in the actor's scope waiting for a decision (home tile)."""
    return founding_list(actor=actor, status=Decision.PENDING).count()


def homes_waiting(actor: Any) -> int:
    """Home assessments in the actor's scope submitted for approval (home tile)."""
    return home_assessment_list(actor=actor, status=AssessmentStatus.SUBMITTED).count()
