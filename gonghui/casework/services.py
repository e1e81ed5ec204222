"""Every write of casework. One transaction each; a transition takes the case's row lock and
re-reads its state first, so two clerks (or a clerk and the overdue sweep) cannot both move
the same case, and a transition that is not allowed from the current state changes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.casework.models import (
    DEADLINE_START_KINDS,
    MATERIAL_PURPOSE,
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseState,
    Channel,
    CounsellingNote,
    CounsellingSlot,
    Counsellor,
    EventKind,
    Lawyer,
    LegalAid,
    LegalAidOutcome,
    Mediation,
    MediationOutcome,
    MediationSession,
    overdue_q,
)
from gonghui.core import bulk, counts
from gonghui.core.crypto import seal_bytes
from gonghui.core.models import AccessReason
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.services import Subject, counter_take, personal_data_log
from gonghui.core.sms import send_sms
from gonghui.core.validators import (
    check_plain_text,
    clean_field,
    clean_text,
    normalize_id_number,
    normalize_mobile,
    raise_errors,
)
from gonghui.core.workdays import WorkCalendar, recount_deadline
from gonghui.members import selectors as member_selectors
from gonghui.members import services as member_services
from gonghui.members.models import Person
from gonghui.organizations.models import (
    Organization,
    OrgKind,
    ServicePlace,
    ServiceTier,
    ServiceType,
)

MATERIAL_MAX_BYTES = 10 * 1024 * 1024
MATERIAL_MAX_FILES = 20
# Extension → (content type, the file's first bytes): the name and the contents must agree.
MATERIAL_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}

TIER_OF_KIND = {
    OrgKind.GRASSROOTS: ServiceTier.POINT,
    OrgKind.TOWN: ServiceTier.STATION,
    OrgKind.SYSTEM: ServiceTier.STATION,
    OrgKind.DISTRICT: ServiceTier.CENTRE,
    OrgKind.CITY: ServiceTier.CENTRE,
}


def tier_of(org: Organization) -> str:
    return str(TIER_OF_KIND[OrgKind(org.kind)])


# --- small helpers ----------------------------------------------------------------------------


def _is_owner(actor: Any, case: Case) -> bool:
    return bool(getattr(actor, "is_worker_account", False)) and actor.person_id == case.person_id


def _may_see(actor: Any, case: Case) -> bool:
    if _is_owner(actor, case):
        return True
    path: str | None = getattr(actor, "scope_path", None)
    if not path:
        return False
    return case.origin.path.startswith(path) or case.handler.path.startswith(path)


def _require_handling(actor: Any, case: Case) -> None:
    """Staff act on a case handled by their organisation or below it; those who only see it
    (the counter that opened it) follow it without acting."""
    if not _may_see(actor, case) or _is_owner(actor, case):
        raise NotFound
    path = actor.scope_path
    if not case.handler.path.startswith(path):
        raise PermissionDenied(
            _("该事项现由%(org)s承办，您可以查看进度，但不能办理。") % {"org": case.handler.name}
        )
    require(actor, Perm.EDIT_RECORDS)


def _lock(case: Case) -> Case:
    """The case row, locked for the rest of the transaction (see the module docstring)."""
    return (
        Case.unscoped.select_for_update()
        .select_related("handler", "origin", "person")
        .get(pk=case.pk)
    )


def _lock_handling(actor: Any, case: Case) -> Case:
    """Check, lock, and check again on the locked row: the case may have moved (the sweep,
    a referral) between the page being loaded and the button being pressed."""
    _require_handling(actor, case)
    locked = _lock(case)
    _require_handling(actor, locked)
    return locked


def _require_state(case: Case, *states: str) -> None:
    if case.state not in states:
        raise ValidationError(
            {
                "state": [
                    _("该事项当前为“%(s)s”，不能执行此操作。") % {"s": case.get_state_display()}
                ]
            }
        )


def _event(case: Case, kind: str, actor: Any = None, *, at: Any = None, **fields: Any) -> None:
    CaseEvent.objects.create(case=case, kind=kind, actor=actor, at=at or timezone.now(), **fields)


def _notify(case: Case, text: str) -> None:
    """The inbox shows every change (it reads the timeline); an SMS goes out after commit."""
    person = case.person
    if person.mobile:
        mobile = person.mobile.reveal()  # machine use: the gateway needs the number
        message = _("您的服务事项%(n)s：%(t)s") % {"n": case.number, "t": text}
        transaction.on_commit(lambda: send_sms(mobile, message))


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
    return _route_from(start, service_type)


def _route_from(start: Organization, service_type: ServiceType) -> Organization:
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


def _upper(org: Organization, service_type: ServiceType) -> Organization | None:
    """The nearest organisation above ``org`` whose tier may handle the type; None when
    nobody above may handle it (the case is at the top for its type)."""
    key = (org.pk, service_type.pk)
    return _uppers({key}, {service_type.pk: service_type})[key]


def _uppers(
    keys: set[tuple[int, int]], types: dict[int, ServiceType]
) -> dict[tuple[int, int], Organization | None]:
    """``_upper`` for every (handler, type), from one read of their ancestors."""
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
            handler = _route_from(actor.organization, service_type)
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
    _event(case, EventKind.OPENED, actor, at=now, to_org=handler, note=Channel(channel).label)
    if channel == Channel.COUNTER:
        _event(case, EventKind.VISIT, actor, at=now, to_org=actor.organization)
    _notify(case, _("已提交，由%(h)s受理。") % {"h": handler.name})
    return case


# --- staff transitions ------------------------------------------------------------------------


@transaction.atomic
def case_accept(*, actor: Any, case: Case, at: datetime.datetime | None = None) -> Case:
    case = _lock_handling(actor, case)
    _require_state(case, CaseState.SUBMITTED)
    now = at or timezone.now()
    case.state = CaseState.ACCEPTED
    case.responded_at = now
    if case.responded_on_time is None:  # the first response is the one measured
        case.responded_on_time = now <= case.response_due
    if case.assignee_id is None:
        case.assignee = actor
    case.updated_at = now
    case.save()
    _event(case, EventKind.ACCEPTED, actor, at=now, to_org=case.handler)
    _notify(case, _("%(h)s已受理。") % {"h": case.handler.name})
    return case


def _check_assignee(case: Case, assignee: Any) -> None:
    if not getattr(assignee, "is_staff_account", False) or not assignee.is_active:
        raise ValidationError({"assignee": [_("经办人必须是在职的工作人员。")]})
    if assignee.organization_id != case.handler_id:
        raise ValidationError(
            {"assignee": [_("经办人必须是承办单位%(h)s的工作人员。") % {"h": case.handler.name}]}
        )


@transaction.atomic
def case_assign(*, actor: Any, cases: Iterable[Case], assignee: Any) -> int:
    """Assign one or many cases (bulk assignment from a queue); all or none."""
    locked: list[Case] = []
    for case in sorted(cases, key=lambda c: c.pk):  # key order: two bulk assigns cannot deadlock
        row = _lock_handling(actor, case)
        if row.state not in OPEN_STATES:
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
        _event(row, EventKind.ASSIGNED, actor, at=now, note=str(assignee), public=False)
    return len(locked)


def _mark_missed(case: Case, now: datetime.datetime) -> None:
    if case.responded_on_time is None and case.responded_at is None and case.response_due < now:
        case.responded_on_time = False
    if case.resolved_on_time is None and case.resolution_due < now:
        case.resolved_on_time = False


def _move(
    actor: Any,
    case: Case,
    to_org: Organization,
    kind: str,
    reason: str,
    now: datetime.datetime,
    calendar: WorkCalendar | None = None,
) -> None:
    """Hand the case to ``to_org``: it waits there for acceptance, with fresh deadlines. A
    deadline already missed is recorded as missed first, so fresh deadlines do not make a
    late case count as on time in the figures."""
    _mark_missed(case, now)
    from_org = case.handler
    case.handler = to_org
    case.tier = tier_of(to_org)
    case.state = CaseState.SUBMITTED
    case.assignee = None
    case.response_due, case.resolution_due = deadlines(case.service_type, now, calendar)
    case.updated_at = now
    if kind != EventKind.REFERRED:
        case.escalations += 1
    case.save()
    _event(case, kind, actor, at=now, from_org=from_org, to_org=to_org, note=reason)


@transaction.atomic
def case_refer(
    *, actor: Any, case: Case, to_org: Organization, reason: str, at: Any = None
) -> Case:
    """Refer the case to another organisation (where the employer is, or a specialised
    centre), with a reason. Any organisation in the city may receive a referral."""
    case = _lock_handling(actor, case)
    _require_state(case, *OPEN_STATES)
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
    _notify(case, _("已转至%(h)s办理。") % {"h": to_org.name})
    return case


@transaction.atomic
def case_escalate(*, actor: Any, case: Case, reason: str, at: Any = None) -> Case:
    case = _lock_handling(actor, case)
    _require_state(case, *OPEN_STATES)
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=300, multiline=True)
    upper = _upper(case.handler, case.service_type)
    if upper is None:
        errors.setdefault("reason", []).append(_("已是最高一级，无法再上报。"))
    raise_errors(errors)
    assert upper is not None  # noqa: S101 (checked above)
    _move(actor, case, upper, EventKind.ESCALATED, reason, at or timezone.now())
    _notify(case, _("已上报%(h)s办理。") % {"h": upper.name})
    return case


@transaction.atomic
def case_resolve(*, actor: Any, case: Case, resolution: str, at: Any = None) -> Case:
    case = _lock_handling(actor, case)
    _require_state(case, CaseState.ACCEPTED)
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
    _event(case, EventKind.RESOLVED, actor, at=now, note=resolution)
    _notify(case, _("已办结，请在“我的申请”中确认并评价。"))
    return case


@transaction.atomic
def case_reject(*, actor: Any, case: Case, reason: str, at: Any = None) -> Case:
    """Outside the union's remit: closed with a reason the worker sees."""
    case = _lock_handling(actor, case)
    _require_state(case, *OPEN_STATES)
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=300, multiline=True)
    raise_errors(errors)
    now = at or timezone.now()
    case.state = CaseState.REJECTED
    case.reject_reason = reason
    case.closed_at = now
    case.updated_at = now
    case.save()
    _event(case, EventKind.REJECTED, actor, at=now, note=reason)
    _notify(case, _("不予受理：%(r)s") % {"r": reason})
    return case


@transaction.atomic
def case_note(*, actor: Any, case: Case, note: str, public: bool = False) -> Case:
    case = _lock_handling(actor, case)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=True, limit=2000, multiline=True)
    raise_errors(errors)
    now = timezone.now()
    case.updated_at = now
    case.save(update_fields=["updated_at"])
    _event(case, EventKind.NOTE, actor, at=now, note=note, public=public)
    return case


@transaction.atomic
def case_visit_record(*, actor: Any, case: Case, note: str = "", at: Any = None) -> Case:
    """The worker came in person: each trip is counted, so "最多跑一次" is measured."""
    if not _may_see(actor, case) or _is_owner(actor, case):
        raise NotFound
    require(actor, Perm.EDIT_RECORDS)
    case = _lock(case)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=False, limit=300, multiline=True)
    raise_errors(errors)
    now = at or timezone.now()
    Case.unscoped.filter(pk=case.pk).update(visits=F("visits") + 1, updated_at=now)
    case.refresh_from_db()
    _event(case, EventKind.VISIT, actor, at=now, to_org=actor.organization, note=note)
    return case


# --- worker transitions -----------------------------------------------------------------------


def _require_owner(actor: Any, case: Case) -> None:
    if not _is_owner(actor, case):
        raise NotFound


@transaction.atomic
def case_withdraw(*, actor: Any, case: Case, reason: str = "") -> Case:
    _require_owner(actor, case)
    case = _lock(case)
    _require_state(case, *OPEN_STATES)
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=False, limit=300, multiline=True)
    raise_errors(errors)
    now = timezone.now()
    case.state = CaseState.WITHDRAWN
    case.closed_at = now
    case.updated_at = now
    case.save()
    _event(case, EventKind.WITHDRAWN, actor, at=now, note=reason)
    return case


@transaction.atomic
def case_confirm(*, actor: Any, case: Case, rating: int, comment: str = "", at: Any = None) -> Case:
    """The worker confirms the result and rates it (1–5); the case closes."""
    _require_owner(actor, case)
    case = _lock(case)
    _require_state(case, CaseState.RESOLVED)
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
    _event(case, EventKind.CONFIRMED, actor, at=now, note=f"{rating}★ {comment}".strip())
    return case


# --- materials --------------------------------------------------------------------------------


def _check_upload(upload: UploadedFile) -> tuple[str, bytes]:
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in MATERIAL_TYPES:
        raise ValidationError({"file": [_("只能上传 PDF、JPG 或 PNG 文件。")]})
    if (upload.size or 0) > MATERIAL_MAX_BYTES:
        raise ValidationError({"file": [_("文件不能超过 10 MB。")]})
    data = upload.read(MATERIAL_MAX_BYTES + 1)
    if len(data) > MATERIAL_MAX_BYTES:
        raise ValidationError({"file": [_("文件不能超过 10 MB。")]})
    content_type, magics = MATERIAL_TYPES[extension]
    if not data.startswith(magics):
        raise ValidationError({"file": [_("文件内容与扩展名不符，请上传真实的 PDF 或图片。")]})
    return content_type, data


@transaction.atomic
def case_material_add(*, actor: Any, case: Case, upload: UploadedFile) -> CaseMaterial:
    """The worker (or staff handling the case) adds a file. Stored sealed (AES-GCM)."""
    if _is_owner(actor, case):
        case = _lock(case)
    else:
        case = _lock_handling(actor, case)
    if case.state in (CaseState.CLOSED, CaseState.REJECTED, CaseState.WITHDRAWN):
        raise ValidationError({"file": [_("该事项已结束，不能再补充材料。")]})
    if case.materials.count() >= MATERIAL_MAX_FILES:
        raise ValidationError(
            {"file": [_("每个事项最多 %(n)s 个文件。") % {"n": MATERIAL_MAX_FILES}]}
        )
    content_type, data = _check_upload(upload)
    name = (upload.name or "file").rsplit("/", 1)[-1][-120:]
    check_plain_text(name)
    digest = hashlib.sha256(data).hexdigest()[:16]
    material = CaseMaterial(
        case=case, name=name, content_type=content_type, size=len(data), uploaded_by=actor
    )
    material.file.save(f"{digest}.sealed", ContentFile(seal_bytes(data, purpose=MATERIAL_PURPOSE)))
    now = timezone.now()
    Case.unscoped.filter(pk=case.pk).update(updated_at=now)
    _event(case, EventKind.MATERIAL, actor, at=now, note=name)
    if not _is_owner(actor, case):
        _notify(case, _("工作人员补充了材料“%(n)s”。") % {"n": name})
    return material


def case_material_log(*, actor: Any, case: Case, material: CaseMaterial, ip: str | None) -> None:
    """Staff open a worker's file in full: the role must allow it, and it is logged."""
    require(actor, Perm.REVEAL_PERSONAL)
    with transaction.atomic():
        personal_data_log(
            actor=actor,
            subjects=[Subject.of(case.person)],
            fields=[f"case_material:{material.pk}"],
            reason=AccessReason.HANDLE_CASE,
            reason_note=f"{case.number} {material.name}",
            ip_address=ip,
        )


# --- the periodic sweep -----------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    escalated: int
    closed: int


SWEEP_CHUNK = 5000


def case_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Escalate every open case past its deadline to the upper tier, and close resolved cases
    the worker has not confirmed within the type's days. Idempotent: an escalated case gets
    fresh deadlines, so a second run (or a concurrent one) finds nothing to do twice. Runs
    from Celery beat in production and the in-process runner on the embedded default.

    The cases are read once, without locks. Each chunk then moves, in one statement, only the
    rows still with the handler and state they were read with and still overdue: a case a
    clerk accepted, referred or resolved meanwhile is left alone (the next sweep sees it again
    if it is still overdue). A row a clerk holds locked is waited for, not skipped; the rows
    are taken in key order, as bulk assignment takes them, so the two cannot deadlock."""
    now = now or timezone.now()
    types = {t.pk: t for t in ServiceType.objects.all()}
    overdue = _overdue_rows(now)
    sweep = _Sweep.plan(overdue, types, now)
    escalated = sum(
        _escalate_chunk(overdue[start : start + SWEEP_CHUNK], sweep)
        for start in range(0, len(overdue), SWEEP_CHUNK)
    )
    closed = _auto_close(types, now)
    if escalated or closed:
        counts.bump("cases")  # set-based updates send no model signals
    return SweepResult(escalated=escalated, closed=closed)


@dataclass(frozen=True)
class _Sweep:
    """What every chunk of one sweep shares: its clock, the upper organisation of each
    (handler, type), and each type's fresh deadlines from now."""

    now: datetime.datetime
    uppers: dict[tuple[int, int], Organization | None]
    due: dict[int, tuple[datetime.datetime, datetime.datetime]]

    @classmethod
    def plan(
        cls, rows: list[tuple[Any, ...]], types: dict[int, ServiceType], now: datetime.datetime
    ) -> _Sweep:
        calendar = calendar_around(now)
        return cls(
            now=now,
            uppers=_uppers({(r[1], r[2]) for r in rows}, types),
            due={t: deadlines(types[t], now, calendar) for t in {r[2] for r in rows}},
        )


def _overdue_rows(now: datetime.datetime) -> list[tuple[Any, ...]]:
    """(id, handler, type, state, late to respond?) of every overdue case, in key order."""
    return list(
        Case.unscoped.filter(overdue_q(now))
        .order_by("pk")
        .values_list("pk", "handler_id", "service_type_id", "state")
        .annotate(late_response=Q(state=CaseState.SUBMITTED, response_due__lt=now))
    )


# One statement moves a whole chunk: the rows still with the handler and state they were read
# with (m.was_*) and still overdue. It records the deadlines already missed (see _move), then
# hands each case to its upper organisation (m.upper_id) or, at the top for its type
# (m.upper_id NULL), restarts its deadlines where it is (d: the fresh deadlines per type). The
# right-hand sides read the row as it was, so the missed deadlines are judged on the old
# deadlines. The ids come sorted: the nested loop over them locks the rows in key order.
_ESCALATE_SQL = """
UPDATE casework_case AS c SET
    responded_on_time = CASE WHEN c.responded_on_time IS NULL AND c.responded_at IS NULL
                              AND c.response_due < %(now)s THEN false
                             ELSE c.responded_on_time END,
    resolved_on_time = CASE WHEN c.resolved_on_time IS NULL AND c.resolution_due < %(now)s
                            THEN false ELSE c.resolved_on_time END,
    handler_id = COALESCE(m.upper_id, c.handler_id),
    tier = COALESCE(m.tier, c.tier),
    state = CASE WHEN m.upper_id IS NULL THEN c.state ELSE 'submitted' END,
    assignee_id = CASE WHEN m.upper_id IS NULL THEN c.assignee_id END,
    escalations = c.escalations + CASE WHEN m.upper_id IS NULL THEN 0 ELSE 1 END,
    response_due = d.response_due,
    resolution_due = d.resolution_due,
    updated_at = %(now)s
FROM unnest(%(ids)s::bigint[], %(handlers)s::bigint[], %(states)s::text[],
            %(uppers)s::bigint[], %(tiers)s::text[])
     AS m(id, was_handler, was_state, upper_id, tier),
     unnest(%(types)s::bigint[], %(response)s::timestamptz[], %(resolution)s::timestamptz[])
     AS d(type_id, response_due, resolution_due)
WHERE c.id = m.id AND c.service_type_id = d.type_id
  AND c.handler_id = m.was_handler AND c.state = m.was_state
  AND ((c.state = 'submitted' AND c.response_due < %(now)s) OR c.resolution_due < %(now)s)
RETURNING c.id
"""
SWEEP_EVENT_COLUMNS = "case_id kind at actor_id from_org_id to_org_id note public".split()


def _escalate_chunk(rows: list[tuple[Any, ...]], sweep: _Sweep) -> int:
    """One transaction per chunk: move the rows still as read with one statement, and write
    the timeline rows of those it moved with COPY. The SMS go out from a task after commit."""
    now = sweep.now
    notes = {True: _("超过响应期限未受理"), False: _("超过办结期限未办结")}
    columns: dict[str, list[Any]] = {
        k: [] for k in ("ids", "handlers", "states", "uppers", "tiers")
    }
    events: dict[int, tuple[Any, ...]] = {}
    for pk, handler_id, type_id, state, late_response in rows:
        upper = sweep.uppers[(handler_id, type_id)]
        columns["ids"].append(pk)
        columns["handlers"].append(handler_id)
        columns["states"].append(state)
        columns["uppers"].append(None if upper is None else upper.pk)
        columns["tiers"].append(None if upper is None else tier_of(upper))
        # At the top for its type the case stays where it is, and only staff see why.
        to_org, public = (handler_id, False) if upper is None else (upper.pk, True)
        note = notes[bool(late_response)]
        events[pk] = (pk, EventKind.AUTO_ESCALATED, now, None, handler_id, to_org, note, public)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            types = sorted(sweep.due)
            with connection.cursor() as cursor:
                _commit_without_waiting(cursor)
                cursor.execute(
                    _ESCALATE_SQL,
                    {
                        "now": now,
                        **columns,
                        "types": types,
                        "response": [sweep.due[t][0] for t in types],
                        "resolution": [sweep.due[t][1] for t in types],
                    },
                )
                done = sorted(pk for (pk,) in cursor.fetchall())
        else:  # the embedded SQLite default: a few cases at a time, row by row is fine
            done = _escalate_rows(columns, sweep)
        bulk.insert_rows(CaseEvent, SWEEP_EVENT_COLUMNS, [events[pk] for pk in done])
        moved = [pk for pk in done if events[pk][5] != events[pk][4]]
        if moved:
            transaction.on_commit(lambda: _notify_escalated_later(moved))
    return len(moved)


def _commit_without_waiting(cursor: Any) -> None:
    """The chunk's commit returns without waiting for its WAL to reach the disk (PostgreSQL's
    walwriter flushes it a moment later). Safe for the sweep alone: it is idempotent, so a
    chunk lost to a server crash in that moment is simply done again by the next sweep (its
    SMS, already queued, would then go out twice). Must run inside the chunk's transaction."""
    cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _escalate_rows(columns: dict[str, list[Any]], sweep: _Sweep) -> list[int]:
    """``_ESCALATE_SQL`` through the ORM, one case at a time; returns the ids it moved."""
    done = []
    for pk, handler_id, state, upper_id, tier in zip(
        *(columns[k] for k in ("ids", "handlers", "states", "uppers", "tiers")), strict=True
    ):
        case = Case.unscoped.select_for_update().get(pk=pk)
        if (case.handler_id, case.state) != (handler_id, state) or not case.is_overdue(sweep.now):
            continue  # changed since it was read
        _mark_missed(case, sweep.now)
        if upper_id is not None:
            case.handler_id, case.tier, case.state = upper_id, tier, CaseState.SUBMITTED
            case.assignee = None
            case.escalations += 1
        case.response_due, case.resolution_due = sweep.due[case.service_type_id]
        case.updated_at = sweep.now
        case.save()
        done.append(pk)
    return done


_AUTO_CLOSE_SQL = """
UPDATE casework_case SET state = 'closed', closed_at = %(now)s, auto_closed = true,
    updated_at = %(now)s
WHERE id = ANY(%(ids)s::bigint[]) AND state = 'resolved'
RETURNING id, service_type_id
"""


def _auto_close(types: dict[int, ServiceType], now: datetime.datetime) -> int:
    """Close the resolved cases the worker has not confirmed within their type's days: read
    once, then closed a chunk at a time if still resolved (the worker may confirm meanwhile)."""
    due = Q(pk__in=[])
    for type_id, service_type in types.items():
        cutoff = now - datetime.timedelta(days=service_type.auto_close_days)
        due |= Q(service_type_id=type_id, resolved_at__lt=cutoff)
    ids = list(
        Case.unscoped.filter(due, state=CaseState.RESOLVED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    closed = 0
    for start in range(0, len(ids), SWEEP_CHUNK):
        chunk = ids[start : start + SWEEP_CHUNK]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    _commit_without_waiting(cursor)
                    cursor.execute(_AUTO_CLOSE_SQL, {"now": now, "ids": chunk})
                    done = cursor.fetchall()
            else:
                done = list(
                    Case.unscoped.select_for_update()
                    .filter(pk__in=chunk, state=CaseState.RESOLVED)
                    .values_list("pk", "service_type_id")
                )
                Case.unscoped.filter(pk__in=[pk for pk, _t in done]).update(
                    state=CaseState.CLOSED, closed_at=now, auto_closed=True, updated_at=now
                )
            notes = {
                t: _("办结后%(d)s天未评价，自动关闭。") % {"d": types[t].auto_close_days}
                for t in {t for _pk, t in done}
            }
            bulk.insert_rows(
                CaseEvent,
                SWEEP_EVENT_COLUMNS,
                [
                    (pk, EventKind.AUTO_CLOSED, now, None, None, None, notes[t], True)
                    for pk, t in done
                ],
            )
            closed += len(done)
    return closed


def _notify_escalated_later(case_ids: list[int]) -> None:
    from gonghui.casework.tasks import case_escalated_notify_task  # tasks import services

    case_escalated_notify_task.delay(case_ids)


def case_escalated_notify(*, case_ids: list[int]) -> None:
    """The SMS for cases the sweep moved (run by a task, outside the sweep)."""
    cases = Case.unscoped.filter(pk__in=case_ids).select_related("person", "handler")
    for case in cases:
        _notify(case, _("已超期，自动转%(h)s督办。") % {"h": case.handler.name})


# --- deadlines after a change of the working-day calendar -------------------------------------


def deadlines_start_q() -> Subquery:
    """Per case (``OuterRef("pk")``): the instant its current deadlines count from, the
    latest of its ``DEADLINE_START_KINDS`` events (NULL for a case without one, which the
    services never leave)."""
    return Subquery(
        CaseEvent.objects.filter(case_id=OuterRef("pk"), kind__in=DEADLINE_START_KINDS)
        .order_by("-at", "-id")
        .values("at")[:1]
    )


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


@transaction.atomic
def case_deadlines_recount(*, actor: Any, previous: dict[datetime.date, bool | None]) -> int:
    """Count the running deadlines of open cases again after the working-day calendar changed
    on the days of ``previous`` (each mapped to what it was: see ``core.workdays``
    ``calendar_changed``, whose receiver this is, inside the change's transaction). A case is
    counted again when the span from its deadlines' start to its last running deadline holds a
    changed day; the amount of working time stays what it was on the old calendar. Each case
    whose deadline moved gets a timeline entry the worker sees. Returns how many moved.

    Running deadlines: the response deadline while the case waits for acceptance, the
    resolution deadline while it is open. A deadline already judged (a response given) stays
    as it was, and so do the on-time flags the figures read."""
    if not previous:
        return 0
    first, last = min(previous), max(previous)
    candidates = list(
        Case.unscoped.filter(
            Q(state=CaseState.SUBMITTED, response_due__gte=_day_start(first))
            | Q(state__in=OPEN_STATES, resolution_due__gte=_day_start(first))
        )
        .annotate(deadlines_from=Coalesce(deadlines_start_q(), "created_at"))
        .filter(deadlines_from__lt=_day_start(last + datetime.timedelta(days=1)))
        .order_by("pk")
        # Key order, as the sweep and bulk assignment take rows, so none of them deadlock; a
        # clerk's transition meanwhile waits, then sees the new deadlines.
        .select_for_update(of=("self",))
    )
    if not candidates:
        return 0
    types = {
        t.pk: t for t in ServiceType.objects.filter(pk__in={c.service_type_id for c in candidates})
    }
    zone = timezone.get_default_timezone()
    span_first = min(timezone.localtime(c.deadlines_from, zone).date() for c in candidates)
    span_last = max(
        timezone.localtime(max(c.response_due, c.resolution_due), zone).date() for c in candidates
    )
    after = WorkCalendar(span_first, span_last + datetime.timedelta(days=60))
    before = WorkCalendar(span_first, span_last + datetime.timedelta(days=60), overrides=previous)
    years = "、".join(str(y) for y in sorted({day.year for day in previous}))
    now = timezone.now()
    moved: list[Case] = []
    events: list[CaseEvent] = []
    for case in candidates:
        start = case.deadlines_from
        service_type = types[case.service_type_id]
        changes = []
        running = [("resolution_due", service_type.resolution_unit, _("办结期限"))]
        if case.state == CaseState.SUBMITTED:
            running.insert(0, ("response_due", service_type.response_unit, _("响应期限")))
        for field, unit, label in running:
            due = getattr(case, field)
            if due < start:
                continue  # not counted from this start: nothing to count again
            fresh = recount_deadline(before=before, after=after, start=start, due=due, unit=unit)
            if fresh != due:
                setattr(case, field, fresh)
                changes.append(
                    _("%(what)s由 %(old)s 改为 %(new)s")
                    % {
                        "what": label,
                        "old": f"{timezone.localtime(due, zone):%Y-%m-%d %H:%M}",
                        "new": f"{timezone.localtime(fresh, zone):%Y-%m-%d %H:%M}",
                    }
                )
        if not changes:
            continue
        case.updated_at = now
        moved.append(case)
        note = _("工作日历已更新（%(years)s 年放假和调休安排），期限重新计算：%(changes)s。") % {
            "years": years,
            "changes": "；".join(changes),
        }
        events.append(
            CaseEvent(case=case, kind=EventKind.DEADLINES_RECOUNTED, actor=actor, at=now, note=note)
        )
    Case.unscoped.bulk_update(
        moved, ["response_due", "resolution_due", "updated_at"], batch_size=2000
    )
    CaseEvent.objects.bulk_create(events, batch_size=2000)
    if moved:
        transaction.on_commit(lambda: counts.bump("cases"))  # bulk writes send no signals
    return len(moved)


# --- mediation --------------------------------------------------------------------------------


def _special(case: Case, code: str) -> None:
    if case.service_type.code != code:
        raise ValidationError({"case": [_("该事项不是“%(t)s”类事项。") % {"t": code}]})


@transaction.atomic
def mediation_open(
    *, actor: Any, case: Case, applicant: str, respondent: str, claims: str, mediator: str
) -> Mediation:
    _special(case, "mediation")
    case = _lock_handling(actor, case)  # two submits cannot both create the record
    errors: dict[str, list[str]] = {}
    applicant = clean_text(applicant, "applicant", errors, required=True, limit=100)
    respondent = clean_text(respondent, "respondent", errors, required=True, limit=100)
    claims = clean_text(claims, "claims", errors, required=True, limit=2000, multiline=True)
    mediator = clean_text(mediator, "mediator", errors, required=True, limit=50)
    if Mediation.objects.filter(case=case).exists():
        errors.setdefault("case", []).append(_("该事项已建立调解记录。"))
    raise_errors(errors)
    return Mediation.objects.create(
        case=case, applicant=applicant, respondent=respondent, claims=claims, mediator=mediator
    )


@transaction.atomic
def mediation_session_add(
    *,
    actor: Any,
    mediation: Mediation,
    held_on: datetime.date,
    place: str,
    attendees: str,
    summary: str,
) -> MediationSession:
    _require_handling(actor, mediation.case)
    errors: dict[str, list[str]] = {}
    place = clean_text(place, "place", errors, required=True, limit=100)
    attendees = clean_text(attendees, "attendees", errors, required=True, limit=200)
    summary = clean_text(summary, "summary", errors, required=True, limit=2000, multiline=True)
    if mediation.outcome != MediationOutcome.PENDING:
        errors.setdefault("held_on", []).append(_("调解已结案，不能再登记调解。"))
    if held_on > timezone.localdate():
        errors.setdefault("held_on", []).append(_("调解日期不能晚于今天。"))
    raise_errors(errors)
    return MediationSession.objects.create(
        mediation=mediation, held_on=held_on, place=place, attendees=attendees, summary=summary
    )


@transaction.atomic
def mediation_conclude(
    *, actor: Any, mediation: Mediation, outcome: str, agreement: str = ""
) -> Mediation:
    _require_handling(actor, mediation.case)
    mediation = Mediation.objects.select_for_update().get(pk=mediation.pk)
    errors: dict[str, list[str]] = {}
    agreement = clean_text(
        agreement, "agreement", errors, required=outcome == "agreed", limit=4000, multiline=True
    )
    if mediation.outcome != MediationOutcome.PENDING:
        errors.setdefault("outcome", []).append(_("调解已结案。"))
    if outcome not in MediationOutcome.values or outcome == MediationOutcome.PENDING:
        errors.setdefault("outcome", []).append(_("请选择调解结果。"))
    if not mediation.sessions.exists():
        errors.setdefault("outcome", []).append(_("请先登记至少一次调解。"))
    raise_errors(errors)
    mediation.outcome = outcome
    mediation.agreement = agreement
    mediation.concluded_on = timezone.localdate()
    mediation.save()
    return mediation


# --- legal aid --------------------------------------------------------------------------------


@transaction.atomic
def lawyer_save(
    *,
    actor: Any,
    lawyer: Lawyer | None,
    organization: Organization,
    name: str,
    firm: str,
    licence_number: str,
    phone: str,
    specialties: str = "",
    is_active: bool = True,
) -> Lawyer:
    require_within(actor, organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required=True, limit=50)
    firm = clean_text(firm, "firm", errors, required=True, limit=100)
    phone = clean_text(phone, "phone", errors, required=True, limit=30)
    specialties = clean_text(specialties, "specialties", errors, required=False, limit=200)
    licence_number = (licence_number or "").strip()
    if len(licence_number) != 17 or not licence_number.isascii() or not licence_number.isdigit():
        errors.setdefault("licence_number", []).append(_("律师执业证号为 17 位数字。"))
    elif (
        Lawyer.unscoped.filter(licence_number=licence_number)
        .exclude(pk=lawyer.pk if lawyer is not None else 0)
        .exists()
    ):
        errors.setdefault("licence_number", []).append(_("该执业证号已在名册中。"))
    raise_errors(errors)
    lawyer = lawyer or Lawyer(organization=organization)
    lawyer.organization = organization
    lawyer.name, lawyer.firm, lawyer.licence_number = name, firm, licence_number
    lawyer.phone, lawyer.specialties, lawyer.is_active = phone, specialties, is_active
    lawyer.save()
    return lawyer


@transaction.atomic
def legal_aid_assign(*, actor: Any, case: Case, lawyer: Lawyer) -> LegalAid:
    _special(case, "legal_aid")
    case = _lock_handling(actor, case)
    _require_state(case, CaseState.ACCEPTED)
    if not lawyer.is_active or not case.handler.path.startswith(lawyer.organization.path):
        raise ValidationError({"lawyer": [_("请从承办单位或其上级的律师名册中选择在册律师。")]})
    aid = LegalAid.objects.filter(case=case).first()
    if aid is not None and aid.outcome != LegalAidOutcome.PENDING:
        raise ValidationError({"lawyer": [_("援助已有结果，不能更换律师。")]})
    aid = aid or LegalAid(case=case, assigned_by=actor, lawyer=lawyer)
    aid.lawyer, aid.assigned_by, aid.assigned_at = lawyer, actor, timezone.now()
    aid.save()
    _event(case, EventKind.NOTE, actor, note=_("指派援助律师：%(l)s") % {"l": lawyer})
    _notify(case, _("已为您指派援助律师%(l)s。") % {"l": lawyer})
    return aid


@transaction.atomic
def legal_aid_record_outcome(
    *,
    actor: Any,
    case: Case,
    outcome: str,
    note: str = "",
    recovered_amount: Decimal | None = None,
) -> LegalAid:
    case = _lock_handling(actor, case)
    aid = LegalAid.objects.select_for_update().filter(case=case).first()
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "outcome_note", errors, required=False, limit=2000, multiline=True)
    if aid is None:
        errors.setdefault("outcome", []).append(_("请先指派援助律师。"))
    if outcome not in LegalAidOutcome.values or outcome == LegalAidOutcome.PENDING:
        errors.setdefault("outcome", []).append(_("请选择援助结果。"))
    if recovered_amount is not None and not 0 <= recovered_amount < Decimal("10000000000"):
        errors.setdefault("recovered_amount", []).append(_("金额应在 0 到 100 亿元之间。"))
    raise_errors(errors)
    assert aid is not None  # noqa: S101 (checked above)
    aid.outcome, aid.outcome_note = outcome, note
    aid.recovered_amount = (
        recovered_amount.quantize(Decimal("0.01")) if recovered_amount is not None else None
    )
    aid.save()
    return aid


# --- counselling ------------------------------------------------------------------------------


@transaction.atomic
def counsellor_register(
    *, actor: Any, user: Any, name: str, qualification: str, introduction: str = ""
) -> Counsellor:
    if not getattr(user, "is_staff_account", False):
        raise ValidationError({"user": [_("心理咨询师须有工作人员账号。")]})
    require_within(actor, user.organization, Perm.MANAGE_STAFF)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required=True, limit=50)
    qualification = clean_text(qualification, "qualification", errors, required=True, limit=100)
    introduction = clean_text(
        introduction, "introduction", errors, required=False, limit=300, multiline=True
    )
    if Counsellor.unscoped.filter(user=user).exists():
        errors.setdefault("user", []).append(_("该账号已登记为心理咨询师。"))
    raise_errors(errors)
    return Counsellor.objects.create(
        user=user,
        organization=user.organization,
        name=name,
        qualification=qualification,
        introduction=introduction,
    )


def _counsellor_of(actor: Any) -> Counsellor:
    counsellor = Counsellor.unscoped.filter(user_id=getattr(actor, "pk", 0) or 0, is_active=True)
    found = counsellor.first()
    if found is None:
        raise PermissionDenied(_("仅心理咨询师本人可以操作。"))
    return found


@transaction.atomic
def slot_publish(
    *, actor: Any, starts_at: datetime.datetime, minutes: int, place: str
) -> CounsellingSlot:
    counsellor = _counsellor_of(actor)
    errors: dict[str, list[str]] = {}
    place = clean_text(place, "place", errors, required=True, limit=100)
    if starts_at <= timezone.now():
        errors.setdefault("starts_at", []).append(_("开始时间须晚于现在。"))
    if starts_at > timezone.now() + datetime.timedelta(days=366):
        errors.setdefault("starts_at", []).append(_("只能发布一年以内的时段。"))
    if not 15 <= minutes <= 180:
        errors.setdefault("minutes", []).append(_("每次咨询时长为 15 到 180 分钟。"))
    ends_at = starts_at + datetime.timedelta(minutes=minutes)
    clash = CounsellingSlot.objects.filter(
        counsellor=counsellor, cancelled=False, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if clash.exists():
        errors.setdefault("starts_at", []).append(_("与已发布的时段重叠。"))
    raise_errors(errors)
    return CounsellingSlot.objects.create(
        counsellor=counsellor, starts_at=starts_at, ends_at=ends_at, place=place
    )


@transaction.atomic
def slot_book(
    *, actor: Any, slot: CounsellingSlot, topic: str, idempotency_key: str = ""
) -> CounsellingSlot:
    """A worker books a free slot; a counselling case is opened with it, so the booking is
    followed in the inbox like any request. One conditional UPDATE takes the slot: two
    workers pressing at once cannot both get it."""
    if not getattr(actor, "is_worker_account", False) or actor.person_id is None:
        raise PermissionDenied(_("仅限职工本人预约。"))
    errors: dict[str, list[str]] = {}
    topic = clean_text(topic, "topic", errors, required=True, limit=100)
    if slot.starts_at <= timezone.now():
        errors.setdefault("slot", []).append(_("该时段已过，请选择其他时段。"))
    raise_errors(errors)
    taken = CounsellingSlot.objects.filter(pk=slot.pk, person__isnull=True, cancelled=False).update(
        person_id=actor.person_id, booked_at=timezone.now()
    )
    if not taken:
        raise ValidationError({"slot": [_("该时段已被预约，请选择其他时段。")]})
    counselling = ServiceType.objects.get(code="counselling")
    counsellor = slot.counsellor
    case = case_open(
        actor=actor,
        person=actor.person,
        service_type=counselling,
        title=_("心理咨询预约"),
        description=_("预约%(c)s %(at)s，地点：%(p)s。咨询方面：%(t)s")
        % {
            "t": topic,
            "c": counsellor.name,
            "at": timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M"),
            "p": slot.place,
        },
        # One key per slot: a form reused for another slot is a new booking.
        idempotency_key=f"slot{slot.pk}:{idempotency_key}" if idempotency_key else "",
        # The counsellor's organisation handles it, whatever the nearest tier would be, and
        # a worker who is not a member may book too.
        handler=counsellor.organization,
    )
    CounsellingSlot.objects.filter(pk=slot.pk).update(case=case)
    slot.refresh_from_db()
    return slot


@transaction.atomic
def slot_cancel(*, actor: Any, slot: CounsellingSlot) -> CounsellingSlot:
    if not getattr(actor, "is_worker_account", False) or slot.person_id != actor.person_id:
        raise NotFound
    if slot.starts_at <= timezone.now():
        raise ValidationError({"slot": [_("咨询已开始，不能取消。")]})
    case = slot.case
    # Conditional on the booking still being this worker's: a page opened before an earlier
    # cancel must not clear the next worker's booking.
    same_booking = Q(case_id=slot.case_id) if slot.case_id else Q(case__isnull=True)
    released = CounsellingSlot.objects.filter(
        same_booking, pk=slot.pk, person_id=actor.person_id
    ).update(person=None, booked_at=None, case=None)
    if not released:
        raise ValidationError({"slot": [_("该预约已取消。")]})
    if case is not None and case.state in OPEN_STATES:
        case_withdraw(actor=actor, case=case, reason=_("取消预约"))
    slot.refresh_from_db()
    return slot


@transaction.atomic
def counselling_note_write(*, actor: Any, slot: CounsellingSlot, text: str) -> CounsellingNote:
    """Only the slot's own counsellor writes (and reads) its notes."""
    counsellor = _counsellor_of(actor)
    if slot.counsellor_id != counsellor.pk:
        raise NotFound
    errors: dict[str, list[str]] = {}
    text = clean_text(text, "text", errors, required=True, limit=4000, multiline=True)
    if slot.person_id is None:
        errors.setdefault("text", []).append(_("该时段无人预约，不能记录。"))
    raise_errors(errors)
    return CounsellingNote.objects.create(slot=slot, author=actor, text=text)
