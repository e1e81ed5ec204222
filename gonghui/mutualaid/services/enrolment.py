"""Enrolment in medical mutual aid (MMA-2): who is insured in a period, through which union,
the unions' fee bills, the payments the federation receives for them, refunds and transfers.

How an enrolment lives:

- It is written ``billed`` on its union's bill for the period (a grassroots union's import,
  a clerk's single enrolment, or the member enrolling alone in the portal). A bulk import
  makes one new bill per union it names (``enrol_people``); a single or portal enrolment is
  added to the union's open bill for the period (one not yet paid at all), or starts one, so
  the union pays for its portal enrolees with its next payment — a worker never pays the
  scheme directly (documented choice: the schemes collect through the unit's union).
- The federation records each payment received for a bill (amount, day, bank reference): an
  income of the period's fund (``funds.services.income_record``, kind ``fee``). Part payments
  are kept; when the bill is paid in full, its enrolments take effect (``active``): effective
  on the day the money arrived (the period's first day if it arrived earlier); covered from
  the period's first day for a member enrolled in the period before (continuous enrolment
  waives the waiting period), else from ``waiting_days`` after taking effect.
- A member who left before the period began is refunded: the enrolment ends ``refunded``.
  Unpaid, it just leaves its bill (which owes one fee less). Paid, the fee goes back to the
  union through the funds' own money-out path: a payable item (``"mutualaid.refund"``) paid in
  a payment batch, whose approval takes it out of the fund's ledger. No second money path.
- A member transferred to another union takes the enrolment along: the enrolment's union
  changes (its history keeps the old one; the bill stays with the union that paid it). The
  members app knows nothing of this: ``apps.ready`` connects ``membership_transferred`` to the
  new membership's creation.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import bulk
from gonghui.core.locks import LockSpace, lock_one
from gonghui.core.money import check_money
from gonghui.core.permissions import Perm
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.validators import clean_text, raise_errors
from gonghui.funds import services as fund_services
from gonghui.funds.models import IncomeKind
from gonghui.members.models import Membership, MembershipStatus, Person
from gonghui.mutualaid.models import (
    LIVE_ENROLMENT_STATES,
    Bill,
    BillStatus,
    EnrolChannel,
    Enrolment,
    EnrolmentStatus,
    FeePayment,
    FeePaymentKind,
    Period,
    PeriodStatus,
)
from gonghui.organizations.models import Organization

REFUND_SOURCE = "mutualaid.refund"
LOOKUP_CHUNK = 5000

ENROLMENT_COLUMNS = (
    "id",
    "period_id",
    "person_id",
    "union_id",
    "bill_id",
    "channel",
    "status",
    "continuous",
    "effective_on",
    "covered_from",
    "ended_on",
    "end_reason",
    "source_import_id",
    "source_row",
    "created_by_id",
    "created_at",
)
BILL_COLUMNS = (
    "id",
    "period_id",
    "union_id",
    "number",
    "people",
    "amount",
    "received",
    "refunded",
    "status",
    "created_by_id",
    "created_at",
    "paid_at",
)


def bill_number(period: Period, bill_id: int) -> str:
    """``HZ04-00001234``: the period's number and the bill's own, printed on the notice."""
    return f"HZ{period.number:02d}-{bill_id:08d}"


def previous_period(period: Period) -> Period | None:
    return (
        Period.unscoped.filter(organization_id=period.organization_id, number=period.number - 1)
        .only("id")
        .first()
    )


def enrol_problem(period: Period, today: datetime.date) -> str | None:
    """Why nobody can enrol in ``period`` today (``None``: they can). Shared by the import,
    the clerk's form and the portal."""
    if period.status != PeriodStatus.OPEN:
        return _("%(p)s未发布或已结束，不能参保。") % {"p": period.name}
    if today < period.enrol_opens_on or today > period.enrol_closes_on:
        return _("%(p)s的参保登记时间为 %(a)s 至 %(b)s，现在不在登记期内。") % {
            "p": period.name,
            "a": period.enrol_opens_on.isoformat(),
            "b": period.enrol_closes_on.isoformat(),
        }
    return None


def _in_period(period_id: int, statuses: str, person_ids: Sequence[int]) -> list[Any]:
    """(person id, union id) of the period's enrolments in ``statuses`` (SQL literals, from
    this module) among ``person_ids``, on PostgreSQL. Joined to the ids as a set: written as
    ``person_id = ANY(ids)`` the planner scanned the whole period and searched the array for
    each row (1.5 s for 5,000 ids in a period of 100,000, worse as an import fills it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.person_id, e.union_id FROM unnest(%s::bigint[]) AS p(id) "  # noqa: S608
            "JOIN mutualaid_enrolment e ON e.person_id = p.id "
            f"WHERE e.period_id = %s AND e.status IN ({statuses})",
            [list(person_ids), period_id],
        )
        return list(cursor.fetchall())


def continuous_people(period: Period, person_ids: Sequence[int]) -> set[int]:
    """Those of ``person_ids`` whose enrolment in the period before took effect (continuous
    enrolment: no waiting period). A chunk at a time, whatever the count."""
    before = previous_period(period)
    if before is None or not person_ids:
        return set()
    found: set[int] = set()
    for start in range(0, len(person_ids), LOOKUP_CHUNK):
        part = list(person_ids[start : start + LOOKUP_CHUNK])
        if connection.vendor == "postgresql":
            found.update(pk for pk, _union in _in_period(before.pk, "'active'", part))
        else:
            found.update(
                Enrolment.unscoped.filter(
                    period_id=before.pk, status=EnrolmentStatus.ACTIVE, person_id__in=part
                ).values_list("person_id", flat=True)
            )
    return found


def enrolled_already(period_id: int, person_ids: Sequence[int]) -> dict[int, int]:
    """Person id → union id of the live enrolments in the period among ``person_ids``
    (deliberately unscoped: a person is enrolled once in the whole city; the caller names
    the union only to someone who may see it)."""
    if not person_ids:
        return {}
    if connection.vendor == "postgresql":
        return dict(_in_period(period_id, "'billed', 'active'", person_ids))
    return dict(
        Enrolment.unscoped.filter(
            period_id=period_id, status__in=LIVE_ENROLMENT_STATES, person_id__in=person_ids
        ).values_list("person_id", "union_id")
    )


# --- the bulk path --------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrollee:
    person_id: int
    union_id: int
    row: int | None = None


class BulkEnrolment:
    """Enrolments written in bulk (COPY on PostgreSQL) for one import or one demo run: the
    set-based path behind ``enrol_people``. Feed it chunks (``add``) of people already
    validated (the caller checked the period, the people and that none is enrolled in it),
    then ``finish``: it writes one bill per (period, union) with its people and amount, and
    its history row. Must run inside one transaction; a person enrolled meanwhile by someone
    else trips the partial unique index and rolls it all back.

    Enrolments of an import record it and their row (``source_import``, ``source_row``) as
    their creation record instead of a history row (as the member import does): half the
    writes. Without an import each gets its "created" history row, unless ``history`` is
    false (the demo's generated years, whose enrolments are never changed)."""

    def __init__(
        self,
        *,
        actor: Any,
        channel: str,
        job: Any = None,
        now: datetime.datetime | None = None,
        history: bool | None = None,
    ) -> None:
        self.actor = actor
        self.history = job is None if history is None else history
        self.channel = channel
        self.job_id = job.pk if job is not None else None
        self.now = now or timezone.now()
        self.bills: dict[tuple[int, int], int] = {}
        self.people: dict[int, int] = defaultdict(int)
        self.periods: dict[int, Period] = {}
        self._spare_bill_ids: list[int] = []
        self._next_sqlite_id: int | None = None

    def _bill_id(self) -> int:
        # Bills are inserted at the end (the enrolments' foreign key is checked at commit):
        # on SQLite the ids are taken past the largest under the transaction's write lock.
        if connection.vendor != "postgresql":
            if self._next_sqlite_id is None:
                self._next_sqlite_id = bulk.allocate_ids(Bill, 1)[0]
            value = self._next_sqlite_id
            self._next_sqlite_id += 1
            return value
        if not self._spare_bill_ids:
            self._spare_bill_ids = bulk.allocate_ids(Bill, 64)[::-1]
        return self._spare_bill_ids.pop()

    def add(self, period: Period, enrollees: Sequence[Enrollee]) -> int:
        if not enrollees:
            return 0
        if period.pk not in self.periods:
            # The period's rules and settings stay as they are while people enrol in it
            # (its services freeze the rules once anyone has).
            lock_one(LockSpace.MUTUALAID_PERIOD, Period, period.pk)
        self.periods[period.pk] = period
        continuous = continuous_people(period, [e.person_id for e in enrollees])
        ids = bulk.allocate_ids(Enrolment, len(enrollees))
        rows = []
        for enrolment_id, item in zip(ids, enrollees, strict=True):
            key = (period.pk, item.union_id)
            bill_id = self.bills.get(key)
            if bill_id is None:
                bill_id = self.bills[key] = self._bill_id()
            self.people[bill_id] += 1
            rows.append(
                (
                    enrolment_id,
                    period.pk,
                    item.person_id,
                    item.union_id,
                    bill_id,
                    self.channel,
                    EnrolmentStatus.BILLED.value,
                    item.person_id in continuous,
                    None,
                    None,
                    None,
                    "",
                    self.job_id,
                    item.row,
                    self.actor.pk,
                    self.now,
                )
            )
        if self.history:
            bulk.insert_rows_with_history(
                Enrolment, ENROLMENT_COLUMNS, rows, user_id=self.actor.pk, reason=_("批量参保")
            )
        else:
            bulk.insert_rows(Enrolment, ENROLMENT_COLUMNS, rows)
        return len(rows)

    def finish(self) -> list[int]:
        """Write the bills; returns their ids."""
        rows = []
        for (period_id, union_id), bill_id in sorted(self.bills.items(), key=lambda kv: kv[1]):
            period = self.periods[period_id]
            people = self.people[bill_id]
            rows.append(
                (
                    bill_id,
                    period_id,
                    union_id,
                    bill_number(period, bill_id),
                    people,
                    period.fee * people,
                    Decimal("0.00"),
                    Decimal("0.00"),
                    BillStatus.OPEN.value,
                    self.actor.pk,
                    self.now,
                    None,
                )
            )
        bulk.insert_rows_with_history(
            Bill, BILL_COLUMNS, rows, user_id=self.actor.pk, reason=_("批量参保")
        )
        return [row[0] for row in rows]


def enrol_people(
    *,
    actor: Any,
    period: Period,
    enrollees: Iterable[Sequence[Enrollee]],
    channel: str = EnrolChannel.IMPORT,
    job: Any = None,
) -> list[Bill]:
    """Enrol people in bulk (chunks of validated ``Enrollee``), with one new bill per union.
    The callers (the enrolment import, the demo) have checked the period, the people, their
    unions and that none is enrolled in it; the unique index refuses a person enrolled twice
    all the same. One transaction."""
    require_within(actor, period.organization, Perm.EDIT_RECORDS)
    with transaction.atomic():
        writer = BulkEnrolment(actor=actor, channel=channel, job=job)
        for chunk in enrollees:
            writer.add(period, chunk)
        ids = writer.finish()
    return list(Bill.unscoped.filter(pk__in=ids).order_by("pk"))


# --- one at a time: a clerk, or the member in the portal --------------------------------------


def _open_bill(actor: Any, period: Period, union: Organization) -> Bill:
    """The union's bill for the period that nothing was paid on yet, locked; a new one if
    there is none (a bill partly paid is not grown: its payer has seen its total)."""
    existing = (
        Bill.unscoped.filter(period=period, union=union, status=BillStatus.OPEN, received=0)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if existing is not None:
        return lock_one(LockSpace.MUTUALAID_BILL, Bill, existing)
    bill = Bill(period=period, union=union, number="", created_by=actor)
    bill._history_user = actor  # type: ignore[attr-defined]
    bill.save()
    bill.number = bill_number(period, bill.pk)
    bill.save(update_fields=["number"])
    return bill


def _enrol_one(
    *, actor: Any, period: Period, person: Person, union: Organization, channel: str
) -> Enrolment:
    today = timezone.localdate()
    # Locked before the bill (the table's order): the period stays as it is meanwhile.
    period = lock_one(LockSpace.MUTUALAID_PERIOD, Period, period.pk)
    problem = enrol_problem(period, today)
    if problem:
        raise ValidationError({"period": [problem]})
    held = enrolled_already(period.pk, [person.pk])
    if held:
        raise ValidationError({"person": [_("此人已在本期参保，不能重复参保。")]})
    bill = _open_bill(actor, period, union)
    enrolment = Enrolment(
        period=period,
        person=person,
        union=union,
        bill=bill,
        channel=channel,
        continuous=bool(continuous_people(period, [person.pk])),
        created_by=actor,
    )
    enrolment._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError:
        raise ValidationError({"person": [_("此人已在本期参保，不能重复参保。")]}) from None
    bill.people += 1
    bill.amount += period.fee
    bill._history_user = actor  # type: ignore[attr-defined]
    bill.save()
    return enrolment


def _active_union(person: Person) -> Organization | None:
    membership = (
        Membership.unscoped.filter(person=person, status=MembershipStatus.ACTIVE)
        .select_related("union")
        .first()
    )
    return membership.union if membership is not None else None


@transaction.atomic
def enrolment_create(*, actor: Any, period: Period, person: Person) -> Enrolment:
    """A union clerk enrols one member of a union in their scope (added to its open bill)."""
    union = _active_union(person)
    if union is None:
        raise ValidationError({"person": [_("此人不是在册会员，请先办理入会。")]})
    require_within(actor, union, Perm.EDIT_RECORDS)
    return _enrol_one(
        actor=actor, period=period, person=person, union=union, channel=EnrolChannel.UNION
    )


def enrolment_create_by_id(*, actor: Any, period: Period, id_number: str) -> Enrolment:
    """``enrolment_create`` for the member with this ID number (the clerk's form and API)."""
    from gonghui.core.validators import normalize_id_number
    from gonghui.members.services import person_find

    try:
        number = normalize_id_number(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None
    person = person_find(id_number=number)
    if person is None:
        raise ValidationError({"id_number": [_("此人不在会员名册中，请先办理入会。")]})
    try:
        return enrolment_create(actor=actor, period=period, person=person)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "person" in exc.error_dict:
            raise ValidationError({"id_number": exc.message_dict["person"]}) from None
        raise


@transaction.atomic
def enrolment_self(*, actor: Any, period: Period) -> Enrolment:
    """The member enrols alone in the portal, through the union of their membership (whose
    open bill the fee is added to; the union collects it as it does for its import)."""
    person_id = getattr(actor, "person_id_or_none", None)
    if person_id is None:
        raise NotFound
    person = Person.unscoped.get(pk=person_id)
    union = _active_union(person)
    if union is None:
        raise ValidationError(
            {"person": [_("只有在册会员可以参加职工医疗互助保障，请先申请入会。")]}
        )
    return _enrol_one(
        actor=actor, period=period, person=person, union=union, channel=EnrolChannel.PORTAL
    )


# --- payments ---------------------------------------------------------------------------------


def _activate(bill: Bill, paid_on: datetime.date) -> int:
    """The bill's enrolments take effect (set-based: a bill may hold thousands)."""
    period = bill.period
    effective = max(paid_on, period.starts_on)
    waited = effective + datetime.timedelta(days=period.waiting_days)
    return Enrolment.unscoped.filter(bill=bill, status=EnrolmentStatus.BILLED).update(
        status=EnrolmentStatus.ACTIVE,
        effective_on=effective,
        covered_from=Case(
            When(continuous=True, then=Value(period.starts_on)), default=Value(waited)
        ),
    )


@transaction.atomic
def fee_payment_record(
    *,
    actor: Any,
    bill: Bill,
    amount: Any,
    paid_on: datetime.date | None,
    bank_reference: str,
    note: str = "",
) -> FeePayment:
    """The federation records money received for a bill: an income of the period's fund,
    and, once the bill is paid in full, its enrolments take effect. An amount above what is
    still owed is refused (a refund is its own record)."""
    period = Period.unscoped.select_related("organization", "fund").get(pk=bill.period_id)
    require_within(actor, period.organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    value = check_money(amount, "amount", errors, required=True)
    if value is not None and value <= 0:
        errors.setdefault("amount", []).append(_("金额应大于 0。"))
        value = None
    reference = clean_text(bank_reference, "bank_reference", errors, required=True, limit=60)
    note = clean_text(note, "note", errors, required=False, limit=200)
    if paid_on is None:
        errors.setdefault("paid_on", []).append(_("请填写到账日期。"))
    elif paid_on > timezone.localdate():
        errors.setdefault("paid_on", []).append(_("到账日期不能晚于今天。"))
    if bill.status in (BillStatus.PAID, BillStatus.CANCELLED):
        errors.setdefault("amount", []).append(_("该缴费通知单已缴清或已作废，不能再登记缴费。"))
    elif value is not None and value > bill.amount - bill.received:
        errors.setdefault("amount", []).append(
            _("金额超过尚欠的 %(o)s 元，请核对。") % {"o": bill.amount - bill.received}
        )
    if FeePayment.unscoped.filter(
        bill=bill, kind=FeePaymentKind.RECEIVED, bank_reference=reference
    ).exists():
        errors.setdefault("bank_reference", []).append(_("该银行流水号已登记过，请核对。"))
    raise_errors(errors)
    assert value is not None and paid_on is not None  # noqa: S101 (checked above)
    union_name = Organization.unscoped.filter(pk=bill.union_id).values_list("name", flat=True)[0]
    count = FeePayment.unscoped.filter(bill=bill).count()
    # The fund first (FUND is locked before MUTUALAID_BILL, the table's order).
    income = fund_services.income_record(
        actor=actor,
        fund=period.fund,
        donor=union_name,
        amount=value,
        received_on=paid_on,
        receipt_number=f"{bill.number}-{count + 1}",
        kind=IncomeKind.FEE,
        purpose=_("%(p)s互助保障费") % {"p": period.name},
    )
    locked = lock_one(LockSpace.MUTUALAID_BILL, Bill, bill.pk)
    if locked.status in (BillStatus.PAID, BillStatus.CANCELLED) or value > (
        locked.amount - locked.received
    ):
        # Paid meanwhile by someone else: this transaction (the income too) rolls back.
        raise ValidationError({"amount": [_("该缴费通知单刚被他人登记缴费，请刷新后核对。")]})
    payment = FeePayment.objects.create(
        bill=locked,
        kind=FeePaymentKind.RECEIVED,
        amount=value,
        paid_on=paid_on,
        bank_reference=reference,
        income=income,
        note=note,
        recorded_by=actor,
    )
    locked.received += value
    if locked.received >= locked.amount:
        locked.status = BillStatus.PAID
        locked.paid_at = timezone.now()
        locked.period = period
        _activate(locked, paid_on)
    else:
        locked.status = BillStatus.PARTLY_PAID
    locked._history_user = actor  # type: ignore[attr-defined]
    locked.save()
    bill.__dict__.update({k: getattr(locked, k) for k in ("received", "status", "paid_at")})
    return payment


# --- refunds and transfers -------------------------------------------------------------------


@transaction.atomic
def enrolment_refund(
    *,
    actor: Any,
    enrolment: Enrolment,
    left_on: datetime.date | None,
    reason: str,
    account_holder: str = "",
    bank_name: str = "",
    bank_card: str = "",
) -> Enrolment:
    """A member who left before the period began leaves it: unpaid, the bill owes one fee
    less; paid, the fee goes back to the union's account as a payable item of the period's
    fund, paid (and taken out of the fund) in a payment batch."""
    require_within(actor, enrolment.union, Perm.EDIT_RECORDS)
    period = Period.unscoped.select_related("fund").get(pk=enrolment.period_id)
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=200)
    if left_on is None:
        errors.setdefault("left_on", []).append(_("请填写离开单位的日期。"))
    elif left_on >= period.starts_on:
        errors.setdefault("left_on", []).append(
            _("只有在保障期开始（%(d)s）之前离开的职工可以退保退费。")
            % {"d": period.starts_on.isoformat()}
        )
    if enrolment.status not in LIVE_ENROLMENT_STATES:
        errors.setdefault("status", []).append(_("该参保登记已退保。"))
    raise_errors(errors)
    bill = (
        lock_one(LockSpace.MUTUALAID_BILL, Bill, enrolment.bill_id) if enrolment.bill_id else None
    )
    enrolment = lock_one(LockSpace.MUTUALAID_ENROLMENT, Enrolment, enrolment.pk)
    if enrolment.status not in LIVE_ENROLMENT_STATES:
        raise ValidationError({"status": [_("该参保登记已退保。")]})
    paid = enrolment.status == EnrolmentStatus.ACTIVE
    enrolment.status = EnrolmentStatus.REFUNDED
    enrolment.ended_on = left_on
    enrolment.end_reason = reason
    enrolment._history_user = actor  # type: ignore[attr-defined]
    enrolment.save()
    if bill is None:
        return enrolment
    if paid:
        payment = FeePayment.objects.create(
            bill=bill,
            kind=FeePaymentKind.REFUND,
            amount=period.fee,
            paid_on=timezone.localdate(),
            bank_reference=f"TF{enrolment.pk}",
            note=reason,
            recorded_by=actor,
        )
        fund_services.payable_submit(
            actor=actor,
            organization=enrolment.union,
            fund=period.fund,
            person=enrolment.person,
            account_holder=account_holder,
            bank_name=bank_name,
            bank_card=bank_card,
            amount=period.fee,
            source_kind=REFUND_SOURCE,
            source_id=payment.pk,
            label=_("%(p)s互助保障退费") % {"p": period.name},
        )
        bill.refunded += period.fee
    else:
        bill.people -= 1
        bill.amount -= period.fee
        if bill.people == 0 and bill.received == 0:
            bill.status = BillStatus.CANCELLED
        elif bill.received >= bill.amount and bill.received > 0:
            bill.status = BillStatus.PAID
            bill.paid_at = timezone.now()
            bill.period = period
            last = bill.payments.filter(kind=FeePaymentKind.RECEIVED).order_by("-paid_on").first()
            _activate(bill, last.paid_on if last else timezone.localdate())
    bill._history_user = actor  # type: ignore[attr-defined]
    bill.save()
    return enrolment


def membership_transferred(*, old: Membership, new: Membership) -> int:
    """A member's transfer was approved: their live enrolments in periods not yet over move
    to the new union (each saved, so its history keeps the union it was in). Runs inside the
    transfer's transaction. Returns how many moved."""
    today = timezone.localdate()
    moved = 0
    for pk in (
        Enrolment.unscoped.filter(
            person_id=old.person_id,
            union_id=old.union_id,
            status__in=LIVE_ENROLMENT_STATES,
            period__ends_on__gte=today,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        enrolment = lock_one(LockSpace.MUTUALAID_ENROLMENT, Enrolment, pk)
        enrolment.union_id = new.union_id
        enrolment._change_reason = _("会员转接")  # type: ignore[attr-defined]
        enrolment.save(update_fields=["union"])
        moved += 1
    return moved


def on_membership_saved(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    """``post_save`` of a membership: a new one that follows a transferred one is a transfer."""
    if not created or instance.previous_id is None:
        return
    old = Membership.unscoped.filter(
        pk=instance.previous_id, status=MembershipStatus.TRANSFERRED
    ).first()
    if old is not None and old.union_id != instance.union_id:
        membership_transferred(old=old, new=instance)
