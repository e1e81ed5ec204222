"""``decide_many`` against ``decide``: the same attempts on twin requests, one set decided one
by one, the other in bulk, must end alike (each request's refusal or decision, with the same
messages, the same recorded steps and snapshots, the final effect run once), whatever the
mix of states inside one bulk. Here the flow has no set-based hooks (the generic path); the
assistance tests compare a flow that has them."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gonghui.core import decisions
from gonghui.core.locks import LockSpace, lock_rows
from gonghui.core.models import DecisionStep
from gonghui.core.scoping import NotFound
from gonghui.core.tests.test_decisions import APPLIED, INSIDERS, MAKERS, TIERED, _new_request
from gonghui.members.models import JoinApplication
from gonghui.organizations.models import OrgKind

pytestmark = pytest.mark.django_db


def _apply_many(actor: Any, requests: list[JoinApplication], reason: str) -> dict:
    for request in requests:
        APPLIED[request.pk] += 1
    return {}


def _levels(kind: str) -> Any:
    return lambda requests: decisions.ancestors_of_kind([r.union for r in requests], kind)


# The same flow with every set-based hook: what a module adds to decide in bulk.
TIERED_MANY = decisions.register(
    decisions.Flow(
        **{
            **TIERED.__dict__,
            "name": "tests.tiered_join_many",
            "steps": tuple(
                dataclasses.replace(step, organization_many=many)
                for step, many in zip(
                    TIERED.steps,
                    (
                        lambda requests: [r.union for r in requests],
                        _levels(OrgKind.TOWN),
                        _levels(OrgKind.DISTRICT),
                    ),
                    strict=True,
                )
            ),
            "lock_many": lambda ids: lock_rows(
                LockSpace.JOIN_APPLICATION,
                JoinApplication.unscoped.select_related("union").filter(pk__in=ids),
            ),
            "snapshot_many": lambda requests: [TIERED.snapshot(r) for r in requests],
            "apply_many": _apply_many,
        }
    )
)


@pytest.fixture
def world(world):
    APPLIED.clear()
    return world


def _seen(error: Exception | None) -> Any:
    """What a person is told: the kind of refusal and its words."""
    if error is None:
        return None
    if isinstance(error, ValidationError):
        return (ValidationError, error.message_dict)
    return (type(error), str(error))


def _single(world, key, requests, approve, reason) -> list[Any]:
    told = []
    for request in sorted(requests, key=lambda r: r.pk):
        try:
            decisions.decide(
                actor=world.staff(*key),
                flow=TIERED,
                request=request,
                approve=approve,
                reason=reason,
            )
        except (NotFound, PermissionDenied, ValidationError) as exc:
            told.append(_seen(exc))
        else:
            told.append(None)
    return told


def _state(request: JoinApplication) -> Any:
    request.refresh_from_db()
    steps = [
        (s.index, s.step, s.organization_id, s.decided_by_id, s.approved, s.reason, s.snapshot)
        for s in decisions.steps_of(request)
    ]
    return (
        request.status,
        request.decided_by_id,
        request.decision_note,
        request.decided_at is not None,
        steps,
        APPLIED[request.pk],
    )


actors = st.sampled_from(INSIDERS + [("union_b", "reviewer"), ("town_b", "admin")])
tries = st.lists(
    st.tuples(actors, st.sampled_from([True, True, False]), st.sampled_from(["", "材料不全"])),
    min_size=1,
    max_size=6,
)


@pytest.mark.parametrize("flow", [TIERED, TIERED_MANY], ids=["single hooks", "set hooks"])
def test_deciding_many_ends_as_deciding_each_alone(world, flow):
    @settings(max_examples=20, deadline=None)
    @given(makers=st.lists(st.sampled_from(MAKERS), min_size=1, max_size=4), attempts=tries)
    @example(
        makers=[("union_a", "clerk"), ("town_a", "admin"), ("district_a", "admin")],
        attempts=[
            (("union_a", "admin"), True, ""),
            (("town_a", "admin"), True, ""),  # the maker of the second
            (("district_a", "admin"), True, ""),  # out of order for the first two
            (("town_a", "reviewer"), True, ""),
            (("district_a", "reviewer"), False, ""),  # a refusal needs a reason
            (("district_a", "reviewer"), True, ""),
            (("city", "admin"), True, "再次"),  # closed
        ],
    )
    def run(makers, attempts):
        alone = [_new_request(world, maker) for maker in makers]
        together = [_new_request(world, maker) for maker in makers]
        for key, approve, reason in attempts:
            expected = _single(world, key, alone, approve, reason)
            outcomes = decisions.decide_many(
                actor=world.staff(*key),
                flow=flow,
                requests=together,
                approve=approve,
                reason=reason,
            )
            assert [o.request.pk for o in outcomes] == [r.pk for r in together]
            assert [_seen(o.error) for o in outcomes] == expected, (key, approve, reason)
            for outcome in outcomes:
                if outcome.ok:
                    step = decisions.steps_of(outcome.request)[-1]
                    assert (outcome.index, outcome.organization) == (step.index, step.organization)
        for one, other in zip(alone, together, strict=True):
            assert _state(one) == _state(other)

    run()


def test_the_maker_and_a_deciders_second_step_are_refused_in_bulk_too(world):
    maker = world.staff("union_a", "clerk")
    first = _new_request(world, ("union_a", "clerk"))
    second = _new_request(world, ("town_a", "admin"))
    decisions.decide(
        actor=world.staff("town_a", "reviewer"), flow=TIERED, request=second, approve=True
    )
    outcomes = decisions.decide_many(
        actor=maker, flow=TIERED, requests=[first, second], approve=True
    )
    assert isinstance(outcomes[0].error, PermissionDenied)
    assert str(outcomes[0].error) == "您是本申请的录入人，须由其他工作人员审批。"
    # The town step of the second is the town's own: a union clerk does not see it decided.
    assert isinstance(outcomes[1].error, NotFound | PermissionDenied)
    reviewer = world.staff("town_a", "reviewer")
    third = _new_request(world, ("union_a", "clerk"))
    decisions.decide(actor=reviewer, flow=TIERED, request=third, approve=True)
    (again,) = decisions.decide_many(actor=reviewer, flow=TIERED, requests=[third], approve=True)
    assert str(again.error) == "您已审批过本申请的上一步，须由其他工作人员审批。"
    assert DecisionStep.objects.filter(object_id=third.pk, flow=TIERED.name).count() == 1


def test_a_constraint_in_the_bulk_falls_back_to_one_by_one(world, monkeypatch):
    """A step already written behind the lock's back (a caller that skipped it): the bulk's
    insert is refused whole, undone, and each request decided alone; the one whose step is
    taken is told it is closed, the others are decided."""
    requests = [_new_request(world, ("union_a", "clerk")) for _ in range(3)]
    reviewer = world.staff("union_a", "reviewer")
    original = decisions._deciders_of

    def blind(model, ids):  # the bulk reads no recorded step for the middle one
        found = original(model, ids)
        found[requests[1].pk] = []
        return found

    decisions.decide(actor=reviewer, flow=TIERED, request=requests[1], approve=True)
    monkeypatch.setattr(decisions, "_deciders_of", blind)
    outcomes = decisions.decide_many(
        actor=world.staff("union_a", "admin"), flow=TIERED, requests=requests, approve=True
    )
    assert [o.ok for o in outcomes] == [True, False, True]
    # Alone, the second is read as it is: its next step is the town's own.
    assert isinstance(outcomes[1].error, PermissionDenied)
    assert [len(decisions.steps_of(r)) for r in requests] == [1, 1, 1]


def test_deciding_many_takes_as_many_statements_for_fifty_as_for_five(world):
    def count(n: int) -> int:
        requests = [_new_request(world, ("union_a", "clerk")) for _ in range(n)]
        for request in requests:  # the grassroots and town steps, so the bulk closes them
            decisions.decide(
                actor=world.staff("union_a", "admin"), flow=TIERED, request=request, approve=True
            )
            decisions.decide(
                actor=world.staff("town_a", "admin"), flow=TIERED, request=request, approve=True
            )
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            outcomes = decisions.decide_many(
                actor=world.staff("district_a", "reviewer"),
                flow=TIERED_MANY,
                requests=requests,
                approve=True,
            )
        assert all(o.ok for o in outcomes)
        assert all(
            r.status == "approved"
            for r in JoinApplication.unscoped.filter(pk__in=[r.pk for r in requests])
        )
        return len(queries)

    assert count(50) == count(5)
