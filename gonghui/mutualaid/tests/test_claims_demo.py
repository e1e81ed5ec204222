"""The demo's claims step on a small city: claims through the services, a run, reviews,
a payment batch approved by someone else, and the payments read back."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from gonghui.funds.models import PaymentBatch
from gonghui.mutualaid.demo_claims import run_claims
from gonghui.mutualaid.models import Claim, ClaimStatus, SampleDraw
from gonghui.mutualaid.tests.claims_helpers import enrol, period

pytestmark = pytest.mark.django_db


def test_the_demo_makes_a_year_of_claims(world):
    target = period(world, sample_percent=20)
    for _ in range(12):
        enrol(world, world.member("union_b").person, target)
    logged: list[str] = []
    builder = SimpleNamespace(
        rng=random.Random(3),
        data={"city": {"slug": "city"}},
        staff={f"city-{r}": world.staff("city", r) for r in ("clerk", "reviewer", "admin")},
        log=logged.append,
    )
    run_claims(builder)
    claims = Claim.unscoped.filter(period=target)
    assert claims.count() >= 1
    assert not claims.filter(status=ClaimStatus.PENDING).exists()
    assert SampleDraw.unscoped.filter(period=target).exists()
    batch = PaymentBatch.unscoped.get()
    assert batch.created_by_id != batch.decided_by_id
    assert claims.filter(status=ClaimStatus.PAID).exists()
    assert "互助理赔" in logged[-1]
