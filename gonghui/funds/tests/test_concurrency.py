"""Payments at the same moment, each from its own thread and database connection: a fund
pays exactly what it holds and its balance stays the sum of its ledger (PostgreSQL; SQLite
serialises every writer anyway)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gonghui.funds import selectors, services
from gonghui.funds.models import (
    BatchStatus,
    EntryKind,
    Fund,
    LedgerEntry,
    LineStatus,
    PaymentBatch,
    PaymentLine,
)
from gonghui.funds.services import LineResult
from gonghui.funds.tests import helpers as h
from gonghui.testing.world import build_world

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL only"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def fire(calls: list[Callable[[], Any]]) -> list[str]:
    """Run every call at the same moment, each in its own thread (its own connection);
    ``ok``, or the field a ``ValidationError`` named."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            call()
            result = "ok"
        except ValidationError as exc:
            result = ",".join(sorted(exc.message_dict)) if hasattr(exc, "error_dict") else "?"
        except Exception as exc:  # noqa: BLE001 (reported by the callers' assertions)
            result = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == len(calls), "a thread did not finish"
    return outcomes


def assert_ledger_exact(fund: Fund) -> None:
    fund.refresh_from_db()
    assert fund.balance == selectors.fund_ledger_sum(fund=fund)
    assert fund.balance >= 0
    running = Decimal("0")
    for entry in LedgerEntry.unscoped.filter(fund=fund).order_by("id"):
        running += entry.amount
        assert entry.balance_after == running >= 0


def test_many_payments_at_once_pay_exactly_what_the_fund_holds(monkeypatch):
    """Thirty one-line batches of 1,000 yuan, made as if at the same moment (each saw the
    whole balance), approved at once against a fund of 10,000.50: exactly ten are paid,
    the others are refused with the shortfall and change nothing, and the balance is exact."""
    world = build_world()
    fund = h.fund(world, balance="10000.50")
    monkeypatch.setattr(services, "_waiting_by_fund", lambda ids: {})
    batches = [h.batch(world, [h.item(world, fund, "1000")]) for _ in range(30)]
    admin = world.staff("district_b", "admin")

    def approve(batch: PaymentBatch) -> Callable[[], Any]:
        return lambda: services.batch_decide(actor=admin, batch=batch, approve=True)

    outcomes = fire([approve(batch) for batch in batches])
    assert outcomes.count("ok") == 10, outcomes
    assert outcomes.count("decision_note") == 20, outcomes
    assert_ledger_exact(fund)
    assert fund.balance == Decimal("0.50")
    approved = PaymentBatch.unscoped.filter(status=BatchStatus.APPROVED)
    assert approved.count() == 10
    reserved = LedgerEntry.unscoped.filter(fund=fund, kind=EntryKind.RESERVE)
    assert reserved.count() == 10
    assert set(reserved.values_list("line__batch", flat=True)) == set(
        approved.values_list("pk", flat=True)
    )
    assert PaymentLine.unscoped.filter(status=LineStatus.WAITING).count() == 20


def test_one_batch_approved_from_five_places_at_once_is_paid_once():
    world = build_world()
    fund = h.fund(world, balance="5000")
    batch = h.batch(world, [h.item(world, fund, "1000"), h.item(world, fund, "2000")])
    admin = world.staff("district_b", "admin")
    outcomes = fire([lambda: services.batch_decide(actor=admin, batch=batch, approve=True)] * 5)
    assert outcomes.count("ok") == 1, outcomes
    assert LedgerEntry.unscoped.filter(kind=EntryKind.RESERVE).count() == 2
    assert_ledger_exact(fund)
    assert fund.balance == Decimal("2000")


def test_a_failed_line_recorded_twice_at_once_returns_its_money_once():
    world = build_world()
    fund = h.fund(world, balance="5000")
    batch = h.approve(world, h.batch(world, [h.item(world, fund, "1000")]))
    (line,) = PaymentLine.unscoped.filter(batch=batch)
    clerk = world.staff("district_b", "clerk")
    outcomes = fire(
        [
            lambda: services.batch_results_record(
                actor=clerk, batch=batch, results=[LineResult(line.pk, False, "账户已销户")]
            )
        ]
        * 4
    )
    assert outcomes.count("ok") == 1, outcomes
    assert LedgerEntry.unscoped.filter(kind=EntryKind.RETURN).count() == 1
    assert_ledger_exact(fund)
    assert fund.balance == Decimal("5000")


def test_incomes_and_payments_at_once_keep_the_running_balance_exact(monkeypatch):
    world = build_world()
    fund = h.fund(world, balance="3000")
    monkeypatch.setattr(services, "_waiting_by_fund", lambda ids: {})
    batches = [h.batch(world, [h.item(world, fund, "1000")]) for _ in range(6)]
    admin = world.staff("district_b", "admin")
    calls: list[Callable[[], Any]] = [
        (lambda b=b: services.batch_decide(actor=admin, batch=b, approve=True)) for b in batches
    ]
    calls += [lambda: h.income(world, fund, "500") for _ in range(6)]
    outcomes = fire(calls)
    assert all(o in {"ok", "decision_note"} for o in outcomes), outcomes
    assert_ledger_exact(fund)
    paid = LedgerEntry.unscoped.filter(kind=EntryKind.RESERVE).count()
    assert fund.balance == Decimal("3000") + 6 * Decimal("500") - paid * Decimal("1000")
