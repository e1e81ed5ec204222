"""The decision workflow (``core.decisions``) over a test-only tiered flow built on the test
world: a join application to ``union_a`` decided by the grassroots level (the union or staff
above it), then by the town federation itself, then by the district (or the city).

Hypothesis throws random sequences of (actor, approve or refuse, reason) at fresh requests
and compares each attempt with a model of the rules: steps are recorded only in order, never
two by one person, never by the maker, never outside the scope; a refusal ends the request;
the final approval's effect runs exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gonghui.core import decisions
from gonghui.core.decisions import Reach, Step
from gonghui.core.locks import LockSpace
from gonghui.core.models import DecisionStep
from gonghui.core.permissions import Perm, has_perm
from gonghui.core.scoping import NotFound
from gonghui.core.selectors import decision_step_list
from gonghui.members import services as member_services
from gonghui.members.models import JoinApplication, RequestStatus
from gonghui.organizations.models import OrgKind
from gonghui.testing.factories import person_input
from gonghui.testing.world import PASSWORD

pytestmark = pytest.mark.django_db

APPLIED: Counter[int] = Counter()  # request id -> times the final approval ran


def _apply(actor: Any, application: JoinApplication, reason: str) -> None:
    APPLIED[application.pk] += 1


TIERED = decisions.register(
    decisions.Flow(
        name="tests.tiered_join",
        steps=(
            Step(
                name="grassroots",
                label="基层工会审批",
                organization=lambda a: a.union,
                perm=Perm.DECIDE_MEMBERSHIP,
            ),
            Step(
                name="town",
                label="镇总工会审批",
                organization=lambda a: decisions.ancestor_of_kind(a.union, OrgKind.TOWN),
                perm=Perm.APPROVE,
                reach=Reach.OWN,
            ),
            Step(
                name="district",
                label="区总工会审批",
                organization=lambda a: decisions.ancestor_of_kind(a.union, OrgKind.DISTRICT),
                perm=Perm.APPROVE,
            ),
        ),
        maker=lambda a: a.created_by_id,
        lock_space=LockSpace.JOIN_APPLICATION,
        status_field="status",
        pending=RequestStatus.PENDING,
        approved=RequestStatus.APPROVED,
        refused=RequestStatus.REFUSED,
        closed_message=lambda a: "该申请已办结。",
        reason_message=lambda: "不同意时请填写原因。",
        snapshot=lambda a: {"union": a.union_id, "employer_name": a.employer_name},
        apply=_apply,
    )
)
STEP_ORGS = ("union_a", "town_a", "district_a")

# Staff who may take part, and staff who must meet "not found" or a refusal.
ACTORS = [
    ("union_a", "clerk"),
    ("union_a", "reviewer"),
    ("union_a", "admin"),
    ("union_a", "leader"),
    ("town_a", "clerk"),
    ("town_a", "reviewer"),
    ("town_a", "admin"),
    ("district_a", "reviewer"),
    ("district_a", "admin"),
    ("city", "admin"),
    ("union_a2", "admin"),
    ("union_b", "reviewer"),
    ("town_b", "admin"),
    ("district_b", "reviewer"),
]
MAKERS = [("union_a", "clerk"), ("town_a", "admin"), ("district_a", "admin")]
INSIDERS = [a for a in ACTORS if a[0] in {"union_a", "town_a", "district_a", "city"}]

attempt = st.tuples(st.sampled_from(ACTORS), st.booleans(), st.sampled_from(["", "材料不全"]))
# Mostly approvals by staff of the right branch, so many runs reach the last step.
likely = st.tuples(
    st.sampled_from(INSIDERS),
    st.sampled_from([True, True, True, False]),
    st.sampled_from(["", "材料不全"]),
)
attempts = st.one_of(
    st.lists(attempt, min_size=1, max_size=8), st.lists(likely, min_size=1, max_size=10)
)


def _new_request(world, maker: tuple[str, str]) -> JoinApplication:
    person = member_services.person_register(
        actor=world.staff("union_a", "clerk"), data=person_input()
    )
    return JoinApplication.unscoped.create(
        person=person,
        union=world.union_a,
        employer_name="A号机械有限公司",
        created_by=world.staff(*maker),
    )


def _expected(world, key: tuple[str, str], approve: bool, reason: str, state: dict) -> Any:
    """What the rules say an attempt leads to: an exception class, or None (recorded)."""
    actor = world.staff(*key)
    path = actor.scope_path
    recorded: list[tuple[str, str]] = state["recorded"]
    closed = state["closed"]
    index = len(recorded) if not closed else len(recorded) - 1
    step = TIERED.steps[index]
    org = world.orgs[STEP_ORGS[index]]
    if step.reach is Reach.OWN:
        if not world.union_a.path.startswith(path):  # the request is not visible
            return NotFound
        if actor.organization_id != org.pk or not has_perm(actor, step.perm):
            return PermissionDenied
    else:
        if not org.path.startswith(path):
            return NotFound
        if not has_perm(actor, step.perm):
            return PermissionDenied
    if closed:
        return ValidationError
    if key == state["maker"] or key in recorded:
        return PermissionDenied
    if not approve and not reason:
        return ValidationError
    return None


@pytest.fixture
def world(world):
    APPLIED.clear()
    return world


def test_the_tiered_flow_is_found_by_name():
    assert decisions.flow_get("tests.tiered_join") is TIERED
    assert TIERED in decisions.flows()
    with pytest.raises(ValueError, match="already registered"):
        decisions.register(decisions.Flow(**{**TIERED.__dict__}))


def test_steps_are_decided_in_order_by_distinct_people_in_scope(world):
    @settings(max_examples=60, deadline=None)
    @given(maker=st.sampled_from(MAKERS), tries=attempts)
    @example(
        maker=("union_a", "clerk"),
        tries=[
            (("town_a", "reviewer"), True, ""),
            (("town_a", "reviewer"), True, ""),  # the same person may not decide the next step
            (("district_a", "reviewer"), True, ""),  # the town has not decided yet
            (("town_a", "admin"), True, ""),
            (("district_a", "reviewer"), True, ""),
            (("city", "admin"), True, ""),  # closed
        ],
    )
    @example(maker=("town_a", "admin"), tries=[(("town_a", "admin"), True, "")])
    @example(
        maker=("union_a", "clerk"),
        tries=[(("union_a", "admin"), True, ""), (("town_a", "reviewer"), False, "不符合条件")],
    )
    def run(maker, tries):
        application = _new_request(world, maker)
        state: dict[str, Any] = {"recorded": [], "closed": None, "maker": maker}
        for key, approve, reason in tries:
            expected = _expected(world, key, approve, reason, state)
            try:
                decisions.decide(
                    actor=world.staff(*key),
                    flow=TIERED,
                    request=application,
                    approve=approve,
                    reason=reason,
                )
                outcome = None
            except (NotFound, PermissionDenied, ValidationError) as exc:
                outcome = type(exc)
            assert outcome is expected, (key, approve, reason, state)
            if outcome is None:
                state["recorded"].append(key)
                if not approve:
                    state["closed"] = "refused"
                elif len(state["recorded"]) == len(TIERED.steps):
                    state["closed"] = "approved"
            rows = list(
                DecisionStep.objects.filter(object_id=application.pk, flow=TIERED.name).order_by(
                    "index"
                )
            )
            assert [r.index for r in rows] == list(range(len(state["recorded"])))
            assert [r.decided_by for r in rows] == [world.staff(*k) for k in state["recorded"]]
        # The whole story, read back from the database.
        application.refresh_from_db()
        rows = decisions.steps_of(application)
        deciders = [r.decided_by_id for r in rows]
        assert len(set(deciders)) == len(deciders)
        assert world.staff(*maker).pk not in deciders
        assert all(r.approved for r in rows[:-1])
        for row in rows:
            org = world.orgs[STEP_ORGS[row.index]]
            assert row.organization == org and row.step == TIERED.steps[row.index].name
            assert row.snapshot == {"union": world.union_a.pk, "employer_name": "A号机械有限公司"}
            assert org.path.startswith(row.decided_by.scope_path)
            if row.approved is False:
                assert row.reason
        if state["closed"] == "approved":
            assert application.status == RequestStatus.APPROVED
            assert APPLIED[application.pk] == 1
        else:
            assert APPLIED[application.pk] == 0
            expected_status = "refused" if state["closed"] == "refused" else "pending"
            assert application.status == expected_status
        if state["closed"]:
            assert application.decided_by_id == rows[-1].decided_by_id
            assert application.decision_note == rows[-1].reason

    run()


def test_the_maker_never_decides_any_step(world):
    """Staff who entered the request and hold every role still decide no step of it."""

    @settings(max_examples=25, deadline=None)
    @given(tries=st.lists(st.booleans(), min_size=1, max_size=4))
    def run(tries):
        maker = ("district_a", "admin")  # within every step's reach except the town's own
        application = _new_request(world, maker)
        for approve in tries:
            with pytest.raises(PermissionDenied):
                decisions.decide(
                    actor=world.staff(*maker),
                    flow=TIERED,
                    request=application,
                    approve=approve,
                    reason="x",
                )
        assert decisions.steps_of(application) == []

    run()


def test_may_decide_offers_the_next_step_to_its_deciders_only(world):
    application = _new_request(world, ("union_a", "clerk"))

    def may(org, role):
        return decisions.may_decide(actor=world.staff(org, role), flow=TIERED, request=application)

    assert may("union_a", "reviewer") and may("town_a", "reviewer")
    assert not may("union_a", "clerk")  # the maker
    assert not may("union_b", "reviewer") and not may("union_a", "leader")
    decisions.decide(
        actor=world.staff("town_a", "reviewer"), flow=TIERED, request=application, approve=True
    )
    assert not may("town_a", "reviewer")  # decided the step before
    assert may("town_a", "admin") and not may("district_a", "reviewer")
    assert not may("union_a", "admin")  # the town step is the town's own


def test_the_steps_are_read_through_the_requests_scope(world):
    application = _new_request(world, ("union_a", "clerk"))
    decisions.decide(
        actor=world.staff("union_a", "admin"), flow=TIERED, request=application, approve=True
    )
    assert len(decision_step_list(actor=world.staff("town_a", "leader"), request=application)) == 1
    with pytest.raises(NotFound):
        decision_step_list(actor=world.staff("union_b", "admin"), request=application)


def test_the_detail_page_shows_who_decided_when_and_why(world):
    worker = world.worker()
    application = member_services.join_apply(
        actor=worker, person=worker.person, union=world.union_b, employer_name="某单位"
    )
    client = Client()
    client.login(username="union_b-clerk", password=PASSWORD)
    url = reverse("console:join_detail", args=[application.pk])
    page = client.get(url).content.decode()
    assert "等待：基层工会审批" in page and 'data-testid="approve"' in page
    member_services.join_decide(
        actor=world.staff("union_b", "clerk"),
        application=application,
        approve=False,
        note="不在本单位",
    )
    page = client.get(url).content.decode()
    assert page.count('data-testid="decision-step"') == 1
    assert "不在本单位" in page and "text-bg-danger" in page
    assert str(world.staff("union_b", "clerk")) in page


def test_the_maker_is_not_offered_the_decision_form(world):
    worker = world.worker()
    clerk = world.staff("union_b", "clerk")
    application = member_services.join_apply(
        actor=clerk, person=worker.person, union=world.union_b, employer_name="某单位"
    )
    client = Client()
    client.login(username="union_b-clerk", password=PASSWORD)
    page = client.get(reverse("console:join_detail", args=[application.pk])).content.decode()
    assert 'data-testid="approve"' not in page
    client.login(username="union_b-admin", password=PASSWORD)
    page = client.get(reverse("console:join_detail", args=[application.pk])).content.decode()
    assert 'data-testid="approve"' in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_decisions_record_one_step_and_one_membership():
    """Five staff of the union's branch approve one application at the same moment, each
    from its own thread and connection: one decision is recorded, the others are told it
    was already decided, and the worker gets exactly one membership."""
    from gonghui.members.models import Membership
    from gonghui.testing.world import build_world

    world = build_world()
    worker = world.worker()
    application = member_services.join_apply(
        actor=worker, person=worker.person, union=world.union_b, employer_name="某单位"
    )
    deciders = [("union_b", "clerk"), ("union_b", "admin"), ("union_b", "reviewer")]
    deciders += [("town_b", "clerk"), ("town_b", "reviewer")]
    barrier = threading.Barrier(len(deciders))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(key: tuple[str, str]) -> None:
        try:
            barrier.wait(timeout=30)
            member_services.join_decide(
                actor=world.staff(*key), application=application, approve=True
            )
            result = "ok"
        except ValidationError as exc:
            result = "decided" if "不能重复审批" in str(exc) else f"error {exc}"
        except Exception as exc:  # noqa: BLE001 (reported by the assertions below)
            result = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(key,)) for key in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["decided"] * 4 + ["ok"], outcomes
    assert len(decisions.steps_of(application)) == 1
    assert Membership.unscoped.filter(person=worker.person).count() == 1


def test_a_maker_posting_the_decision_is_told_why_on_the_page(world):
    worker = world.worker()
    application = member_services.join_apply(
        actor=world.staff("union_b", "clerk"),
        person=worker.person,
        union=world.union_b,
        employer_name="某单位",
    )
    client = Client()
    client.login(username="union_b-clerk", password=PASSWORD)
    response = client.post(
        reverse("console:join_detail", args=[application.pk]), {"decision": "approve", "note": ""}
    )
    assert response.status_code == 200
    assert "您是本申请的录入人，须由其他工作人员审批。" in response.content.decode()
    assert JoinApplication.unscoped.get(pk=application.pk).status == RequestStatus.PENDING
