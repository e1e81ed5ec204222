"""Bulk approval (``application_bulk_approve``, on ``core.decisions.decide_many`` with the
assistance flow's set-based hooks) against deciding each application alone: twin sets of
applications in every state a bulk meets, one set approved one by one, the other in one
bulk, end alike; and the bulk's statements do not grow with its size."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gonghui.assistance import services
from gonghui.assistance.models import SNAPSHOT_PURPOSE, Application
from gonghui.assistance.tests import helpers as h
from gonghui.core import decisions
from gonghui.core.crypto import unseal
from gonghui.core.models import Notification
from gonghui.core.scoping import NotFound
from gonghui.funds.models import PayableItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def helped(monkeypatch):
    return h.install_mark_helped(monkeypatch)


def _counter(world: Any, round_: Any, *, bank: bool = True, by: str = "union_b") -> Any:
    """An application a clerk (or an admin) enters at the counter, with or without an
    account to pay."""
    user = world.worker("union_b")
    h.household(world, user.person)
    account = {"account_holder": "王", "bank_name": "农业银行", "bank_card": h.CARD} if bank else {}
    return services.application_create(
        actor=world.staff(by, "admin" if by == "union_b" else "clerk"),
        round=round_,
        person=user.person,
        declared=h.child(),
        **account,
    )


def _scenarios(world: Any, three: Any, one: Any) -> list[Any]:
    """One application of each kind the union's admin meets in a bulk."""
    portal = world.worker("union_b")
    h.household(world, portal.person)
    at_town = _counter(world, three, by="town_b")
    services.application_decide(
        actor=world.staff("union_b", "reviewer"), application=at_town, approve=True
    )
    closed = _counter(world, one, by="town_b")
    services.application_decide(
        actor=world.staff("union_b", "reviewer"), application=closed, approve=True
    )
    return [
        h.apply(world, three, portal, documents=[]),  # approved to the town
        _counter(world, three),  # entered by the approver: maker-checker
        at_town,  # out of order: the town's step
        _counter(world, one, by="town_b"),  # the final step: paid
        _counter(world, one, bank=False, by="town_b"),  # no account to pay
        closed,  # already approved
    ]


def _told(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "无权审核。"


def _state(application: Application) -> Any:
    application.refresh_from_db()
    steps = []
    for step in decisions.steps_of(application):
        snapshot = dict(step.snapshot)
        sealed = snapshot.pop("sealed", None)
        opened = json.loads(unseal(base64.b64decode(sealed), purpose=SNAPSHOT_PURPOSE))
        household = snapshot.pop("household")
        household.pop("id")
        for member in household["members"] + opened["members"]:
            member.pop("name")  # the twins are different people
        steps.append(
            (step.index, step.step, step.organization_id, step.decided_by_id, step.approved)
            + (step.reason, snapshot, household, opened)
        )
    item = PayableItem.unscoped.filter(source_id=application.pk).first()
    paid = item and (item.fund_id, item.amount, item.account_holder, item.bank_card.reveal())
    told = list(
        Notification.unscoped.filter(person_id=application.person_id)
        .order_by("pk")
        .values_list("text", "link")
    )
    return (
        application.status,
        application.next_index,
        application.waiting_at_id,
        application.decided_by_id,
        application.decision_note,
        steps,
        paid,
        [(text, link.replace(str(application.pk), "#")) for text, link in told],
    )


def test_a_bulk_ends_as_approving_each_alone(world, helped):
    three = h.round_(world)
    one = h.round_(world, tiers=("grassroots",))
    alone = _scenarios(world, three, one)
    together = _scenarios(world, three, one)
    admin = world.staff("union_b", "admin")
    expected = []
    for application in alone:
        try:
            services.application_decide(
                actor=admin, application=application, approve=True, reason="同意"
            )
        except (NotFound, PermissionDenied, ValidationError) as exc:
            expected.append((alone.index(application), _told(exc)))
    result = services.application_bulk_approve(actor=admin, applications=together, reason="同意")
    # Reported in key order; the list above is in the order of the scenarios.
    got = sorted((together.index(a), message) for a, message in result.problems)
    assert got == expected
    assert [m for _i, m in got] == [
        "您是本申请的录入人，须由其他工作人员审批。",
        f"此步骤由{world.town_b.name}审核，您可以查看进度。",
        "请先补充收款户名、开户行和银行卡号，再作终审批准。",
        "该申请已审结（已批准），不能重复审核。",
    ]
    assert result.done == [together[0].pk, together[3].pk]
    for one_, other in zip(alone, together, strict=True):
        assert _state(one_) == _state(other)
    households = [a.household_id for a in (alone[3], together[3], alone[5], together[5])]
    assert sorted(pk for pk, _on in helped) == sorted(households)


def test_a_bulk_reports_a_payment_handed_over_behind_its_back_and_approves_the_rest(
    world, helped, monkeypatch
):
    """The payable item of one application already exists and the bulk's check is blinded
    to it (as a concurrent hand-over past the check would be): the database's constraint
    refuses the bulk insert, the bulk is undone and decided one by one, and that application
    alone is reported."""
    one = h.round_(world, tiers=("grassroots",))
    applications = [_counter(world, one, by="town_b") for _ in range(3)]
    fund = one.funds.get()
    PayableItem.unscoped.create(
        organization=world.union_b,
        fund=fund,
        person=applications[1].person,
        account_holder="王",
        bank_name="农业银行",
        bank_card=h.CARD,
        amount="100.00",
        source_kind=services.SOURCE_KIND,
        source_id=applications[1].pk,
        label="先行",
        created_by=world.staff("district_b", "clerk"),
    )
    original = PayableItem.unscoped.filter

    def blind(*args: Any, **kwargs: Any) -> Any:
        if "source_kind__in" in kwargs:
            return original(pk__in=[])
        return original(*args, **kwargs)

    monkeypatch.setattr(PayableItem.unscoped, "filter", blind)
    result = services.application_bulk_approve(
        actor=world.staff("union_b", "reviewer"), applications=applications
    )
    monkeypatch.undo()
    assert result.done == [applications[0].pk, applications[2].pk]
    ((problem, message),) = result.problems
    assert problem.pk == applications[1].pk
    assert message == "该业务记录已提交发放，不能重复提交。"
    assert [len(decisions.steps_of(a)) for a in applications] == [1, 0, 1]
    assert PayableItem.unscoped.filter(source_id__in=[a.pk for a in applications]).count() == 3


@pytest.mark.parametrize("tiers", [("grassroots",), ("grassroots", "town")])
def test_bulk_approval_takes_as_many_statements_for_fifty_as_for_five(world, helped, tiers):
    one = h.round_(world, tiers=tiers)
    reviewer = world.staff("union_b", "reviewer")

    def count(n: int) -> int:
        applications = [_counter(world, one, by="town_b") for _ in range(n)]
        with CaptureQueriesContext(connection) as queries:
            result = services.application_bulk_approve(actor=reviewer, applications=applications)
        assert len(result.done) == n
        return len(queries)

    assert count(50) == count(5)
