"""Reads for funds, the ledger, payable items and payment batches, each scoped to the actor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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
from django.utils.translation import gettext as _

from gonghui.core.scoping import get_visible
from gonghui.funds.models import (
    BatchStatus,
    EntryKind,
    Fund,
    Income,
    ItemStatus,
    LedgerEntry,
    LineStatus,
    PayableItem,
    PaymentBatch,
    PaymentLine,
    SourceKind,
)
from gonghui.organizations.models import Organization

ZERO = Decimal("0.00")
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
    """Batches waiting for approval in the actor's subtree (the menu badge, the home tile),
    but for those the actor made: another person approves them, so they do not wait for the
    actor."""
    return (
        batch_list(actor=actor, status=BatchStatus.PENDING)
        .exclude(created_by_id=getattr(actor, "pk", None))
        .count()
    )


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
    """Payment lines paid from funds of ``org``'s subtree that the bank paid in ``year``
    (by its value date), whichever organisation's batch carried them."""
    return PaymentLine.unscoped.filter(
        fund__in=Fund.objects.visible_to(actor).filter(organization__path__startswith=org.path),
        status=LineStatus.PAID,
        paid_on__year=year,
    )


def paid_in(actor: Any, org: Any, year: int) -> Decimal:
    total = lines_paid_in(actor, org, year).aggregate(total=Sum("amount"))["total"]
    return total if total is not None else Decimal("0.00")


# --- raised versus paid (the funds' figures page; reused by the modules that pay) -------------


@dataclass
class RaisedPaid:
    """Money that came into some funds and money paid out of them (bank-confirmed) in a
    period. ``key`` names the row: a fund id, a source kind code, an organisation id."""

    label: str
    key: Any = None
    raised: Decimal = ZERO
    paid: Decimal = ZERO
    fund: Fund | None = None  # on a per-fund row

    @property
    def paid_share(self) -> Decimal | None:
        """Paid as a share of raised (``0.9673``); ``None`` when nothing was raised."""
        if not self.raised:
            return None
        return (self.paid / self.raised).quantize(Decimal("0.0001"))

    def add(self, other: RaisedPaid) -> None:
        self.raised += other.raised
        self.paid += other.paid


def _sums_by_fund(fund_ids: list[int], year: int | None) -> tuple[dict[int, Any], dict[int, Any]]:
    """What came into and what the bank paid out of each of ``fund_ids`` (already scoped by
    the caller) in ``year``, or in all years."""
    incomes = Income.unscoped.filter(fund_id__in=fund_ids)
    lines = PaymentLine.unscoped.filter(fund_id__in=fund_ids, status=LineStatus.PAID)
    if year is not None:
        incomes = incomes.filter(received_on__year=year)
        lines = lines.filter(paid_on__year=year)
    raised = {
        row["fund_id"]: row["total"]
        for row in incomes.values("fund_id").annotate(total=Sum("amount")).order_by()
    }
    paid = {
        row["fund_id"]: row["total"]
        for row in lines.values("fund_id").annotate(total=Sum("amount")).order_by()
    }
    return raised, paid


def raised_paid_for_funds(
    *, actor: Any, fund_ids: Iterable[int], year: int | None = None
) -> list[RaisedPaid]:
    """Raised versus paid per fund, for the funds among ``fund_ids`` the actor may see (an
    assistance round shows its own funds this way), in ``year`` or in all years."""
    funds = list(
        Fund.objects.visible_to(actor)
        .filter(pk__in=set(fund_ids))
        .select_related("organization", "source_kind")
        .order_by("organization__path", "name")
    )
    return _fund_rows(funds, year)


def _fund_rows(funds: list[Fund], year: int | None) -> list[RaisedPaid]:
    raised, paid = _sums_by_fund([fund.pk for fund in funds], year)
    rows = []
    for fund in funds:
        rows.append(
            RaisedPaid(
                label=fund.name,
                key=fund.pk,
                raised=raised.get(fund.pk) or ZERO,
                paid=paid.get(fund.pk) or ZERO,
                fund=fund,
            )
        )
    return rows


@dataclass
class RaisedPaidReport:
    """Raised versus paid for the funds of ``organization``'s subtree in ``year``: in total,
    per fund, per source kind, per organisation of the next level (its funds' subtree; the
    organisation's own funds are a row of their own) and per month."""

    organization: Any
    year: int
    total: RaisedPaid
    by_fund: list[RaisedPaid] = field(default_factory=list)
    by_source_kind: list[RaisedPaid] = field(default_factory=list)
    by_child: list[RaisedPaid] = field(default_factory=list)
    by_month: list[RaisedPaid] = field(default_factory=list)


def raised_paid_report(*, actor: Any, organization: Any, year: int) -> RaisedPaidReport:
    """A few grouped queries, rolled up in Python (``organization`` comes from a selector,
    so it is within the actor's scope)."""
    funds = list(
        Fund.objects.visible_to(actor)
        .filter(organization__path__startswith=organization.path)
        .select_related("organization", "source_kind")
        .order_by("organization__path", "name")
    )
    rows = _fund_rows(funds, year)
    total = RaisedPaid(label=organization.name, key=organization.pk)
    kinds: dict[str, RaisedPaid] = {
        kind.code: RaisedPaid(label=kind.name, key=kind.code) for kind in source_kind_list()
    }
    children: dict[int, RaisedPaid] = {
        child.pk: RaisedPaid(label=child.name, key=child.pk)
        for child in Organization.objects.visible_to(actor)
        .filter(parent=organization)
        .order_by("kind", "name")
    }
    own = RaisedPaid(label=_("%(o)s（本级）") % {"o": organization.name}, key=organization.pk)
    for row, fund in zip(rows, funds, strict=True):
        total.add(row)
        code = fund.source_kind.code
        kinds.setdefault(code, RaisedPaid(label=fund.source_kind.name, key=code)).add(row)
        rest = fund.organization.path[len(organization.path) :]
        bucket = children.get(int(rest.split("/", 1)[0]), own) if rest else own
        bucket.add(row)
    by_child = list(children.values())
    if any(fund.organization_id == organization.pk for fund in funds):
        by_child.insert(0, own)
    months = {m: RaisedPaid(label=_("%(m)s月") % {"m": m}, key=m) for m in range(1, 13)}
    fund_ids = [fund.pk for fund in funds]
    for month_row in (
        Income.unscoped.filter(fund_id__in=fund_ids, received_on__year=year)
        .values("received_on__month")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        months[month_row["received_on__month"]].raised += month_row["total"]
    for month_row in (
        PaymentLine.unscoped.filter(
            fund_id__in=fund_ids, status=LineStatus.PAID, paid_on__year=year
        )
        .values("paid_on__month")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        months[month_row["paid_on__month"]].paid += month_row["total"]
    return RaisedPaidReport(
        organization=organization,
        year=year,
        total=total,
        by_fund=[row for row in rows if row.raised or row.paid or (row.fund and row.fund.active)],
        by_source_kind=[kind for kind in kinds.values() if kind.raised or kind.paid],
        by_child=by_child,
        by_month=list(months.values()),
    )
