"""The demo's five helps in 2017: funds of the six sources, the rounds with their applications,
reviews up the tiers and payment batches, all through the services; the figures page and its
API count exactly what the targets say (the source's 2017 figures by default; a small city
here, the same code)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from gonghui.accounts.models import User
from gonghui.accounts.services import api_token_issue
from gonghui.assistance import demo, selectors
from gonghui.assistance.models import Application, Channel, Round
from gonghui.core import modules
from gonghui.core.decisions import steps_of
from gonghui.demo import DATA_DIR
from gonghui.demo.loader import DemoBuilder
from gonghui.funds import selectors as funds_selectors
from gonghui.funds.models import Fund, Income, LineStatus, PaymentBatch, PaymentLine
from gonghui.hardship import demo as hardship_demo
from gonghui.hardship.models import Household
from gonghui.organizations.models import Organization

pytestmark = pytest.mark.django_db

SMALL = demo.Targets(
    households=24,
    refused_spring=2,
    dialysis=3,
    study_levels=(("secondary_vocational", 2), ("college", 3), ("bachelor", 2)),
    study_migrant=2,
    study_refused=1,
    study_raised=Decimal("30123.45"),
    work=2,
    start=2,
    bank_failures=1,
)


@pytest.fixture
def fresh_card_prefixes():
    """Membership card prefixes are cached by the city's id, which the next test's city may
    reuse after this one's rollback: forget the demo city's."""
    from gonghui.members.services import _card_prefix

    yield
    _card_prefix.cache_clear()


def test_the_default_targets_are_the_source_figures():
    """样本四: 2,704 households and 548万余元; 爱心透析 77 people, 34.65万元; 金秋助学 479
    children, 151万余元 paid of 156.12万余元 raised."""
    t = demo.Targets()
    assert t.households == 2704
    assert Decimal("5480000") <= t.paid < Decimal("5490000")
    assert t.dialysis * demo.DIALYSIS_AMOUNT == Decimal("346500")
    assert t.study_children == 479
    assert Decimal("1510000") <= t.study_paid < Decimal("1520000")
    assert Decimal("1561200") <= t.study_raised < Decimal("1561300")
    # A test's small city (``load_demo --members 600``): the same shape, fewer of each.
    small = t.scaled(600 / 21_000)
    rolled = small.study_children - small.study_migrant
    assert small.dialysis + small.work + small.start + rolled < small.households
    assert small.study_paid < small.study_raised


def test_the_demo_city_helps_in_2017_as_the_targets_say(settings, tmp_path, fresh_card_prefixes):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    data = json.loads((DATA_DIR / "jiaxing.json").read_text(encoding="utf-8"))
    builder = DemoBuilder(data, members=600, log=lambda text: None)
    builder.tree()
    builder.enterprises()
    builder.members()
    hardship_demo.run(builder)
    demo.AssistanceDemo(builder, SMALL).run()

    admin = User.objects.get(username="jx-admin")
    city = Organization.unscoped.get(kind="city")

    def figure(key):
        return modules.figure_value(key, actor=admin, org=city, year=2017)

    # The figures the page shows, as its selector computes them.
    found = selectors.assistance_figures(actor=admin, organization=city, year=2017)
    assert found.value("assistance.households_helped") == SMALL.households
    assert found.value("assistance.approved_amount") == SMALL.paid
    assert found.value("assistance.amount.medical") == SMALL.dialysis * demo.DIALYSIS_AMOUNT
    assert found.value("assistance.approved.medical") == SMALL.dialysis
    assert found.value("assistance.amount.study") == SMALL.study_paid
    assert found.value("assistance.approved.study") == SMALL.study_children
    children = sum(line.children for line in found.by_level)
    assert children == SMALL.study_children
    assert found.value("assistance.households.hardship") == SMALL.households
    assert figure("assistance.approved.hardship") == SMALL.households
    # Every approved yuan was paid by the bank in 2017 (the bounced line paid again).
    paid = PaymentLine.unscoped.filter(
        status=LineStatus.PAID,
        paid_on__year=2017,
        item__source_kind="assistance.application",
    )
    assert sum(line.amount for line in paid) == SMALL.paid
    # The same numbers through the API the page's data comes from.
    key, _token = api_token_issue(user=admin)
    response = Client().get(
        f"/api/assistance/figures?year=2017&org={city.pk}", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 200
    from_api = {f["key"]: Decimal(str(f["value"])) for f in response.json()["figures"]}
    assert from_api["assistance.households_helped"] == SMALL.households
    assert from_api["assistance.approved_amount"] == SMALL.paid

    # 金秋助学: raised into the round's fund and paid from it, as the round shows them.
    study = Round.unscoped.get(name="2017 金秋助学")
    rows = funds_selectors.raised_paid_for_funds(
        actor=admin, fund_ids=study.funds.values_list("pk", flat=True), year=2017
    )
    assert sum(r.raised for r in rows) == SMALL.study_raised
    assert sum(r.paid for r in rows) == SMALL.study_paid
    assert selectors.round_transparency(round_id=study.pk).raised == SMALL.study_raised

    # Funds of the six sources; the charity federation co-funds every year since 2013.
    kinds = set(
        Fund.unscoped.filter(incomes__isnull=False).values_list("source_kind__code", flat=True)
    )
    assert kinds >= {"budget", "charity", "enterprise", "system", "partner", "individual"}
    years = set(
        Income.unscoped.filter(donor="嘉兴市慈善总会", fund__name="心连心帮困救助基金").values_list(
            "received_on__year", flat=True
        )
    )
    assert years == set(range(2013, 2018))
    assert all(f.balance >= 0 for f in Fund.unscoped.all())

    # Reviews up the tiers by different people, never the maker; refusals say why.
    approved = Application.unscoped.filter(round__year=2017, status="approved")
    for application in approved:
        deciders = [s.decided_by_id for s in steps_of(application)]
        assert len(deciders) == len(application.tier_list) == len(set(deciders))
        assert application.created_by_id not in deciders
        assert application.decided_at.year == application.created_at.year == 2017
    refused = Application.unscoped.filter(round__year=2017, status="refused")
    assert refused.count() == SMALL.refused_spring + SMALL.study_refused
    assert all(a.decision_note for a in refused)
    # The refused families are on the roll but not among those helped.
    assert (
        Household.unscoped.filter(pk__in=refused.values("household"), status="active").count()
        == SMALL.refused_spring
    )
    # Proposals from the roll, the clerks' counter and the workers' own portal applications.
    channels = set(approved.values_list("channel", flat=True))
    assert channels == {Channel.PROPOSAL, Channel.COUNTER, Channel.PORTAL}
    # Batches approved by someone other than their maker; a bounced line paid again later.
    for batch in PaymentBatch.unscoped.all():
        assert batch.status == "done" and batch.decided_by_id != batch.created_by_id
        assert batch.decided_at.year == 2017
    failed = PaymentLine.unscoped.filter(status=LineStatus.FAILED)
    assert failed.count() == SMALL.bank_failures
    for line in failed:
        again = PaymentLine.unscoped.get(item=line.item, status=LineStatus.PAID)
        assert again.paid_on > line.batch.decided_at.date()
