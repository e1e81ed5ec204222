"""Writes to the hardship roll (AST-1). One transaction each, the acting user first.

The derived figures of a household (``member_count``, the sealed per-capita income, the
level and ``above_line``) are recomputed by ``_recompute`` on every change of its members and
whenever its city's income lines change, never typed. A household's level comes from the
income lines of its city federation for the year in force (the latest year with lines, up to
this year): the lowest line at or above the per-capita income; above every line the
household keeps its level and is marked ``above_line`` (应退出).

Filing goes through ``core.decisions``: the file is submitted (a ``HouseholdFiling``) by its
union, a grassroots or town union, and decided by the organisation one level above it, by
someone other than the person who submitted it, after at least one home visit.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core import decisions, notify, uploads
from gonghui.core.crypto import seal_bytes
from gonghui.core.locks import LockSpace, lock_one
from gonghui.core.models import AccessReason
from gonghui.core.money import CENT, check_money
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.services import Subject, personal_data_log, personal_data_reveal
from gonghui.core.validators import (
    check_plain_text,
    clean_field,
    clean_text,
    id_number_birth_date,
    normalize_id_number,
    raise_errors,
)
from gonghui.hardship import notifications
from gonghui.hardship.models import (
    PHOTO_PURPOSE,
    EventKind,
    FilingKind,
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
    Relation,
    VisitPhoto,
)
from gonghui.members import services as member_services
from gonghui.members.models import Person
from gonghui.organizations.models import Organization, OrgKind

ZERO = Decimal("0.00")
FILING_KINDS = (OrgKind.GRASSROOTS, OrgKind.TOWN)
WORK_CAPACITIES = ("full", "partial", "none")
# Households of a city recomputed inside the income line's own transaction; above this,
# the recomputation runs as a task after commit (``tasks.income_lines_recompute_task``).
INLINE_RECOMPUTE_LIMIT = 2_000
RECOMPUTE_CHUNK = 2_000
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PER_VISIT = 9
# Who sets a city's income lines: a federation administrator (the role that holds this
# permission; clerks and reviewers do not). The lines are policy, not case work.
LINE_PERM = Perm.MANAGE_ORGS
# The sealed fields a role that may see personal data can reveal on a file, and where.
HOUSEHOLD_SEALED = ("address", "per_capita_income")
MEMBER_SEALED = ("id_number", "yearly_income", "health")
EDITABLE = (
    HouseholdStatus.DRAFT,
    HouseholdStatus.REFUSED,
    HouseholdStatus.ACTIVE,
    HouseholdStatus.LEFT,
)


def yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def _today() -> datetime.date:
    return timezone.localdate()


def _event(
    household: Household,
    kind: str,
    actor: Any,
    *,
    on: datetime.date | None = None,
    note: str = "",
) -> None:
    HouseholdEvent.objects.create(
        household=household, kind=kind, on=on or _today(), note=note[:300], by=actor
    )


def _lock(household: Household) -> Household:
    """The household's row, locked (``LockSpace.HOUSEHOLD``), with what its checks read."""
    return lock_one(
        LockSpace.HOUSEHOLD,
        Household.unscoped.select_related("union", "person", "level"),
        household.pk,
    )


def _lock_for_edit(actor: Any, household: Household) -> Household:
    require_within(actor, household.union, Perm.EDIT_RECORDS)
    locked = _lock(household)
    if locked.status not in EDITABLE:
        raise ValidationError(
            {"household": [_("档案正在审批中，审批结束前不能修改。")]}, code="pending"
        )
    return locked


# --- the level, from the city's income lines ---------------------------------------------


def city_of(union: Organization) -> Organization:
    """The city federation whose income lines apply to ``union``'s households."""
    if union.kind == OrgKind.CITY:
        return union
    return Organization.unscoped.get(pk__in=union.ancestor_ids(), kind=OrgKind.CITY)


@dataclass(frozen=True)
class Lines:
    """A city's income lines in force: their year and (line, level id), lowest line first."""

    year: int | None
    lines: tuple[tuple[Decimal, int], ...]

    def classify(self, per_capita: Decimal | None) -> tuple[int | None, bool]:
        """(level id, above the exit line). No lines, or no income yet: (None, False). Above
        every line: (None, True), and the caller keeps the household's level."""
        if not self.lines or per_capita is None:
            return None, False
        for line, level_id in self.lines:
            if per_capita <= line:
                return level_id, False
        return None, True


def lines_in_force(city_id: int, *, year: int | None = None) -> Lines:
    """The lines of the latest year that has any, up to ``year`` (this year by default)."""
    upto = year if year is not None else _today().year
    found = IncomeLine.unscoped.filter(organization_id=city_id, year__lte=upto).aggregate(
        latest=Max("year")
    )["latest"]
    if found is None:
        return Lines(None, ())
    rows = (
        IncomeLine.unscoped.filter(organization_id=city_id, year=found, level__active=True)
        .order_by("line", "level__order")
        .values_list("line", "level_id")
    )
    return Lines(found, tuple(rows))


def _per_capita(members: Sequence[HouseholdMember]) -> Decimal | None:
    if not members:
        return None
    total = sum((m.income() for m in members), ZERO)
    return (total / len(members)).quantize(CENT, rounding=ROUND_HALF_UP)


def _apply_level(household: Household, per_capita: Decimal | None, lines: Lines) -> bool:
    """Set the level and ``above_line`` from ``lines``; True when either changed."""
    level_id, above = lines.classify(per_capita)
    if level_id is None:  # above every line, no lines, or no income yet: keep the level
        level_id = household.level_id
    changed = (household.level_id, household.above_line) != (level_id, above)
    household.level_id, household.above_line = level_id, above
    return changed


def _recompute(household: Household) -> Decimal | None:
    """Member count, sealed per-capita income, level and ``above_line`` from the members as
    stored; the caller holds the household's lock."""
    members = list(HouseholdMember.unscoped.filter(household=household))
    per_capita = _per_capita(members)
    household.member_count = len(members)
    household.per_capita_income = None if per_capita is None else str(per_capita)
    _apply_level(household, per_capita, lines_in_force(city_of(household.union).pk))
    household.save(update_fields=["member_count", "per_capita_income", "level", "above_line"])
    return per_capita


# --- filing a household ------------------------------------------------------------------


@dataclass(frozen=True)
class MemberInput:
    """A household member as typed on a form or sent by the API, before validation."""

    name: str
    relation: str
    id_number: str | None
    yearly_income: Any = "0"
    health: str | None = ""
    work_capacity: str = "full"
    in_school: str = ""


def _causes(codes: Iterable[str], errors: dict[str, list[str]]) -> list[HardshipCause]:
    wanted = sorted({str(c) for c in codes})
    found = list(HardshipCause.objects.filter(code__in=wanted, active=True))
    if len(found) != len(wanted):
        errors.setdefault("causes", []).append(_("致困原因选择不正确，请重新选择。"))
    return found


def _clean_address(value: str, errors: dict[str, list[str]]) -> str:
    return clean_text(value, "address", errors, required=True, limit=200)


def _income(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal:
    amount = check_money(value, field, errors, required=False)
    return amount if amount is not None else ZERO


def _capacity(value: str, errors: dict[str, list[str]]) -> str:
    if value not in WORK_CAPACITIES:
        errors.setdefault("work_capacity", []).append(_("请选择劳动能力。"))
    return value


def _health(value: str, errors: dict[str, list[str]]) -> str:
    return clean_text(value, "health", errors, required=False, limit=200, multiline=True)


def _one_live_file(person: Person, *, exclude: int | None = None) -> str | None:
    live = Household.unscoped.filter(person=person, status__in=_live()).exclude(pk=exclude or 0)
    if live.exists():
        return _("该职工已有在册或办理中的困难职工档案，不能重复建档。")
    return None


def _live() -> tuple[str, ...]:
    return (HouseholdStatus.DRAFT, HouseholdStatus.PENDING, HouseholdStatus.ACTIVE)


def _save_live(household: Household, fields: list[str] | None = None) -> None:
    """Save a household whose status becomes live: the database's one-live-file constraint
    refuses a second live file for the person, reported at the ID number."""
    try:
        with transaction.atomic():
            if fields is None:
                household.save()
            else:
                household.save(update_fields=fields)
    except IntegrityError:
        raise ValidationError(
            {"id_number": [_("该职工已有在册或办理中的困难职工档案，不能重复建档。")]}
        ) from None


@transaction.atomic
def household_file(
    *,
    actor: Any,
    union: Organization,
    name: str,
    id_number: str,
    address: str,
    causes: Iterable[str],
    mobile: str = "",
    cause_note: str = "",
    yearly_income: Any = "0",
    health: str = "",
    work_capacity: str = "full",
) -> Household:
    """A new file (draft) for a worker, found by ID number or registered on the spot
    (``members.services.person_register``); the worker is its first member (本人)."""
    require_within(actor, union, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    if union.kind not in FILING_KINDS or not union.is_active:
        errors.setdefault("union", []).append(_("困难职工档案由基层工会或镇（街道）总工会建立。"))
    address = _clean_address(address, errors)
    cause_note = clean_field(Household, "cause_note", cause_note, errors)
    found_causes = _causes(causes, errors)
    if not found_causes:
        errors.setdefault("causes", []).append(_("请至少选择一项致困原因。"))
    income = _income(yearly_income, "yearly_income", errors)
    health = _health(health, errors)
    work_capacity = _capacity(work_capacity, errors)
    name = clean_text(name, "name", errors, required=True, limit=50)
    normalized = ""
    try:
        normalized = normalize_id_number(id_number)
    except ValidationError as exc:
        errors.setdefault("id_number", []).extend(exc.messages)
    person = member_services.person_find(id_number=normalized) if normalized else None
    if person is not None:
        if name and person.name != name:
            errors.setdefault("name", []).append(
                _("姓名与该身份证号已登记的职工不符，请核对姓名或身份证号。")
            )
        elif (problem := _one_live_file(person)) is not None:
            errors.setdefault("id_number", []).append(problem)
    raise_errors(errors)
    if person is None:
        person = member_services.person_register(
            actor=actor,
            data=member_services.PersonInput(name=name, id_number=normalized, mobile=mobile),
        )
    household = Household(
        union=union,
        person=person,
        status=HouseholdStatus.DRAFT,
        cause_note=cause_note,
        address=address,
        created_by=actor,
    )
    household._history_user = actor  # type: ignore[attr-defined]
    _save_live(household)
    household.causes.set(found_causes)
    HouseholdMember.objects.create(
        household=household,
        person=person,
        name=person.name,
        relation=Relation.SELF,
        id_number=person.id_number,
        id_number_hash=person.id_number_hash,
        birth_date=person.birth_date,
        yearly_income=str(income),
        health=health or None,
        work_capacity=work_capacity,
    )
    _recompute(household)
    _event(household, EventKind.CREATED, actor)
    return household


@transaction.atomic
def household_update(
    *,
    actor: Any,
    household: Household,
    address: str | None,
    causes: Iterable[str],
    cause_note: str = "",
) -> Household:
    """Change the file's address (``None``: keep it) and causes."""
    household = _lock_for_edit(actor, household)
    errors: dict[str, list[str]] = {}
    keep_address = address is None
    address = "" if keep_address else _clean_address(address or "", errors)
    cause_note = clean_field(Household, "cause_note", cause_note, errors)
    found = _causes(causes, errors)
    if not found:
        errors.setdefault("causes", []).append(_("请至少选择一项致困原因。"))
    raise_errors(errors)
    if not keep_address:
        household.address = address
    household.cause_note = cause_note
    household._history_user = actor  # type: ignore[attr-defined]
    household.save(update_fields=["address", "cause_note"])
    household.causes.set(found)
    return household


# --- members -----------------------------------------------------------------------------


def _clean_member(
    data: MemberInput,
    household: Household,
    *,
    current: HouseholdMember | None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The member's values to store. On an edit (``current``), a sealed field left as
    ``None`` keeps its stored value, so a form need not show it in full to be saved."""
    errors: dict[str, list[str]] = {}
    self_member = current is not None and current.relation == Relation.SELF
    values: dict[str, Any] = {}
    values["name"] = clean_text(data.name, "name", errors, required=True, limit=50)
    if self_member:
        values["relation"] = Relation.SELF
    elif data.relation not in Relation.values or data.relation == Relation.SELF:
        errors.setdefault("relation", []).append(
            _("请选择与职工的关系（职工本人已在成员中，不能重复添加）。")
        )
    else:
        values["relation"] = data.relation
    if data.id_number is not None or current is None:
        try:
            number = normalize_id_number(data.id_number or "")
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
        else:
            number_hash = member_services.id_number_hash(number)
            others = HouseholdMember.unscoped.filter(
                household=household, id_number_hash=number_hash
            ).exclude(pk=current.pk if current else 0)
            if others.exists():
                errors.setdefault("id_number", []).append(
                    _("该身份证号已在本户成员中，请勿重复添加。")
                )
            if self_member and number_hash != household.person.id_number_hash:
                errors.setdefault("id_number", []).append(
                    _("职工本人的身份证号请在会员信息中更正。")
                )
            values.update(
                id_number=number,
                id_number_hash=number_hash,
                birth_date=id_number_birth_date(number),
                person=member_services.person_find(id_number=number),
            )
    if data.yearly_income is not None or current is None:
        values["yearly_income"] = str(_income(data.yearly_income, "yearly_income", errors))
    if data.health is not None or current is None:
        values["health"] = _health(data.health or "", errors) or None
    values["work_capacity"] = _capacity(data.work_capacity, errors)
    values["in_school"] = clean_text(data.in_school, "in_school", errors, required=False, limit=20)
    if self_member:
        values["name"] = household.person.name
        values["person"] = household.person
    return values, errors


@transaction.atomic
def member_add(*, actor: Any, household: Household, data: MemberInput) -> HouseholdMember:
    household = _lock_for_edit(actor, household)
    values, errors = _clean_member(data, household, current=None)
    raise_errors(errors)
    member = HouseholdMember(household=household, **values)
    member._history_user = actor  # type: ignore[attr-defined]
    member.save()
    _recompute(household)
    return member


@transaction.atomic
def member_update(*, actor: Any, member: HouseholdMember, data: MemberInput) -> HouseholdMember:
    """Change a member; the sealed fields given as ``None`` keep their stored values."""
    household = _lock_for_edit(actor, member.household)
    member = HouseholdMember.unscoped.get(pk=member.pk, household=household)
    values, errors = _clean_member(data, household, current=member)
    raise_errors(errors)
    for key, value in values.items():
        setattr(member, key, value)
    member._history_user = actor  # type: ignore[attr-defined]
    member.save()
    _recompute(household)
    return member


@transaction.atomic
def member_remove(*, actor: Any, member: HouseholdMember) -> None:
    household = _lock_for_edit(actor, member.household)
    member = HouseholdMember.unscoped.get(pk=member.pk, household=household)
    if member.relation == Relation.SELF:
        raise ValidationError({"member": [_("职工本人不能从家庭成员中移除。")]})
    member._history_user = actor  # type: ignore[attr-defined]
    member.delete()
    _recompute(household)


# --- visits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitInput:
    visited_on: datetime.date | None
    visitors: str
    findings: str
    photos: Sequence[UploadedFile] = ()


def _check_photos(photos: Sequence[UploadedFile], errors: dict[str, list[str]]) -> list[Any]:
    checked = []
    if len(photos) > PHOTO_MAX_PER_VISIT:
        errors.setdefault("photos", []).append(
            _("每次核查最多上传 %(n)s 张照片。") % {"n": PHOTO_MAX_PER_VISIT}
        )
        return []
    for upload in photos:
        try:
            content_type, data = uploads.check_upload(
                upload,
                types=uploads.IMAGES,
                max_bytes=PHOTO_MAX_BYTES,
                field="photos",
                type_message=_("照片只能是 JPG 或 PNG 图片。"),
                size_message=_("每张照片不能超过 5 MB。"),
                content_message=_("文件内容与扩展名不符，请上传真实的 JPG 或 PNG 照片。"),
            )
            name = uploads.upload_name(upload)[-120:] or "photo"
            check_plain_text(name)
        except ValidationError as exc:
            messages = (
                exc.message_dict.get("photos", exc.messages)
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            errors.setdefault("photos", []).extend(
                f"{uploads.upload_name(upload)[:40]}：{m}" for m in messages
            )
            continue
        checked.append((name, content_type, data))
    return checked


def _photos_save(actor: Any, visit: HomeVisit, photos: list[Any]) -> None:
    for name, content_type, content in photos:
        photo = VisitPhoto(
            visit=visit,
            name=name,
            content_type=content_type,
            size=len(content),
            uploaded_by=actor,
        )
        digest = hashlib.sha256(content).hexdigest()[:16]
        sealed = ContentFile(seal_bytes(content, purpose=PHOTO_PURPOSE))
        photo.file.save(f"{digest}.sealed", sealed, save=False)
        photo.save()


def _visit_create(actor: Any, household: Household, data: VisitInput) -> HomeVisit:
    errors: dict[str, list[str]] = {}
    visitors = clean_text(data.visitors, "visitors", errors, required=True, limit=100)
    findings = clean_text(
        data.findings, "findings", errors, required=True, limit=2000, multiline=True
    )
    if data.visited_on is None:
        errors.setdefault("visited_on", []).append(_("请填写核查日期。"))
    elif data.visited_on > _today():
        errors.setdefault("visited_on", []).append(_("核查日期不能晚于今天。"))
    photos = _check_photos(list(data.photos), errors)
    raise_errors(errors)
    assert data.visited_on is not None  # noqa: S101 (checked above)
    visit = HomeVisit(
        household=household,
        visited_on=data.visited_on,
        visitors=visitors,
        findings=findings,
        recorded_by=actor,
    )
    visit._history_user = actor  # type: ignore[attr-defined]
    visit.save()
    _photos_save(actor, visit, photos)
    _event(household, EventKind.VISITED, actor, on=visit.visited_on, note=visitors)
    return visit


@transaction.atomic
def visit_record(*, actor: Any, household: Household, data: VisitInput) -> HomeVisit:
    """A home visit 入户核查 with its photos (JPG or PNG, at most 5 MB each, sealed)."""
    require_within(actor, household.union, Perm.EDIT_RECORDS)
    household = _lock(household)
    return _visit_create(actor, household, data)


@transaction.atomic
def visit_photo_add(*, actor: Any, visit: HomeVisit, upload: UploadedFile) -> VisitPhoto:
    """One more photo for a visit already recorded (the API sends them one by one)."""
    household = visit.household
    require_within(actor, household.union, Perm.EDIT_RECORDS)
    _lock(household)
    errors: dict[str, list[str]] = {}
    if VisitPhoto.unscoped.filter(visit=visit).count() >= PHOTO_MAX_PER_VISIT:
        errors.setdefault("photos", []).append(
            _("每次核查最多上传 %(n)s 张照片。") % {"n": PHOTO_MAX_PER_VISIT}
        )
    raise_errors(errors)
    photos = _check_photos([upload], errors)
    raise_errors(errors)
    _photos_save(actor, visit, photos)
    return VisitPhoto.unscoped.filter(visit=visit).latest("pk")


def photo_log(*, actor: Any, photo: VisitPhoto, ip_address: str | None = None) -> None:
    """Staff open a visit photo in full: the role must allow it, and it is logged."""
    require(actor, Perm.REVEAL_PERSONAL)
    household = photo.visit.household
    with transaction.atomic():
        personal_data_log(
            actor=actor,
            subjects=[Subject.of(household.person)],
            fields=[f"hardship_photo:{photo.pk}"],
            reason=AccessReason.HANDLE_CASE,
            reason_note=f"{household} {photo.name}",
            ip_address=ip_address,
        )


# --- submission and decision -------------------------------------------------------------


def _submit_problems(household: Household) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if household.member_count < 1:
        errors.setdefault("household", []).append(_("请先登记家庭成员。"))
    if not household.causes.exists():
        errors.setdefault("causes", []).append(_("请至少选择一项致困原因。"))
    lines = lines_in_force(city_of(household.union).pk)
    if not lines.lines:
        errors.setdefault("household", []).append(
            _("本市尚未设定困难职工认定标准（人均年收入标准），请联系市总工会设定后再提交。")
        )
    elif household.above_line:
        errors.setdefault("household", []).append(
            _("家庭人均年收入高于本市困难职工认定标准，不能纳入困难职工档案。")
        )
    return errors


def _filing_create(actor: Any, household: Household, kind: str) -> HouseholdFiling:
    filing = HouseholdFiling(household=household, kind=kind, created_by=actor)
    filing._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            filing.save()
    except IntegrityError:
        raise ValidationError({"household": [_("该档案已提交审批，请勿重复提交。")]}) from None
    return filing


@transaction.atomic
def household_submit(*, actor: Any, household: Household) -> HouseholdFiling:
    """Submit a draft (or a refused file, corrected) for approval by the level above."""
    require_within(actor, household.union, Perm.EDIT_RECORDS)
    household = _lock(household)
    if household.status not in (HouseholdStatus.DRAFT, HouseholdStatus.REFUSED):
        raise ValidationError({"household": [_("只有填报中或未通过的档案可以提交审批。")]})
    raise_errors(_submit_problems(household))
    household.status = HouseholdStatus.PENDING
    household._history_user = actor  # type: ignore[attr-defined]
    _save_live(household, ["status"])
    filing = _filing_create(actor, household, FilingKind.FILE)
    _event(household, EventKind.SUBMITTED, actor)
    return filing


def _filing_lock(filing: HouseholdFiling) -> HouseholdFiling:
    # The household first, then its filing (the table's order): an edit, a leave or a
    # re-entry of the household waits for the decision, and two deciders for each other.
    _lock(filing.household)
    return lock_one(
        LockSpace.HOUSEHOLD_FILING,
        HouseholdFiling.unscoped.select_related("household", "household__union"),
        filing.pk,
    )


def _filing_check(
    actor: Any, filing: HouseholdFiling, approve: bool, errors: dict[str, list[str]]
) -> None:
    if approve and not HomeVisit.unscoped.filter(household_id=filing.household_id).exists():
        errors.setdefault("decision_note", []).append(
            _("尚无入户核查记录：须先入户核查，方可审批通过。")
        )


def _sealed_text(value: Any) -> str | None:
    """A sealed value, still sealed, for a JSON snapshot (personal data stays encrypted)."""
    if value is None:
        return None
    return base64.b64encode(value.token).decode()


def _filing_snapshot(filing: HouseholdFiling) -> dict[str, Any]:
    household = Household.unscoped.select_related("level").get(pk=filing.household_id)
    members = HouseholdMember.unscoped.filter(household=household).order_by("pk")
    return {
        "kind": filing.kind,
        "member_count": household.member_count,
        "level": household.level.name if household.level else None,
        "above_line": household.above_line,
        "per_capita_income_sealed": _sealed_text(household.per_capita_income),
        "causes": sorted(household.causes.values_list("code", flat=True)),
        "visits": HomeVisit.unscoped.filter(household=household).count(),
        "members": [
            {
                "id": m.pk,
                "name": m.name,
                "relation": m.relation,
                "work_capacity": m.work_capacity,
                "yearly_income_sealed": _sealed_text(m.yearly_income),
            }
            for m in members
        ],
    }


def _link(household: Household) -> str:
    return reverse("portal:hardship_mine")  # the worker's own file


def _filing_apply(
    actor: Any, filing: HouseholdFiling, reason: str, on: datetime.date | None = None
) -> None:
    household = Household.unscoped.select_related("union", "person").get(pk=filing.household_id)
    today = on or _today()
    household.status = HouseholdStatus.ACTIVE
    household.filed_on = today
    household.reviewed_on = today
    household.left_on = None
    household.left_reason = ""
    household.decided_by, household.decided_at = actor, timezone.now()
    household.decision_note = reason
    household._history_user = actor  # type: ignore[attr-defined]
    household.save()
    _event(household, EventKind.APPROVED, actor, on=today, note=reason)
    notify.notify(
        person_id=household.person_id,
        kind=notifications.FILE,
        text=_("您的困难职工档案已审核通过，纳入%(u)s困难职工帮扶。") % {"u": household.union.name},
        link=_link(household),
    )


def _filing_refuse(actor: Any, filing: HouseholdFiling, reason: str) -> None:
    household = Household.unscoped.select_related("union").get(pk=filing.household_id)
    household.status = (
        HouseholdStatus.LEFT if filing.kind == FilingKind.REENTER else HouseholdStatus.REFUSED
    )
    household.decided_by, household.decided_at = actor, timezone.now()
    household.decision_note = reason
    household._history_user = actor  # type: ignore[attr-defined]
    household.save()
    _event(household, EventKind.REFUSED, actor, note=reason)
    notify.notify(
        person_id=household.person_id,
        kind=notifications.FILE,
        text=_("您的困难职工档案未通过审核：%(r)s") % {"r": reason},
        link=_link(household),
    )


def _above(filing: HouseholdFiling) -> Organization:
    union = filing.household.union
    if union.parent_id is None:
        raise NotFound
    return Organization.unscoped.get(pk=union.parent_id)


FILING_FLOW = decisions.register(
    decisions.Flow(
        name="hardship.filing",
        steps=(
            decisions.Step(
                name="above",
                label=gettext_lazy("上级工会审批"),
                organization=_above,
                perm=Perm.APPROVE,
                reach=decisions.Reach.OWN,
                denied=lambda org: _("困难职工档案由建档工会的上一级%(o)s审批。") % {"o": org.name},
            ),
        ),
        maker=lambda filing: filing.created_by_id,
        lock=_filing_lock,
        status_field="status",
        pending=FilingStatus.PENDING,
        approved=FilingStatus.APPROVED,
        refused=FilingStatus.REFUSED,
        closed_message=lambda filing: _("该档案已审批，不能重复审批。"),
        snapshot=_filing_snapshot,
        apply=_filing_apply,
        refuse=_filing_refuse,
        check=_filing_check,
        reason_message=lambda: _("不同意时请填写原因，建档工会将看到。"),
    )
)


def household_decide(
    *,
    actor: Any,
    filing: HouseholdFiling,
    approve: bool,
    note: str = "",
    on: datetime.date | None = None,
) -> HouseholdFiling:
    """Approve (the household is on the roll) or refuse with a reason. One transaction.
    ``on`` dates the filing (建档日期) when it is recorded later than decided, as when a
    federation enters its paper roll (and the demo's year); never after today."""
    if on is not None and on > _today():
        raise ValidationError({"decision_note": [_("建档日期不能晚于今天。")]})
    result: HouseholdFiling = decisions.decide(
        actor=actor,
        flow=FILING_FLOW,
        request=filing,
        approve=approve,
        reason=note,
        options={"on": on} if approve and on is not None else None,
    )
    return result


# --- review, leaving and re-entering -----------------------------------------------------


def _check_date(
    value: datetime.date | None, field: str, errors: dict[str, list[str]], label: str
) -> None:
    if value is None:
        errors.setdefault(field, []).append(_("请填写%(l)s。") % {"l": label})
    elif value > _today():
        errors.setdefault(field, []).append(_("%(l)s不能晚于今天。") % {"l": label})


@transaction.atomic
def household_review(
    *,
    actor: Any,
    household: Household,
    reviewed_on: datetime.date | None,
    note: str = "",
    visit: VisitInput | None = None,
) -> Household:
    """The yearly review 年度核查 of a file on the roll, optionally with a new home visit."""
    require_within(actor, household.union, Perm.EDIT_RECORDS)
    household = _lock(household)
    errors: dict[str, list[str]] = {}
    if household.status != HouseholdStatus.ACTIVE:
        errors.setdefault("household", []).append(_("只有在册的档案需要年度核查。"))
    _check_date(reviewed_on, "reviewed_on", errors, str(_("核查日期")))
    note = clean_text(note, "note", errors, required=False, limit=300, multiline=True)
    if reviewed_on and household.filed_on and reviewed_on < household.filed_on:
        errors.setdefault("reviewed_on", []).append(_("核查日期不能早于建档日期。"))
    raise_errors(errors)
    if visit is not None:
        _visit_create(actor, household, visit)
    household.reviewed_on = reviewed_on
    household._history_user = actor  # type: ignore[attr-defined]
    household.save(update_fields=["reviewed_on"])
    _recompute(household)
    _event(household, EventKind.REVIEWED, actor, on=reviewed_on, note=note)
    return household


@transaction.atomic
def household_leave(
    *, actor: Any, household: Household, left_on: datetime.date | None, reason: str
) -> Household:
    """The household leaves the roll (脱困, 调离, 死亡, ...); its file is kept."""
    require_within(actor, household.union, Perm.EDIT_RECORDS)
    household = _lock(household)
    errors: dict[str, list[str]] = {}
    if household.status != HouseholdStatus.ACTIVE:
        errors.setdefault("household", []).append(_("只有在册的档案可以办理退出。"))
    _check_date(left_on, "left_on", errors, str(_("退出日期")))
    if left_on and household.filed_on and left_on < household.filed_on:
        errors.setdefault("left_on", []).append(_("退出日期不能早于建档日期。"))
    reason = clean_field(Household, "left_reason", reason, errors, required=True, key="reason")
    raise_errors(errors)
    household.status = HouseholdStatus.LEFT
    household.left_on, household.left_reason = left_on, reason
    household._history_user = actor  # type: ignore[attr-defined]
    household.save(update_fields=["status", "left_on", "left_reason"])
    _event(household, EventKind.LEFT, actor, on=left_on, note=reason)
    return household


@transaction.atomic
def household_reenter(*, actor: Any, household: Household, note: str = "") -> HouseholdFiling:
    """A household that left asks to be on the roll again: it goes through approval again."""
    require_within(actor, household.union, Perm.EDIT_RECORDS)
    household = _lock(household)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=False, limit=300, multiline=True)
    if household.status != HouseholdStatus.LEFT:
        errors.setdefault("household", []).append(_("只有已退出的档案可以申请重新纳入。"))
    raise_errors(errors)
    _recompute(household)
    raise_errors(_submit_problems(household))
    household.status = HouseholdStatus.PENDING
    household._history_user = actor  # type: ignore[attr-defined]
    _save_live(household, ["status"])
    filing = _filing_create(actor, household, FilingKind.REENTER)
    _event(household, EventKind.REENTERED, actor, note=note)
    return filing


# --- help given (called by the assistance module) ----------------------------------------


def mark_helped(*, household_id: int, on: datetime.date) -> None:
    """The household was helped (paid) on ``on``: ``helped_on`` becomes the later of the
    two. A system update with no actor, inside the paying module's transaction; one
    conditional statement, so two payments at once keep the later date."""
    Household.unscoped.filter(pk=household_id).filter(
        Q(helped_on__isnull=True) | Q(helped_on__lt=on)
    ).update(helped_on=on)


def mark_helped_many(*, household_ids: Iterable[int], on: datetime.date) -> None:
    """``mark_helped`` for many households at once (a bulk approval's): one statement."""
    Household.unscoped.filter(pk__in=set(household_ids)).filter(
        Q(helped_on__isnull=True) | Q(helped_on__lt=on)
    ).update(helped_on=on)


# --- income lines ------------------------------------------------------------------------


@transaction.atomic
def income_line_set(
    *,
    actor: Any,
    organization: Organization,
    year: int | None,
    level: HardshipLevel | None,
    line: Any,
) -> IncomeLine:
    """Set a city's per-capita income line for a level and year, then recompute the level
    and ``above_line`` of the city's households (inline for a small city, as a task after
    commit for a large one; the recomputation is idempotent)."""
    require_within(actor, organization, LINE_PERM)
    errors: dict[str, list[str]] = {}
    if organization.kind != OrgKind.CITY:
        errors.setdefault("organization", []).append(_("困难职工认定标准由市总工会设定。"))
    this_year = _today().year
    if year is None or not 2000 <= year <= this_year + 1:
        errors.setdefault("year", []).append(
            _("年度应在 2000 至 %(y)s 之间。") % {"y": this_year + 1}
        )
    if level is None or not level.active:
        errors.setdefault("level", []).append(_("请选择困难等级。"))
    amount = check_money(line, "line", errors, required=True)
    if amount is not None and amount <= 0:
        errors.setdefault("line", []).append(_("标准应大于 0 元。"))
    raise_errors(errors)
    assert level is not None and amount is not None and year is not None  # noqa: S101
    others = (
        IncomeLine.unscoped.filter(organization=organization, year=year)
        .exclude(level=level)
        .select_related("level")
    )
    for other in others:
        deeper = other.level.order < level.order
        if (deeper and other.line >= amount) or (not deeper and other.line <= amount):
            errors.setdefault("line", []).append(
                _("%(l)s的标准为 %(a)s，等级越困难标准应越低，请核对。")
                % {"l": other.level.name, "a": yuan(other.line)}
            )
    raise_errors(errors)
    found = IncomeLine.unscoped.filter(organization=organization, year=year, level=level).first()
    if found is None:
        found = IncomeLine(organization=organization, year=year, level=level)
    found.line, found.set_by = amount, actor
    found._history_user = actor  # type: ignore[attr-defined]
    found.save()
    households = Household.unscoped.filter(union__path__startswith=organization.path)
    if households.count() <= INLINE_RECOMPUTE_LIMIT:
        income_lines_recompute(city_id=organization.pk)
    else:
        from gonghui.hardship import tasks

        city_id = organization.pk
        transaction.on_commit(lambda: tasks.income_lines_recompute_task.delay(city_id), robust=True)
    return found


def income_lines_recompute(*, city_id: int) -> int:
    """Recompute the level and ``above_line`` of every household of the city from its lines
    in force; returns how many changed. Idempotent (a second run changes nothing), in
    chunks, each chunk one statement per changed row set (``bulk_update``). Runs in the
    caller's transaction or, from the task, one transaction per chunk."""
    city = Organization.unscoped.get(pk=city_id)
    lines = lines_in_force(city.pk)
    changed = 0
    last = 0
    while True:
        with transaction.atomic():
            chunk = list(
                Household.unscoped.filter(union__path__startswith=city.path, pk__gt=last)
                .exclude(per_capita_income=None)
                .order_by("pk")
                .only("pk", "per_capita_income", "level", "above_line")[:RECOMPUTE_CHUNK]
            )
            if not chunk:
                return changed
            dirty = [h for h in chunk if _apply_level(h, h.per_capita(), lines)]
            Household.unscoped.bulk_update(dirty, ["level", "above_line"], batch_size=500)
            changed += len(dirty)
            last = chunk[-1].pk


# --- personal data -----------------------------------------------------------------------


def household_reveal(
    *,
    actor: Any,
    household: Household,
    field: str,
    reason: str,
    reason_note: str = "",
    member: HouseholdMember | None = None,
    ip_address: str | None = None,
) -> str:
    """The plaintext of one sealed field of a file (the address, the per-capita income) or
    of one of its members (ID number, income, health), logged (``personal_data_reveal``)."""
    errors: dict[str, list[str]] = {}
    subject: Any = member if member is not None else household
    allowed = MEMBER_SEALED if member is not None else HOUSEHOLD_SEALED
    if field not in allowed:
        errors.setdefault("field", []).append(_("不能查看该项。"))
    if reason not in AccessReason.values:
        errors.setdefault("reason", []).append(_("请选择查看原因。"))
    raise_errors(errors)
    value = getattr(subject, field)
    if value is None:
        require(actor, Perm.REVEAL_PERSONAL)
        return ""
    return personal_data_reveal(
        actor=actor,
        subject=subject,
        field=field,
        value=value,
        reason=reason,
        reason_note=reason_note,
        ip_address=ip_address,
    )
