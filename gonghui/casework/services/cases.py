"""Cases: opening (portal, counter, hotline) and every transition by staff and by the worker.
One transaction each; a transition takes the case's row lock and re-reads its state first,
so two clerks (or a clerk and the overdue sweep) cannot both move the same case, and a
transition that is not allowed from the current state changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.casework import notifications
from gonghui.casework.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseState,
    Channel,
    EventKind,
)
from gonghui.casework.services.routing import case_route, route_from, tier_of, upper_of
from gonghui.core import notify
from gonghui.core.locks import LockSpace, lock_one
from gonghui.core.permissions import Perm, require, roles_granting
from gonghui.core.scoping import NotFound
from gonghui.core.services import counter_take
from gonghui.core.validators import (
    clean_field,
    clean_text,
    normalize_id_number,
    normalize_mobile,
    raise_errors,
)
from gonghui.core.workdays import WorkCalendar
from gonghui.members import selectors as member_selectors
from gonghui.members import services as member_services
from gonghui.members.models import Person
from gonghui.organizations.models import (
    Organization,
    ServicePlace,
    ServiceType,
)

# --- small helpers ----------------------------------------------------------------------------


def is_owner(actor: Any, case: Case) -> bool:
    return bool(getattr(actor, "is_worker_account", False)) and actor.person_id == case.person_id


def _may_see(actor: Any, case: Case) -> bool:
    if is_owner(actor, case):
        return True
    path: str | None = getattr(actor, "scope_path", None)
    if not path:
        return False
    return case.origin.path.startswith(path) or case.handler.path.startswith(path)


def require_handling(actor: Any, case: Case) -> None:
    """Staff act on a case handled by their organisation or below it; those who only see it
    (the counter that opened it) follow it without acting."""
    if not _may_see(actor, case) or is_owner(actor, case):
        raise NotFound
    path = actor.scope_path
    if not case.handler.path.startswith(path):
        raise PermissionDenied(
            _("该事项现由%(org)s承办，您可以查看进度，但不能办理。") % {"org": case.handler.name}
        )
    require(actor, Perm.EDIT_RECORDS)


def may_handle(actor: Any, case: Case) -> bool:
    """Whether ``require_handling`` lets ``actor`` act on ``case`` now (no lock, no raise):
    the case page offers actions only to those the services would let act."""
    try:
        require_handling(actor, case)
    except (NotFound, PermissionDenied):
        return False
    return True


# From which states each staff transition may start. The services check it on the locked
# row; the case page offers an action only from these states (``selectors.case_actions``).
ACTION_STATES: dict[str, tuple[str, ...]] = {
    "accept": (CaseState.SUBMITTED,),
    "resolve": (CaseState.ACCEPTED,),
    "reject": OPEN_STATES,
    "refer": OPEN_STATES,
    "escalate": OPEN_STATES,
    "assign": OPEN_STATES,
    "lawyer": (CaseState.ACCEPTED,),
}


def case_lock(case: Case) -> Case:
    """The case row, locked for the rest of the transaction (see the module docstring),
    with its handling and receiving organisations and its person (``LockSpace.CASE``)."""
    return lock_one(
        LockSpace.CASE,
        Case.unscoped.select_related("handler", "origin", "person"),
        case.pk,
        of=("self", "handler", "origin", "person"),
    )


def case_lock_handling(actor: Any, case: Case) -> Case:
    """Check, lock, and check again on the locked row: the case may have moved (the sweep,
    a referral) between the page being loaded and the button being pressed."""
    require_handling(actor, case)
    locked = case_lock(case)
    require_handling(actor, locked)
    return locked


def require_state(case: Case, *states: str) -> None:
    if case.state not in states:
        raise ValidationError(
            {
                "state": [
                    _("该事项当前为“%(s)s”，不能执行此操作。") % {"s": case.get_state_display()}
                ]
            }
        )


def case_event(case: Case, kind: str, actor: Any = None, *, at: Any = None, **fields: Any) -> None:
    CaseEvent.objects.create(case=case, kind=kind, actor=actor, at=at or timezone.now(), **fields)


def case_message(case: Case, text: str) -> notify.Message:
    return notify.Message(
        person_id=case.person_id,
        text=_("您的服务事项%(n)s：%(t)s") % {"n": case.number, "t": text},
        link=reverse("portal:case_detail", args=[case.pk]),
    )


def case_notify(case: Case, text: str, *, kind: str = notifications.DECISION) -> None:
    """Tell the worker about a change of their case (in the app, and by SMS after commit).
    Must run inside the transaction of the change."""
    notify.notify_many(kind=kind, messages=[case_message(case, text)])


def deadlines(
    service_type: ServiceType, start: datetime.datetime, calendar: WorkCalendar | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    calendar = calendar or calendar_around(start)
    return (
        calendar.working_deadline(start, service_type.response_limit, service_type.response_unit),
        calendar.working_deadline(
            start, service_type.resolution_limit, service_type.resolution_unit
        ),
    )


def calendar_around(start: datetime.datetime) -> WorkCalendar:
    """One read of the calendar for the weeks a deadline can reach from ``start``."""
    day = timezone.localtime(start).date()
    return WorkCalendar(day, day + datetime.timedelta(days=120))


# --- opening ----------------------------------------------------------------------------------


@transaction.atomic
def case_open_at_counter(
    *,
    actor: Any,
    id_number: str,
    name: str,
    service_type: ServiceType,
    title: str,
    description: str,
    channel: str,
    mobile: str = "",
    idempotency_key: str = "",
    at: datetime.datetime | None = None,
) -> Case:
    """Staff record a request for the worker standing at the counter, or on the phone.

    Everything is checked before anything is written, so a refused request leaves no trace
    (not even a newly registered person). The worker is found by ID number, or registered on
    the spot when the city has no record of them.

    A counter sees only what its scope allows: the name is compared with the record only when
    the actor already knows that person (``members.selectors.person_known``), and the case
    is handled by the worker's own union chain only when that union is in the actor's
    subtree. Otherwise the counter's own chain handles it and the case carries the name the
    counter was given, so the answer is the same whatever name is typed and names no
    organisation of another branch (no oracle on who is on file where)."""
    require(actor, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    name = clean_field(Person, "name", name, errors, required=True)
    number = ""
    try:
        number = normalize_id_number(id_number)
    except ValidationError as exc:
        errors.setdefault("id_number", []).extend(exc.messages)
    if (mobile or "").strip():
        try:
            mobile = normalize_mobile(mobile)
        except ValidationError as exc:
            errors.setdefault("mobile", []).extend(exc.messages)
    _case_errors(errors, title=title, description=description, service_type=service_type)
    if channel not in (Channel.COUNTER, Channel.HOTLINE):
        errors.setdefault("channel", []).append(_("请选择窗口受理或热线电话。"))
    raise_errors(errors)
    existing = _idempotent_case(actor, idempotency_key)
    if existing is not None:
        return existing
    person = member_services.person_find(id_number=number)
    handler: Organization | None = None
    if person is not None:
        if member_selectors.person_known(actor=actor, person=person):
            if person.name != name:
                raise ValidationError({"name": [_("姓名与该身份证号登记的姓名不一致，请核对。")]})
        membership = member_selectors.active_membership(person=person)
        if membership is None or not membership.union.path.startswith(actor.scope_path):
            handler = route_from(actor.organization, service_type)
    else:
        person = member_services.person_register(
            actor=actor,
            data=member_services.PersonInput(name=name, id_number=number, mobile=mobile),
        )
    return case_open(
        actor=actor,
        person=person,
        service_type=service_type,
        title=title,
        description=description,
        channel=channel,
        idempotency_key=idempotency_key,
        at=at,
        handler=handler,
        applicant_name=name,
    )


def _case_errors(
    errors: dict[str, list[str]], *, title: str, description: str, service_type: ServiceType
) -> tuple[str, str]:
    title = clean_field(Case, "title", title, errors, required=True)
    description = clean_field(Case, "description", description, errors, required=True)
    if not service_type.is_active:
        errors.setdefault("service_type", []).append(_("该服务类型已停用。"))
    return title, description


def _idempotent_case(actor: Any, key: str) -> Case | None:
    """The case this actor already opened with ``key`` (a repeated submission), if any."""
    key = (key or "")[:64]
    if not key:
        return None
    return Case.unscoped.filter(created_by=actor, idempotency_key=key).first()


@transaction.atomic
def case_open(
    *,
    actor: Any,
    person: Person,
    service_type: ServiceType,
    title: str,
    description: str,
    channel: str = Channel.PORTAL,
    place: ServicePlace | None = None,
    idempotency_key: str = "",
    at: datetime.datetime | None = None,
    handler: Organization | None = None,
    applicant_name: str = "",
) -> Case:
    """A worker asks in the portal, or staff record a request at a counter or from a hotline
    call (see ``case_open_at_counter``). A repeated submission with the same
    ``idempotency_key`` returns the first case. ``handler`` is for callers that already know
    who handles it (a counselling booking goes to the counsellor's organisation; a counter
    outside the worker's union); otherwise the case is routed to the nearest tier.
    ``applicant_name``: the name the counter was given (the person's name by default)."""
    worker = bool(getattr(actor, "is_worker_account", False))
    if worker:
        if actor.person_id != person.pk:
            raise NotFound
        channel = Channel.PORTAL
    else:
        require(actor, Perm.EDIT_RECORDS)
        if channel not in (Channel.COUNTER, Channel.HOTLINE):
            raise ValidationError({"channel": [_("请选择窗口受理或热线电话。")]})
    key = (idempotency_key or "")[:64]
    existing = _idempotent_case(actor, key)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    title, description = _case_errors(
        errors, title=title, description=description, service_type=service_type
    )
    raise_errors(errors)
    near = place.organization if place is not None else None
    if not worker:
        near = actor.organization
    if handler is None:
        handler = case_route(person=person, service_type=service_type, near=near)
    now = at or timezone.now()
    response_due, resolution_due = deadlines(service_type, now)
    case = Case(
        number=f"FW{now:%Y}{counter_take(name='case'):08d}",
        person=person,
        applicant_name=applicant_name or person.name,
        service_type=service_type,
        channel=channel,
        title=title,
        description=description,
        origin=handler if worker else actor.organization,  # the counter that took it
        handler=handler,
        tier=tier_of(handler),
        state=CaseState.SUBMITTED,
        created_by=actor,
        created_at=now,
        updated_at=now,
        response_due=response_due,
        resolution_due=resolution_due,
        visits=1 if channel == Channel.COUNTER else 0,
        idempotency_key=key,
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # A double click raced past the look-up above; the unique key kept one case.
        existing = Case.unscoped.filter(created_by=actor, idempotency_key=key).first()
        if key and existing is not None:
            return existing
        raise
    case_event(case, EventKind.OPENED, actor, at=now, to_org=handler, note=Channel(channel).label)
    if channel == Channel.COUNTER:
        case_event(case, EventKind.VISIT, actor, at=now, to_org=actor.organization)
    case_notify(case, _("已提交，由%(h)s受理。") % {"h": handler.name})
    return case


# --- staff transitions ------------------------------------------------------------------------


@transaction.atomic
def case_accept(*, actor: Any, case: Case, at: datetime.datetime | None = None) -> Case:
    case = case_lock_handling(actor, case)
    require_state(case, *ACTION_STATES["accept"])
    now = at or timezone.now()
    case.state = CaseState.ACCEPTED
    case.responded_at = now
    if case.responded_on_time is None:  # the first response is the one measured
        case.responded_on_time = now <= case.response_due
    if case.assignee_id is None:
        case.assignee = actor
    case.updated_at = now
    case.save()
    case_event(case, EventKind.ACCEPTED, actor, at=now, to_org=case.handler)
    case_notify(case, _("%(h)s已受理。") % {"h": case.handler.name})
    return case


def _check_assignee(case: Case, assignee: Any) -> None:
    if not getattr(assignee, "is_staff_account", False) or not assignee.is_active:
        raise ValidationError({"assignee": [_("经办人必须是在职的工作人员。")]})
    if assignee.organization_id != case.handler_id:
        raise ValidationError(
            {"assignee": [_("经办人必须是承办单位%(h)s的工作人员。") % {"h": case.handler.name}]}
        )
    if not roles_granting(Perm.EDIT_RECORDS) & set(assignee.roles or ()):
        raise ValidationError(
            {
                "assignee": [
                    _("%(u)s的角色只能查看，不能作为经办人，请选择经办人员。") % {"u": assignee}
                ]
            }
        )


@transaction.atomic
def case_assign(*, actor: Any, cases: Iterable[Case], assignee: Any) -> int:
    """Assign one or many cases (bulk assignment from a queue); all or none."""
    locked: list[Case] = []
    for case in sorted(cases, key=lambda c: c.pk):  # key order: two bulk assigns cannot deadlock
        row = case_lock_handling(actor, case)
        if row.state not in ACTION_STATES["assign"]:
            raise ValidationError(
                {"cases": [_("事项%(n)s已不在办理中，不能分派。") % {"n": row.number}]}
            )
        _check_assignee(row, assignee)
        locked.append(row)
    if not locked:
        raise ValidationError({"cases": [_("请选择要分派的事项。")]})
    now = timezone.now()
    for row in locked:
        row.assignee = assignee
        row.updated_at = now
        row.save(update_fields=["assignee", "updated_at"])
        case_event(row, EventKind.ASSIGNED, actor, at=now, note=str(assignee), public=False)
    return len(locked)


def mark_missed(case: Case, now: datetime.datetime) -> None:
    if case.responded_on_time is None and case.responded_at is None and case.response_due < now:
        case.responded_on_time = False
    if case.resolved_on_time is None and case.resolution_due < now:
        case.resolved_on_time = False


def move_case(
    case: Case,
    *,
    to_org: Organization | None,
    now: datetime.datetime,
    due: tuple[datetime.datetime, datetime.datetime],
    escalation: bool,
) -> None:
    """The one definition of a case moving on (a referral, an escalation by staff or by the
    sweep); the sweep's bulk statement on PostgreSQL (``sweep._ESCALATE_SQL``) is its set form,
    and a test holds the two to the same result. A deadline already missed is recorded as
    missed first, so fresh deadlines do not make a late case count as on time in the figures.
    The case then waits at ``to_org`` for acceptance, unassigned, with the fresh deadlines
    ``due``; with no ``to_org`` (at the top for its type) it stays where it is and only its
    deadlines start again. The caller saves it."""
    mark_missed(case, now)
    if to_org is not None:
        case.handler = to_org
        case.tier = tier_of(to_org)
        case.state = CaseState.SUBMITTED
        case.assignee = None
        if escalation:
            case.escalations += 1
    case.response_due, case.resolution_due = due
    case.updated_at = now


def _move(
    actor: Any,
    case: Case,
    to_org: Organization,
    kind: str,
    reason: str,
    now: datetime.datetime,
    calendar: WorkCalendar | None = None,
) -> None:
    """Hand the case to ``to_org`` (``move_case``), save it and write the timeline."""
    from_org = case.handler
    due = deadlines(case.service_type, now, calendar)
    move_case(case, to_org=to_org, now=now, due=due, escalation=kind != EventKind.REFERRED)
    case.save()
    case_event(case, kind, actor, at=now, from_org=from_org, to_org=to_org, note=reason)


@transaction.atomic
def case_refer(
    *, actor: Any, case: Case, to_org: Organization, reason: str, at: Any = None
) -> Case:
    """Refer the case to another organisation (where the employer is, or a specialised
    centre), with a reason. Any organisation in the city may receive a referral."""
    case = case_lock_handling(actor, case)
    require_state(case, *ACTION_STATES["refer"])
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=300, multiline=True)
    if to_org.pk == case.handler_id:
        errors.setdefault("to_org", []).append(_("不能转办给当前承办单位。"))
    elif not to_org.is_active:
        errors.setdefault("to_org", []).append(_("该组织已撤销。"))
    elif tier_of(to_org) not in case.service_type.tiers:
        errors.setdefault("to_org", []).append(
            _("%(o)s所在层级不办理“%(t)s”。") % {"o": to_org.name, "t": case.service_type.name}
        )
    raise_errors(errors)
    _move(actor, case, to_org, EventKind.REFERRED, reason, at or timezone.now())
    case_notify(case, _("已转至%(h)s办理。") % {"h": to_org.name}, kind=notifications.PROGRESS)
    return case


@transaction.atomic
def case_escalate(*, actor: Any, case: Case, reason: str, at: Any = None) -> Case:
    case = case_lock_handling(actor, case)
    require_state(case, *ACTION_STATES["escalate"])
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=300, multiline=True)
    upper = upper_of(case.handler, case.service_type)
    if upper is None:
        errors.setdefault("reason", []).append(_("已是最高一级，无法再上报。"))
    raise_errors(errors)
    assert upper is not None  # noqa: S101 (checked above)
    _move(actor, case, upper, EventKind.ESCALATED, reason, at or timezone.now())
    case_notify(case, _("已上报%(h)s办理。") % {"h": upper.name}, kind=notifications.PROGRESS)
    return case


@transaction.atomic
def case_resolve(*, actor: Any, case: Case, resolution: str, at: Any = None) -> Case:
    case = case_lock_handling(actor, case)
    require_state(case, *ACTION_STATES["resolve"])
    errors: dict[str, list[str]] = {}
    resolution = clean_text(
        resolution, "resolution", errors, required=True, limit=2000, multiline=True
    )
    raise_errors(errors)
    now = at or timezone.now()
    case.state = CaseState.RESOLVED
    case.resolution = resolution
    case.resolved_at = now
    if case.resolved_on_time is None:  # already late when a missed deadline moved it
        case.resolved_on_time = now <= case.resolution_due
    case.updated_at = now
    case.save()
    case_event(case, EventKind.RESOLVED, actor, at=now, note=resolution)
    case_notify(case, _("已办结，请在“我的申请”中确认并评价。"))
    return case


@transaction.atomic
def case_reject(*, actor: Any, case: Case, reason: str, at: Any = None) -> Case:
    """Outside the union's remit: closed with a reason the worker sees."""
    case = case_lock_handling(actor, case)
    require_state(case, *ACTION_STATES["reject"])
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=300, multiline=True)
    raise_errors(errors)
    now = at or timezone.now()
    case.state = CaseState.REJECTED
    case.reject_reason = reason
    case.closed_at = now
    case.updated_at = now
    case.save()
    case_event(case, EventKind.REJECTED, actor, at=now, note=reason)
    case_notify(case, _("不予受理：%(r)s") % {"r": reason})
    return case


@transaction.atomic
def case_note(*, actor: Any, case: Case, note: str, public: bool = False) -> Case:
    """A handling note, on an open case (as the case page offers it): a finished case's record
    is what the worker confirmed or was told, and stays so."""
    case = case_lock_handling(actor, case)
    require_state(case, *OPEN_STATES)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=True, limit=2000, multiline=True)
    raise_errors(errors)
    now = timezone.now()
    case.updated_at = now
    case.save(update_fields=["updated_at"])
    case_event(case, EventKind.NOTE, actor, at=now, note=note, public=public)
    return case


@transaction.atomic
def case_visit_record(*, actor: Any, case: Case, note: str = "", at: Any = None) -> Case:
    """The worker came in person: each trip is counted, so "最多跑一次" is measured."""
    if not _may_see(actor, case) or is_owner(actor, case):
        raise NotFound
    require(actor, Perm.EDIT_RECORDS)
    case = case_lock(case)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=False, limit=300, multiline=True)
    raise_errors(errors)
    now = at or timezone.now()
    Case.unscoped.filter(pk=case.pk).update(visits=F("visits") + 1, updated_at=now)
    case.refresh_from_db()
    case_event(case, EventKind.VISIT, actor, at=now, to_org=actor.organization, note=note)
    return case


# --- worker transitions -----------------------------------------------------------------------


def _require_owner(actor: Any, case: Case) -> None:
    if not is_owner(actor, case):
        raise NotFound


@transaction.atomic
def case_withdraw(*, actor: Any, case: Case, reason: str = "") -> Case:
    _require_owner(actor, case)
    case = case_lock(case)
    require_state(case, *OPEN_STATES)
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=False, limit=300, multiline=True)
    raise_errors(errors)
    now = timezone.now()
    case.state = CaseState.WITHDRAWN
    case.closed_at = now
    case.updated_at = now
    case.save()
    case_event(case, EventKind.WITHDRAWN, actor, at=now, note=reason)
    return case


@transaction.atomic
def case_confirm(*, actor: Any, case: Case, rating: int, comment: str = "", at: Any = None) -> Case:
    """The worker confirms the result and rates it (1–5); the case closes."""
    _require_owner(actor, case)
    case = case_lock(case)
    require_state(case, CaseState.RESOLVED)
    errors: dict[str, list[str]] = {}
    comment = clean_text(comment, "comment", errors, required=False, limit=300, multiline=True)
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        errors.setdefault("rating", []).append(_("请给出 1 到 5 星的评价。"))
    raise_errors(errors)
    now = at or timezone.now()
    case.state = CaseState.CLOSED
    case.rating = rating
    case.rating_comment = comment
    case.closed_at = now
    case.updated_at = now
    case.save()
    case_event(case, EventKind.CONFIRMED, actor, at=now, note=f"{rating}★ {comment}".strip())
    return case
