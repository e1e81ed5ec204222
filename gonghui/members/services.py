"""Writes to people and memberships (ORG-4). Each public service is one transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import decisions, notify
from gonghui.core.crypto import blind_index
from gonghui.core.locks import LockSpace, lock_one
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.services import counter_values
from gonghui.core.validators import (
    clean_text,
    digits,
    id_number_birth_date,
    id_number_sex,
    normalize_id_number,
    normalize_mobile,
)
from gonghui.members import notifications
from gonghui.members.models import (
    ID_NUMBER_PURPOSE,
    MOBILE_PURPOSE,
    Education,
    Household,
    JoinApplication,
    LeaveReason,
    Membership,
    MembershipStatus,
    Person,
    RequestStatus,
    TransferInitiator,
    TransferRequest,
)
from gonghui.organizations.models import Enterprise, Organization, OrgKind

MIN_MEMBER_AGE = 16  # the minimum working age under the Labour Law
HOUSEHOLDS = frozenset(Household.values)
EDUCATIONS = frozenset(Education.values)


def id_number_hash(number: str) -> str:
    return blind_index(number, purpose=ID_NUMBER_PURPOSE)


def mobile_hash(number: str) -> str:
    return blind_index(number, purpose=MOBILE_PURPOSE)


def _errors(**by_field: list[str]) -> None:
    found = {k: v for k, v in by_field.items() if v}
    if found:
        raise ValidationError(found)


def _require_current_union(actor: Any, person: Person) -> None:
    """Only the person's current union (or a level above it) may correct their details; a
    union the person has left keeps its history but not the pen. ``NotFound`` otherwise."""
    path = getattr(actor, "scope_path", None) or "\0"
    current = (
        Membership.unscoped.filter(
            person=person, status=MembershipStatus.ACTIVE, union__path__startswith=path
        ).exists()
        or JoinApplication.unscoped.filter(
            person=person, status=RequestStatus.PENDING, union__path__startswith=path
        ).exists()
    )
    if not current:
        raise NotFound


def _is_worker(actor: Any, person: Person) -> bool:
    return bool(getattr(actor, "is_worker_account", False)) and actor.person_id == person.pk


# --- people -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonInput:
    """A person as typed on a form, an API call or a spreadsheet row, before validation."""

    name: str
    id_number: str
    mobile: str = ""
    household: str = ""
    education: str = ""


@dataclass(frozen=True)
class CleanPerson:
    name: str
    id_number: str
    id_hash: str
    mobile: str
    mobile_hash: str | None
    birth_date: datetime.date
    sex: str
    household: str
    education: str


def person_clean(data: PersonInput, *, today: datetime.date | None = None) -> CleanPerson:
    """Validate and normalise one person; ``ValidationError`` names each bad field."""
    errors: dict[str, list[str]] = {}
    name = clean_text(data.name, "name", errors, required=False)
    if not name:
        errors.setdefault("name", []).append(_("请填写姓名。"))
    elif len(name) > 50:
        errors.setdefault("name", []).append(_("姓名不能超过 50 个字。"))
    id_number = ""
    try:
        id_number = normalize_id_number(data.id_number, on=today)
    except ValidationError as exc:
        errors.setdefault("id_number", []).extend(exc.messages)
    mobile = ""
    if (data.mobile or "").strip():
        try:
            mobile = normalize_mobile(data.mobile)
        except ValidationError as exc:
            errors.setdefault("mobile", []).extend(exc.messages)
    if data.household and data.household not in HOUSEHOLDS:
        errors.setdefault("household", []).append(_("户籍类型只能是“城镇户籍”或“农村户籍”。"))
    if data.education and data.education not in EDUCATIONS:
        errors.setdefault("education", []).append(_("学历填写不正确。"))
    if errors:
        raise ValidationError(errors)
    return CleanPerson(
        name=name,
        id_number=id_number,
        id_hash=id_number_hash(id_number),
        mobile=mobile,
        mobile_hash=mobile_hash(mobile) if mobile else None,
        birth_date=id_number_birth_date(id_number),
        sex=id_number_sex(id_number),
        household=data.household,
        education=data.education,
    )


def _check_person_unique(clean: CleanPerson, *, exclude_pk: int | None = None) -> None:
    others = Person.unscoped.exclude(pk=exclude_pk or 0)
    if others.filter(id_number_hash=clean.id_hash).exists():
        raise ValidationError(
            {"id_number": [_("该身份证号已登记，请按身份证号查找此人，不要重复登记。")]}
        )
    if clean.mobile_hash and others.filter(mobile_hash=clean.mobile_hash).exists():
        raise ValidationError({"mobile": [_("该手机号已被其他职工登记使用。")]})


def person_find(*, id_number: str) -> Person | None:
    """The person with this ID number anywhere in the city, through the keyed hash. For
    services only: a screen must go through ``selectors.membership_lookup``."""
    return Person.unscoped.filter(id_number_hash=id_number_hash(id_number)).first()


@transaction.atomic
def person_register(*, actor: Any, data: PersonInput, employer: Enterprise | None = None) -> Person:
    """Record a new person. Staff register people for their subtree; a worker registers
    themself once, on first sign-in (``actor`` is then the new worker account)."""
    clean = person_clean(data)
    _check_person_unique(clean)
    person = Person(
        name=clean.name,
        id_number=clean.id_number,
        id_number_hash=clean.id_hash,
        mobile=clean.mobile or None,
        mobile_hash=clean.mobile_hash,
        birth_date=clean.birth_date,
        sex=clean.sex,
        household=clean.household,
        education=clean.education,
        employer=employer,
    )
    person._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Two registrations of one ID number raced past the check: the unique index won.
        raise ValidationError({"id_number": [_("该身份证号已登记。")]}) from None
    return person


@transaction.atomic
def person_update(*, actor: Any, person: Person, data: PersonInput, employer: Any = ...) -> Person:
    """Correct a person's details. Staff need the edit role; a worker may change their own
    mobile, household and education but not their name or ID number."""
    worker = _is_worker(actor, person)
    if not worker:
        _require_current_union(actor, person)
        require(actor, Perm.EDIT_RECORDS)
    clean = person_clean(data)
    if worker and (clean.id_hash != person.id_number_hash or clean.name != person.name):
        raise ValidationError({"name": [_("姓名和身份证号如需更正，请联系所在工会。")]})
    _check_person_unique(clean, exclude_pk=person.pk)
    person.name = clean.name
    person.id_number = clean.id_number
    person.id_number_hash = clean.id_hash
    person.birth_date, person.sex = clean.birth_date, clean.sex
    person.mobile = clean.mobile or None
    person.mobile_hash = clean.mobile_hash
    person.household, person.education = clean.household, clean.education
    if employer is not ...:
        person.employer = employer
    person._history_user = actor  # type: ignore[attr-defined]
    person.save()
    return person


# --- memberships ------------------------------------------------------------------------------


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


@lru_cache(maxsize=64)
def _card_prefix(root_id: int) -> str:
    code = Organization.unscoped.filter(pk=root_id).values_list("code", flat=True).first() or ""
    letters = "".join(ch for ch in code.upper() if "A" <= ch <= "Z")[:4]
    return letters or "GH"


def card_numbers(*, path: str, count: int) -> list[str]:
    """Allocate ``count`` member card numbers for unions under the root of ``path``: the
    city's letters, nine digits and a Luhn check digit (``JX0000012344``), so a mistyped
    number is caught at the counter."""
    prefix = _card_prefix(int(path.strip("/").split("/")[0]))
    numbers = counter_values(name="member_card", count=count)
    return [f"{prefix}{n:09d}{luhn_digit(f'{n:09d}')}" for n in numbers]


def card_number_valid(number: str) -> bool:
    body = number[-10:-1]
    return len(number) >= 10 and digits(body) and luhn_digit(body) == number[-1]


def membership_problems(
    *,
    birth_date: datetime.date,
    union: Organization,
    joined_on: datetime.date,
    today: datetime.date | None = None,
) -> dict[str, str]:
    """The rules a new membership must meet, by field; shared by forms, API and importers."""
    problems: dict[str, str] = {}
    if union.kind != OrgKind.GRASSROOTS or not union.is_active:
        problems["union"] = _("会员只能加入在册的基层工会。")
    years = (
        joined_on.year
        - birth_date.year
        - ((joined_on.month, joined_on.day) < (birth_date.month, birth_date.day))
    )
    if years < MIN_MEMBER_AGE:
        problems["id_number"] = _("入会时未满 %(age)s 周岁，不能入会。") % {"age": MIN_MEMBER_AGE}
    if joined_on > (today or timezone.localdate()):
        problems["joined_on"] = _("入会日期不能晚于今天。")
    return problems


def active_membership_problem(
    held_union_id: int, held_union_name: str, union: Organization, *, name_it: bool
) -> str:
    """Why a person who is already an active member cannot join ``union``. The union that
    holds the membership is named only to someone allowed to see it (``name_it``)."""
    if held_union_id == union.pk:
        return _("此人已是本工会会员。")
    if name_it:
        return _("此人已是“%(union)s”的会员，请办理会员转接。") % {"union": held_union_name}
    return _("此人已是其他工会的会员，请由本人申请会员转接，或由其所在工会发起转接。")


def _may_see(actor: Any, org: Organization, person: Person) -> bool:
    if _is_worker(actor, person):
        return True
    path: str | None = getattr(actor, "scope_path", None)
    return path is not None and org.path.startswith(path)


def _check_joinable(
    person: Person, union: Organization, joined_on: datetime.date, *, actor: Any
) -> None:
    problems = membership_problems(birth_date=person.birth_date, union=union, joined_on=joined_on)
    if problems:
        raise ValidationError({k: [v] for k, v in problems.items()})
    active = (
        Membership.unscoped.filter(person=person, status=MembershipStatus.ACTIVE)
        .select_related("union")
        .first()
    )
    if active is not None:
        problem = active_membership_problem(
            active.union_id, active.union.name, union, name_it=_may_see(actor, active.union, person)
        )
        raise ValidationError({"id_number": [problem]})


def _membership_create(
    *,
    actor: Any,
    person: Person,
    union: Organization,
    joined_on: datetime.date,
    card_number: str | None = None,
    previous: Membership | None = None,
    reason: str = "",
) -> Membership:
    membership = Membership(
        person=person,
        union=union,
        joined_on=joined_on,
        card_number=card_number or card_numbers(path=union.path, count=1)[0],
        previous=previous,
    )
    membership._history_user = actor  # type: ignore[attr-defined]
    membership._change_reason = reason  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        # A concurrent join or transfer made the person active first.
        raise ValidationError({"id_number": [_("此人已有在册会籍。")]}) from None
    return membership


@transaction.atomic
def member_add(
    *,
    actor: Any,
    union: Organization,
    data: PersonInput,
    joined_on: datetime.date,
    employer: Enterprise | None = None,
) -> Membership:
    """Staff enrol a worker directly (at a counter, from paper forms): the person is found by
    ID number or registered, then becomes a member of ``union``."""
    require_within(actor, union, Perm.EDIT_RECORDS)
    clean = person_clean(data)
    person = Person.unscoped.filter(id_number_hash=clean.id_hash).first()
    if person is None:
        person = person_register(actor=actor, data=data, employer=employer)
    elif person.name != clean.name:
        raise ValidationError({"name": [_("该身份证号已登记的姓名与填写的不一致，请核对。")]})
    _check_joinable(person, union, joined_on, actor=actor)
    return _membership_create(
        actor=actor, person=person, union=union, joined_on=joined_on, reason=_("工会直接登记")
    )


@transaction.atomic
def membership_end(
    *,
    actor: Any,
    membership: Membership,
    reason: str,
    ended_on: datetime.date,
    note: str = "",
) -> Membership:
    """Leaving the union (退会): the membership is closed, never deleted."""
    require_within(actor, membership.union, Perm.DECIDE_MEMBERSHIP)
    # Lock first, then check the locked row: a transfer accepted meanwhile (which takes the
    # same lock) is seen here as "transferred", not overwritten with "left".
    membership = lock_one(LockSpace.MEMBERSHIP, Membership, membership.pk)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=False, limit=200, multiline=True)
    if reason not in LeaveReason.values:
        errors.setdefault("reason", []).append(_("请选择退会原因。"))
    if not membership.is_active:
        errors.setdefault("reason", []).append(_("该会籍已终止。"))
    if ended_on < membership.joined_on or ended_on > timezone.localdate():
        errors.setdefault("ended_on", []).append(_("退会日期应在入会日期和今天之间。"))
    if TransferRequest.unscoped.filter(
        membership=membership, status=RequestStatus.PENDING
    ).exists():
        errors.setdefault("reason", []).append(_("该会员有待处理的转接申请，请先处理。"))
    _errors(**errors)
    membership.status = MembershipStatus.LEFT
    membership.ended_on, membership.end_reason, membership.end_note = ended_on, reason, note
    membership._history_user = actor  # type: ignore[attr-defined]
    membership.save()
    return membership


# --- joining ----------------------------------------------------------------------------------


@transaction.atomic
def join_apply(
    *,
    actor: Any,
    person: Person,
    union: Organization,
    employer_name: str,
    note: str = "",
) -> JoinApplication:
    """入会申请: a worker applies for themself, or staff file it on the worker's behalf."""
    if not _is_worker(actor, person):
        require_within(actor, union, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    employer_name = clean_text(employer_name, "employer_name", errors, required=False, limit=100)
    note = clean_text(note, "note", errors, required=False, limit=300, multiline=True)
    if not employer_name:
        errors.setdefault("employer_name", []).append(_("请填写工作单位。"))
    _errors(**errors)
    _check_joinable(person, union, timezone.localdate(), actor=actor)
    if JoinApplication.unscoped.filter(person=person, status=RequestStatus.PENDING).exists():
        raise ValidationError({"union": [_("您已有一份待审批的入会申请，请等待审批结果。")]})
    application = JoinApplication(
        person=person, union=union, employer_name=employer_name, note=note, created_by=actor
    )
    application._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise ValidationError({"union": [_("已有一份待审批的入会申请。")]}) from None
    return application


def _notify(person: Person, text: str, link: str) -> None:
    """The worker hears of a decision on their request (in the app, and by SMS after commit)."""
    notify.notify(person_id=person.pk, kind=notifications.DECISION, text=text, link=link)


def _join_apply(actor: Any, application: JoinApplication, note: str) -> None:
    _check_joinable(application.person, application.union, timezone.localdate(), actor=actor)
    application.membership = _membership_create(
        actor=actor,
        person=application.person,
        union=application.union,
        joined_on=timezone.localdate(),
        reason=_("入会申请批准"),
    )
    _notify(
        application.person,
        _("您的入会申请已批准，欢迎加入%(u)s。") % {"u": application.union},
        reverse("portal:join_detail", args=[application.pk]),
    )


def _join_refuse(actor: Any, application: JoinApplication, note: str) -> None:
    _notify(
        application.person,
        _("您的入会申请未获同意：%(n)s") % {"n": note},
        reverse("portal:join_detail", args=[application.pk]),
    )


def _join_snapshot(application: JoinApplication) -> dict[str, Any]:
    return {
        "person": {"id": application.person_id, "name": application.person.name},
        "union": {"id": application.union_id, "name": application.union.name},
        "employer_name": application.employer_name,
        "note": application.note,
        "applied_at": application.created_at,
    }


# Decided by the union applied to (or staff above it); the worker, or the clerk who filed
# the application on their behalf, is the maker.
JOIN_FLOW = decisions.register(
    decisions.Flow(
        name="members.join",
        steps=(
            decisions.Step(
                name="union",
                label=gettext_lazy("基层工会审批"),
                organization=lambda application: application.union,
                perm=Perm.DECIDE_MEMBERSHIP,
            ),
        ),
        maker=lambda application: application.created_by_id,
        lock_space=LockSpace.JOIN_APPLICATION,
        status_field="status",
        pending=RequestStatus.PENDING,
        approved=RequestStatus.APPROVED,
        refused=RequestStatus.REFUSED,
        closed_message=lambda application: _("该申请已处理，不能重复审批。"),
        reason_message=lambda: _("不同意时请填写原因，申请人会看到。"),
        snapshot=_join_snapshot,
        apply=_join_apply,
        refuse=_join_refuse,
    )
)


def join_decide(
    *, actor: Any, application: JoinApplication, approve: bool, note: str = ""
) -> JoinApplication:
    """The union approves (the worker becomes a member) or refuses (with a reason the worker
    sees). One transaction (``decisions.decide``)."""
    result: JoinApplication = decisions.decide(
        actor=actor, flow=JOIN_FLOW, request=application, approve=approve, reason=note
    )
    return result


@transaction.atomic
def join_withdraw(*, actor: Any, application: JoinApplication) -> JoinApplication:
    if not _is_worker(actor, application.person):
        raise NotFound
    application = lock_one(LockSpace.JOIN_APPLICATION, JoinApplication, application.pk)
    if application.status != RequestStatus.PENDING:
        raise ValidationError({"status": [_("该申请已处理，不能撤回。")]})
    application.status = RequestStatus.WITHDRAWN
    application._history_user = actor  # type: ignore[attr-defined]
    application.save()
    return application


# --- transfers --------------------------------------------------------------------------------


@transaction.atomic
def transfer_request(
    *, actor: Any, membership: Membership, to_union: Organization, reason: str
) -> TransferRequest:
    """会员转接: requested by the worker, or by the old union on the worker's behalf."""
    if _is_worker(actor, membership.person):
        initiator = TransferInitiator.WORKER
    else:
        require_within(actor, membership.union, Perm.DECIDE_MEMBERSHIP)
        initiator = TransferInitiator.OLD_UNION
    # The membership's state is read under its lock (see membership_end).
    membership = lock_one(LockSpace.MEMBERSHIP, Membership, membership.pk)
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=False, limit=300, multiline=True)
    if not reason:
        errors.setdefault("reason", []).append(_("请填写转接原因，例如“工作调动到新单位”。"))
    if not membership.is_active:
        errors.setdefault("to_union", []).append(_("只有在册会籍才能转接。"))
    if to_union.kind != OrgKind.GRASSROOTS or not to_union.is_active:
        errors.setdefault("to_union", []).append(_("只能转入在册的基层工会。"))
    elif to_union.pk == membership.union_id:
        errors.setdefault("to_union", []).append(_("转入工会与当前工会相同。"))
    if TransferRequest.unscoped.filter(
        membership=membership, status=RequestStatus.PENDING
    ).exists():
        errors.setdefault("to_union", []).append(_("已有一份待处理的转接申请。"))
    _errors(**errors)
    transfer = TransferRequest(
        membership=membership,
        to_union=to_union,
        initiator=initiator,
        reason=reason,
        created_by=actor,
    )
    transfer._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError:
        raise ValidationError({"to_union": [_("已有一份待处理的转接申请。")]}) from None
    return transfer


def _transfer_lock(transfer: TransferRequest) -> TransferRequest:
    """Lock the request, then the membership: the same order everywhere, so a transfer and a
    leave on the same membership cannot both succeed."""
    transfer = lock_one(LockSpace.TRANSFER_REQUEST, TransferRequest, transfer.pk)
    transfer.membership = lock_one(LockSpace.MEMBERSHIP, Membership, transfer.membership_id)
    return transfer


def _transfer_check(
    actor: Any, transfer: TransferRequest, accept: bool, errors: dict[str, list[str]]
) -> None:
    if not transfer.membership.is_active:
        errors.setdefault("decision_note", []).append(_("原会籍已终止，不能转接。"))
    target = Organization.unscoped.get(pk=transfer.to_union_id)
    if accept and (target.kind != OrgKind.GRASSROOTS or not target.is_active):
        errors.setdefault("decision_note", []).append(
            _("转入工会已撤销，不能接收。请不同意本次转接，由会员改转其他工会。")
        )


def _transfer_apply(actor: Any, transfer: TransferRequest, note: str) -> None:
    """The old membership ends as "transferred", a new one starts with the same card number
    and a link back."""
    old = transfer.membership
    old.status, old.ended_on = MembershipStatus.TRANSFERRED, timezone.localdate()
    old.end_note = _("转入%(u)s") % {"u": transfer.to_union.name}
    old._history_user = actor  # type: ignore[attr-defined]
    old.save()
    transfer.new_membership = _membership_create(
        actor=actor,
        person=old.person,
        union=transfer.to_union,
        joined_on=old.joined_on,
        card_number=old.card_number,
        previous=old,
        reason=_("会员转接"),
    )
    _notify(
        old.person,
        _("您的会员关系已转入%(u)s。") % {"u": transfer.to_union.name},
        reverse("portal:transfer_detail", args=[transfer.pk]),
    )


def _transfer_refuse(actor: Any, transfer: TransferRequest, note: str) -> None:
    _notify(
        transfer.membership.person,
        _("您的会员转接未获同意：%(n)s") % {"n": note},
        reverse("portal:transfer_detail", args=[transfer.pk]),
    )


def _transfer_snapshot(transfer: TransferRequest) -> dict[str, Any]:
    membership = transfer.membership
    return {
        "person": {"id": membership.person_id, "name": membership.person.name},
        "membership": {
            "id": membership.pk,
            "card_number": membership.card_number,
            "joined_on": membership.joined_on,
            "status": membership.status,
        },
        "from_union": {"id": membership.union_id, "name": membership.union.name},
        "to_union": {"id": transfer.to_union_id, "name": transfer.to_union.name},
        "initiator": transfer.initiator,
        "reason": transfer.reason,
        "requested_at": transfer.created_at,
    }


# Accepted or refused by the new union (or staff above it); the worker or the old union's
# clerk who filed it is the maker.
TRANSFER_FLOW = decisions.register(
    decisions.Flow(
        name="members.transfer",
        steps=(
            decisions.Step(
                name="to_union",
                label=gettext_lazy("转入工会审批"),
                organization=lambda transfer: transfer.to_union,
                perm=Perm.DECIDE_MEMBERSHIP,
            ),
        ),
        maker=lambda transfer: transfer.created_by_id,
        status_field="status",
        pending=RequestStatus.PENDING,
        approved=RequestStatus.APPROVED,
        refused=RequestStatus.REFUSED,
        closed_message=lambda transfer: _("该转接申请已处理。"),
        reason_message=lambda: _("不同意转入时请填写原因。"),
        snapshot=_transfer_snapshot,
        apply=_transfer_apply,
        refuse=_transfer_refuse,
        lock=_transfer_lock,
        check=_transfer_check,
    )
)


def transfer_decide(
    *, actor: Any, transfer: TransferRequest, accept: bool, note: str = ""
) -> TransferRequest:
    """The new union accepts (the membership moves) or refuses with a reason. One
    transaction (``decisions.decide``)."""
    result: TransferRequest = decisions.decide(
        actor=actor, flow=TRANSFER_FLOW, request=transfer, approve=accept, reason=note
    )
    return result


@transaction.atomic
def transfer_cancel(*, actor: Any, transfer: TransferRequest) -> TransferRequest:
    """The worker withdraws their request, or the old union withdraws one it filed."""
    membership = transfer.membership
    if not _is_worker(actor, membership.person):
        require_within(actor, membership.union, Perm.DECIDE_MEMBERSHIP)
    transfer = lock_one(LockSpace.TRANSFER_REQUEST, TransferRequest, transfer.pk)
    if transfer.status != RequestStatus.PENDING:
        raise ValidationError({"status": [_("该转接申请已处理，不能撤回。")]})
    transfer.status = RequestStatus.WITHDRAWN
    transfer._history_user = actor  # type: ignore[attr-defined]
    transfer.save()
    return transfer
