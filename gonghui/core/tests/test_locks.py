"""The lock table and the functions that take locks (``gonghui.core.locks``)."""

from __future__ import annotations

import threading
import time

import pytest
from django.apps import apps
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext

from gonghui.core import locks
from gonghui.core.locks import LockOutsideTransactionError, LockSpace
from gonghui.members.models import Membership
from gonghui.organizations.models import Enterprise, Organization

# --- the table ---------------------------------------------------------------------------------


def test_no_two_spaces_share_a_key():
    keys = [space.key for space in LockSpace]
    assert len(keys) == len(set(keys))


def test_the_keys_ascend_in_table_order_so_the_lock_order_is_the_key_order():
    keys = [space.key for space in LockSpace]
    assert keys == sorted(keys)


def test_every_space_names_an_installed_model_or_is_advisory_and_names_its_race():
    for space in LockSpace:
        if space.model is not None:
            assert apps.get_model(space.model) is not None
        else:
            assert 0 < space.key <= 0x7FFFFFFF  # PostgreSQL's int4 advisory key
        assert len(space.race) > 30, space.name


def test_the_booking_space_keeps_its_advisory_key_across_deploys():
    # A process of the previous release and one of this release must contend on one key.
    assert LockSpace.BOOKING_WORKER.key == 4_201 and LockSpace.BOOKING_WORKER.is_advisory


# --- refusing to run outside a transaction ------------------------------------------------------
# No database is needed: the refusal comes before any statement (a statement would fail these
# tests, which may not touch the database, with another error).

OUTSIDE = {
    "lock_one": lambda: locks.lock_one(LockSpace.ORGANIZATION, Organization, 1),
    "lock_rows": lambda: locks.lock_rows(LockSpace.ORGANIZATION, Organization.unscoped.all()),
    "lock_first": lambda: locks.lock_first(LockSpace.ORGANIZATION, Organization.unscoped.all()),
    "advisory_lock": lambda: locks.advisory_lock(LockSpace.BOOKING_WORKER, 7),
    "advisory_lock_params": lambda: locks.advisory_lock_params(LockSpace.BOOKING_WORKER, 7),
}


@pytest.mark.parametrize("take", OUTSIDE.values(), ids=OUTSIDE.keys())
def test_a_lock_outside_a_transaction_is_refused(take):
    assert not connection.in_atomic_block
    with pytest.raises(LockOutsideTransactionError, match="transaction.atomic"):
        take()


def test_a_space_locks_only_its_own_model():
    with pytest.raises(ValueError, match="organizations.Organization"):
        locks.lock_one(LockSpace.MEMBERSHIP, Organization, 1)
    with pytest.raises(ValueError, match="advisory"):
        locks.advisory_lock(LockSpace.CASE, 1)


# --- row locks ---------------------------------------------------------------------------------


def _locking_selects(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT")]


def test_lock_rows_takes_rows_in_key_order_whatever_the_query_asks(world):
    wanted = Organization.unscoped.filter(path__startswith=world.district_a.path).order_by("-name")
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        rows = locks.lock_rows(LockSpace.ORGANIZATION, wanted)
    assert [r.pk for r in rows] == sorted(r.pk for r in rows) and len(rows) > 2
    (sql,) = _locking_selects(captured.captured_queries)
    assert sql.endswith('ORDER BY "organizations_organization"."id" ASC' + _for_update())


def test_lock_one_locks_its_own_row_and_named_joined_rows_only(world):
    membership = Membership.unscoped.filter(person=world.worker("union_a").person).get()
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        locks.lock_one(
            LockSpace.MEMBERSHIP, Membership.unscoped.select_related("person"), membership.pk
        )
        locks.lock_one(
            LockSpace.MEMBERSHIP,
            Membership.unscoped.select_related("person"),
            membership.pk,
            of=("self", "person"),
        )
    own, joined = _locking_selects(captured.captured_queries)[-2:]
    if connection.vendor == "postgresql":
        assert own.endswith('FOR UPDATE OF "members_membership"')
        assert joined.endswith('FOR UPDATE OF "members_membership", "members_person"')
    else:  # SQLite: the IMMEDIATE transaction holds the database's write lock instead
        assert "FOR UPDATE" not in own + joined


def test_lock_first_takes_the_head_of_the_queue_in_the_querys_order(world):
    queue = Organization.unscoped.filter(parent=world.district_a).order_by("-pk")
    with transaction.atomic(), locks.traced() as taken:
        head = locks.lock_first(LockSpace.ORGANIZATION, queue)
        none = locks.lock_first(LockSpace.ORGANIZATION, queue.filter(pk__lt=0))
    assert head == queue.first() and none is None
    assert taken == [locks.Taken(LockSpace.ORGANIZATION, (head.pk,))]


def test_the_trace_tells_whether_a_transaction_kept_the_table_order(world):
    with transaction.atomic(), locks.traced() as taken:
        locks.lock_one(LockSpace.ORGANIZATION, Organization, world.town_a.pk)
        locks.lock_rows(LockSpace.ENTERPRISE, Enterprise.unscoped.all())
    assert [t.space for t in taken] == [LockSpace.ORGANIZATION, LockSpace.ENTERPRISE]
    assert not locks.in_table_order(taken)  # ORGANIZATION (6_201) comes after ENTERPRISE
    assert locks.in_table_order(list(reversed(taken)))


def _for_update() -> str:
    return (
        ' FOR UPDATE OF "organizations_organization"' if connection.vendor == "postgresql" else ""
    )


# --- advisory locks (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="advisory locks are PostgreSQL's; SQLite's IMMEDIATE transactions queue writers",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_transactions_on_the_same_advisory_key_run_one_after_the_other():
    """Each thread holds the key for a moment; with the same key their holds never overlap,
    with different keys they do."""

    def holds(keys: list[int]) -> list[tuple[float, float]]:
        spans: list[tuple[float, float]] = []
        start = threading.Barrier(len(keys))

        def hold(key: int) -> None:
            try:
                start.wait()
                with transaction.atomic():
                    locks.advisory_lock(LockSpace.BOOKING_WORKER, key)
                    began = time.monotonic()
                    time.sleep(0.3)
                    spans.append((began, time.monotonic()))
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=hold, args=(k,)) for k in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sorted(spans)

    (a_start, a_end), (b_start, b_end) = holds([42, 42])
    assert b_start >= a_end  # the second waited for the first to commit
    (a_start, a_end), (b_start, b_end) = holds([42, 43])
    assert b_start < a_end  # different keys do not wait


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's advisory lock")
def test_the_booking_statement_takes_the_advisory_lock_it_names(world):
    with transaction.atomic():
        params = locks.advisory_lock_params(LockSpace.BOOKING_WORKER, 2**40 + 5)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {locks.ADVISORY_LOCK_SQL}", params)
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
                "AND objid = %s AND pid = pg_backend_pid()",
                [LockSpace.BOOKING_WORKER.key, 5],
            )
            assert cursor.fetchone() == (1,)


def test_every_lock_is_taken_through_the_table():
    """No code outside ``core.locks`` takes a row lock itself: a new lock site gets its row
    in the table (with the race it prevents) and its place in the lock order."""
    from pathlib import Path

    import gonghui

    root = Path(gonghui.__file__).parent
    found = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts
        and path.name != "locks.py"
        and (
            "select_for_update" in path.read_text(encoding="utf-8")
            or "pg_advisory" in path.read_text(encoding="utf-8")
        )
    ]
    assert found == []
