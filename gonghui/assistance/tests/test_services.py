from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gonghui.assistance import selectors, services
from gonghui.assistance.models import (
    SNAPSHOT_PURPOSE,
    Application,
    ApplicationDocument,
    ApplicationStatus,
    Round,
)
from gonghui.assistance.tests import helpers as h
from gonghui.core import decisions
from gonghui.core.crypto import unseal, unseal_bytes
from gonghui.core.models import DecisionStep, Notification
from gonghui.funds.models import PayableItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def helped(monkeypatch):
    return h.install_mark_helped(monkeypatch)


@pytest.fixture
def applicant(world):
    """A member of union_b whose household is on the hardship roll."""
    user = world.worker("union_b")
    user.household = h.household(world, user.person)
    return user


# --- applying ------------------------------------------------------------------------------


def test_a_worker_applies_with_an_admission_letter(world, applicant):
    round_ = h.round_(world, documents_required=True)
    application = h.apply(world, round_, applicant)
    assert application.status == ApplicationStatus.PENDING
    assert application.amount == Decimal("4000.00")  # 本科 in the autumn template's table
    assert application.union == world.union_b
    assert application.waiting_at == world.union_b
    assert application.tiers == "grassroots,town,district"
    assert application.household == applicant.household
    assert application.channel == "portal"
    assert application.bank_card.masked().endswith("6789")
    assert "6228480328123456789" not in application.bank_card.masked()
    (document,) = ApplicationDocument.objects.filter(application=application)
    with document.file.open("rb") as handle:
        stored = handle.read()
    assert h.PDF not in stored
    assert unseal_bytes(stored, purpose="assistance.document") == h.PDF


def test_a_clerk_applies_on_a_workers_behalf_and_the_worker_is_told(world, applicant):
    round_ = h.round_(world)
    application = services.application_create(
        actor=world.staff("union_b", "clerk"),
        round=round_,
        person=applicant.person,
        declared=h.child(education_level="college"),
    )
    assert application.channel == "counter"
    assert application.amount == Decimal("3000.00")
    assert application.bank_card is None
    assert Notification.unscoped.filter(person=applicant.person, kind="assistance.decision")


def test_an_applicant_outside_the_rules_is_told_why_at_the_fields(world):
    user = world.worker("union_b")  # a member, not filed, not a migrant worker
    round_ = h.round_(world)
    with pytest.raises(ValidationError) as caught:
        h.apply(world, round_, user, admission_year=timezone.localdate().year - 1)
    errors = caught.value.message_dict
    assert errors["round"] == ["须为在册困难职工家庭子女或农民工子女"]
    assert errors["admission_year"] == ["须为本年度新录取的学生"]
    assert not Application.unscoped.exists()
    assert not ApplicationDocument.objects.exists()


def test_a_migrant_workers_child_is_eligible_without_a_file(world):
    user = world.worker("union_b")
    user.person.household = "rural"
    user.person.save(update_fields=["household"])
    application = h.apply(world, h.round_(world), user, education_level="secondary_vocational")
    assert application.amount == Decimal("2000.00")
    assert application.household is None


def test_a_second_application_in_a_round_is_refused(world, applicant):
    round_ = h.round_(world)
    h.apply(world, round_, applicant)
    with pytest.raises(ValidationError) as caught:
        services.application_create(
            actor=world.staff("union_b", "clerk"),
            round=round_,
            person=applicant.person,
            declared=h.child(),
        )
    assert "每人每批次只能申请一次" in caught.value.message_dict["round"][0]
    assert Application.unscoped.count() == 1


def test_a_round_once_per_household_refuses_a_second_member_of_the_household(world, applicant):
    round_ = h.round_(world, template="spring", once_per_household=True)
    spouse = world.worker("union_b")
    from gonghui.hardship.models import HouseholdMember

    HouseholdMember.unscoped.create(
        household=applicant.household, person=spouse.person, name="配偶", relation="spouse"
    )
    services.application_create(
        actor=applicant,
        round=round_,
        person=applicant.person,
        declared=services.Declared(beneficiary_name=applicant.person.name),
        account_holder="甲",
        bank_name="农行",
        bank_card=h.CARD,
    )
    # The spouse is entered as the household's worker would be (same file).
    from gonghui.hardship.models import Household

    Household.unscoped.filter(pk=applicant.household.pk).update(person=spouse.person)
    with pytest.raises(ValidationError) as caught:
        services.application_create(
            actor=world.staff("union_b", "clerk"),
            round=round_,
            person=spouse.person,
            declared=services.Declared(beneficiary_name=spouse.person.name),
        )
    assert caught.value.message_dict["round"] == [
        "该困难家庭已有成员申请本批次，本批次每户限申请一次。"
    ]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("通知书.exe", b"MZ\x90\x00"), "只能上传 PDF、JPG 或 PNG 文件"),
        (SimpleUploadedFile("通知书.pdf", b"GIF89a"), "文件内容与扩展名不符"),
        (
            SimpleUploadedFile("通知书.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)),
            "文件不能超过 10 MB",
        ),
    ],
)
def test_a_bad_document_is_refused_at_its_field(world, applicant, upload, message):
    round_ = h.round_(world)
    with pytest.raises(ValidationError) as caught:
        h.apply(world, round_, applicant, documents=[upload])
    assert message in caught.value.message_dict["documents"][0]
    assert not Application.unscoped.exists()


def test_html_in_text_is_refused_at_the_field(world, applicant):
    round_ = h.round_(world)
    with pytest.raises(ValidationError) as caught:
        h.apply(world, round_, applicant, school="<script>alert(1)</script>", note="<b>急</b>")
    assert "HTML" in caught.value.message_dict["school"][0]
    assert "HTML" in caught.value.message_dict["note"][0]
    assert not Application.unscoped.exists()


def test_a_round_outside_its_window_refuses_applications(world, applicant):
    round_ = h.round_(world)
    Round.unscoped.filter(pk=round_.pk).update(
        opens_on=timezone.localdate().replace(year=2001, day=1),
        closes_on=timezone.localdate().replace(year=2001, day=2),
    )
    round_.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        h.apply(world, round_, applicant)
    assert "现在不能申请" in caught.value.message_dict["round"][0]


# --- the round's set-up --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-100", "金额不能为负数。"), ("100.123", "金额最多两位小数（精确到分）。")],
)
def test_a_negative_or_three_decimal_amount_is_refused(world, amount, message):
    with pytest.raises(ValidationError) as caught:
        h.round_(world, template="spring") if False else services.round_save(
            actor=world.staff("district_b", "clerk"),
            programme=h.programme(world),
            name="2017 春节送温暖",
            year=2017,
            opens_on=timezone.localdate(),
            closes_on=timezone.localdate(),
            tiers=["town"],
            rules_data="{}",
            amounts=json.dumps({"fixed": amount}),
            funds=[h.funds_helpers.fund(world)],
        )
    assert caught.value.message_dict["amounts"] == [f"固定金额：{message}"]
    assert not Round.unscoped.exists()


def test_round_rules_in_bad_json_or_with_html_are_refused(world):
    def save(**kwargs):
        defaults = {
            "actor": world.staff("district_b", "clerk"),
            "programme": h.programme(world),
            "name": "2017 金秋助学",
            "year": 2017,
            "opens_on": timezone.localdate(),
            "closes_on": timezone.localdate(),
            "tiers": ["grassroots", "district"],
            "rules_data": "{}",
            "amounts": '{"fixed": "100"}',
            "funds": [h.funds_helpers.fund(world)],
        }
        return services.round_save(**{**defaults, **kwargs})

    with pytest.raises(ValidationError) as caught:
        save(rules_data='{"all": [', name="<i>x</i>")
    assert "格式不正确" in caught.value.message_dict["rules"][0]
    assert "HTML" in caught.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as caught:
        save(funds=[h.funds_helpers.fund(world, "district_a")])
    assert "不在同一条线上" in caught.value.message_dict["funds"][0]
    assert save().tier_list == ["grassroots", "district"]


# --- review up the tiers -------------------------------------------------------------------


def test_review_goes_up_the_tiers_and_the_final_approval_hands_the_amount_to_the_funds(
    world, applicant, helped
):
    round_ = h.round_(world)
    application = h.apply(world, round_, applicant)
    application = services.application_decide(
        actor=world.staff("union_b", "reviewer"), application=application, approve=True
    )
    assert (application.status, application.waiting_at, application.next_index) == (
        "pending",
        world.town_b,
        1,
    )
    assert not PayableItem.unscoped.exists()
    application = h.approve_all(world, application, ("town_b", "district_b"))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.waiting_at is None
    item = PayableItem.unscoped.get(source_kind="assistance.application", source_id=application.pk)
    assert (item.amount, item.person, item.organization) == (
        Decimal("4000.00"),
        applicant.person,
        world.union_b,
    )
    assert item.bank_card.reveal() == h.CARD
    assert helped == [(applicant.household.pk, timezone.localdate())]
    texts = list(
        Notification.unscoped.filter(person=applicant.person, kind="assistance.decision")
        .order_by("id")
        .values_list("text", flat=True)
    )
    assert len(texts) == 3 and "已获批准" in texts[-1] and "尾号 6789" in texts[-1]
    assert selectors.payments_of([application.pk])[application.pk] == item


def test_the_snapshot_keeps_the_household_as_it_was_and_seals_incomes(world, applicant, helped):
    application = h.apply(world, h.round_(world), applicant)
    services.application_decide(
        actor=world.staff("union_b", "reviewer"), application=application, approve=True
    )
    from gonghui.hardship.models import HouseholdMember

    HouseholdMember.unscoped.filter(household=applicant.household).update(name="改过的名字")
    (step,) = decisions.steps_of(application)
    household = step.snapshot["household"]
    assert [m["name"] for m in household["members"]] == [applicant.person.name, "王小明"]
    text = json.dumps(step.snapshot, ensure_ascii=False)
    assert "16000" not in text and "尿毒症" not in text and "8000" not in text
    secret = json.loads(unseal(base64.b64decode(step.snapshot["sealed"]), purpose=SNAPSHOT_PURPOSE))
    assert secret["per_capita_income"] == "8000.00"
    assert secret["members"][0] == {
        "name": applicant.person.name,
        "yearly_income": "16000.00",
        "health": "尿毒症",
    }


def test_the_person_who_entered_an_application_cannot_approve_it(world, applicant):
    round_ = h.round_(world)
    admin = world.staff("union_b", "admin")
    application = services.application_create(
        actor=admin, round=round_, person=applicant.person, declared=h.child()
    )
    with pytest.raises(PermissionDenied, match="录入人"):
        services.application_decide(actor=admin, application=application, approve=True)
    assert not DecisionStep.objects.filter(flow__startswith="assistance.").exists()


def test_a_level_cannot_decide_before_the_one_below_it(world, applicant):
    application = h.apply(world, h.round_(world), applicant)
    with pytest.raises(PermissionDenied, match="此步骤由"):
        services.application_decide(
            actor=world.staff("town_b", "reviewer"), application=application, approve=True
        )
    application.refresh_from_db()
    assert (application.status, application.next_index) == ("pending", 0)
    assert not DecisionStep.objects.filter(flow__startswith="assistance.").exists()


def test_another_branch_cannot_decide(world, applicant):
    application = h.apply(world, h.round_(world), applicant)
    from gonghui.core.scoping import NotFound

    with pytest.raises(NotFound):
        services.application_decide(
            actor=world.staff("union_a", "reviewer"), application=application, approve=True
        )


def test_a_refusal_needs_a_reason_and_the_worker_is_told_it(world, applicant):
    application = h.apply(world, h.round_(world), applicant)
    reviewer = world.staff("union_b", "reviewer")
    with pytest.raises(ValidationError) as caught:
        services.application_decide(actor=reviewer, application=application, approve=False)
    assert caught.value.message_dict["decision_note"] == ["不批准时请写明原因，申请人会看到。"]
    application = services.application_decide(
        actor=reviewer, application=application, approve=False, reason="录取通知书与姓名不符"
    )
    assert application.status == ApplicationStatus.REFUSED
    assert Notification.unscoped.filter(
        person=applicant.person, text__contains="录取通知书与姓名不符"
    ).exists()
    # A refused application frees the person's place in the round.
    assert h.apply(world, application.round, applicant).status == "pending"


def test_the_final_approval_needs_a_bank_account(world, applicant, helped):
    round_ = h.round_(world, tiers=("grassroots",))
    application = services.application_create(
        actor=world.staff("union_b", "clerk"),
        round=round_,
        person=applicant.person,
        declared=h.child(),
    )
    reviewer = world.staff("union_b", "reviewer")
    with pytest.raises(ValidationError) as caught:
        services.application_decide(actor=reviewer, application=application, approve=True)
    assert "银行卡号" in caught.value.message_dict["bank_card"][0]
    assert (
        not DecisionStep.objects.filter(flow__startswith="assistance.").exists()
        and not PayableItem.unscoped.exists()
    )
    services.application_bank_set(
        actor=world.staff("union_b", "clerk"),
        application=application,
        account_holder="王",
        bank_name="农行",
        bank_card="6228 4803 2812 3456 789",
    )
    application = services.application_decide(actor=reviewer, application=application, approve=True)
    assert application.status == "approved" and PayableItem.unscoped.count() == 1


def test_bulk_approval_decides_each_and_reports_the_others(world, helped):
    round_ = h.round_(world)
    applications = []
    for _ in range(3):
        user = world.worker("union_b")
        h.household(world, user.person)
        applications.append(h.apply(world, round_, user))
    reviewer = world.staff("union_b", "reviewer")
    services.application_decide(actor=reviewer, application=applications[0], approve=True)
    result = services.application_bulk_approve(actor=reviewer, applications=applications)
    assert sorted(result.done) == sorted(a.pk for a in applications[1:])
    ((problem, message),) = result.problems
    assert problem.pk == applications[0].pk and "已审核过" in message or "此步骤由" in message
    assert Application.unscoped.filter(waiting_at=world.town_b).count() == 3
    assert selectors.queue_counts(actor=world.staff("district_b", "admin"), round=round_) == {
        "grassroots": 0,
        "town": 3,
        "district": 0,
        "city": 0,
    }


# --- proposals -----------------------------------------------------------------------------


def test_proposals_are_the_eligible_not_yet_applied_and_a_clerk_enters_them_in_bulk(world):
    round_ = h.round_(world, template="spring", tiers=("grassroots", "town"))
    users = [world.worker("union_b") for _ in range(3)]
    for user in users:
        h.household(world, user.person)
    far = world.worker("union_a")
    h.household(world, far.person, "union_a")
    services.application_create(
        actor=users[0],
        round=round_,
        person=users[0].person,
        declared=services.Declared(beneficiary_name=users[0].person.name),
        account_holder="甲",
        bank_name="农行",
        bank_card=h.CARD,
    )
    clerk = world.staff("town_b", "clerk")
    proposals = selectors.proposal_list(actor=clerk, round=round_, organization=world.town_b)
    assert {p.person_id for p in proposals} == {users[1].person.pk, users[2].person.pk}
    assert all(p.complete and p.amount == Decimal("2000.00") for p in proposals)
    made = services.applications_from_proposals(
        actor=clerk,
        round=round_,
        organization=world.town_b,
        household_ids=[p.household_id for p in proposals],
    )
    assert made == 2
    assert Application.unscoped.filter(round=round_, channel="proposal").count() == 2
    assert selectors.proposal_list(actor=clerk, round=round_, organization=world.town_b) == []
    assert (
        services.applications_from_proposals(
            actor=clerk,
            round=round_,
            organization=world.town_b,
            household_ids=[p.household_id for p in proposals],
        )
        == 0
    )


def test_a_proposal_needing_declared_facts_is_listed_but_not_entered_in_bulk(world):
    round_ = h.round_(world)
    user = world.worker("union_b")
    h.household(world, user.person)
    clerk = world.staff("union_b", "clerk")
    (proposal,) = selectors.proposal_list(actor=clerk, round=round_, organization=world.union_b)
    assert not proposal.complete and "子女为本年度新录取" in proposal.missing
    assert (
        services.applications_from_proposals(
            actor=clerk,
            round=round_,
            organization=world.union_b,
            household_ids=[proposal.household_id],
        )
        == 0
    )


def test_the_worker_sees_open_rounds_and_why_not(world, applicant):
    autumn = h.round_(world)
    dialysis = h.round_(world, template="dialysis")
    shown = {r.round.pk: r for r in selectors.rounds_for_worker(user=applicant)}
    assert shown[autumn.pk].may_apply
    assert shown[dialysis.pk].may_apply  # the condition is declared on the form
    outsider = world.worker("union_a")
    assert selectors.rounds_for_worker(user=outsider) == []  # district_b's rounds only


def test_the_proposal_list_is_one_query_and_bulk_entry_does_not_grow_with_the_households(
    world, django_assert_num_queries, django_assert_max_num_queries
):
    round_ = h.round_(world, template="spring", tiers=("grassroots", "town"))
    for _ in range(8):
        h.household(world, world.worker("union_b").person)
    clerk = world.staff("town_b", "clerk")
    round_ = Round.unscoped.select_related("programme__organization").get(pk=round_.pk)
    with django_assert_num_queries(1):
        proposals = selectors.proposal_list(actor=clerk, round=round_, organization=world.town_b)
    assert len(proposals) == 8
    with django_assert_max_num_queries(20):
        made = services.applications_from_proposals(
            actor=clerk,
            round=round_,
            organization=world.town_b,
            household_ids=[p.household_id for p in proposals],
        )
    assert made == 8


# --- recorded after the fact -----------------------------------------------------------------


def test_an_application_and_its_decisions_may_be_recorded_after_the_fact(world, applicant, helped):
    """``at``: a past round's application, checked against that round's window, and its
    decisions dated when they were made (the figures count them in that year)."""
    import datetime

    round_ = h.round_(world, tiers=("grassroots", "town"))
    Round.unscoped.filter(pk=round_.pk).update(
        year=2017, opens_on=datetime.date(2017, 7, 1), closes_on=datetime.date(2017, 8, 31)
    )
    round_.refresh_from_db()
    at = timezone.make_aware(
        datetime.datetime.combine(datetime.date(2017, 7, 20), datetime.time(9))
    )
    with pytest.raises(ValidationError) as caught:
        h.apply(world, round_, applicant, admission_year=2017)  # today: outside the window
    assert "现在不能申请" in caught.value.message_dict["round"][0]
    with pytest.raises(ValidationError):  # nor in the future
        h.apply(
            world,
            round_,
            applicant,
            admission_year=2017,
            at=timezone.now() + datetime.timedelta(days=1),
        )
    application = h.apply(world, round_, applicant, admission_year=2017, at=at)
    assert application.created_at == at
    application.refresh_from_db()
    assert application.created_at == at
    decided = at + datetime.timedelta(days=30)
    application = services.application_decide(
        actor=world.staff("union_b", "reviewer"), application=application, approve=True, at=decided
    )
    result = services.application_bulk_approve(
        actor=world.staff("town_b", "reviewer"),
        applications=[application],
        at=decided + datetime.timedelta(days=3),
    )
    assert result.done == [application.pk]
    application.refresh_from_db()
    assert application.status == "approved"
    assert application.decided_at == decided + datetime.timedelta(days=3)
    steps = decisions.steps_of(application)
    assert [s.decided_at for s in steps] == [decided, decided + datetime.timedelta(days=3)]
    assert helped == [(applicant.household.pk, datetime.date(2017, 8, 22))]
    assert selectors.approved_in(
        world.staff("district_b", "admin"), world.district_b, 2017
    ).get() == (application)
    with pytest.raises(ValueError, match="future"):
        decisions.decide(
            actor=world.staff("union_b", "reviewer"),
            flow=services.flow_for(application),
            request=application,
            approve=True,
            at=timezone.now() + datetime.timedelta(hours=1),
        )
