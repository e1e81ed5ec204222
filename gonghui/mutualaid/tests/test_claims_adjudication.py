"""The adjudication run: flagged, above the threshold, a seeded re-runnable sample, the rest
approved at once and handed to the funds; idempotent; paid claims read back from funds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gonghui.core.models import Notification
from gonghui.funds.models import ItemStatus, PayableItem
from gonghui.mutualaid.models import Claim, ClaimRoute, ClaimStatus, SampleDraw
from gonghui.mutualaid.services import claims as services
from gonghui.mutualaid.tests.claims_helpers import enrolled_worker, invoice, period, submit

pytestmark = pytest.mark.django_db


def test_each_claim_goes_its_way(world):
    # Given auto-approval below 3,000 yuan of benefit and a 50% sample
    target = period(world, sample_percent=50, flag_multiple=Decimal("3"))
    small = [submit(enrolled_worker(world, target), invoice("1500.00")) for _ in range(6)]
    big = submit(
        enrolled_worker(world, target), invoice("9000.00", total="12000.00"), hospital="二院"
    )
    odd = submit(
        enrolled_worker(world, target), invoice("9500.00", total="12000.00"), hospital="某诊所"
    )
    # When the run routes them
    reviewer = world.staff("city", "reviewer")
    result = services.claims_adjudicate(actor=reviewer, period=target)
    # Then the large ones go to a reviewer (each alone at its hospital: not far above its
    # average; nor far above the category's), half of the small ones are drawn, the rest paid
    routes = dict(Claim.unscoped.values_list("pk", "route"))
    assert routes[big.pk] == ClaimRoute.ABOVE and routes[odd.pk] == ClaimRoute.ABOVE
    assert result.routed[ClaimRoute.SAMPLED] == 3  # half of six
    assert result.routed[ClaimRoute.AUTO] == 3
    auto = [c for c in small if routes[c.pk] == ClaimRoute.AUTO]
    for claim in auto:
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.APPROVED and claim.decided_by == reviewer
    items = PayableItem.unscoped.filter(source_kind="mutualaid.claim")
    assert sorted(items.values_list("source_id", flat=True)) == sorted(c.pk for c in auto)
    item = items.first()
    assert item.amount == Decimal("500.00") and item.fund_id == target.fund_id
    assert item.bank_card.reveal() == "6228480328123456789"
    assert Notification.unscoped.filter(text__contains="自动审核通过").count() == 3
    # and the draw can be run again from what it keeps
    draw = SampleDraw.unscoped.get()
    assert sorted(draw.pool) == sorted(c.pk for c in small)
    assert services.draw_verify(draw)
    assert services.sample_pick(draw.seed, draw.pool, draw.percent) == sorted(draw.picked)


def test_a_claim_far_above_the_average_is_flagged(world):
    target = period(world, auto_approve_below=Decimal("100000"), sample_percent=0)
    for _ in range(9):
        submit(enrolled_worker(world, target), invoice("800.00", total="2000.00"))
    far = submit(enrolled_worker(world, target), invoice("20000.00", total="30000.00"))
    services.claims_adjudicate(actor=world.staff("city", "reviewer"), period=target)
    far.refresh_from_db()
    assert far.route == ClaimRoute.FLAGGED and far.status == ClaimStatus.PENDING
    assert any("平均" in f["text"] for f in far.flags)
    assert Claim.unscoped.filter(route=ClaimRoute.AUTO).count() == 9


def test_a_claim_flagged_at_submission_goes_to_a_reviewer(world):
    from gonghui.mutualaid.tests.claims_helpers import document

    target = period(world, sample_percent=0)
    submit(enrolled_worker(world, target), documents=[document()])
    copy = submit(enrolled_worker(world, target), documents=[document()])
    services.claims_adjudicate(actor=world.staff("city", "reviewer"), period=target)
    copy.refresh_from_db()
    assert copy.route == ClaimRoute.FLAGGED


def test_both_claims_sharing_a_file_go_to_a_reviewer(world):
    from gonghui.mutualaid.tests.claims_helpers import document

    target = period(world, sample_percent=0)
    first = submit(enrolled_worker(world, target), documents=[document()])
    submit(enrolled_worker(world, target), documents=[document()])
    assert not first.flags  # it came in first
    services.claims_adjudicate()
    first.refresh_from_db()
    assert first.route == ClaimRoute.FLAGGED and first.flags[0]["kind"] == "same_file"


def test_a_refused_claim_gives_its_use_back_to_the_later_ones(world):
    target = period(world, sample_percent=100, auto_approve_below=Decimal("100000"))
    user = enrolled_worker(world, target)
    first = submit(user, invoice("2500.00"))
    second = submit(user, invoice("1500.00", total="3000.00"))
    assert second.deductible_used == Decimal("0.00") and second.benefit == Decimal("750.00")
    services.claims_adjudicate()
    services.claim_refuse(actor=world.staff("city", "reviewer"), claim=first, reason="重复申请")
    second.refresh_from_db()
    # the deductible is now the second claim's to use: (1500 - 500) x 50%
    assert second.deductible_used == Decimal("500.00") and second.benefit == Decimal("500.00")


def test_the_run_twice_does_its_work_once_and_reads_payments_back(world):
    target = period(world, sample_percent=0)
    claim = submit(enrolled_worker(world, target), invoice("1500.00"))
    first = services.claims_adjudicate()
    assert first.routed[ClaimRoute.AUTO] == 1
    again = services.claims_adjudicate()
    assert again.total == 0 and again.draws == []
    assert PayableItem.unscoped.count() == 1
    # the period's creator acts for the periodic task
    claim.refresh_from_db()
    assert claim.decided_by == target.created_by
    # funds pays the item: the claim becomes paid at the next run
    PayableItem.unscoped.update(status=ItemStatus.PAID, paid_at=timezone.now())
    assert services.claims_adjudicate().paid == 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.paid_at is not None
    assert services.claims_adjudicate().paid == 0


def test_nothing_to_pay_is_approved_without_a_payable_item(world):
    target = period(world, sample_percent=0)
    claim = submit(enrolled_worker(world, target), invoice("300.00", total="1500.00"))
    assert claim.benefit == Decimal("0.00")
    services.claims_adjudicate()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert not PayableItem.unscoped.exists()


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.text(min_size=1, max_size=40),
    pool=st.lists(st.integers(min_value=1, max_value=10**6), unique=True, max_size=60),
    percent=st.integers(min_value=0, max_value=100),
)
def test_a_draw_is_a_pure_function_of_its_seed_pool_and_share(seed, pool, percent):
    picked = services.sample_pick(seed, pool, percent)
    assert picked == services.sample_pick(seed, list(reversed(pool)), percent)
    assert set(picked) <= set(pool)
    assert len(picked) == -(-len(pool) * percent // 100)


def test_a_claim_is_paid_as_soon_as_the_bank_s_receipt_is_recorded(world):
    from gonghui.funds import services as funds_services
    from gonghui.funds.models import PaymentLine

    target = period(world, sample_percent=0)
    claim = submit(enrolled_worker(world, target), invoice("1500.00"))
    services.claims_adjudicate()
    item = PayableItem.unscoped.get()
    batch = funds_services.batch_create(
        actor=world.staff("city", "reviewer"),
        organization=world.city,
        title="互助理赔第一批",
        items=[item],
    )
    funds_services.batch_decide(actor=world.staff("city", "admin"), batch=batch, approve=True)
    line = PaymentLine.unscoped.get(batch=batch)
    funds_services.batch_results_record(
        actor=world.staff("city", "clerk"),
        batch=batch,
        results=[funds_services.LineResult(line_id=line.pk, paid=True)],
    )
    # No adjudication run in between: the claim is paid with its item.
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.paid_at is not None
    assert services.claims_adjudicate().paid == 0
