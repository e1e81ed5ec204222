"""Writes for programmes, rounds and applications. One transaction each, the actor first.

An application is decided through ``core.decisions`` up its tiers (grassroots → town →
district, as its round names them): in order, by a reviewer of that very organisation, never
by the person who entered it, with a reason when refused and a snapshot of the household as
it was. The last approval hands the amount to ``funds.services.payable_submit`` in the same
transaction, so an approved application is one payable item, or the approval did not happen.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import importlib
import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.assistance import notifications, rules
from gonghui.assistance.models import (
    DOCUMENT_PURPOSE,
    LIVE_STATUSES,
    SNAPSHOT_PURPOSE,
    TIER_CODES,
    TIER_KINDS,
    Application,
    ApplicationDocument,
    ApplicationStatus,
    Beneficiary,
    Channel,
    HelpKind,
    Programme,
    Round,
)
from gonghui.core import counts, decisions, notify
from gonghui.core.crypto import seal, seal_bytes, unseal
from gonghui.core.locks import LockSpace, lock_one, lock_rows
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.validators import check_plain_text, clean_text, raise_errors
from gonghui.funds import services as funds_services
from gonghui.organizations.models import Organization

SOURCE_KIND = "assistance.application"
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_MAX_FILES = 5
# Extension → (content type, the file's first bytes): the name and the contents must agree.
DOCUMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
MAX_BULK = 2_000
# Where a form shows a failed condition on a declared fact; the rest go to the round.
FIELD_OF_FACT = {
    "child.education_level": "education_level",
    "child.admission_year": "admission_year",
    "child.admitted_this_year": "admission_year",
    "member.condition": "condition",
}


def yuan(amount: Decimal) -> str:
    return funds_services.yuan(amount)


def _day_of(at: datetime.datetime | None) -> datetime.date:
    """The local day of ``at`` (a moment recorded after the fact), or today."""
    if at is None:
        return timezone.localdate()
    if at > timezone.now():
        raise ValidationError({"round": [_("不能登记未来的时间。")]})
    return timezone.localdate(at)


# --- programmes and rounds ------------------------------------------------------------------


@transaction.atomic
def programme_create(
    *, actor: Any, organization: Organization, kind: str, name: str, description: str = ""
) -> Programme:
    require_within(actor, organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required=True, limit=100)
    description = clean_text(description, "description", errors, required=False, limit=500)
    if kind not in HelpKind.values:
        errors.setdefault("kind", []).append(_("请选择五助中的一类。"))
    duplicate = _("%(o)s已有名为“%(n)s”的项目。") % {"o": organization.name, "n": name}
    if name and Programme.unscoped.filter(organization=organization, name=name).exists():
        errors.setdefault("name", []).append(duplicate)
    raise_errors(errors)
    programme = Programme(
        organization=organization,
        kind=kind,
        name=name,
        description=description,
        created_by=actor,
    )
    programme._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            programme.save()
    except IntegrityError:
        raise ValidationError({"name": [duplicate]}) from None
    return programme


def _check_tiers(tiers: Sequence[str], errors: dict[str, list[str]]) -> str:
    chosen = [t for t in TIER_KINDS if t in set(tiers)]
    if not chosen:
        errors.setdefault("tiers", []).append(_("请至少选择一级审核。"))
    if set(tiers) - set(TIER_KINDS):
        errors.setdefault("tiers", []).append(_("审核层级只能是基层、镇（街道）、区和市。"))
    return ",".join(chosen)


def _json(value: Any, field: str, errors: dict[str, list[str]]) -> Any:
    """Rules or a table typed as JSON text on a form (a dict from the API, in codes)."""
    if isinstance(value, dict):
        return value
    text = (value or "").strip()
    if not text:
        return {}
    try:
        # Typed on the form in the words staff read (``rules.readable``), or as codes.
        return rules.from_readable(json.loads(text))
    except ValueError as exc:
        errors.setdefault(field, []).append(
            _("格式不正确（第 %(l)s 行第 %(c)s 列），请检查括号、引号和逗号。")
            % {"l": getattr(exc, "lineno", 1), "c": getattr(exc, "colno", 1)}
        )
        return None


@transaction.atomic
def round_save(
    *,
    actor: Any,
    programme: Programme,
    round: Round | None = None,
    name: str,
    year: int | None,
    opens_on: datetime.date | None,
    closes_on: datetime.date | None,
    tiers: Sequence[str],
    rules_data: Any,
    amounts: Any,
    funds: Sequence[Any],
    once_per_household: bool = False,
    documents_required: bool = False,
    documents_hint: str = "",
) -> Round:
    """Set up (or change) a round. Its rules and amounts are checked by ``rules``; each
    fund must belong to the programme's organisation or one above it, or below it (a
    district's own pool for its part of a city round)."""
    require_within(actor, programme.organization, Perm.EDIT_RECORDS)
    if round is not None and round.programme_id != programme.pk:
        raise NotFound
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required=True, limit=100)
    documents_hint = clean_text(documents_hint, "documents_hint", errors, required=False, limit=200)
    if year is None or not 2000 <= year <= 2099:
        errors.setdefault("year", []).append(_("请填写 2000 至 2099 之间的年度。"))
    if opens_on is None:
        errors.setdefault("opens_on", []).append(_("请填写申请开始日期。"))
    if closes_on is None:
        errors.setdefault("closes_on", []).append(_("请填写申请截止日期。"))
    elif opens_on is not None and closes_on < opens_on:
        errors.setdefault("closes_on", []).append(_("截止日期不能早于开始日期。"))
    tier_text = _check_tiers(tiers, errors)
    rule = _json(rules_data, "rules", errors)
    if rule is not None:
        errors.setdefault("rules", []).extend(rules.validate_rule(rule))
    table = _json(amounts, "amounts", errors)
    if table is not None:
        errors.setdefault("amounts", []).extend(rules.validate_table(table))
    if not funds:
        errors.setdefault("funds", []).append(_("请选择至少一个支出基金。"))
    org_path = programme.organization.path
    for fund in funds:
        path = fund.organization.path
        if not (org_path.startswith(path) or path.startswith(org_path)):
            errors.setdefault("funds", []).append(
                _("“%(f)s”属于%(o)s，与本项目的主办组织不在同一条线上。")
                % {"f": fund.name, "o": fund.organization.name}
            )
    duplicate = _("该项目已有名为“%(n)s”的批次。") % {"n": name}
    others = Round.unscoped.filter(programme=programme, name=name)
    if round is not None:
        others = others.exclude(pk=round.pk)
    if name and others.exists():
        errors.setdefault("name", []).append(duplicate)
    raise_errors({k: v for k, v in errors.items() if v})
    target = round or Round(programme=programme, created_by=actor)
    target.name, target.year = name, year  # type: ignore[assignment]
    target.opens_on, target.closes_on = opens_on, closes_on  # type: ignore[assignment]
    target.tiers, target.rules, target.amounts = tier_text, rule or {}, table
    target.once_per_household = once_per_household
    target.documents_required, target.documents_hint = documents_required, documents_hint
    target._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise ValidationError({"name": [duplicate]}) from None
    target.funds.set(funds)
    return target


# --- what an application is decided on ------------------------------------------------------


def _memberships_union(person: Any) -> Organization | None:
    from gonghui.members.models import Membership, MembershipStatus

    found = (
        Membership.unscoped.filter(person=person, status=MembershipStatus.ACTIVE)
        .select_related("union")
        .first()
    )
    return found.union if found is not None else None


def _live_household(person: Any) -> Any:
    from gonghui.hardship.models import LIVE_STATUSES as FILE_LIVE
    from gonghui.hardship.models import Household

    return (
        Household.unscoped.filter(person=person, status__in=FILE_LIVE)
        .select_related("union", "level")
        .first()
    )


def person_facts(*, person: Any, household: Any, is_member: bool) -> dict[str, Any]:
    """What the rules know of a person from the roll and their hardship file (no sealed
    value: per-capita income enters only as the file's clear "above the line" flag)."""
    from gonghui.members.models import Household as Registration

    return {
        "person.is_member": is_member,
        "person.household_type": {
            Registration.RURAL: "migrant",
            Registration.URBAN: "urban",
        }.get(person.household, ""),
        "household.status": household.status if household is not None else "none",
        "household.level": household.level.code if household and household.level else "",
        "household.above_line": bool(household.above_line) if household is not None else False,
    }


@dataclass(frozen=True)
class Declared:
    """What an application declares, as typed (forms and the API fill it)."""

    beneficiary: str = Beneficiary.SELF
    beneficiary_name: str = ""
    school: str = ""
    education_level: str = ""
    admission_year: int | None = None
    condition: str = ""
    note: str = ""


def declared_facts(
    declared: Declared, round: Round, errors: dict[str, list[str]]
) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    levels = dict(rules.EDUCATION_LEVELS)
    if declared.education_level:
        if declared.education_level not in levels:
            errors.setdefault("education_level", []).append(_("请从列表中选择录取学段。"))
        else:
            facts["child.education_level"] = declared.education_level
    if declared.admission_year is not None:
        if not 1990 <= declared.admission_year <= round.year + 1:
            errors.setdefault("admission_year", []).append(
                _("录取年份应在 1990 至 %(y)s 之间。") % {"y": round.year + 1}
            )
        else:
            facts["child.admission_year"] = declared.admission_year
            facts["child.admitted_this_year"] = declared.admission_year == round.year
    if declared.condition:
        if declared.condition not in dict(rules.CONDITIONS):
            errors.setdefault("condition", []).append(_("请从列表中选择患病情况。"))
        else:
            facts["member.condition"] = declared.condition
    return facts


def _check_document(upload: UploadedFile) -> tuple[str, str, bytes]:
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][-120:]
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in DOCUMENT_TYPES:
        raise ValidationError(_("“%(n)s”：只能上传 PDF、JPG 或 PNG 文件。") % {"n": name})
    too_big = _("“%(n)s”：文件不能超过 10 MB。") % {"n": name}
    if (upload.size or 0) > DOCUMENT_MAX_BYTES:
        raise ValidationError(too_big)
    upload.seek(0)
    data = upload.read(DOCUMENT_MAX_BYTES + 1)
    if len(data) > DOCUMENT_MAX_BYTES:
        raise ValidationError(too_big)
    content_type, magics = DOCUMENT_TYPES[extension]
    if not data.startswith(magics):
        raise ValidationError(
            _("“%(n)s”：文件内容与扩展名不符，请上传真实的 PDF 或图片。") % {"n": name}
        )
    try:
        check_plain_text(name)
    except ValidationError:
        raise ValidationError(_("文件名不能包含 HTML 标签，请改名后上传。")) from None
    return name, content_type, data


def _tier_orgs(union: Organization, tiers: Sequence[str]) -> list[tuple[str, Organization]]:
    """The deciding organisation of each tier above ``union`` (itself for the grassroots);
    a tier of which there is none above it is left out (a union directly under a district
    has no town step)."""
    ancestors = Organization.unscoped.filter(pk__in=union.ancestor_ids())
    by_kind = {org.kind: org for org in ancestors}
    by_kind.setdefault(union.kind, union)
    return [(kind, by_kind[kind]) for kind in tiers if kind in by_kind]


def _duplicate_message(existing: Application) -> str:
    return _("%(n)s已申请过本批次（%(s)s），每人每批次只能申请一次。") % {
        "n": existing.person.name,
        "s": existing.get_status_display(),
    }


_HOUSEHOLD_TWICE = gettext_lazy("该困难家庭已有成员申请本批次，本批次每户限申请一次。")


@transaction.atomic
def application_create(
    *,
    actor: Any,
    round: Round,
    person: Any,
    declared: Declared,
    account_holder: str = "",
    bank_name: str = "",
    bank_card: str = "",
    documents: Sequence[UploadedFile] = (),
    at: datetime.datetime | None = None,
) -> Application:
    """A worker applies (the portal), or a clerk applies on a worker's behalf. Every problem
    is reported at its field at once and nothing is saved: a person outside the rules (each
    failed condition's reason), a second application in the round, a bad document. ``at``:
    when it was made, for one entered after the fact (the demo city's past years), checked
    against the round's window like today; never later than now."""
    day = _day_of(at)
    own = getattr(actor, "person_id_or_none", None) == person.pk and not getattr(
        actor, "scope_path", None
    )
    errors: dict[str, list[str]] = {}
    programme = round.programme
    union = _memberships_union(person)
    household = _live_household(person)
    is_member = union is not None
    if union is None and household is not None:
        union = household.union
    if union is None:
        raise ValidationError({"round": [_("申请人须为工会会员，或已建立困难职工档案。")]})
    if own:
        channel = Channel.PORTAL
    else:
        require_within(actor, union, Perm.EDIT_RECORDS)
        channel = Channel.COUNTER
    if not union.path.startswith(programme.organization.path):
        errors.setdefault("round", []).append(
            _("本批次由%(o)s主办，%(u)s不在其范围内。")
            % {"o": programme.organization.name, "u": union.name}
        )
    elif not programme.active or not round.is_open(day):
        errors.setdefault("round", []).append(
            _("本批次的申请时间为 %(a)s 至 %(b)s，现在不能申请。")
            % {"a": round.opens_on, "b": round.closes_on}
        )
    name = clean_text(
        declared.beneficiary_name, "beneficiary_name", errors, required=True, limit=50
    )
    school = clean_text(declared.school, "school", errors, required=False, limit=100)
    note = clean_text(declared.note, "note", errors, required=False, limit=500, multiline=True)
    if declared.beneficiary not in Beneficiary.values:
        errors.setdefault("beneficiary", []).append(_("请选择受助对象。"))
    holder = clean_text(account_holder, "account_holder", errors, required=own, limit=50)
    bank = clean_text(bank_name, "bank_name", errors, required=own, limit=100)
    card = ""
    if bank_card or own:
        try:
            card = funds_services.normalize_bank_card(bank_card)
        except ValidationError as exc:
            errors.setdefault("bank_card", []).extend(exc.messages)
    facts = {
        **person_facts(person=person, household=household, is_member=is_member),
        **declared_facts(declared, round, errors),
    }
    for fact, reason in rules.failures(round.rules, facts):
        errors.setdefault(FIELD_OF_FACT.get(fact or "", "round"), []).append(reason)
    amount, why = rules.amount_for(round.amounts, facts)
    if amount is None and not errors:
        by = round.amounts.get("by", "") if isinstance(round.amounts, dict) else ""
        errors.setdefault(FIELD_OF_FACT.get(by, "round"), []).append(why)
    existing = (
        Application.unscoped.filter(round=round, person=person, status__in=LIVE_STATUSES)
        .select_related("person")
        .first()
    )
    if existing is not None:
        errors.setdefault("round", []).append(_duplicate_message(existing))
    household_once = household if round.once_per_household and household is not None else None
    if (
        household_once is not None
        and Application.unscoped.filter(
            round=round, household_once=household_once, status__in=LIVE_STATUSES
        ).exists()
    ):
        errors.setdefault("round", []).append(str(_HOUSEHOLD_TWICE))
    files = []
    if len(documents) > DOCUMENT_MAX_FILES:
        errors.setdefault("documents", []).append(
            _("每份申请最多上传 %(n)s 个文件。") % {"n": DOCUMENT_MAX_FILES}
        )
    for upload in documents[:DOCUMENT_MAX_FILES]:
        try:
            files.append(_check_document(upload))
        except ValidationError as exc:
            errors.setdefault("documents", []).extend(exc.messages)
    if round.documents_required and not documents:
        errors.setdefault("documents", []).append(
            round.documents_hint or _("请上传证明材料（图片或 PDF）。")
        )
    raise_errors(errors)
    assert amount is not None  # noqa: S101 (checked above)
    tier_orgs = _tier_orgs(union, round.tier_list)
    if not tier_orgs:
        raise ValidationError(
            {
                "round": [
                    _("本批次的审核层级在%(u)s之上都不存在，请联系主办方。") % {"u": union.name}
                ]
            }
        )
    application = Application(
        round=round,
        person=person,
        union=union,
        household=household,
        household_once=household_once,
        channel=channel,
        beneficiary=declared.beneficiary,
        beneficiary_name=name,
        school=school,
        facts={k: v for k, v in facts.items() if k in FIELD_OF_FACT},
        note=note,
        amount=amount,
        account_holder=holder,
        bank_name=bank,
        bank_card=card or None,
        tiers=",".join(kind for kind, _org in tier_orgs),
        waiting_at=tier_orgs[0][1],
        created_by=actor,
    )
    application._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        # Entered at the same moment by someone else (the worker and a clerk): the index
        # kept one; this one is refused like any second application.
        raise ValidationError(
            {"round": [_("该申请人刚刚已提交本批次的申请，每人每批次只能申请一次。")]}
        ) from None
    if at is not None:
        Application.unscoped.filter(pk=application.pk).update(created_at=at)
        application.created_at = at
    for name_, content_type, data in files:
        _store_document(application, actor, name_, content_type, data)
    if not own:
        notify.notify(
            person_id=person.pk,
            kind=notifications.DECISION,
            text=_("%(u)s已为您登记“%(r)s”申请，补助 %(a)s，正在审核。")
            % {"u": union.name, "r": round.name, "a": yuan(amount)},
            link=reverse("portal:assistance_application", args=[application.pk]),
        )
    return application


def _store_document(
    application: Application, actor: Any, name: str, content_type: str, data: bytes
) -> ApplicationDocument:
    digest = hashlib.sha256(data).hexdigest()[:16]
    document = ApplicationDocument(
        application=application,
        name=name,
        content_type=content_type,
        size=len(data),
        uploaded_by=actor,
    )
    document.file.save(f"{digest}.sealed", ContentFile(seal_bytes(data, purpose=DOCUMENT_PURPOSE)))
    return document


@transaction.atomic
def application_bank_set(
    *, actor: Any, application: Application, account_holder: str, bank_name: str, bank_card: str
) -> Application:
    """A clerk records the account to pay (applications entered from the hardship files
    come without one), while the application is still under review."""
    require_within(actor, application.union, Perm.EDIT_RECORDS)
    application = _lock(application)
    errors: dict[str, list[str]] = {}
    holder = clean_text(account_holder, "account_holder", errors, required=True, limit=50)
    bank = clean_text(bank_name, "bank_name", errors, required=True, limit=100)
    try:
        card = funds_services.normalize_bank_card(bank_card)
    except ValidationError as exc:
        errors.setdefault("bank_card", []).extend(exc.messages)
    if application.status != ApplicationStatus.PENDING:
        errors.setdefault("bank_card", []).append(_("申请已审结，不能再修改收款账户。"))
    raise_errors(errors)
    application.account_holder, application.bank_name = holder, bank
    application.bank_card = card
    application._history_user = actor  # type: ignore[attr-defined]
    application.save(update_fields=["account_holder", "bank_name", "bank_card", "updated_at"])
    return application


@transaction.atomic
def application_withdraw(*, actor: Any, application: Application) -> Application:
    """The worker withdraws their own application while it is under review."""
    if getattr(actor, "person_id_or_none", None) != application.person_id:
        raise NotFound
    application = _lock(application)
    if application.status != ApplicationStatus.PENDING:
        raise ValidationError({"status": [_("只有审核中的申请可以撤回。")]})
    application.status = ApplicationStatus.WITHDRAWN
    application.waiting_at = None
    application._history_user = actor  # type: ignore[attr-defined]
    application.save(update_fields=["status", "waiting_at", "updated_at"])
    return application


# --- the decision flows ---------------------------------------------------------------------


def _lock(application: Application) -> Application:
    # The race: two reviewers (or a bulk and a single approval) decide one step at once.
    return lock_one(
        LockSpace.ASSISTANCE_APPLICATION,
        Application.unscoped.select_related("round", "round__programme", "union", "person"),
        application.pk,
    )


def _lock_many(ids: list[int]) -> list[Application]:
    # The same race as ``_lock``, for a bulk: the rows locked in key order in one statement.
    return lock_rows(
        LockSpace.ASSISTANCE_APPLICATION,
        Application.unscoped.select_related("round", "round__programme", "union", "person").filter(
            pk__in=ids
        ),
    )


def tier_org(application: Application, kind: str) -> Organization:
    union = application.union
    if kind == union.kind:
        return union
    found: Organization = decisions.ancestor_of_kind(union, kind)
    return found


def tier_orgs(applications: Sequence[Application], kind: str) -> list[Organization]:
    """``tier_org`` for many applications, in their order, in one query."""
    found: list[Organization] = decisions.ancestors_of_kind([a.union for a in applications], kind)
    return found


def _denied(org: Any) -> str:
    return _("此步骤由%(o)s审核，您可以查看进度。") % {"o": org.name}


def _round_funds(round: Round) -> list[Any]:
    return list(round.funds.select_related("organization").filter(active=True))


def _fund_for(application: Application, funds: list[Any] | None = None) -> Any:
    """The round's fund nearest above the applicant's union (its own district's pool before
    the city's), or None. ``funds``: the round's active funds, when already read."""
    path = application.union.path
    if funds is None:
        funds = _round_funds(application.round)
    above = [f for f in funds if path.startswith(f.organization.path)]
    return max(above, key=lambda f: len(f.organization.path)) if above else None


def _funds_for_many(applications: Sequence[Application]) -> dict[int, Any]:
    """``_fund_for`` of each application (by key), each round's funds read once."""
    rounds: dict[int, list[Any]] = {}
    found = {}
    for application in applications:
        if application.round_id not in rounds:
            rounds[application.round_id] = _round_funds(application.round)
        found[application.pk] = _fund_for(application, rounds[application.round_id])
    return found


def _check(
    actor: Any,
    application: Application,
    approve: bool,
    errors: dict[str, list[str]],
    fund: Any = False,
) -> None:
    last = application.next_index >= len(application.tier_list) - 1
    if not approve or not last:
        return
    if application.bank_card is None or not application.account_holder:
        errors.setdefault("bank_card", []).append(
            _("请先补充收款户名、开户行和银行卡号，再作终审批准。")
        )
    if (_fund_for(application) if fund is False else fund) is None:
        errors.setdefault("decision_note", []).append(
            _("本批次没有可支付%(u)s款项的基金，请先在批次设置中选择基金。")
            % {"u": application.union.name}
        )


def _check_many(
    actor: Any,
    applications: list[Application],
    approve: bool,
    errors: dict[int, dict[str, list[str]]],
) -> None:
    funds = _funds_for_many(applications) if approve else {}
    for application in applications:
        _check(actor, application, approve, errors[application.pk], funds.get(application.pk))


def _apply(
    actor: Any, application: Application, reason: str, on: datetime.date | None = None
) -> None:
    """The last approval: the amount goes to the funds to be paid, and the household's file
    records its last day of help (``on``, the day of the decision)."""
    fund = _fund_for(application)
    assert fund is not None and application.bank_card is not None  # noqa: S101 (``_check``)
    funds_services.payable_submit(
        actor=actor,
        organization=application.union,
        fund=fund,
        person=application.person,
        account_holder=application.account_holder,
        bank_name=application.bank_name,
        bank_card=application.bank_card.reveal(),
        amount=application.amount,
        source_kind=SOURCE_KIND,
        source_id=application.pk,
        label=application.round.name[:100],
    )
    if application.household_id is not None:
        mark_helped(application.household_id, on or timezone.localdate())
    application.waiting_at = None
    application.next_index = len(application.tier_list)


def _apply_many(
    actor: Any, applications: list[Application], reason: str
) -> dict[int, ValidationError]:
    """``_apply`` for many final approvals: the payable items in one bulk insert, the
    households' last day of help in one statement."""
    funds = _funds_for_many(applications)
    results = funds_services.payable_submit_many(
        actor=actor,
        payables=[
            funds_services.Payable(
                organization=a.union,
                fund=funds[a.pk],
                person=a.person,
                account_holder=a.account_holder,
                bank_name=a.bank_name,
                bank_card=a.bank_card.reveal() if a.bank_card else "",  # ``_check``: there
                amount=a.amount,
                source_kind=SOURCE_KIND,
                source_id=a.pk,
                label=a.round.name[:100],
            )
            for a in applications
        ],
    )
    failed = {
        a.pk: result
        for a, result in zip(applications, results, strict=True)
        if isinstance(result, ValidationError)
    }
    applied = [a for a in applications if a.pk not in failed]
    helped = [a.household_id for a in applied if a.household_id is not None]
    if helped:
        mark_helped_many(helped, timezone.localdate())
    for application in applied:
        application.waiting_at = None
        application.next_index = len(application.tier_list)
    return failed


def _refuse(actor: Any, application: Application, reason: str) -> None:
    application.waiting_at = None


def mark_helped(household_id: int, on: datetime.date) -> None:
    """Tell the hardship roll the household was helped (its 建档未帮扶 list); hardship's
    service, called inside the approval's transaction."""
    hardship_services = importlib.import_module("gonghui.hardship.services")
    hardship_services.mark_helped(household_id=household_id, on=on)


def mark_helped_many(household_ids: list[int], on: datetime.date) -> None:
    """``mark_helped`` for the households of a bulk approval, in one statement."""
    hardship_services = importlib.import_module("gonghui.hardship.services")
    hardship_services.mark_helped_many(household_ids=household_ids, on=on)


def _households(ids: Iterable[int]) -> dict[int, Any]:
    from gonghui.hardship.models import Household

    return (
        Household.unscoped.select_related("level", "union")
        .prefetch_related("members")
        .in_bulk(set(ids))
    )


def snapshot(application: Application, household: Any = None) -> dict[str, Any]:
    """What a decision relied on: the application as declared, and the household as it was
    then (members, relations, level, working capacity). Incomes, the per-capita income and
    health are personal data: they are kept, but sealed (``sealed``: one token, opened only
    by a role that may reveal personal data, and logged), never in the clear in the JSON."""
    data: dict[str, Any] = {
        "round": application.round.name,
        "amount": str(application.amount),
        "beneficiary": application.beneficiary,
        "beneficiary_name": application.beneficiary_name,
        "school": application.school,
        "facts": application.facts,
        "household": None,
    }
    if application.household_id is None:
        return data
    if household is None:
        household = _households([application.household_id])[application.household_id]
    members = list(household.members.all())
    data["household"] = {
        "id": household.pk,
        "union": household.union.name,
        "status": household.status,
        "level": household.level.name if household.level else "",
        "member_count": household.member_count,
        "above_line": household.above_line,
        "reviewed_on": household.reviewed_on,
        "members": [
            {
                "name": m.name,
                "relation": m.relation,
                "work_capacity": m.work_capacity,
                "in_school": m.in_school,
            }
            for m in members
        ],
    }
    secret = {
        "per_capita_income": str(household.per_capita()) if household.per_capita_income else None,
        "members": [
            {
                "name": m.name,
                "yearly_income": str(m.income()),
                "health": m.health.reveal() if m.health is not None else "",
            }
            for m in members
        ],
    }
    token = seal(json.dumps(secret, ensure_ascii=False), purpose=SNAPSHOT_PURPOSE)
    data["sealed"] = base64.b64encode(token).decode()
    return data


def snapshot_many(applications: list[Application]) -> list[dict[str, Any]]:
    """``snapshot`` of each application, their households read in one query."""
    households = _households(a.household_id for a in applications if a.household_id)
    return [
        snapshot(a, households.get(a.household_id) if a.household_id else None)
        for a in applications
    ]


def _organization_of(kind: str) -> Callable[[Any], Organization]:
    def organization(application: Any) -> Organization:
        return tier_org(application, kind)

    return organization


def _flow(tiers: tuple[str, ...]) -> decisions.Flow:
    return decisions.Flow(
        name="assistance.application." + "".join(TIER_CODES[t] for t in tiers),
        steps=tuple(
            decisions.Step(
                name=kind,
                label={
                    "grassroots": gettext_lazy("基层工会审核"),
                    "town": gettext_lazy("镇（街道）总工会审核"),
                    "district": gettext_lazy("区（县、市）总工会审核"),
                    "city": gettext_lazy("市总工会审核"),
                }[kind],
                organization=_organization_of(kind),
                organization_many=functools.partial(tier_orgs, kind=kind),
                perm=Perm.APPROVE,
                reach=decisions.Reach.OWN,
                denied=_denied,
            )
            for kind in tiers
        ),
        maker=lambda app: app.created_by_id,
        lock=_lock,
        lock_many=_lock_many,
        status_field="status",
        pending=ApplicationStatus.PENDING,
        approved=ApplicationStatus.APPROVED,
        refused=ApplicationStatus.REFUSED,
        closed_message=lambda app: (
            _("该申请已审结（%(s)s），不能重复审核。") % {"s": app.get_status_display()}
        ),
        snapshot=snapshot,
        apply=_apply,
        refuse=_refuse,
        check=_check,
        check_many=_check_many,
        snapshot_many=snapshot_many,
        apply_many=_apply_many,
        reason_message=lambda: _("不批准时请写明原因，申请人会看到。"),
    )


# One flow per choice of tiers (a round names some of the four levels, in order): all of
# them registered at start-up, so a round's tiers stay data.
FLOWS: dict[str, decisions.Flow] = {}
for _size in range(1, len(TIER_KINDS) + 1):
    for _tiers in itertools.combinations(TIER_KINDS, _size):
        FLOWS[",".join(_tiers)] = decisions.register(_flow(_tiers))


def flow_for(application: Application) -> decisions.Flow:
    return FLOWS[application.tiers]


@transaction.atomic
def application_decide(
    *,
    actor: Any,
    application: Application,
    approve: bool,
    reason: str = "",
    at: datetime.datetime | None = None,
) -> Application:
    """Decide the application's next step (``core.decisions``: order, maker-checker, scope,
    reason). The applicant is told every decision. ``at``: when it was decided, for a
    decision recorded after the fact (the demo city's past years); never later than now."""
    day = _day_of(at)
    decided = decisions.decide(
        actor=actor,
        flow=flow_for(application),
        request=application,
        approve=approve,
        reason=reason,
        options={"on": day} if approve and at is not None else None,
        at=at,
    )
    steps = len(decisions.steps_of(decided))
    org = decisions.steps_of(decided)[-1].organization
    texts = {"r": decided.round.name, "o": org.name}
    if decided.status == ApplicationStatus.PENDING:
        nxt = tier_org(decided, decided.tier_list[steps])
        # Saved, not updated: the move to the next tier is in the history, and the queues'
        # cached counts (the menu badge, the home tile) learn of it.
        decided.next_index, decided.waiting_at = steps, nxt
        decided._history_user = actor
        decided.save(update_fields=["next_index", "waiting_at", "updated_at"])
        text = _("您申请的“%(r)s”已通过%(o)s审核，等待%(n)s审核。") % {**texts, "n": nxt.name}
    elif decided.status == ApplicationStatus.APPROVED:
        Application.unscoped.filter(pk=decided.pk).update(next_index=steps, waiting_at=None)
        text = _("您申请的“%(r)s”已获批准，补助 %(a)s，将转入尾号 %(c)s 的银行卡。") % {
            **texts,
            "a": yuan(decided.amount),
            "c": decided.bank_card.masked()[-4:] if decided.bank_card else "",
        }
    else:
        Application.unscoped.filter(pk=decided.pk).update(waiting_at=None)
        text = _("您申请的“%(r)s”未获%(o)s批准：%(why)s") % {**texts, "why": reason}
    notify.notify(
        person_id=decided.person_id,
        kind=notifications.DECISION,
        text=text,
        link=reverse("portal:assistance_application", args=[decided.pk]),
    )
    result: Application = decided
    return result


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    problems: list[tuple[Application, str]] = field(default_factory=list)


@transaction.atomic
def application_bulk_approve(
    *,
    actor: Any,
    applications: Sequence[Application],
    reason: str = "",
    at: datetime.datetime | None = None,
) -> BulkResult:
    """A reviewer approves many applications at their tier at once. Each is decided as if
    alone (``core.decisions.decide_many``: the same lock, checks and messages as
    ``application_decide``, for the whole set in a handful of statements); one that cannot
    be approved (its step is not this reviewer's, its bank account is missing) is reported
    with the reason and left as it was, the others stand. The applicants are told in one
    ``notify_many``."""
    require(actor, Perm.APPROVE)
    if len(applications) > MAX_BULK:
        raise ValidationError(
            {"applications": [_("一次最多批量审核 %(n)s 份申请。") % {"n": MAX_BULK}]}
        )
    result = BulkResult()
    if at is not None:
        # Decisions recorded after the fact (the demo city's past years) are dated one by
        # one, each as ``application_decide`` dates it; the set-based path decides now.
        for application in sorted(applications, key=lambda a: a.pk):
            try:
                with transaction.atomic():
                    application_decide(
                        actor=actor, application=application, approve=True, reason=reason, at=at
                    )
            except ValidationError as exc:
                result.problems.append((application, " ".join(exc.messages)))
            except (PermissionDenied, NotFound) as exc:
                result.problems.append((application, str(exc) or _("无权审核。")))
            else:
                result.done.append(application.pk)
        return result
    given = {a.pk: a for a in applications}
    # Every application of the bulk locked at once, in key order, before the flows (one per
    # choice of tiers) decide theirs one flow after another (the race: see ``_lock``).
    lock_rows(LockSpace.ASSISTANCE_APPLICATION, Application.unscoped.filter(pk__in=list(given)))
    by_flow: dict[str, list[Application]] = {}
    for application in given.values():
        by_flow.setdefault(application.tiers, []).append(application)
    outcomes: list[decisions.Outcome] = []
    for tiers, group in sorted(by_flow.items()):
        outcomes += decisions.decide_many(
            actor=actor, flow=FLOWS[tiers], requests=group, approve=True, reason=reason
        )
    outcomes.sort(key=lambda o: o.request.pk)
    decided = []
    for outcome in outcomes:
        if outcome.error is None:
            decided.append(outcome)
            result.done.append(outcome.request.pk)
        elif isinstance(outcome.error, ValidationError):
            result.problems.append((given[outcome.request.pk], " ".join(outcome.error.messages)))
        else:
            message = str(outcome.error) or _("无权审核。")
            result.problems.append((given[outcome.request.pk], message))
    if decided:
        _after_bulk(decided)
    return result


def _after_bulk(decided: list[decisions.Outcome]) -> None:
    """What ``application_decide`` does after each decision, for a bulk's: the queue's next
    tier in one ``UPDATE`` per tier organisation, the applicants told in one call."""
    now = timezone.now()
    onward: dict[tuple[int, str], list[Application]] = {}
    for outcome in decided:
        application: Application = outcome.request
        steps = (outcome.index or 0) + 1
        if application.status == ApplicationStatus.PENDING:
            onward.setdefault((steps, application.tier_list[steps]), []).append(application)
    nexts: dict[int, Organization] = {}
    for (steps, kind), group in onward.items():
        orgs = tier_orgs(group, kind)
        by_org: dict[int, list[int]] = {}
        for application, nxt in zip(group, orgs, strict=True):
            application.next_index, application.waiting_at = steps, nxt
            nexts[application.pk] = nxt
            by_org.setdefault(nxt.pk, []).append(application.pk)
        for org_pk, pks in by_org.items():
            Application.unscoped.filter(pk__in=pks).update(
                next_index=steps, waiting_at_id=org_pk, updated_at=now
            )
    messages = []
    for outcome in decided:
        application = outcome.request
        texts = {"r": application.round.name, "o": outcome.organization.name}
        if application.status == ApplicationStatus.PENDING:
            text = _("您申请的“%(r)s”已通过%(o)s审核，等待%(n)s审核。") % {
                **texts,
                "n": nexts[application.pk].name,
            }
        else:
            card = application.bank_card
            text = _("您申请的“%(r)s”已获批准，补助 %(a)s，将转入尾号 %(c)s 的银行卡。") % {
                **texts,
                "a": yuan(application.amount),
                "c": card.masked()[-4:] if card else "",
            }
        link = reverse("portal:assistance_application", args=[application.pk])
        messages.append(notify.Message(application.person_id, text, link))
    notify.notify_many(kind=notifications.DECISION, messages=messages)
    # ``decide_many`` saves without model signals: the counts' cache is told once.
    transaction.on_commit(lambda: counts.bump("assistance"), robust=True)


# --- proposals from the hardship files ------------------------------------------------------


@transaction.atomic
def applications_from_proposals(
    *,
    actor: Any,
    round: Round,
    organization: Organization,
    household_ids: Iterable[int],
    at: datetime.datetime | None = None,
) -> int:
    """A clerk turns proposals (``selectors.proposal_list``: eligible on the hardship file,
    not yet applied) into applications in bulk, without bank accounts (recorded before the
    final approval). Only complete proposals (every condition decided, the amount known)
    are taken; returns how many applications were made. ``at``: when they were entered,
    for proposals recorded after the fact (the demo city's past years)."""
    from gonghui.assistance import selectors

    require_within(actor, organization, Perm.EDIT_RECORDS)
    wanted = set(household_ids)
    if not wanted:
        raise ValidationError({"households": [_("请至少选择一户。")]})
    if len(wanted) > MAX_BULK:
        raise ValidationError({"households": [_("一次最多登记 %(n)s 户。") % {"n": MAX_BULK}]})
    if not round.is_open(_day_of(at)):
        raise ValidationError({"round": [_("本批次不在申请时间内。")]})
    proposals = [
        p
        for p in selectors.proposal_list(
            actor=actor, round=round, organization=organization, household_ids=wanted
        )
        if p.complete and p.amount is not None
    ]
    unions = Organization.unscoped.in_bulk({p.union_id for p in proposals})
    tiers = {uid: _tier_orgs(union, round.tier_list) for uid, union in unions.items()}
    made = [
        Application(
            round=round,
            person_id=p.person_id,
            union_id=p.union_id,
            household_id=p.household_id,
            household_once_id=p.household_id if round.once_per_household else None,
            channel=Channel.PROPOSAL,
            beneficiary=Beneficiary.SELF,
            beneficiary_name=p.name,
            amount=p.amount or Decimal("0.00"),  # complete: the table gave it
            tiers=",".join(kind for kind, _org in tiers[p.union_id]),
            waiting_at=tiers[p.union_id][0][1],
            created_by=actor,
        )
        for p in proposals
        if tiers[p.union_id]
    ]
    last = Application.unscoped.aggregate(last=Max("pk"))["last"] or 0
    # Someone applying at this very moment keeps their own application: the partial unique
    # index refuses the proposal's row, which is skipped.
    Application.objects.bulk_create(made, batch_size=1000, ignore_conflicts=True)
    made_now = Application.unscoped.filter(
        round=round, pk__gt=last, channel=Channel.PROPOSAL, created_by=actor
    )
    if at is not None:
        made_now.update(created_at=at)
    created = list(made_now.values_list("person_id", "amount"))
    notify.notify_many(
        kind=notifications.DECISION,
        messages=[
            notify.Message(
                person_id,
                _("工会已根据困难职工档案为您登记“%(r)s”申请，补助 %(a)s，正在审核。")
                % {"r": round.name, "a": yuan(amount)},
                reverse("portal:assistance_home"),
            )
            for person_id, amount in created
        ],
    )
    return len(created)


@transaction.atomic
def snapshot_reveal(
    *,
    actor: Any,
    application: Application,
    index: int,
    reason: str,
    ip_address: str | None = None,
) -> dict[str, Any]:
    """The sealed part of a decision step's snapshot (incomes, per-capita income, health as
    the decider saw them), for a role that may see personal data, the view logged in the
    same transaction. ``NotFound`` for a step that does not exist or holds none."""
    from gonghui.core.models import AccessReason
    from gonghui.core.services import Subject, personal_data_log

    require(actor, Perm.REVEAL_PERSONAL)
    if reason not in AccessReason.values:
        raise ValidationError({"reason": [_("请选择查看原因。")]})
    step = next((s for s in decisions.steps_of(application) if s.index == index), None)
    token = step.snapshot.get("sealed") if step is not None else None
    if step is None or not token:
        raise NotFound
    personal_data_log(
        actor=actor,
        subjects=[Subject.of(application.person)],
        fields=[f"assistance_snapshot:{step.pk}"],
        reason=reason,
        ip_address=ip_address,
    )
    secret: dict[str, Any] = json.loads(unseal(base64.b64decode(token), purpose=SNAPSHOT_PURPOSE))
    return secret
