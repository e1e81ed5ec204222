"""Claims (MMA-3): submitting one (the worker in the portal, a union clerk on their behalf, the
counter), the benefit preview, the adjudication run that routes and auto-approves the pending
claims, and the reviewer's approve / refuse / adjust. One transaction each, the actor first.

What a claim is checked against, in one place (``_prepare``, used by the submission and the
preview alike): the person's live enrolment in the period covering the admission day (in
effect that day, past its waiting period), the period's claim deadline, the rules'
categories, the dates, the invoices (amounts, eligible self-paid not above the total, each
invoice code and number used once in the whole city: a check with the earlier claim's date
in the message, and the ``Invoice`` partial unique index behind it for two submissions at
once), the documents and the bank account. Identical uploaded files are flagged, not refused.

The benefit is ``rules.compute`` over the member's earlier live claims in the period: those
before this claim (by id), so a claim recomputed after an adjustment replaces its own use of
the deductible and the caps instead of counting it twice.

Adjudication is set-based (``claims_adjudicate``): the pending claims without a route are
read in bulk, routed in Python (flagged, above the threshold, sampled by a seeded draw, or
approved at once) and written with a few statements; the auto-approved become payable items
of the period's fund in one insert (``funds.services.payable_submit_many``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import notify
from gonghui.core.crypto import seal_bytes
from gonghui.core.locks import LockSpace, advisory_lock, lock_one
from gonghui.core.money import check_money
from gonghui.core.permissions import Perm, require
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.uploads import IMAGES, PDF, check_upload, upload_name
from gonghui.core.validators import check_plain_text, clean_text, raise_errors
from gonghui.funds import services as funds_services
from gonghui.mutualaid import notifications, rules
from gonghui.mutualaid.models import (
    DOCUMENT_PURPOSE,
    LIVE_CLAIM_STATES,
    Claim,
    ClaimChannel,
    ClaimDocument,
    ClaimRoute,
    ClaimStatus,
    DocumentKind,
    Enrolment,
    EnrolmentStatus,
    Invoice,
    Period,
    SampleDraw,
)

SOURCE_KIND = "mutualaid.claim"
MAX_INVOICES = 20
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_MAX_FILES = 10
DOCUMENT_TYPES = {**PDF, **IMAGES}
ZERO = Decimal("0.00")
# One adjudication statement updates at most this many claims (the ``IN`` list).
CHUNK = 5_000


def yuan(amount: Decimal) -> str:
    return funds_services.yuan(amount)


# --- what a claim says ----------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceInput:
    """One invoice as typed: code and number, total, paid by basic medical insurance
    (统筹支付) and the eligible self-paid part (政策内自付)."""

    code: str
    number: str
    total: Any
    eligible: Any
    insurance_paid: Any = "0"
    issued_on: datetime.date | None = None


@dataclass(frozen=True)
class ClaimInput:
    category: str
    hospital: str
    admitted_on: datetime.date | None
    discharged_on: datetime.date | None
    diagnosis: str
    invoices: Sequence[InvoiceInput]
    account_holder: str = ""
    bank_name: str = ""
    bank_card: str = ""


@dataclass(frozen=True)
class Prepared:
    """A claim that passed every check, with its benefit (nothing written yet)."""

    period: Period
    enrolment: Enrolment
    category: rules.Category
    admitted_on: datetime.date
    discharged_on: datetime.date
    hospital: str
    diagnosis: str
    invoices: list[tuple[str, str, Decimal, Decimal, Decimal, datetime.date | None]]
    total: Decimal
    insurance_paid: Decimal
    eligible: Decimal
    benefit: rules.Benefit
    account_holder: str
    bank_name: str
    bank_card: str


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _enrolment_on(person: Any, day: datetime.date) -> Enrolment | None:
    """The person's live enrolment in a period covering ``day`` (the latest period first)."""
    return (
        Enrolment.unscoped.filter(
            person=person,
            status__in=(EnrolmentStatus.BILLED, EnrolmentStatus.ACTIVE),
            period__starts_on__lte=day,
            period__ends_on__gte=day,
        )
        .select_related("period", "period__fund", "union")
        .order_by("-period__starts_on", "-pk")
        .first()
    )


def ruleset(period: Period) -> rules.RuleSet:
    return rules.parse(period.rules)


def earlier_of(claims: Iterable[Any]) -> list[rules.Earlier]:
    return [
        rules.Earlier(
            category=c.category,
            eligible=c.eligible,
            deductible_used=c.deductible_used,
            benefit=c.benefit,
        )
        for c in claims
    ]


def _earlier(period: Period, person_id: int, before: int | None) -> list[rules.Earlier]:
    """The member's live claims in the period before claim ``before`` (all of them for a new
    claim): what they used of the deductibles and the caps."""
    qs = Claim.unscoped.filter(period=period, person_id=person_id, status__in=LIVE_CLAIM_STATES)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return earlier_of(qs.only("category", "eligible", "deductible_used", "benefit").order_by("pk"))


def duplicate_invoice_message(code: str, number: str, when: datetime.datetime | None) -> str:
    """Names the earlier claim's date only: nothing about whose it was."""
    if when is None:
        return _("发票（代码 %(c)s，号码 %(n)s）已在另一笔理赔中使用，不能重复报销。") % {
            "c": code,
            "n": number,
        }
    return _("发票（代码 %(c)s，号码 %(n)s）已在 %(d)s 提交的另一笔理赔中使用，不能重复报销。") % {
        "c": code,
        "n": number,
        "d": timezone.localtime(when).date().isoformat(),
    }


def _used_invoices(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], datetime.datetime]:
    """Of ``pairs`` (code, number), those held by a live claim, with that claim's date."""
    wanted = list(set(pairs))
    if not wanted:
        return {}
    query = Q()
    for code, number in wanted:
        query |= Q(code=code, number=number)
    rows = Invoice.objects.filter(query, live=True).values_list(
        "code", "number", "claim__created_at"
    )
    return {(code, number): when for code, number, when in rows}


def _check_invoices(
    invoices: Sequence[InvoiceInput], errors: dict[str, list[str]]
) -> list[tuple[str, str, Decimal, Decimal, Decimal, datetime.date | None]]:
    checked = []
    if not invoices:
        _add(errors, "invoices", _("请至少填写一张医疗发票。"))
    if len(invoices) > MAX_INVOICES:
        _add(errors, "invoices", _("每笔理赔最多 %(n)s 张发票。") % {"n": MAX_INVOICES})
    seen: set[tuple[str, str]] = set()
    for i, inv in enumerate(invoices[:MAX_INVOICES]):
        at = f"invoices.{i}."
        code = clean_text(inv.code, at + "code", errors, required=True, limit=20)
        number = clean_text(inv.number, at + "number", errors, required=True, limit=20)
        if code and not (code.isascii() and code.isalnum()):
            _add(errors, at + "code", _("发票代码只能是数字或字母。"))
        if number and not (number.isascii() and number.isalnum()):
            _add(errors, at + "number", _("发票号码只能是数字或字母。"))
        total = check_money(inv.total, at + "total", errors, required=True)
        insurance = check_money(inv.insurance_paid, at + "insurance_paid", errors) or ZERO
        eligible = check_money(inv.eligible, at + "eligible", errors, required=True)
        if total is not None and total <= 0:
            _add(errors, at + "total", _("费用总额须大于 0。"))
        if total is not None and eligible is not None and eligible > total:
            _add(
                errors,
                at + "eligible",
                _("政策内自付（%(e)s 元）不能超过费用总额（%(t)s 元）。")
                % {"e": eligible, "t": total},
            )
        elif total is not None and eligible is not None and insurance + eligible > total:
            _add(
                errors,
                at + "insurance_paid",
                _("统筹支付与政策内自付之和不能超过费用总额（%(t)s 元）。") % {"t": total},
            )
        if (code, number) in seen and code and number:
            _add(errors, at + "number", _("同一张发票填写了两次，请删除重复的一行。"))
        seen.add((code, number))
        if total is not None and eligible is not None:
            checked.append((code, number, total, insurance, eligible, inv.issued_on))
    used = _used_invoices((c, n) for c, n, *_rest in checked)
    for i, (code, number, *_rest) in enumerate(checked):
        if (code, number) in used:
            _add(
                errors,
                f"invoices.{i}.number",
                duplicate_invoice_message(code, number, used[(code, number)]),
            )
    return checked


def _prepare(*, person: Any, data: ClaimInput, today: datetime.date, with_bank: bool) -> Prepared:
    """Every check of a claim, each reported at its field, and its benefit. Raises
    ``ValidationError`` (a dict keyed by field; invoices at ``invoices.<i>.<field>``)."""
    errors: dict[str, list[str]] = {}
    hospital = clean_text(data.hospital, "hospital", errors, required=True, limit=100)
    diagnosis = clean_text(data.diagnosis, "diagnosis", errors, required=True, limit=200)
    admitted, discharged = data.admitted_on, data.discharged_on
    if admitted is None:
        _add(errors, "admitted_on", _("请填写入院（就诊）日期。"))
    if discharged is None:
        _add(errors, "discharged_on", _("请填写出院日期（门诊填写就诊结束日期）。"))
    if admitted is not None and discharged is not None and discharged < admitted:
        _add(errors, "discharged_on", _("出院日期不能早于入院日期。"))
    if discharged is not None and discharged > today:
        _add(errors, "discharged_on", _("出院日期不能晚于今天。"))
    invoices = _check_invoices(data.invoices, errors)
    holder = bank = card = ""
    if with_bank:
        holder = clean_text(data.account_holder, "account_holder", errors, required=True, limit=50)
        bank = clean_text(data.bank_name, "bank_name", errors, required=True, limit=100)
        try:
            card = funds_services.normalize_bank_card(data.bank_card)
        except ValidationError as exc:
            errors.setdefault("bank_card", []).extend(exc.messages)
    enrolment = _enrolment_on(person, admitted) if admitted is not None else None
    category = None
    if admitted is not None and enrolment is None:
        _add(
            errors,
            "admitted_on",
            _("%(d)s 您（申请人）未参加职工医疗互助保障，该次治疗不能申请互助理赔。")
            % {"d": admitted.isoformat()},
        )
    elif enrolment is not None and admitted is not None:
        period = enrolment.period
        if (
            enrolment.status != EnrolmentStatus.ACTIVE
            or enrolment.effective_on is None
            or enrolment.effective_on > admitted
        ):
            _add(
                errors,
                "admitted_on",
                _("入院（就诊）日期 %(d)s 时参保尚未生效（需所在工会缴费后生效），不能申请。")
                % {"d": admitted.isoformat()},
            )
        elif enrolment.covered_from is not None and admitted < enrolment.covered_from:
            _add(
                errors,
                "admitted_on",
                _("首次参保有等待期，%(f)s 起发生的医疗费用才能申请；本次入院日期为 %(d)s。")
                % {"f": enrolment.covered_from.isoformat(), "d": admitted.isoformat()},
            )
        if discharged is not None and discharged >= admitted:
            if period.claim_days is not None:
                due = discharged + datetime.timedelta(days=period.claim_days)
                if today > due:
                    _add(
                        errors,
                        "discharged_on",
                        _("须在出院后 %(n)s 天内（%(d)s 前）申请，已超过申请期限。")
                        % {"n": period.claim_days, "d": due.isoformat()},
                    )
            if period.claims_close_on is not None and today > period.claims_close_on:
                _add(
                    errors,
                    "discharged_on",
                    _("%(p)s的理赔申请已于 %(d)s 截止。")
                    % {"p": period.name, "d": period.claims_close_on.isoformat()},
                )
        try:
            category = ruleset(period).category(data.category)
        except KeyError:
            _add(errors, "category", _("请从本期的保障类别中选择。"))
        else:
            if category.sex and category.sex != person.sex:
                _add(errors, "category", _("“%(c)s”仅限女职工申请。") % {"c": category.name})
    elif not data.category:
        _add(errors, "category", _("请选择保障类别。"))
    raise_errors(errors)
    assert enrolment is not None and category is not None  # noqa: S101 (checked above)
    assert admitted is not None and discharged is not None  # noqa: S101 (checked above)
    total = sum((i[2] for i in invoices), ZERO)
    insurance = sum((i[3] for i in invoices), ZERO)
    eligible = sum((i[4] for i in invoices), ZERO)
    benefit = rules.compute(
        ruleset(enrolment.period),
        category.code,
        eligible,
        _earlier(enrolment.period, person.pk, None),
    )
    return Prepared(
        period=enrolment.period,
        enrolment=enrolment,
        category=category,
        admitted_on=admitted,
        discharged_on=discharged,
        hospital=hospital,
        diagnosis=diagnosis,
        invoices=invoices,
        total=total,
        insurance_paid=insurance,
        eligible=eligible,
        benefit=benefit,
        account_holder=holder,
        bank_name=bank,
        bank_card=card,
    )


def _own(actor: Any, person: Any) -> bool:
    return getattr(actor, "person_id_or_none", None) == person.pk and not getattr(
        actor, "scope_path", None
    )


def _staff_scope(actor: Any, person: Any, data: ClaimInput) -> None:
    """Staff act for people of their subtree: the union of the enrolment the claim falls
    under must be in it (``NotFound`` otherwise, before any check could tell them about it)."""
    require(actor, Perm.EDIT_RECORDS)
    enrolment = _enrolment_on(person, data.admitted_on) if data.admitted_on is not None else None
    if enrolment is not None:
        require_within(actor, enrolment.union, Perm.EDIT_RECORDS)


def claim_preview(*, actor: Any, person: Any, data: ClaimInput) -> Prepared:
    """What the rules would pay for this claim, with the explanation, before it is
    submitted: the same checks as ``claim_submit`` (the bank account aside), nothing
    written. The worker previews their own claims; staff those of people in their scope."""
    if not _own(actor, person):
        _staff_scope(actor, person, data)
    return _prepare(person=person, data=data, today=timezone.localdate(), with_bank=False)


def _check_documents(
    documents: Sequence[tuple[str, UploadedFile]], errors: dict[str, list[str]]
) -> list[tuple[str, str, str, bytes]]:
    files = []
    if len(documents) > DOCUMENT_MAX_FILES:
        _add(errors, "documents", _("每笔理赔最多上传 %(n)s 个文件。") % {"n": DOCUMENT_MAX_FILES})
    for kind, upload in documents[:DOCUMENT_MAX_FILES]:
        name = upload_name(upload)[-120:]
        if kind not in DocumentKind.values:
            _add(errors, "documents", _("“%(n)s”：请选择材料类型。") % {"n": name})
            continue
        try:
            check_plain_text(name)
        except ValidationError:
            _add(errors, "documents", _("文件名不能包含 HTML 标签，请改名后上传。"))
            continue
        try:
            content_type, data = check_upload(
                upload,
                types=DOCUMENT_TYPES,
                max_bytes=DOCUMENT_MAX_BYTES,
                field="documents",
                type_message=_("“%(n)s”：只能上传 PDF、JPG 或 PNG 文件。") % {"n": name},
                size_message=_("“%(n)s”：文件不能超过 10 MB。") % {"n": name},
                content_message=_("“%(n)s”：文件内容与扩展名不符，请上传真实的 PDF 或图片。")
                % {"n": name},
            )
        except ValidationError as exc:
            errors.setdefault("documents", []).extend(exc.messages)
            continue
        files.append((kind, name, content_type, data))
    return files


def _store_documents(
    claim: Claim, actor: Any, files: Sequence[tuple[str, str, str, bytes]]
) -> list[dict[str, str]]:
    """Seal and store the files; returns the flags for files identical to one sent with
    another live claim (or twice with this one)."""
    flags: list[dict[str, str]] = []
    digests = [hashlib.sha256(data).hexdigest() for _k, _n, _c, data in files]
    earlier = dict(
        ClaimDocument.objects.filter(digest__in=digests, claim__status__in=LIVE_CLAIM_STATES)
        .exclude(claim=claim)
        .values_list("digest", "claim__created_at")
    )
    seen: set[str] = set()
    for (kind, name, content_type, data), digest in zip(files, digests, strict=True):
        document = ClaimDocument(
            claim=claim,
            kind=kind,
            name=name,
            content_type=content_type,
            size=len(data),
            digest=digest,
            uploaded_by=actor,
        )
        document.file.save(
            f"{digest[:16]}.sealed", ContentFile(seal_bytes(data, purpose=DOCUMENT_PURPOSE))
        )
        if digest in earlier:
            when = timezone.localtime(earlier[digest]).date().isoformat()
            flags.append(
                {
                    "kind": "same_file",
                    "text": _("材料“%(n)s”与 %(d)s 提交的另一笔理赔中的文件完全相同。")
                    % {"n": name, "d": when},
                }
            )
        elif digest in seen:
            flags.append(
                {
                    "kind": "same_file",
                    "text": _("材料“%(n)s”在本次申请中上传了两次。") % {"n": name},
                }
            )
        seen.add(digest)
    return flags


def _claim_link(claim: Claim) -> str:
    return reverse("portal:mutualaid_claim", args=[claim.pk])


@transaction.atomic
def claim_submit(
    *,
    actor: Any,
    person: Any,
    data: ClaimInput,
    documents: Sequence[tuple[str, UploadedFile]] = (),
    channel: str = "",
    counter_visit: bool = False,
    today: datetime.date | None = None,
) -> Claim:
    """A worker claims (the portal), or staff claim on a worker's behalf: a union clerk
    (``union``: the papers reach the federation through the union, no trip for the worker)
    or the counter (``counter``: the worker came in). Every problem is reported at its field
    at once and nothing is saved. ``today``: the day of submission (the demo's past years)."""
    today = today or timezone.localdate()
    own = _own(actor, person)
    errors: dict[str, list[str]] = {}
    if own:
        channel, counter_visit = ClaimChannel.PORTAL, False
    elif channel not in (ClaimChannel.UNION, ClaimChannel.COUNTER):
        _add(errors, "channel", _("请选择受理方式（工会代办或窗口受理）。"))
    elif channel == ClaimChannel.COUNTER:
        counter_visit = True
    if not own:
        _staff_scope(actor, person, data)
    files = _check_documents(documents, errors)
    try:
        prepared = _prepare(person=person, data=data, today=today, with_bank=True)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    raise_errors(errors)
    period = prepared.period
    claim = Claim(
        period=period,
        enrolment=prepared.enrolment,
        person=person,
        union=prepared.enrolment.union,
        category=prepared.category.code,
        hospital=prepared.hospital,
        admitted_on=prepared.admitted_on,
        discharged_on=prepared.discharged_on,
        diagnosis=prepared.diagnosis,
        channel=channel,
        counter_visit=counter_visit,
        total=prepared.total,
        insurance_paid=prepared.insurance_paid,
        eligible_claimed=prepared.eligible,
        eligible=prepared.eligible,
        deductible_used=prepared.benefit.deductible_used,
        benefit=prepared.benefit.amount,
        explanation=list(prepared.benefit.lines),
        account_holder=prepared.account_holder,
        bank_name=prepared.bank_name,
        bank_card=prepared.bank_card,
        created_by=actor,
    )
    claim._history_user = actor  # type: ignore[attr-defined]
    claim.save()
    rows = [
        Invoice(
            claim=claim,
            code=code,
            number=number,
            total=total,
            insurance_paid=insurance,
            eligible=eligible,
            issued_on=issued_on,
        )
        for code, number, total, insurance, eligible, issued_on in prepared.invoices
    ]
    try:
        with transaction.atomic():
            Invoice.objects.bulk_create(rows)
    except IntegrityError:
        # Another claim with the same invoice committed after our check: the partial unique
        # index kept one. Report it as the check would have.
        used = _used_invoices((r.code, r.number) for r in rows)
        message = {
            f"invoices.{i}.number": [duplicate_invoice_message(r.code, r.number, used.get(k))]
            for i, r in enumerate(rows)
            if (k := (r.code, r.number)) in used
        } or {"invoices": [duplicate_invoice_message("", "", None)]}
        raise ValidationError(message) from None
    flags = _store_documents(claim, actor, files)
    if flags:
        claim.flags = flags
        claim.save(update_fields=["flags", "updated_at"])
    texts = {"c": prepared.category.name, "h": claim.hospital, "a": yuan(claim.benefit)}
    notify.notify(
        person_id=person.pk,
        kind=notifications.CLAIM,
        text=(
            _("您的互助理赔申请（%(c)s，%(h)s）已提交，按规则可赔付 %(a)s，正在审核。")
            if own
            else _("工会已为您提交互助理赔申请（%(c)s，%(h)s），按规则可赔付 %(a)s，正在审核。")
        )
        % texts,
        link=_claim_link(claim),
    )
    return claim


@transaction.atomic
def claim_documents_add(
    *, actor: Any, claim: Claim, documents: Sequence[tuple[str, UploadedFile]]
) -> Claim:
    """Documents sent after the claim (补充材料): by the worker whose claim it is, or by staff
    of the claim's union's subtree, while it waits for its review. The same checks as at
    submission (type, size, content, at most ``DOCUMENT_MAX_FILES`` in all); a file identical
    to one of another live claim is flagged for the reviewer."""
    if not _own(actor, claim.person):
        require_within(actor, claim.union, Perm.EDIT_RECORDS)
    locked = _lock(claim)
    if locked.status != ClaimStatus.PENDING:
        raise ValidationError(
            {
                "documents": [
                    _("该理赔已审结（%(s)s），不能再补充材料。")
                    % {"s": locked.get_status_display()}
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    if not documents:
        _add(errors, "documents", _("请选择要上传的文件。"))
    held = locked.documents.count()
    if len(documents) <= DOCUMENT_MAX_FILES < held + len(documents):
        _add(
            errors,
            "documents",
            _("本笔理赔已有 %(h)s 个文件，最多还能上传 %(n)s 个。")
            % {"h": held, "n": max(DOCUMENT_MAX_FILES - held, 0)},
        )
    files = _check_documents(documents, errors)
    raise_errors(errors)
    flags = _store_documents(locked, actor, files)
    if flags:
        locked.flags = [*(locked.flags or []), *flags]
        locked._history_user = actor  # type: ignore[attr-defined]
        locked.save(update_fields=["flags", "updated_at"])
    return locked


# --- reviewers ------------------------------------------------------------------------------


def _lock(claim: Claim) -> Claim:
    # The race: two reviewers (or a reviewer and the adjudication run) decide one claim at
    # once, so it is handed to the funds twice or refused after it was approved.
    return lock_one(
        LockSpace.MUTUALAID_CLAIM,
        Claim.unscoped.select_related("period", "period__fund", "union", "person"),
        claim.pk,
    )


def _reviewable(actor: Any, claim: Claim) -> Claim:
    require_within(actor, claim.union, Perm.APPROVE)
    locked = _lock(claim)
    if locked.status != ClaimStatus.PENDING:
        raise ValidationError(
            {
                "status": [
                    _("该理赔已审结（%(s)s），不能重复审核。") % {"s": locked.get_status_display()}
                ]
            }
        )
    if locked.created_by_id == actor.pk:
        raise ValidationError({"status": [_("代为提交理赔的工作人员不能审核同一笔理赔。")]})
    return locked


def _pay(actor: Any, claim: Claim) -> None:
    if claim.benefit <= 0:
        return
    assert claim.bank_card is not None  # noqa: S101 (required at submission)
    funds_services.payable_submit(
        actor=actor,
        organization=claim.union,
        fund=claim.period.fund,
        person=claim.person,
        account_holder=claim.account_holder,
        bank_name=claim.bank_name,
        bank_card=claim.bank_card.reveal(),
        amount=claim.benefit,
        source_kind=SOURCE_KIND,
        source_id=claim.pk,
        label=(_("%(p)s互助理赔") % {"p": claim.period.name})[:100],
    )


@transaction.atomic
def claim_approve(*, actor: Any, claim: Claim, note: str = "") -> Claim:
    """A reviewer approves a claim the run routed to them (sampled, above the threshold,
    flagged): its benefit becomes a payable item of the period's fund, in this transaction."""
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=False, limit=300)
    raise_errors(errors)
    claim = _reviewable(actor, claim)
    if not claim.route:
        raise ValidationError({"status": [_("该理赔尚未分配审核方式，请等待下一次自动审核。")]})
    claim.status = ClaimStatus.APPROVED
    claim.decided_at, claim.decided_by, claim.decision_note = timezone.now(), actor, note
    claim._history_user = actor  # type: ignore[attr-defined]
    claim.save()
    _pay(actor, claim)
    notify.notify(
        person_id=claim.person_id,
        kind=notifications.CLAIM,
        text=_("您的互助理赔（%(h)s）已核准，赔付 %(a)s，将转入尾号 %(c)s 的银行卡。")
        % {
            "h": claim.hospital,
            "a": yuan(claim.benefit),
            "c": claim.bank_card.masked()[-4:] if claim.bank_card else "",
        },
        link=_claim_link(claim),
    )
    return claim


@transaction.atomic
def claim_refuse(*, actor: Any, claim: Claim, reason: str) -> Claim:
    """A reviewer refuses a claim, with the reason the worker reads. Its invoices are freed
    (a corrected claim may use them) and it no longer counts against the caps."""
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=300)
    if not reason and errors.get("reason") == [_("此项必填。")]:
        errors["reason"] = [_("不予赔付时请写明原因，申请人会看到。")]
    raise_errors(errors)
    claim = _reviewable(actor, claim)
    claim.status = ClaimStatus.REFUSED
    claim.decided_at, claim.decided_by, claim.decision_note = timezone.now(), actor, reason
    claim._history_user = actor  # type: ignore[attr-defined]
    claim.save()
    Invoice.objects.filter(claim=claim).update(live=False)
    _recompute_later(actor, claim)
    notify.notify(
        person_id=claim.person_id,
        kind=notifications.CLAIM,
        text=_("您的互助理赔（%(h)s）不予赔付：%(r)s") % {"h": claim.hospital, "r": reason},
        link=_claim_link(claim),
    )
    return claim


def _recompute_later(actor: Any, changed: Claim) -> None:
    """The member's later claims in the period still pending continue from ``changed`` as
    it is now (refused: it no longer counts; adjusted: its new use): each is computed again
    in order. Approved ones were handed to the funds as they were and stay."""
    later = list(
        Claim.unscoped.filter(
            period=changed.period,
            person_id=changed.person_id,
            status=ClaimStatus.PENDING,
            pk__gt=changed.pk,
        )
        .select_related("period")
        .order_by("pk")
    )
    for claim in later:
        benefit = recompute(claim, claim.eligible)
        if (benefit.amount, benefit.deductible_used) == (claim.benefit, claim.deductible_used):
            continue
        claim.benefit, claim.deductible_used = benefit.amount, benefit.deductible_used
        claim.explanation = list(benefit.lines)
        claim._history_user = actor  # type: ignore[attr-defined]
        claim.save(update_fields=["benefit", "deductible_used", "explanation", "updated_at"])


def recompute(claim: Claim, eligible: Decimal) -> rules.Benefit:
    """The claim's benefit on ``eligible``, continuing from the member's live claims before
    it (its own earlier use is not among them: it is replaced)."""
    return rules.compute(
        ruleset(claim.period),
        claim.category,
        eligible,
        _earlier(claim.period, claim.person_id, claim.pk),
    )


@transaction.atomic
def claim_adjust(*, actor: Any, claim: Claim, eligible: Any, reason: str) -> Claim:
    """A reviewer sets the eligible amount (less than declared: an item outside the policy),
    with a reason; the benefit and the explanation are computed again. The claim stays
    pending for the reviewer's decision."""
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=300)
    if not reason and _("此项必填。") in errors.get("reason", []):
        errors["reason"] = [_("调整核定金额时请写明原因，申请人会看到。")]
    value = check_money(eligible, "eligible", errors, required=True)
    if value is not None and value > claim.eligible_claimed:
        _add(
            errors,
            "eligible",
            _("核定金额不能超过申报的政策内自付金额（%(a)s 元）。") % {"a": claim.eligible_claimed},
        )
    raise_errors(errors)
    assert value is not None  # noqa: S101 (checked above)
    claim = _reviewable(actor, claim)
    benefit = recompute(claim, value)
    claim.eligible, claim.adjust_reason = value, reason
    claim.deductible_used, claim.benefit = benefit.deductible_used, benefit.amount
    claim.explanation = list(benefit.lines)
    claim._history_user = actor  # type: ignore[attr-defined]
    claim.save()
    _recompute_later(actor, claim)
    notify.notify(
        person_id=claim.person_id,
        kind=notifications.CLAIM,
        text=_("您的互助理赔（%(h)s）核定政策内自付调整为 %(e)s（%(r)s），赔付 %(a)s。")
        % {"h": claim.hospital, "e": yuan(value), "r": reason, "a": yuan(claim.benefit)},
        link=_claim_link(claim),
    )
    return claim


@transaction.atomic
def document_read(*, actor: Any, claim: Claim, document: ClaimDocument, reason: str) -> bytes:
    """The plaintext of a claim's document (health data), for a role that may see personal
    data, the view logged in the same transaction."""
    from gonghui.core.crypto import unseal_bytes
    from gonghui.core.models import AccessReason
    from gonghui.core.services import Subject, personal_data_log

    require_within(actor, claim.union, Perm.REVEAL_PERSONAL)
    if document.claim_id != claim.pk:
        raise NotFound
    if reason not in AccessReason.values:
        raise ValidationError({"reason": [_("请选择查看原因。")]})
    personal_data_log(
        actor=actor,
        subjects=[Subject.of(claim.person)],
        fields=[f"mutualaid_document:{document.pk}"],
        reason=reason,
    )
    with document.file.open("rb") as handle:
        return unseal_bytes(handle.read(), purpose=DOCUMENT_PURPOSE)


def diagnosis_reveal(
    *, actor: Any, claim: Claim, reason: str, ip_address: str | None = None
) -> str:
    """The claim's diagnosis in the clear (masked everywhere else), logged."""
    from gonghui.core.models import AccessReason
    from gonghui.core.services import personal_data_reveal

    require_within(actor, claim.union, Perm.REVEAL_PERSONAL)
    if reason not in AccessReason.values:
        raise ValidationError({"reason": [_("请选择查看原因。")]})
    assert claim.diagnosis is not None  # noqa: S101 (required at submission)
    return personal_data_reveal(
        actor=actor,
        subject=claim,
        field="diagnosis",
        value=claim.diagnosis,
        reason=reason,
        ip_address=ip_address,
    )


# --- adjudication ---------------------------------------------------------------------------


def sample_pick(seed: str, pool: Sequence[int], percent: int) -> list[int]:
    """The claims a draw picks: ``percent`` % of ``pool`` (rounded up), chosen by a random
    source seeded with ``seed`` from the pool in ascending order. Pure: anyone with the
    draw's seed, pool and percent gets the same claims again."""
    ordered = sorted(pool)
    count = min(len(ordered), -(-len(ordered) * percent // 100))
    return sorted(random.Random(seed).sample(ordered, count))  # noqa: S311 (a published draw)


def draw_verify(draw: SampleDraw) -> bool:
    return sample_pick(draw.seed, draw.pool, draw.percent) == sorted(draw.picked)


@dataclass
class AdjudicationResult:
    routed: dict[str, int] = field(default_factory=lambda: {r: 0 for r in ClaimRoute.values})
    approved: int = 0
    paid: int = 0  # claims marked paid because funds paid their item
    draws: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.routed.values())


def _averages(period: Period) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """The period's average eligible amount per category and per hospital (live claims)."""
    live = Claim.unscoped.filter(period=period, status__in=LIVE_CLAIM_STATES)
    by_category = {
        row["category"]: row["avg"]
        for row in live.values("category").annotate(avg=Avg("eligible")).order_by()
    }
    by_hospital = {
        row["hospital"]: row["avg"]
        for row in live.values("hospital").annotate(avg=Avg("eligible")).order_by()
    }
    return by_category, by_hospital


def _sharing_files(period: Period) -> set[int]:
    """The period's unrouted claims with a document identical to one of another live claim
    (the earlier of two claims sharing a file was not flagged when it came in)."""
    from django.db.models import Exists, OuterRef

    same = ClaimDocument.objects.filter(
        digest=OuterRef("digest"), claim__status__in=LIVE_CLAIM_STATES
    ).exclude(claim=OuterRef("claim"))
    return set(
        ClaimDocument.objects.filter(
            claim__period=period, claim__status=ClaimStatus.PENDING, claim__route=""
        )
        .filter(Exists(same))
        .values_list("claim_id", flat=True)
    )


def _flag(eligible: Decimal, average: Any, multiple: Decimal) -> bool:
    return average is not None and Decimal(average) > 0 and eligible > multiple * Decimal(average)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _adjudicate_period(
    actor: Any, period: Period, now: datetime.datetime, result: AdjudicationResult
) -> None:
    # Two runs at once (the beat and a clerk's button) would both draw and both approve:
    # one run per period at a time; the second finds nothing left without a route.
    advisory_lock(LockSpace.MUTUALAID_ADJUDICATION, period.pk)
    rows = list(
        Claim.unscoped.filter(period=period, status=ClaimStatus.PENDING, route="")
        .order_by("pk")
        .values_list(
            "pk",
            "category",
            "hospital",
            "eligible",
            "benefit",
            "flags",
            "person_id",
            "union_id",
            "account_holder",
            "bank_name",
            "bank_card",
        )
    )
    if not rows:
        return
    payee = {row[0]: (row[6], row[7], row[4], row[8], row[9], row[10], row[2]) for row in rows}
    by_category, by_hospital = _averages(period)
    multiple = period.flag_multiple
    shared = _sharing_files(period)
    flagged: list[Claim] = []
    above: list[int] = []
    pool: list[int] = []
    for pk, category, hospital, eligible, benefit, flags, *_payee in rows:
        notes = []
        if _flag(eligible, by_category.get(category), multiple):
            notes.append(
                {
                    "kind": "above_average",
                    "text": _("核定政策内自付 %(e)s 元，超过本期该类别平均 %(a)s 元的 %(m)s 倍。")
                    % {"e": eligible, "a": round(by_category[category], 2), "m": multiple},
                }
            )
        if _flag(eligible, by_hospital.get(hospital), multiple):
            notes.append(
                {
                    "kind": "above_average",
                    "text": _("核定政策内自付 %(e)s 元，超过本期该医院平均 %(a)s 元的 %(m)s 倍。")
                    % {"e": eligible, "a": round(by_hospital[hospital], 2), "m": multiple},
                }
            )
        if pk in shared and not any(f.get("kind") == "same_file" for f in flags or []):
            notes.append(
                {"kind": "same_file", "text": _("上传的材料与另一笔理赔中的文件完全相同。")}
            )
        if notes or flags:
            flagged.append(Claim(pk=pk, route=ClaimRoute.FLAGGED, flags=[*(flags or []), *notes]))
        elif benefit >= period.auto_approve_below:
            above.append(pk)
        else:
            pool.append(pk)
    picked: list[int] = []
    draw = None
    if pool and period.sample_percent:
        seed = secrets.token_hex(16)
        picked = sample_pick(seed, pool, period.sample_percent)
        draw = SampleDraw.unscoped.create(
            period=period,
            seed=seed,
            percent=period.sample_percent,
            pool=pool,
            picked=picked,
            drawn_by=actor,
        )
        result.draws.append(draw.pk)
    chosen = set(picked)
    auto = [pk for pk in pool if pk not in chosen]
    if flagged:
        # One statement per claim in a pipeline (each has its own flags): Django's
        # bulk_update builds a CASE over every row, which PostgreSQL plans slowly.
        with connection.cursor() as cursor:
            cursor.executemany(
                f'UPDATE "{Claim._meta.db_table}" SET route = %s, flags = %s, '  # noqa: S608
                "updated_at = %s WHERE id = %s",
                [
                    (ClaimRoute.FLAGGED, json.dumps(c.flags, ensure_ascii=False), now, c.pk)
                    for c in flagged
                ],
            )
    _update(above, route=ClaimRoute.ABOVE, updated_at=now)
    _update(picked, route=ClaimRoute.SAMPLED, draw_id=draw.pk if draw else None, updated_at=now)
    _update(
        auto,
        route=ClaimRoute.AUTO,
        status=ClaimStatus.APPROVED,
        decided_at=now,
        decided_by_id=actor.pk,
        decision_note=_("自动审核通过"),
        updated_at=now,
    )
    _pay_many(actor, period, [(pk, payee[pk]) for pk in auto])
    result.routed[ClaimRoute.FLAGGED] += len(flagged)
    result.routed[ClaimRoute.ABOVE] += len(above)
    result.routed[ClaimRoute.SAMPLED] += len(picked)
    result.routed[ClaimRoute.AUTO] += len(auto)
    result.approved += len(auto)


def _update(ids: Sequence[int], **values: Any) -> None:
    """Set the same ``values`` (column names) on the claims ``ids``: on PostgreSQL one
    statement with the ids as one array parameter (a long ``IN`` list costs more to send
    and parse than the update itself); elsewhere in chunks through the ORM."""
    if not ids:
        return
    if connection.vendor != "postgresql":
        for chunk in _chunks(ids):
            Claim.unscoped.filter(pk__in=chunk).update(**values)
        return
    names = ", ".join(f'"{name}" = %s' for name in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{Claim._meta.db_table}" SET {names} WHERE id = ANY(%s)',  # noqa: S608
            [*values.values(), list(ids)],
        )


def _pay_many(actor: Any, period: Period, auto: Sequence[tuple[int, tuple[Any, ...]]]) -> None:
    """The auto-approved claims' payable items, in one insert, and their notifications.
    ``auto``: each claim's id with its payee (person, union, benefit, account holder, bank,
    sealed card, hospital)."""
    from gonghui.members.models import Person
    from gonghui.organizations.models import Organization

    payees = [row for _pk, row in auto if row[2] > 0]
    # In chunks: a period's run may approve more claims than one statement takes parameters.
    unions: dict[int, Any] = {}
    for chunk in _chunks(sorted({row[1] for row in payees})):
        unions.update(Organization.unscoped.in_bulk(chunk))
    people: dict[int, Any] = {}
    for chunk in _chunks(sorted({row[0] for row in payees})):
        people.update(Person.unscoped.only("id").in_bulk(chunk))
    items: list[funds_services.Payable] = []
    messages: list[notify.Message] = []
    label = (_("%(p)s互助理赔") % {"p": period.name})[:100]
    portal = reverse("portal:mutualaid_claim", args=[0]).rsplit("0/", 1)[0]
    text = _("您的互助理赔（%(h)s）已自动审核通过，赔付 %(a)s。")
    for pk, (person_id, union_id, benefit, holder, bank, card, hospital) in auto:
        if benefit > 0:
            items.append(
                funds_services.Payable(
                    organization=unions[union_id],
                    fund=period.fund,
                    person=people[person_id],
                    account_holder=holder,
                    bank_name=bank,
                    bank_card=card.reveal(),
                    amount=benefit,
                    source_kind=SOURCE_KIND,
                    source_id=pk,
                    label=label,
                )
            )
        messages.append(
            notify.Message(
                person_id,
                text % {"h": hospital, "a": yuan(benefit)},
                f"{portal}{pk}/",
            )
        )
    # The same checks as one claim's approval; a refused item (a card that no longer
    # reads) fails the run, which the next run repeats once it is corrected.
    for result in funds_services.payable_submit_many(actor=actor, payables=items):
        if isinstance(result, ValidationError):
            raise result
    notify.notify_many(kind=notifications.CLAIM, messages=messages)


def _mark_paid(result: AdjudicationResult) -> None:
    """Approved claims whose payable item funds has paid become paid (the queues and the
    worker's inbox read the claim's own state)."""
    from django.db.models import OuterRef, Subquery

    from gonghui.funds.models import ItemStatus, PayableItem

    items = PayableItem.unscoped.filter(
        source_kind=SOURCE_KIND, source_id=OuterRef("pk"), status=ItemStatus.PAID
    )
    result.paid += (
        Claim.unscoped.filter(status=ClaimStatus.APPROVED)
        .filter(
            pk__in=PayableItem.unscoped.filter(
                source_kind=SOURCE_KIND, status=ItemStatus.PAID
            ).values("source_id")
        )
        .update(status=ClaimStatus.PAID, paid_at=Subquery(items.values("paid_at")[:1]))
    )


def on_items_paid(
    *, sources: Sequence[tuple[str, int]], paid_at: datetime.datetime, **_kwargs: Any
) -> None:
    """Funds recorded the bank's receipt for these items: the approved claims among them
    are paid now (``_mark_paid`` in the periodic run catches any other way an item is paid)."""
    ids = [source_id for kind, source_id in sources if kind == SOURCE_KIND]
    for chunk in _chunks(ids):
        Claim.unscoped.filter(pk__in=chunk, status=ClaimStatus.APPROVED).update(
            status=ClaimStatus.PAID, paid_at=paid_at, updated_at=paid_at
        )


def claims_adjudicate(
    *, actor: Any = None, period: Period | None = None, now: datetime.datetime | None = None
) -> AdjudicationResult:
    """Route every pending claim without a route (of ``period``, or of every period): those
    far above the period's average for their category or hospital, or flagged at submission,
    go to a reviewer (``flagged``); those whose benefit reaches the period's automatic limit
    too (``above``); of the rest, the period's published share is drawn for review by a
    seeded draw kept as a ``SampleDraw`` (``sampled``), and the others are approved at once
    (``auto``) and handed to the funds. Run again, it finds nothing to do. ``actor``: staff of
    the period's federation (or its creator, for the periodic task). One transaction per
    period."""
    result = AdjudicationResult()
    now = now or timezone.now()
    if actor is not None and period is not None:
        require_within(actor, period.organization, Perm.APPROVE)
    periods = Period.unscoped.select_related("fund", "created_by", "organization")
    if period is not None:
        periods = periods.filter(pk=period.pk)
    else:
        periods = periods.filter(
            pk__in=Claim.unscoped.filter(status=ClaimStatus.PENDING, route="").values("period")
        )
    for target in periods.order_by("pk"):
        with transaction.atomic():
            _adjudicate_period(actor or target.created_by, target, now, result)
    with transaction.atomic():
        _mark_paid(result)
    return result
