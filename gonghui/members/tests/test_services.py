import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gonghui.core.scoping import NotFound
from gonghui.members import services
from gonghui.members.models import (
    JoinApplication,
    Membership,
    MembershipStatus,
    Person,
    RequestStatus,
    TransferRequest,
)
from gonghui.testing.factories import PersonInputFactory, new_id_number

pytestmark = pytest.mark.django_db


def test_member_add_registers_the_person_sealed_and_hashed(world):
    data = PersonInputFactory()
    membership = services.member_add(
        actor=world.staff("town_a", "clerk"),
        union=world.union_a,
        data=data,
        joined_on=datetime.date(2021, 3, 1),
    )
    person = Person.unscoped.get(pk=membership.person_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM members_person WHERE id = %s", [person.pk])
        raw = cursor.fetchone()
    assert data.id_number.encode() not in bytes(raw[0])
    assert data.mobile.encode() not in bytes(raw[1])
    assert person.id_number.reveal() == data.id_number
    assert str(person.id_number) == data.id_number[:3] + "*" * 11 + data.id_number[-4:]
    assert person.birth_date == datetime.date(
        int(data.id_number[6:10]), int(data.id_number[10:12]), int(data.id_number[12:14])
    )
    assert person.sex == ("M" if int(data.id_number[16]) % 2 else "F")
    assert services.card_number_valid(membership.card_number)
    assert membership.card_number.startswith("CITY")


def test_duplicate_member_is_refused_with_the_reason(world):
    first = world.member("union_a")
    person = first.person
    again = PersonInputFactory(name=person.name, id_number=person.id_number.reveal(), mobile="")
    with pytest.raises(ValidationError) as caught:
        services.member_add(
            actor=world.staff("town_a", "clerk"),
            union=world.union_a,
            data=again,
            joined_on=datetime.date(2021, 3, 1),
        )
    assert caught.value.message_dict["id_number"] == ["此人已是本工会会员。"]
    with pytest.raises(ValidationError) as caught:
        services.member_add(
            actor=world.staff("city", "clerk"),
            union=world.union_b,
            data=again,
            joined_on=datetime.date(2021, 3, 1),
        )
    assert "请办理会员转接" in caught.value.message_dict["id_number"][0]
    assert Membership.unscoped.filter(person=person).count() == 1


def test_same_id_number_with_another_name_is_refused(world):
    first = world.member("union_a")
    with pytest.raises(ValidationError, match="姓名与填写的不一致"):
        services.member_add(
            actor=world.staff("town_a", "clerk"),
            union=world.union_a2,
            data=PersonInputFactory(name="别人", id_number=first.person.id_number.reveal()),
            joined_on=datetime.date(2021, 3, 1),
        )


def test_a_child_cannot_join(world):
    young = new_id_number(birth=timezone.localdate().replace(year=timezone.localdate().year - 15))
    with pytest.raises(ValidationError, match="未满 16 周岁"):
        services.member_add(
            actor=world.staff("town_a", "clerk"),
            union=world.union_a,
            data=PersonInputFactory(id_number=young),
            joined_on=timezone.localdate(),
        )
    assert not Person.unscoped.filter(id_number_hash=services.id_number_hash(young)).exists()


def test_bad_fields_are_reported_together_and_nothing_is_saved(world):
    with pytest.raises(ValidationError) as caught:
        services.member_add(
            actor=world.staff("town_a", "clerk"),
            union=world.union_a,
            data=PersonInputFactory(name="<b>张</b>", id_number="330402199002301234", mobile="123"),
            joined_on=datetime.date(2021, 1, 1),
        )
    errors = caught.value.message_dict
    assert set(errors) == {"name", "id_number", "mobile"}
    assert Person.unscoped.count() == 0


def test_one_active_membership_is_enforced_by_the_database(world):
    membership = world.member("union_a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.unscoped.create(
            person=membership.person,
            union=world.union_b,
            card_number="CITY000000999",
            joined_on=datetime.date(2022, 1, 1),
        )


def test_leader_cannot_enrol_and_other_branch_is_not_found(world):
    with pytest.raises(PermissionDenied):
        services.member_add(
            actor=world.staff("town_a", "leader"),
            union=world.union_a,
            data=PersonInputFactory(),
            joined_on=datetime.date(2021, 1, 1),
        )
    with pytest.raises(NotFound):
        services.member_add(
            actor=world.staff("town_a", "clerk"),
            union=world.union_b,
            data=PersonInputFactory(),
            joined_on=datetime.date(2021, 1, 1),
        )


def test_join_application_approved_makes_a_member_and_tells_the_worker(
    world, outbox, django_capture_on_commit_callbacks
):
    worker = world.worker()
    application = services.join_apply(
        actor=worker, person=worker.person, union=world.union_b, employer_name="B号机械有限公司"
    )
    with pytest.raises(ValidationError, match="待审批"):
        services.join_apply(
            actor=worker, person=worker.person, union=world.union_b2, employer_name="x"
        )
    with django_capture_on_commit_callbacks(execute=True):
        decided = services.join_decide(
            actor=world.staff("union_b", "clerk"), application=application, approve=True
        )
    assert decided.status == RequestStatus.APPROVED
    assert decided.membership.union == world.union_b
    assert decided.membership.is_active
    assert "已批准" in outbox[-1][1]
    with pytest.raises(ValidationError, match="不能重复审批"):
        services.join_decide(
            actor=world.staff("union_b", "clerk"), application=application, approve=False, note="x"
        )


def test_refusal_needs_a_reason_the_worker_sees(world, outbox, django_capture_on_commit_callbacks):
    worker = world.worker()
    application = services.join_apply(
        actor=worker, person=worker.person, union=world.union_b, employer_name="某单位"
    )
    with pytest.raises(ValidationError, match="请填写原因"):
        services.join_decide(
            actor=world.staff("union_b", "clerk"), application=application, approve=False
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.join_decide(
            actor=world.staff("union_b", "clerk"),
            application=application,
            approve=False,
            note="不在本单位工作",
        )
    application.refresh_from_db()
    assert application.status == RequestStatus.REFUSED
    assert application.decision_note == "不在本单位工作"
    assert "不在本单位工作" in outbox[-1][1]


def test_another_branch_cannot_decide(world):
    worker = world.worker()
    application = services.join_apply(
        actor=worker, person=worker.person, union=world.union_b, employer_name="某单位"
    )
    with pytest.raises(NotFound):
        services.join_decide(
            actor=world.staff("union_a", "admin"), application=application, approve=True
        )


def test_worker_withdraws_own_application_only(world):
    worker, other = world.worker(), world.worker()
    application = services.join_apply(
        actor=worker, person=worker.person, union=world.union_b, employer_name="某单位"
    )
    with pytest.raises(NotFound):
        services.join_withdraw(actor=other, application=application)
    assert services.join_withdraw(actor=worker, application=application).status == "withdrawn"


def test_transfer_keeps_history_and_card_number(world):
    worker = world.worker("union_a")
    old = Membership.unscoped.get(person=worker.person, status=MembershipStatus.ACTIVE)
    transfer = services.transfer_request(
        actor=worker, membership=old, to_union=world.union_b, reason="换工作"
    )
    assert transfer.initiator == "worker"
    with pytest.raises(NotFound):
        services.transfer_decide(
            actor=world.staff("union_a", "admin"), transfer=transfer, accept=True
        )
    services.transfer_decide(actor=world.staff("town_b", "clerk"), transfer=transfer, accept=True)
    old.refresh_from_db()
    new = Membership.unscoped.get(person=worker.person, status=MembershipStatus.ACTIVE)
    assert old.status == MembershipStatus.TRANSFERRED and old.ended_on is not None
    assert new.union == world.union_b
    assert new.previous == old
    assert new.card_number == old.card_number
    assert new.joined_on == old.joined_on
    # Both unions still see the story from their side.
    assert (
        TransferRequest.objects.visible_to(world.staff("union_a")).filter(pk=transfer.pk).exists()
    )
    assert (
        TransferRequest.objects.visible_to(world.staff("union_b")).filter(pk=transfer.pk).exists()
    )


def test_old_union_starts_a_transfer_and_may_withdraw_it(world):
    membership = world.member("union_a")
    transfer = services.transfer_request(
        actor=world.staff("town_a", "clerk"),
        membership=membership,
        to_union=world.union_b,
        reason="工作调动",
    )
    assert transfer.initiator == "old_union"
    with pytest.raises(ValidationError, match="待处理"):
        services.transfer_request(
            actor=world.staff("town_a", "clerk"),
            membership=membership,
            to_union=world.union_b2,
            reason="x",
        )
    with pytest.raises(ValidationError, match="转接申请"):
        services.membership_end(
            actor=world.staff("town_a", "clerk"),
            membership=membership,
            reason="retired",
            ended_on=timezone.localdate(),
        )
    assert (
        services.transfer_cancel(actor=world.staff("town_a", "clerk"), transfer=transfer).status
        == "withdrawn"
    )


def test_transfer_to_the_same_union_or_a_federation_is_refused(world):
    membership = world.member("union_a")
    for target, fragment in ((world.union_a, "相同"), (world.town_b, "基层工会")):
        with pytest.raises(ValidationError, match=fragment):
            services.transfer_request(
                actor=world.staff("town_a", "clerk"),
                membership=membership,
                to_union=target,
                reason="x",
            )


def test_leaving_closes_the_membership(world):
    membership = world.member("union_a")
    services.membership_end(
        actor=world.staff("town_a", "clerk"),
        membership=membership,
        reason="retired",
        ended_on=timezone.localdate(),
    )
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.LEFT
    assert membership.history.count() == 2
    assert membership.history.first().history_user == world.staff("town_a", "clerk")
    # The person may join again later.
    services.member_add(
        actor=world.staff("town_b", "clerk"),
        union=world.union_b,
        data=PersonInputFactory(
            name=membership.person.name, id_number=membership.person.id_number.reveal()
        ),
        joined_on=timezone.localdate(),
    )


def test_card_number_check_digit_catches_a_typo():
    assert services.luhn_digit("000000001") == "8"
    assert services.card_number_valid("JX0000000018")
    assert not services.card_number_valid("JX0000000019")
    assert not services.card_number_valid("JX0000000108")


def test_join_application_for_existing_membership_is_refused(world):
    worker = world.worker("union_a")
    with pytest.raises(ValidationError, match="会员转接"):
        services.join_apply(
            actor=worker, person=worker.person, union=world.union_b, employer_name="x"
        )
    assert not JoinApplication.unscoped.exists()


# --- the decision workflow (core.decisions) ----------------------------------------------------


def _steps(request):
    from gonghui.core.decisions import steps_of

    return steps_of(request)


def test_a_join_decision_is_recorded_with_what_it_relied_on(world):
    worker = world.worker()
    application = services.join_apply(
        actor=worker, person=worker.person, union=world.union_b, employer_name="B号机械有限公司"
    )
    clerk = world.staff("union_b", "clerk")
    services.join_decide(actor=clerk, application=application, approve=True, note="材料齐全")
    [step] = _steps(application)
    assert (step.flow, step.index, step.step) == ("members.join", 0, "union")
    assert step.organization == world.union_b
    assert step.decided_by == clerk and step.approved and step.reason == "材料齐全"
    assert step.snapshot["person"] == {"id": worker.person.pk, "name": worker.person.name}
    assert step.snapshot["union"]["name"] == world.union_b.name
    assert step.snapshot["employer_name"] == "B号机械有限公司"


def test_staff_who_filed_a_join_application_cannot_decide_it(world):
    worker = world.worker()
    clerk = world.staff("union_b", "clerk")
    application = services.join_apply(
        actor=clerk, person=worker.person, union=world.union_b, employer_name="某单位"
    )
    with pytest.raises(PermissionDenied, match="录入人"):
        services.join_decide(actor=clerk, application=application, approve=True)
    assert _steps(application) == []
    assert JoinApplication.unscoped.get(pk=application.pk).status == RequestStatus.PENDING
    decided = services.join_decide(
        actor=world.staff("union_b", "admin"), application=application, approve=True
    )
    assert decided.status == RequestStatus.APPROVED


def test_a_transfer_decision_is_recorded_and_its_filer_cannot_accept_it(world):
    membership = world.member("union_a")
    clerk = world.staff("town_a", "clerk")  # files for the worker, within its own town
    transfer = services.transfer_request(
        actor=clerk, membership=membership, to_union=world.union_a2, reason="工作调动"
    )
    with pytest.raises(PermissionDenied, match="录入人"):
        services.transfer_decide(actor=clerk, transfer=transfer, accept=True)
    reviewer = world.staff("town_a", "reviewer")
    services.transfer_decide(actor=reviewer, transfer=transfer, accept=False, note="名额已满")
    [step] = _steps(transfer)
    assert (step.flow, step.step, step.approved) == ("members.transfer", "to_union", False)
    assert step.organization == world.union_a2 and step.decided_by == reviewer
    assert step.reason == "名额已满"
    assert step.snapshot["membership"]["card_number"] == membership.card_number
    assert step.snapshot["from_union"]["id"] == world.union_a.pk
    assert step.snapshot["to_union"]["id"] == world.union_a2.pk
    transfer.refresh_from_db()
    assert transfer.status == RequestStatus.REFUSED and transfer.decision_note == "名额已满"
    assert transfer.decided_by == reviewer
