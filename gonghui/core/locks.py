"""Every lock the platform takes, in one table, and the only functions that take them.

A lock space is one row of ``LockSpace``: a number, what it locks (a model's rows, or a
PostgreSQL advisory lock), and the race it prevents. A service names the space when it locks,
so the table is where a reader finds every lock and why it exists (pretix's
``base/services/locking.py``, Saleor's ``order/lock_objects.py``).

The table's rule, which keeps two transactions from waiting on each other in a circle:

- **Across spaces**, a transaction takes its locks in the order of the table, which is the
  order of the keys (a test checks the keys ascend). A service that locks a transfer request
  and then its membership takes ``TRANSFER_REQUEST`` (2_201) before ``MEMBERSHIP`` (2_301),
  and so does every other service that takes both.
- **Within a space**, several rows are taken by one ``lock_rows`` call, which locks them in
  primary-key order. ``lock_first`` takes a single row, the head of a queue in the queryset's
  own order; ``lock_one`` a single row by key.
- Rows joined to a locked row with ``of=`` are locked in the same statement as it; the
  entry of the space says which and why.

All of them refuse to run outside ``transaction.atomic`` (``LockOutsideTransactionError``):
a lock taken in autocommit mode ends with its statement and protects nothing, and on SQLite
Django would take none at all without saying so.

On SQLite (the embedded default) row locks are not taken: ``select_for_update`` is a no-op
there, and none is needed, since every transaction is IMMEDIATE and holds the database's
write lock from ``BEGIN`` to the end (see ``settings.DATABASES``), which serialises writers
more strictly than any row lock. Advisory locks likewise take nothing on SQLite.

Keys: each app has a block of a thousand (core 1, members 2, casework 3, culture 4, union
building 5, organisations 6, accounts 7, funds 8, hardship 9, assistance 10, virtual jobs 11,
employment 12, mutual aid 13; a new module takes the next), so a module adds its spaces
without renumbering others, as long as the blocks' order stays the lock order. For an advisory
space the key is what PostgreSQL sees (``pg_advisory_xact_lock(space, key)``); changing it
would let old and new processes run side by side unserialised during a deploy.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, connections, models
from django.db.transaction import TransactionManagementError

_M = TypeVar("_M", bound=models.Model)
_Row = TypeVar("_Row")

# A lock on a joined row needs ``of``; rows of the queryset's own model only by default.
SELF: tuple[str, ...] = ("self",)


class LockOutsideTransactionError(TransactionManagementError):
    """A lock was asked for outside ``transaction.atomic``: a programming error."""


class LockSpace(enum.Enum):
    """The lock spaces, in lock order (see the module docstring). Value: key, what is locked
    (a model label, or ``None`` for an advisory space), the race prevented."""

    # --- core --------------------------------------------------------------------------------
    WORK_CALENDAR_YEAR = (
        1_101,
        "core.WorkCalendarYear",
        "Two administrators save the same year's holiday notice at once and interleave their "
        "day rows. Taken before CASE: saving a year recounts case deadlines in its transaction.",
    )
    NOTIFICATION = (
        1_201,
        "core.Notification",
        "The task queued after commit and the periodic delivery claim the same due message at "
        "once and both send its SMS (taken with skip_locked: each takes the rows the other "
        "does not hold, and marks them as being sent before the lock ends).",
    )

    # --- members -----------------------------------------------------------------------------
    JOIN_APPLICATION = (
        2_101,
        "members.JoinApplication",
        "Two reviewers approve the same join application at once (two memberships), or the "
        "worker withdraws it while it is being approved.",
    )
    TRANSFER_REQUEST = (
        2_201,
        "members.TransferRequest",
        "Two decisions on the same transfer request, or a decision and its withdrawal, both "
        "succeed. Taken before MEMBERSHIP (transfer_decide).",
    )
    MEMBERSHIP = (
        2_301,
        "members.Membership",
        "A transfer is accepted while the same membership ends (退会), so it ends both "
        "'transferred' and 'left'; or two transfer requests are filed for it at once.",
    )

    # --- casework ----------------------------------------------------------------------------
    CASE = (
        3_101,
        "casework.Case",
        "Two clerks, or a clerk and the overdue sweep, move the same case at once from a state "
        "read before the other's move. A clerk's transition also locks the handling and "
        "receiving organisations and the person (joined rows), so a move of the organisation "
        "tree is seen before the scope is checked again. The sweep and the deadline recount "
        "lock many cases in key order.",
    )
    LEGAL_AID = (
        3_201,
        "casework.LegalAid",
        "Two outcomes recorded at once for the same legal aid; taken after CASE.",
    )
    MEDIATION = (
        3_301,
        "casework.Mediation",
        "A mediation concluded twice at once with different outcomes.",
    )

    # --- culture -----------------------------------------------------------------------------
    BOOKING_RULES = (
        4_101,
        "culture.BookingRules",
        "Two administrators change the booking rules at once and each keeps half of the other's.",
    )
    BOOKING_WORKER = (
        4_201,
        None,
        "One worker's own booking requests (a double tap, two classes at the same moment) run "
        "at once, so both pass the duplicate check or the weekly limit. Key: the person's id. "
        "Taken in the same statement that reads the session (booking_create), before the seat "
        "is taken from CLASS_SESSION.",
    )
    CLASS_SESSION = (
        4_301,
        "culture.ClassSession",
        "A session is called off, frozen for its lottery or drawn twice at once (staff and the "
        "job), or called off while its lottery is drawn. The draw also locks the course row "
        "(joined), so a course edit waits for it. Taken before BOOKING.",
    )
    BOOKING = (
        4_401,
        "culture.Booking",
        "A freed seat is offered twice, a booking is cancelled while it is checked in or while "
        "its offer lapses, or a sign-up is cancelled while the entrant list is frozen. A "
        "worker's own booking is locked with its session row (joined): every hand-on of a seat "
        "is serialised on the session, and the first waiting entry is then taken in line "
        "order (lock_first), never while holding another waiting entry. Check-in also locks "
        "the person row (joined).",
    )
    MENU = (
        4_501,
        "culture.Menu",
        "A menu published twice at once.",
    )
    MENU_ITEM = (
        4_601,
        "culture.MenuItem",
        "Two orders of the same item read the same total or the same unit's sum and both take "
        "the last 场. Taken before MENU_ORDER.",
    )
    MENU_ORDER = (
        4_701,
        "culture.MenuOrder",
        "Two decisions, or a decision and a cancellation, on the same menu order both apply.",
    )

    # --- union building ----------------------------------------------------------------------
    FOUNDING_APPLICATION = (
        5_101,
        "unionbuilding.FoundingApplication",
        "Two approvals of the same founding application create two unions. Taken before "
        "ENTERPRISE.",
    )
    HOME_ASSESSMENT = (
        5_201,
        "unionbuilding.HomeAssessment",
        "Two decisions on the same home assessment (职工之家) both apply.",
    )

    # --- organisations -----------------------------------------------------------------------
    ENTERPRISE = (
        6_101,
        "organizations.Enterprise",
        "Two founding approvals that share an enterprise both find it uncovered and both take it.",
    )
    ORGANIZATION = (
        6_201,
        "organizations.Organization",
        "Two moves in the organisation tree that touch the same nodes interleave and build a "
        "cycle (the moved root and the new parent, in key order).",
    )

    # --- accounts ----------------------------------------------------------------------------
    ONE_TIME_CODE = (
        7_101,
        "accounts.OneTimeCode",
        "Two sign-ins with the same one-time code both succeed, or parallel wrong guesses spend "
        "fewer attempts than they made.",
    )
    ENTERPRISE_CONTACT = (
        7_201,
        "accounts.User",
        "An enterprise contact is invited again (reactivated) while being deactivated. (Two "
        "first invitations of one new number have no row to lock: a unique index refuses one.)",
    )
    PRIVACY_CONSENT = (
        7_301,
        "accounts.User",
        "A worker agrees on two devices at once (or agrees while withdrawing): both find no "
        "consent in force and both add one, or the withdrawal ends a row the other just ended. "
        "The worker's account row is locked; the partial unique index is the backstop.",
    )

    # --- funds -------------------------------------------------------------------------------
    PAYMENT_BATCH = (
        8_101,
        "funds.PaymentBatch",
        "Two approvals of the same batch (a double click, or maker and checker at once) both "
        "take its money out of the funds; or two results for the same line at once both give "
        "a failed line's money back. Taken before FUND.",
    )
    FUND = (
        8_201,
        "funds.Fund",
        "Two payments (batch approvals) or a payment and an income read the same balance and "
        "both pass the 'enough money' check, so the fund goes negative, or interleave their "
        "ledger rows so the running balance is wrong. Several funds are taken in key order.",
    )
    PAYABLE_ITEM = (
        8_301,
        "funds.PayableItem",
        "Two batches assembled at once both take the same pending item (the database's "
        "one-live-line constraint would refuse the second with an error instead of a message). "
        "Taken in key order, after FUND.",
    )

    # --- hardship ----------------------------------------------------------------------------
    HOUSEHOLD = (
        9_101,
        "hardship.Household",
        "Two clerks change the members of one household at once and each stores a per-capita "
        "income computed without the other's change; or a file is edited, left or re-entered "
        "while it is being decided. Taken before HOUSEHOLD_FILING.",
    )
    HOUSEHOLD_FILING = (
        9_201,
        "hardship.HouseholdFiling",
        "Two approvals of the same submission (a double click, two reviewers) both record a "
        "step and both put the household on the roll.",
    )

    # --- assistance (五助) ----------------------------------------------------------------------
    ASSISTANCE_APPLICATION = (
        10_101,
        "assistance.Application",
        "Two reviewers (or a double click, or a reviewer's bulk approval and another's single "
        "one) decide the same step of an application at once, so it is handed to the funds "
        "twice or a level decides before the one below it. Taken before anything the final "
        "approval writes (the payable item, the hardship file's last day of help).",
    )

    # --- virtual jobs ------------------------------------------------------------------------
    VIRTUAL_POST = (
        11_101,
        "virtualjobs.Post",
        "Two pay runs for the same month (a double click, or a town's and its district's run "
        "at once) both find a post unpaid and hand its month over twice (the unique (post, "
        "month) constraint would refuse the second with an error instead of skipping it); or "
        "a post is suspended, ended or re-adopted while it is being paid or adopted. Taken in "
        "key order, after FUND (an adoption records the adopter's money first).",
    )

    # --- employment (work and training) ------------------------------------------------------
    TRAINING_COURSE = (
        12_101,
        "employment.Course",
        "Two enrolments at once (a clerk and a worker in the portal, or two workers) both see "
        "one seat left and both take it, so a course has more people than seats; or a course "
        "is closed (completion worked out) while someone enrols or attendance is recorded.",
    )
    JOB_FAIR = (
        12_201,
        "employment.JobFair",
        "A named person is registered at a fair while its number served is lowered, so the "
        "fair ends with fewer served than named people.",
    )
    PLACEMENT = (
        12_301,
        "employment.Placement",
        "Two follow-ups of the same placement at once both find it not followed up and the "
        "second silently overwrites the first.",
    )

    # --- medical mutual aid (periods 13_1xx, enrolment 13_2xx, claims 13_3xx) ---------------
    MUTUALAID_PERIOD_DATES = (
        13_101,
        None,
        "Two periods of the same federation created (or re-dated) at once both find no other "
        "period over their dates, so two periods cover the same day and a claim's rules are "
        "ambiguous. Advisory, keyed by the organisation's id; taken before MUTUALAID_PERIOD.",
    )
    MUTUALAID_PERIOD = (
        13_102,
        "mutualaid.Period",
        "A period's rules or settings are changed, or it is published or closed, while "
        "another change of the same period is under way (the second would overwrite the first "
        "or publish rules it never checked). Enrolment and claims that must see the period "
        "unchanged take it too, so rules never change under a first enrolment or claim.",
    )
    # --- medical mutual aid (maenrol: 13_2xx) -------------------------------------------------
    MUTUALAID_BILL = (
        13_201,
        "mutualaid.Bill",
        "Two payments recorded at once for one bill (a double click, two clerks) both read what "
        "is still owed, so the bill is paid twice over or its enrolments take effect twice; or "
        "a refund or a new enrolment changes the bill while it is being paid. Taken after FUND "
        "(a payment records the fund's income first).",
    )
    MUTUALAID_ENROLMENT = (
        13_202,
        "mutualaid.Enrolment",
        "Two refunds of one enrolment at once (a double click) both find it live and both "
        "hand its fee back; or an enrolment is refunded while its member's transfer moves it. "
        "Taken after MUTUALAID_BILL.",
    )
    # --- mutual aid (13_3xx: claims) ----------------------------------------------------------
    MUTUALAID_CLAIM = (
        13_301,
        "mutualaid.Claim",
        "Two reviewers (or a double click, or a reviewer and an adjustment) decide the same "
        "claim at once, so it is handed to the funds twice or refused after its approval. "
        "The approval then inserts a payable item (its unique source is the backstop) and "
        "locks no fund.",
    )
    MUTUALAID_ADJUDICATION = (
        13_302,
        None,
        "Two adjudication runs of one period at once (the periodic task and a clerk's button) "
        "both read the same unrouted claims, both draw a sample and both approve: keyed by "
        "the period's id, held for the run's transaction.",
    )

    def __init__(self, key: int, model: str | None, race: str) -> None:
        self.key = key
        self.model = model
        self.race = race

    @property
    def is_advisory(self) -> bool:
        return self.model is None


# --- advisory locks ----------------------------------------------------------------------------

# For a statement that takes the lock in the same round trip as a read (PostgreSQL only):
# ``f"SELECT {ADVISORY_LOCK_SQL}, …"`` with ``advisory_lock_params(space, key)``.
ADVISORY_LOCK_SQL = "pg_advisory_xact_lock(%(lock_space)s, %(lock_key)s)"
_INT4 = 0x7FFFFFFF


def advisory_lock_params(space: LockSpace, key: int) -> dict[str, int]:
    """The parameters of ``ADVISORY_LOCK_SQL`` for ``key`` in ``space``; checks that the
    caller is in a transaction. Keys are folded into 31 bits: two ids that share a key only
    wait for each other, never run unserialised."""
    if not space.is_advisory:
        raise ValueError(f"{space.name} locks {space.model} rows, not an advisory key")
    _require_atomic(connection, space)
    _record(space, (key,))
    return {"lock_space": space.key, "lock_key": key & _INT4}


def advisory_lock(space: LockSpace, key: int) -> None:
    """Hold ``key`` in ``space`` until the transaction ends (``pg_advisory_xact_lock``); a
    second transaction asking for the same key waits. On SQLite nothing is taken: the
    IMMEDIATE transaction already holds the database's write lock, which serialises writers."""
    params = advisory_lock_params(space, key)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {ADVISORY_LOCK_SQL}", params)  # noqa: S608 (a constant)


# --- row locks ---------------------------------------------------------------------------------


def lock_one(
    space: LockSpace,
    source: type[_M] | models.Manager[_M] | models.QuerySet[_M, _M],
    pk: Any,
    *,
    of: Sequence[str] = SELF,
) -> _M:
    """The row with key ``pk``, locked to the end of the transaction (``DoesNotExist`` if it
    is gone). ``source``: a queryset (for its ``select_related``), a manager, or a model, whose
    base manager finds the row whatever the scope (check the scope before locking)."""
    qs = _queryset(space, source)
    row: _M = qs.select_for_update(of=tuple(of)).get(pk=pk)
    _record(space, (pk,))
    return row


def lock_rows(
    space: LockSpace,
    qs: models.QuerySet[_M, _Row],
    *,
    of: Sequence[str] = SELF,
) -> list[_Row]:
    """Every row of ``qs``, locked in primary-key order (whatever ordering ``qs`` had), so two
    transactions locking overlapping sets cannot each hold a row the other waits for."""
    checked = _queryset(space, qs)
    rows = list(checked.select_for_update(of=tuple(of)).order_by("pk"))
    _record(space, tuple(_pk(row) for row in rows))
    return rows


def lock_first(
    space: LockSpace,
    qs: models.QuerySet[_M, _Row],
    *,
    of: Sequence[str] = SELF,
    skip_locked: bool = False,
) -> _Row | None:
    """The first row of ``qs`` in its own order (the head of a queue; key order when it has
    none), locked, or ``None``. ``skip_locked`` passes over rows another transaction holds
    (PostgreSQL; for a sweep that must not wait on a person's request)."""
    checked = _queryset(space, qs)
    row = checked.select_for_update(of=tuple(of), skip_locked=skip_locked).first()
    if row is not None:
        _record(space, (_pk(row),))
    return row


def lock_batch(
    space: LockSpace,
    qs: models.QuerySet[_M, _M],
    *,
    limit: int,
    skip_locked: bool = False,
) -> list[_M]:
    """Up to ``limit`` rows of ``qs`` in key order, locked; ``skip_locked`` passes over rows
    another transaction holds (PostgreSQL), so several workers can share a queue."""
    checked = _queryset(space, qs)
    skip = skip_locked and connections[checked.db].features.has_select_for_update_skip_locked
    rows = list(checked.order_by("pk").select_for_update(skip_locked=skip)[:limit])
    _record(space, tuple(row.pk for row in rows))
    return rows


# --- checks --------------------------------------------------------------------------------------


def _require_atomic(conn: Any, space: LockSpace) -> None:
    if not conn.in_atomic_block:
        raise LockOutsideTransactionError(
            f"The {space.name} lock must be taken inside transaction.atomic: outside it, the "
            "lock would end with its own statement and protect nothing."
        )


def _queryset(space: LockSpace, source: Any) -> models.QuerySet[Any, Any]:
    if isinstance(source, type) and issubclass(source, models.Model):
        qs = source._base_manager.all()
    else:
        qs = source.all()
    if qs.model._meta.label != space.model:
        raise ValueError(
            f"{space.name} locks {space.model or 'an advisory key'}, not {qs.model._meta.label}"
        )
    _require_atomic(connections[qs.db], space)
    return qs


def _pk(row: Any) -> Any:
    if isinstance(row, models.Model):
        return row.pk
    if isinstance(row, tuple | list):
        return row[0]  # a values_list whose first column is the key
    if isinstance(row, dict):
        return row.get("pk", row.get("id"))
    return row  # a flat values_list of keys


# --- tracing, for tests ------------------------------------------------------------------------


@dataclass(frozen=True)
class Taken:
    space: LockSpace
    keys: tuple[Any, ...]


_trace: ContextVar[list[Taken] | None] = ContextVar("gonghui_lock_trace", default=None)


def _record(space: LockSpace, keys: tuple[Any, ...]) -> None:
    trail = _trace.get()
    if trail is not None:
        trail.append(Taken(space, keys))


@contextmanager
def traced() -> Iterator[list[Taken]]:
    """Collect the locks taken inside the block, in the order taken (a test checks a
    service against the table's order with ``in_table_order``)."""
    trail: list[Taken] = []
    token = _trace.set(trail)
    try:
        yield trail
    finally:
        _trace.reset(token)


def in_table_order(trail: Sequence[Taken]) -> bool:
    """Whether the locks of one transaction follow the table's rule across spaces."""
    keys = [taken.space.key for taken in trail]
    return keys == sorted(keys)
