"""Reads of casework, scoped to the actor: staff see the cases that came from or are handled
within their subtree; a worker sees their own."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from gonghui.casework.models import (
    DEADLINE_START_KINDS,
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseState,
    CounsellingNote,
    CounsellingSlot,
    Counsellor,
    Lawyer,
    LegalAidOutcome,
    Mediation,
    MediationOutcome,
    overdue_q,
)
from gonghui.core.permissions import Perm, roles_granting
from gonghui.core.scoping import NotFound, get_visible, subtree_q
from gonghui.core.workdays import years_without_schedule
from gonghui.organizations.models import (
    Organization,
    OrgKind,
    ServicePlace,
    ServiceTier,
    ServiceType,
    Weekday,
)


class Queue:
    HANDLING = "handling"  # handled by my organisation, open
    UNASSIGNED = "unassigned"
    MINE = "mine"
    OVERDUE = "overdue"  # open and past a deadline, anywhere in my subtree
    ALL = "all"  # every case I may see, any state


QUEUES = (Queue.HANDLING, Queue.UNASSIGNED, Queue.MINE, Queue.OVERDUE, Queue.ALL)


def case_list(
    *,
    actor: Any,
    queue: str = Queue.HANDLING,
    service_type: ServiceType | None = None,
    state: str = "",
    q: str = "",
    received_from: datetime.date | None = None,
    received_to: datetime.date | None = None,
) -> QuerySet[Case]:
    """The cases of one queue (``Queue``), filtered by service type, state, the number or
    words of the title (``q``) and the day received (local days, both ends included)."""
    if queue == Queue.ALL:
        qs = Case.objects.visible_to(actor)
    else:
        # The working queues hold cases handled within the actor's subtree, a subset of
        # visible_to(actor). Without its origin-or-handler OR the planner estimates the rows
        # right and stops after one page (a million cases: see bench/cases.py).
        qs = _handled_within(actor)
    org_id = getattr(actor, "organization_id", None)
    if queue == Queue.HANDLING:
        qs = qs.filter(handler_id=org_id, state__in=OPEN_STATES)
    elif queue == Queue.UNASSIGNED:
        qs = qs.filter(handler_id=org_id, state__in=OPEN_STATES, assignee__isnull=True)
    elif queue == Queue.MINE:
        qs = qs.filter(assignee_id=actor.pk, state__in=OPEN_STATES)
    elif queue == Queue.OVERDUE:
        qs = qs.filter(overdue_q(timezone.now()))
    if service_type is not None:
        qs = qs.filter(service_type=service_type)
    if state:
        qs = qs.filter(state=state)
    if q:
        qs = qs.filter(Q(number=q.strip().upper()) | Q(title__contains=q.strip()))
    if received_from is not None:
        qs = qs.filter(created_at__gte=_day_start(received_from))
    if received_to is not None:
        qs = qs.filter(created_at__lt=_day_start(received_to + datetime.timedelta(days=1)))
    order = ("resolution_due", "id") if queue != Queue.ALL else ("-created_at", "-id")
    return qs.select_related("person", "service_type", "handler", "assignee").order_by(*order)


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())


def _handled_within(actor: Any) -> QuerySet[Case]:
    """Cases whose handler lies in the staff actor's subtree; none for anyone else."""
    path = getattr(actor, "scope_path", None)
    if not path:
        return Case.unscoped.none()
    return Case.unscoped.filter(subtree_q("handler", path))


def case_get(*, actor: Any, id: int) -> Case:
    return get_visible(
        Case.objects.visible_to(actor).select_related(
            "person", "service_type", "handler", "origin", "assignee", "created_by"
        ),
        pk=id,
    )


def service_type_by_code(code: str, *, active_only: bool = False) -> ServiceType | None:
    """A service type named by its code (city-wide reference data); None for an unknown one."""
    if not code:
        return None
    types = ServiceType.objects.filter(code=code)
    return (types.filter(is_active=True) if active_only else types).first()


def service_types_active() -> QuerySet[ServiceType]:
    return ServiceType.objects.filter(is_active=True)


def service_places_open() -> QuerySet[ServicePlace]:
    """Every open service place: workers choose the one nearest them, anywhere in the city."""
    return ServicePlace.unscoped.filter(is_active=True).select_related("organization")


def service_place_open_get(*, id: int) -> ServicePlace | None:
    return service_places_open().filter(pk=id).first()


@dataclass(frozen=True)
class Station:
    """A service place as a worker looking for the nearest one sees it: its weekly hours,
    today's, and whether it is open now."""

    place: ServicePlace
    district: Organization | None
    town: Organization | None
    hours: list[tuple[str, str]]  # (weekday label, "08:30–12:00、13:30–17:00"), Monday first
    today: str  # today's hours, "" when closed all day
    open_now: bool


def station_areas() -> tuple[list[Organization], list[Organization]]:
    """The districts and towns that have an open service place in their subtree, for the
    worker's "nearest station" pickers (public: stations are for everyone)."""
    paths = list(service_places_open().values_list("organization__path", flat=True))
    areas = Organization.unscoped.filter(
        kind__in=(OrgKind.DISTRICT, OrgKind.TOWN), is_active=True
    ).order_by("path")
    found = [a for a in areas if any(p.startswith(a.path) for p in paths)]
    districts = [a for a in found if a.kind == OrgKind.DISTRICT]
    towns = [a for a in found if a.kind == OrgKind.TOWN]
    return districts, towns


def stations_near(
    *,
    district: Organization | None,
    town: Organization | None,
    now: datetime.datetime | None = None,
) -> list[Station]:
    """The open service places of ``town`` (its stations and points) and then its district's
    centre; with only ``district``, every place of the district; with neither, the district
    centres. Each with its weekly hours, today's, and whether it is open now."""
    now = timezone.localtime(now or timezone.now())
    qs = service_places_open().prefetch_related("opening")
    if town is not None:
        # The town's own stations and points, and its district's centre.
        qs = qs.filter(
            Q(organization__path__startswith=town.path)
            | Q(tier=ServiceTier.CENTRE, organization__path__startswith=district.path)
            if district is not None
            else Q(organization__path__startswith=town.path)
        )
    elif district is not None:
        qs = qs.filter(organization__path__startswith=district.path)
    else:
        qs = qs.filter(tier=ServiceTier.CENTRE)
    places = list(qs)
    districts, towns = station_areas()

    def area(place: ServicePlace, among: list[Organization]) -> Organization | None:
        return next((a for a in among if place.organization.path.startswith(a.path)), None)

    def rank(place: ServicePlace) -> tuple[int, int, str]:
        in_town = town is not None and place.organization.path.startswith(town.path)
        tiers = {ServiceTier.STATION: 0, ServiceTier.CENTRE: 1, ServiceTier.POINT: 2}
        return (0 if in_town else 1, tiers.get(ServiceTier(place.tier), 3), place.name)

    labels = dict(Weekday.choices)
    stations = []
    for place in sorted(places, key=rank):
        by_day: dict[int, list[str]] = {}
        open_now = False
        for period in place.opening.all():
            by_day.setdefault(period.weekday, []).append(
                f"{period.opens:%H:%M}–{period.closes:%H:%M}"
            )
            if period.weekday == now.isoweekday() and period.opens <= now.time() < period.closes:
                open_now = True
        stations.append(
            Station(
                place=place,
                district=area(place, districts),
                town=area(place, towns),
                hours=[(str(labels[d]), "、".join(by_day[d])) for d in sorted(by_day)],
                today="、".join(by_day.get(now.isoweekday(), [])),
                open_now=open_now,
            )
        )
    return stations


def referral_target_list(*, actor: Any) -> QuerySet[Organization]:
    """What the 转办 picker offers staff: every active federation of the city (city-wide by
    design: a case follows the worker's employer or a specialised service, whatever branch it is
    in; ``case_refer`` refuses the case's own handler)."""
    if not getattr(actor, "scope_path", None):
        return Organization.unscoped.none()
    return Organization.unscoped.filter(is_active=True).exclude(kind="grassroots")


def referral_target_get(*, id: int) -> Organization | None:
    """The organisation a case is referred to; ``case_refer`` decides whether it may take it."""
    return Organization.unscoped.filter(pk=id).first()


def mediation_of(*, case: Case, agreed: bool = False) -> Mediation | None:
    """The case's mediation record (the caller has the case through ``case_get``)."""
    found = Mediation.objects.filter(case=case)
    if agreed:
        found = found.filter(outcome=MediationOutcome.AGREED)
    return found.prefetch_related("sessions").first()


def case_opened_with_key(*, actor: Any, key: str) -> bool:
    """Whether ``actor`` already opened a case with this idempotency key."""
    return bool(key) and Case.unscoped.filter(created_by=actor, idempotency_key=key).exists()


def case_timeline(*, case: Case, public_only: bool) -> QuerySet[CaseEvent]:
    events = CaseEvent.objects.filter(case=case).select_related("actor", "from_org", "to_org")
    return events.filter(public=True) if public_only else events


@dataclass(frozen=True)
class DeadlineStatus:
    """Which running deadlines of a case were counted over days of a year whose official
    holiday schedule is not entered yet (counted Monday to Friday, recounted when it is)."""

    response: bool = False
    resolution: bool = False
    next: bool = False  # the one ``Case.next_deadline`` shows
    years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return self.response or self.resolution


def case_deadline_status(*, case: Case) -> DeadlineStatus:
    """The case's provisional deadlines (two small queries; none for a case not open)."""
    if case.state not in OPEN_STATES:
        return DeadlineStatus()
    start = (
        CaseEvent.objects.filter(case=case, kind__in=DEADLINE_START_KINDS)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    ) or case.created_at
    first = timezone.localtime(start).date()
    running = {"resolution": case.resolution_due}
    if case.state == CaseState.SUBMITTED:
        running["response"] = case.response_due
    last = timezone.localtime(max(running.values())).date()
    missing = years_without_schedule(first, last)
    if not missing:
        return DeadlineStatus()
    flags = {
        name: any(year <= timezone.localtime(due).year for year in missing)
        for name, due in running.items()
    }
    response, resolution = flags.get("response", False), flags["resolution"]
    return DeadlineStatus(
        response=response,
        resolution=resolution,
        next=response if case.next_deadline == case.response_due else resolution,
        years=tuple(missing),
    )


def case_actions(
    *,
    actor: Any,
    case: Case,
    mediation: Mediation | None = None,
    legal_aid: Any = None,
) -> list[str]:
    """The actions (names of ``views.case_act``) ``actor`` may take on ``case`` now, the
    likely next step first: nothing for those who only follow the case (another branch, a
    read-only role). The rules are the services': who handles (``cases.may_handle``), from
    which state (``cases.ACTION_STATES``), whether there is anyone above to escalate to, anyone
    else to assign to. ``mediation`` and ``legal_aid`` are the case's records, if any."""
    from gonghui.casework.services.cases import ACTION_STATES, may_handle
    from gonghui.casework.services.routing import upper_of

    if not may_handle(actor, case):
        return []

    def allowed(name: str) -> bool:
        return case.state in ACTION_STATES[name]

    offered: list[str] = []
    if allowed("accept"):
        offered.append("accept")
    code = case.service_type.code
    if code == "legal_aid" and allowed("lawyer"):
        pending = legal_aid is not None and legal_aid.outcome == LegalAidOutcome.PENDING
        if pending:
            offered.append("legal_outcome")
        if legal_aid is None or pending:
            offered.append("lawyer")
    if code == "mediation":
        if mediation is None:
            offered.append("mediation")
        elif mediation.outcome == MediationOutcome.PENDING:
            offered.append("mediation_session")
            if any(True for _s in mediation.sessions.all()):
                offered.append("mediation_conclude")
    if allowed("resolve"):
        offered.append("resolve")
    if case.is_open:
        offered.append("note")
    others = handler_staff(case=case).exclude(pk=case.assignee_id or 0)
    if allowed("assign") and others.exists():
        # Waiting cases are usually assigned before anything else is done with them.
        offered.insert(1 if case.state == CaseState.SUBMITTED else len(offered), "assign")
    if case.is_open:
        offered.append("visit")
    if allowed("refer"):
        offered.append("refer")
    if allowed("escalate") and upper_of(case.handler, case.service_type) is not None:
        offered.append("escalate")
    if allowed("reject"):
        offered.append("reject")
    return offered


def case_material_get(*, case: Case, id: int) -> CaseMaterial:
    return get_visible(CaseMaterial.objects.filter(case=case), pk=id)


def person_cases(*, person_id: int) -> QuerySet[Case]:
    return Case.unscoped.filter(person_id=person_id).select_related("service_type", "handler")


def _assignable(users: QuerySet[Any]) -> QuerySet[Any]:
    """Of ``users``, those who may act on a case: a role that grants recording (a read-only
    leader or a reviewer is never offered as an assignee). Roles are a JSON list, which
    SQLite cannot search portably; the staff of one organisation are a handful of rows."""
    editing = roles_granting(Perm.EDIT_RECORDS)
    ids = [pk for pk, roles in users.values_list("pk", "roles") if editing & set(roles or ())]
    return users.filter(pk__in=ids)


def handler_staff(*, case: Case) -> QuerySet[Any]:
    """Who a case of this handler may be assigned to (``case_assign`` checks the same)."""
    from gonghui.accounts.models import User

    return _assignable(
        User.objects.filter(organization_id=case.handler_id, kind="staff", is_active=True)
    ).order_by("username")


def organization_staff(*, actor: Any) -> QuerySet[Any]:
    """Who the actor's organisation's cases may be assigned to (the queue's bulk assign)."""
    from gonghui.accounts.models import User

    return _assignable(
        User.objects.filter(organization_id=actor.organization_id, kind="staff", is_active=True)
    ).order_by("username")


def subtree_staff(*, actor: Any) -> QuerySet[Any]:
    """Active staff of the actor's subtree: who may be registered as a counsellor."""
    from gonghui.accounts.models import User

    return User.objects.filter(
        organization__path__startswith=actor.scope_path, kind="staff", is_active=True
    ).order_by("username")


# --- rosters ------------------------------------------------------------------------------------


def lawyer_list(*, actor: Any, active_only: bool = False) -> QuerySet[Lawyer]:
    qs = Lawyer.objects.visible_to(actor).select_related("organization")
    return qs.filter(is_active=True) if active_only else qs


def lawyers_for_case(*, case: Case) -> QuerySet[Lawyer]:
    """The handler's roster and its ancestors' (a town may use the district's lawyers)."""
    ids = [*case.handler.ancestor_ids(), case.handler_id]
    return Lawyer.unscoped.filter(organization_id__in=ids, is_active=True).order_by("name")


def lawyer_get(*, actor: Any, id: int) -> Lawyer:
    return get_visible(Lawyer.objects.visible_to(actor), pk=id)


def counsellor_of(*, actor: Any) -> Counsellor | None:
    user_id = getattr(actor, "pk", 0) or 0
    return Counsellor.unscoped.filter(user_id=user_id, is_active=True).first()


def counsellor_list(*, actor: Any) -> QuerySet[Counsellor]:
    return Counsellor.objects.visible_to(actor).select_related("organization", "user")


def open_slots(*, now: datetime.datetime | None = None) -> QuerySet[CounsellingSlot]:
    """Free counselling slots, for workers to book (the timetable is public)."""
    return (
        CounsellingSlot.objects.filter(
            person__isnull=True,
            cancelled=False,
            starts_at__gt=now or timezone.now(),
            counsellor__is_active=True,
        )
        .select_related("counsellor", "counsellor__organization")
        .order_by("starts_at")
    )


def open_slot_get(*, id: int) -> CounsellingSlot:
    return get_visible(open_slots(), pk=id)


def person_slots(*, person_id: int) -> QuerySet[CounsellingSlot]:
    return CounsellingSlot.objects.filter(person_id=person_id).select_related("counsellor")


def person_slot_get(*, person_id: int, id: int) -> CounsellingSlot:
    return get_visible(person_slots(person_id=person_id), pk=id)


def counsellor_slots(*, actor: Any) -> QuerySet[CounsellingSlot]:
    """The counsellor's own timetable; nobody else's, whatever their role."""
    return CounsellingSlot.objects.filter(counsellor__user_id=actor.pk).select_related("case")


def counsellor_slot_get(*, actor: Any, id: int) -> CounsellingSlot:
    return get_visible(counsellor_slots(actor=actor), pk=id)


def counselling_notes(*, actor: Any, slot: CounsellingSlot) -> QuerySet[CounsellingNote]:
    return CounsellingNote.objects.visible_to(actor).filter(slot=slot)


# --- figures ------------------------------------------------------------------------------------


def _rate(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


@dataclass
class Figures:
    organization: Organization
    month: datetime.date
    total: int = 0
    by_type: list[dict[str, Any]] = field(default_factory=list)
    tiers: list[tuple[str, str]] = field(default_factory=list)
    responded: int = 0
    response_on_time: float | None = None
    resolved: int = 0
    resolution_on_time: float | None = None
    escalated_cases: int = 0
    escalations: int = 0
    rated: int = 0
    satisfaction: float | None = None
    closed: int = 0
    one_trip: float | None = None
    trend: list[tuple[str, int]] = field(default_factory=list)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime(month.year, month.month, 1, tzinfo=zone)
    nxt = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, nxt


def case_figures(*, actor: Any, organization: Organization, month: datetime.date) -> Figures:
    """Cases opened in ``month`` that came from or were handled within the subtree of
    ``organization`` (which the view fetched through the actor's scope)."""
    start, end = month_bounds(month)
    path = organization.path
    base = Case.objects.visible_to(actor).filter(
        Q(origin__path__startswith=path) | Q(handler__path__startswith=path)
    )
    cases = base.filter(created_at__gte=start, created_at__lt=end)
    figures = Figures(organization=organization, month=month)
    tiers = list(ServiceTier.choices)
    figures.tiers = [(str(v), str(label)) for v, label in tiers]
    rows = cases.values("service_type__name", "service_type__sort_order", "tier").annotate(
        n=Count("id")
    )
    by_type: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["service_type__sort_order"]):
        entry = by_type.setdefault(
            row["service_type__name"], {"name": row["service_type__name"], "total": 0}
        )
        entry[row["tier"]] = row["n"]
        entry["total"] += row["n"]
    figures.by_type = list(by_type.values())
    agg = cases.aggregate(
        total=Count("id"),
        responded=Count("id", filter=Q(responded_on_time__isnull=False)),
        responded_ok=Count("id", filter=Q(responded_on_time=True)),
        resolved=Count("id", filter=Q(resolved_on_time__isnull=False)),
        resolved_ok=Count("id", filter=Q(resolved_on_time=True)),
        escalated_cases=Count("id", filter=Q(escalations__gt=0)),
        escalations=Sum("escalations"),
        rated=Count("id", filter=Q(rating__isnull=False)),
        satisfaction=Avg("rating"),
        closed=Count("id", filter=Q(state=CaseState.CLOSED)),
        one_trip=Count("id", filter=Q(state=CaseState.CLOSED, visits__lte=1)),
    )
    figures.total = agg["total"]
    figures.responded = agg["responded"]
    figures.response_on_time = _rate(agg["responded_ok"], agg["responded"])
    figures.resolved = agg["resolved"]
    figures.resolution_on_time = _rate(agg["resolved_ok"], agg["resolved"])
    figures.escalated_cases = agg["escalated_cases"]
    figures.escalations = agg["escalations"] or 0
    figures.rated = agg["rated"]
    figures.satisfaction = (
        round(float(agg["satisfaction"]), 2) if agg["satisfaction"] is not None else None
    )
    figures.closed = agg["closed"]
    figures.one_trip = _rate(agg["one_trip"], agg["closed"])
    trend_start = start
    for _i in range(11):
        trend_start = (trend_start - datetime.timedelta(days=1)).replace(day=1)
    counts = {
        (d.year, d.month): 0
        for d in ((trend_start + datetime.timedelta(days=31 * i)).replace(day=1) for i in range(12))
    }
    monthly = (
        base.filter(created_at__gte=trend_start, created_at__lt=end)
        .annotate(m=TruncMonth("created_at"))
        .values("m")
        .annotate(n=Count("id"))
    )
    for row in monthly:
        local = row["m"]
        key = (local.year, local.month)
        if key in counts:
            counts[key] += row["n"]
    figures.trend = [(f"{y}-{m:02d}", n) for (y, m), n in sorted(counts.items())]
    return figures


def figures_organization(*, actor: Any, id: int | None) -> Organization:
    if id is None:
        organization: Organization | None = actor.organization
        if organization is None:
            raise NotFound
        return organization
    return get_visible(Organization.objects.visible_to(actor), pk=id)


def unaccepted_count(actor: Any) -> int:
    """Cases waiting for the actor's organisation to accept them (the menu badge)."""
    if not getattr(actor, "organization_id", None):
        return 0
    return (
        Case.objects.visible_to(actor)
        .filter(handler_id=actor.organization_id, state=CaseState.SUBMITTED)
        .count()
    )


def mine_count(actor: Any) -> int:
    """Open cases assigned to the actor (home tile)."""
    return case_list(actor=actor, queue=Queue.MINE).count()


def overdue_count(actor: Any) -> int:
    """Open cases past a deadline in the actor's subtree (home tile)."""
    return case_list(actor=actor, queue=Queue.OVERDUE).count()


# --- figures (the module registry's; the dashboard reads them) --------------------------------


def cases_received_in(actor: Any, org: Any, year: int) -> QuerySet[Case]:
    """Requests handled in the subtree of ``org`` that were submitted in ``year``."""
    return Case.objects.visible_to(actor).filter(
        handler__path__startswith=org.path, created_at__year=year
    )


def cases_resolved_in(actor: Any, org: Any, year: int) -> QuerySet[Case]:
    """Requests handled in the subtree of ``org`` that were resolved (办结) in ``year``."""
    return Case.objects.visible_to(actor).filter(
        handler__path__startswith=org.path, resolved_at__year=year
    )
