"""Reads for funds, the ledger, payable items and payment batches, each scoped to the actor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from gonghui.core.scoping import get_visible
from gonghui.funds.models import (
    BatchStatus,
    EntryKind,
    Fund,
    Income,
    ItemStatus,
    LedgerEntry,
    PayableItem,
    PaymentBatch,
    PaymentLine,
    SourceKind,
)

_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=12, decimal_places=2)


def _entries_sum(kinds: list[str]) -> Any:
    total = (
        LedgerEntry.unscoped.filter(fund=OuterRef("pk"), kind__in=kinds)
        .order_by()
        .values("fund")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(
        Subquery(total, output_field=_MONEY), Value(Decimal("0.00")), output_field=_MONEY
    )


def source_kind_list() -> QuerySet[SourceKind]:
    return SourceKind.objects.filter(active=True)


def fund_list(*, actor: Any, q: str = "", source_kind: str = "") -> QuerySet[Fund]:
    """The funds of the actor's subtree, with what came in (``raised``), what went out net
    of returns (``paid_out``, positive) and the balance."""
    qs = (
        Fund.objects.visible_to(actor)
        .select_related("organization", "source_kind")
        .annotate(
            raised=_entries_sum([EntryKind.INCOME]),
            spent=_entries_sum([EntryKind.RESERVE, EntryKind.RETURN]),
        )
        .annotate(
            paid_out=ExpressionWrapper(Value(Decimal("0.00")) - F("spent"), output_field=_MONEY)
        )
    )
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(organization__name__contains=q))
    if source_kind:
        qs = qs.filter(source_kind__code=source_kind)
    return qs.order_by("organization__path", "name")


def fund_get(*, actor: Any, id: int) -> Fund:
    return get_visible(
        fund_list(actor=actor).select_related("created_by"),
        pk=id,
    )


def fund_ledger_sum(*, fund: Fund) -> Decimal:
    """The sum of the fund's ledger entries: what ``Fund.balance`` must equal."""
    total = LedgerEntry.unscoped.filter(fund=fund).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")


def ledger_list(*, actor: Any, fund: Fund) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.visible_to(actor)
        .filter(fund=fund)
        .select_related("by", "income", "line", "line__batch")
        .order_by("-id")
    )


def income_list(*, actor: Any, fund: Fund | None = None) -> QuerySet[Income]:
    qs = Income.objects.visible_to(actor).select_related("fund", "recorded_by")
    if fund is not None:
        qs = qs.filter(fund=fund)
    return qs.order_by("-received_on", "-id")


def income_get(*, actor: Any, id: int) -> Income:
    return get_visible(
        income_list(actor=actor).select_related(
            "fund__organization", "fund__source_kind", "organization"
        ),
        pk=id,
    )


def income_verify_get(*, token: str) -> Income | None:
    """The income a public verification page names by its token, for anyone (the token is
    the key: 128 random bits, printed on the acknowledgement). ``None`` if there is none."""
    if not token or len(token) > 32:
        return None
    return (
        Income.unscoped.select_related("fund__organization", "fund__source_kind")
        .filter(verify_token=token)
        .first()
    )


def payable_list(
    *, actor: Any, status: str = ItemStatus.PENDING, fund: Fund | None = None
) -> QuerySet[PayableItem]:
    qs = PayableItem.objects.visible_to(actor).select_related("organization", "fund", "person")
    if status:
        qs = qs.filter(status=status)
    if fund is not None:
        qs = qs.filter(fund=fund)
    return qs.order_by("-created_at", "-id")


def payable_get(*, actor: Any, id: int) -> PayableItem:
    return get_visible(payable_list(actor=actor, status=""), pk=id)


def payable_items_get(*, actor: Any, ids: list[int]) -> list[PayableItem]:
    """Each of ``ids`` through the actor's scope; ``NotFound`` if any is not visible."""
    wanted = set(ids)
    found = list(PayableItem.objects.visible_to(actor).filter(pk__in=wanted))
    if len(found) != len(wanted):
        from gonghui.core.scoping import NotFound

        raise NotFound
    return found


def batch_list(*, actor: Any, status: str = "") -> QuerySet[PaymentBatch]:
    qs = PaymentBatch.objects.visible_to(actor).select_related(
        "organization", "created_by", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def batch_get(*, actor: Any, id: int) -> PaymentBatch:
    return get_visible(batch_list(actor=actor), pk=id)


def line_list(*, actor: Any, batch: PaymentBatch) -> QuerySet[PaymentLine]:
    return (
        PaymentLine.objects.visible_to(actor)
        .filter(batch=batch)
        .select_related("item", "item__person", "fund", "result_by")
        .order_by("pk")
    )


def batches_waiting(actor: Any) -> int:
    """Batches waiting for approval in the actor's subtree (the menu badge, the home tile)."""
    return batch_list(actor=actor, status=BatchStatus.PENDING).count()


def items_waiting(actor: Any) -> int:
    return payable_list(actor=actor).count()


# --- figures (raised versus paid, per subtree and year) ---------------------------------------


def incomes_in(actor: Any, org: Any, year: int) -> QuerySet[Income]:
    """Money received in ``year`` by funds of ``org``'s subtree."""
    return Income.objects.visible_to(actor).filter(
        organization__path__startswith=org.path, received_on__year=year
    )


def raised_in(actor: Any, org: Any, year: int) -> Decimal:
    total = incomes_in(actor, org, year).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")


def lines_paid_in(actor: Any, org: Any, year: int) -> QuerySet[PaymentLine]:
    """Payment lines of ``org``'s subtree the bank paid in ``year`` (by the result's date)."""
    from gonghui.funds.models import LineStatus

    return PaymentLine.objects.visible_to(actor).filter(
        batch__organization__path__startswith=org.path,
        status=LineStatus.PAID,
        result_at__year=year,
    )


def paid_in(actor: Any, org: Any, year: int) -> Decimal:
    total = lines_paid_in(actor, org, year).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")
