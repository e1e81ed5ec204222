"""Casework services: routing, transitions, deadlines, the sweep, materials, special records."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from gonghui.casework import selectors
from gonghui.casework.models import (
    Case,
    CaseEvent,
    CaseState,
    CounsellingNote,
    CounsellingSlot,
    EventKind,
)
from gonghui.casework.services import cases as cases_services
from gonghui.casework.services import counselling as counselling_services
from gonghui.casework.services import legal_aid as legal_aid_services
from gonghui.casework.services import materials as materials_services
from gonghui.casework.services import mediation as mediation_services
from gonghui.casework.services import sweep as sweep_services
from gonghui.core import locks
from gonghui.core.locks import LockSpace
from gonghui.core.models import Notification
from gonghui.core.scoping import NotFound
from gonghui.core.sms import MemoryBackend
from gonghui.organizations import services as org_services
from gonghui.organizations.models import ServiceType
from gonghui.testing.world import build_world

ZONE = timezone.get_default_timezone()


def at(y: int, m: int, d: int, h: int = 10) -> datetime.datetime:
    return datetime.datetime(y, m, d, h, tzinfo=ZONE)


@pytest.fixture
def world(db):
    return build_world()


def kind(code: str) -> ServiceType:
    return ServiceType.objects.get(code=code)


def open_case(world, worker, code="legal_aid", **extra):
    return cases_services.case_open(
        actor=worker,
        person=worker.person,
        service_type=kind(code),
        title="拖欠工资",
        description="公司拖欠三个月工资",
        **extra,
    )


# --- routing and deadlines ----------------------------------------------------------------------


def test_case_lands_at_the_nearest_tier_that_handles_the_type(world):
    worker = world.worker("union_b")
    # legal aid: stations and centres only → the town of the worker's union
    assert open_case(world, worker).handler == world.town_b
    # hardship relief: every tier → the worker's grassroots union (their service point)
    assert open_case(world, worker, "hardship").handler == world.union_b


def test_a_registered_place_offering_the_type_is_preferred(world):
    worker = world.worker("union_b")
    org_services.service_place_save(
        actor=world.staff("district_b", "admin"),
        place=None,
        organization=world.district_b,
        tier="centre",
        name="B区职工服务中心",
        address="B区",
        service_types=[kind("legal_aid")],
    )
    assert open_case(world, worker).handler == world.district_b


def test_a_non_member_must_choose_a_place(world):
    worker = world.worker()  # registered, no union
    with pytest.raises(ValidationError) as exc:
        open_case(world, worker)
    assert "place" in exc.value.message_dict


def test_deadlines_count_working_days_over_the_national_day_holiday(world):
    worker = world.worker("union_b")
    # Opened on Wednesday 30 September 2026: 1-7 October are holidays; legal aid must be
    # answered within 2 working days: Thursday 8 and Friday 9 October (not 1 and 2 October).
    case = open_case(world, worker, at=at(2026, 9, 30))
    assert case.response_due == at(2026, 10, 9, 17)


def _at_counter(world, clerk, person, *, name=None, **extra):
    fields = {
        "service_type": kind("hardship"),
        "title": "大病救助",
        "description": "家人重病",
        "channel": "counter",
    }
    fields.update(extra)
    return cases_services.case_open_at_counter(
        actor=clerk,
        id_number=person.id_number.reveal(),
        name=person.name if name is None else name,
        **fields,
    )


def test_counter_case_counts_one_visit_and_goes_to_the_workers_own_union(world):
    clerk = world.staff("town_b", "clerk")
    member = world.member("union_b")
    case = _at_counter(world, clerk, member.person)
    assert case.handler == world.union_b and case.origin == world.town_b
    assert case.visits == 1 and case.applicant_name == member.person.name


def test_a_counter_of_another_branch_serves_the_worker_and_learns_nothing(world):
    """A town_a clerk serving a union_b member: the same answer whatever the name, handled by
    the counter's own chain, so no organisation of district_b is named."""
    clerk = world.staff("town_a", "clerk")
    member = world.member("union_b")
    right = _at_counter(world, clerk, member.person)
    wrong = _at_counter(world, clerk, member.person, name="别人")
    for case in (right, wrong):
        assert case.handler.path.startswith(world.district_a.path) or case.handler.path in (
            world.city.path
        )
        assert case.origin == world.town_a and case.visits == 1
        assert selectors.case_get(actor=clerk, id=case.pk) == case
    assert (right.applicant_name, wrong.applicant_name) == (member.person.name, "别人")
    assert right.handler == wrong.handler and right.state == wrong.state
    # Both belong to the person with that ID number, who sees them in the portal.
    assert right.person_id == wrong.person_id == member.person.pk


def test_counter_refuses_a_name_that_does_not_match_a_record_it_may_see(world):
    member = world.member("union_b")
    with pytest.raises(ValidationError) as exc:
        _at_counter(world, world.staff("town_b", "clerk"), member.person, name="别人")
    assert "name" in exc.value.message_dict


def test_a_refused_counter_request_registers_nobody(world):
    from gonghui.testing.database import changed_tables, row_counts
    from gonghui.testing.factories import new_id_number

    before = row_counts()
    with pytest.raises(ValidationError) as exc:
        cases_services.case_open_at_counter(
            actor=world.staff("town_a", "clerk"),
            id_number=new_id_number(),
            name="新来的",
            service_type=kind("hardship"),
            title="大病救助",
            description="",
            channel="counter",
        )
    assert list(exc.value.message_dict) == ["description"]
    assert changed_tables(before) == {}


# --- transitions ----------------------------------------------------------------------------------


def test_whole_flow_keeps_a_timeline_and_notifies_the_worker(
    world, django_capture_on_commit_callbacks
):
    worker = world.worker("union_b")
    town, district = world.staff("town_b", "clerk"), world.staff("district_b", "clerk")
    MemoryBackend.outbox.clear()
    with (
        override_settings(GONGHUI_SMS_BACKEND="gonghui.core.sms.MemoryBackend"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        case = open_case(world, worker)
        case = cases_services.case_accept(actor=town, case=case)
        case = cases_services.case_escalate(actor=town, case=case, reason="案情复杂，需区律师介入")
        assert case.handler == world.district_b and case.state == CaseState.SUBMITTED
        case = cases_services.case_accept(actor=district, case=case)
        case = cases_services.case_resolve(actor=district, case=case, resolution="已追回工资")
        case = cases_services.case_confirm(actor=worker, case=case, rating=4, comment="满意")
    kinds = [e.kind for e in selectors.case_timeline(case=case, public_only=True)]
    assert kinds == ["opened", "accepted", "escalated", "accepted", "resolved", "confirmed"]
    assert case.state == CaseState.CLOSED and case.rating == 4 and case.escalations == 1
    texts = [text for mobile, text in MemoryBackend.outbox if mobile == worker.test_mobile]
    assert len(texts) == 5 and case.number in texts[0]


def test_a_transition_not_allowed_from_the_state_changes_nothing(world):
    worker = world.worker("union_b")
    case = open_case(world, worker)
    with pytest.raises(ValidationError) as exc:
        cases_services.case_resolve(actor=world.staff("town_b", "clerk"), case=case, resolution="x")
    assert "待受理" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        cases_services.case_confirm(actor=worker, case=case, rating=5)
    case.refresh_from_db()
    assert case.state == CaseState.SUBMITTED and case.events.count() == 1


def test_reject_needs_a_reason_the_worker_sees(world):
    worker = world.worker("union_b")
    case = open_case(world, worker)
    clerk = world.staff("town_b", "clerk")
    with pytest.raises(ValidationError) as exc:
        cases_services.case_reject(actor=clerk, case=case, reason=" ")
    assert "reason" in exc.value.message_dict
    case = cases_services.case_reject(actor=clerk, case=case, reason="属于民事纠纷，请向法院起诉")
    items = [e.note for e in selectors.case_timeline(case=case, public_only=True)]
    assert "属于民事纠纷，请向法院起诉" in items


def test_worker_withdraws_and_nobody_else_can(world):
    worker, other = world.worker("union_b"), world.worker("union_a")
    case = open_case(world, worker)
    with pytest.raises(NotFound):
        cases_services.case_withdraw(actor=other, case=case)
    assert cases_services.case_withdraw(actor=worker, case=case).state == CaseState.WITHDRAWN


def test_refer_sideways_with_reason_and_tier_check(world):
    worker = world.worker("union_b")
    case = open_case(world, worker)
    clerk = world.staff("town_b", "clerk")
    with pytest.raises(ValidationError):  # legal aid is not handled at grassroots points
        cases_services.case_refer(actor=clerk, case=case, to_org=world.union_a, reason="x")
    case = cases_services.case_refer(
        actor=clerk, case=case, to_org=world.town_a, reason="用人单位在A镇"
    )
    assert case.handler == world.town_a and case.escalations == 0
    # the receiving town sees it; the origin town still follows it
    assert selectors.case_get(actor=world.staff("town_a", "clerk"), id=case.pk) == case
    assert selectors.case_get(actor=clerk, id=case.pk) == case


def test_double_submit_with_one_key_opens_one_case(world):
    worker = world.worker("union_b")
    first = open_case(world, worker, idempotency_key="k-1")
    second = open_case(world, worker, idempotency_key="k-1")
    assert first.pk == second.pk
    assert Case.unscoped.filter(person=worker.person).count() == 1


def test_html_in_text_is_refused_or_kept_as_text(world):
    worker = world.worker("union_b")
    with pytest.raises(ValidationError) as exc:
        cases_services.case_open(
            actor=worker,
            person=worker.person,
            service_type=kind("petition"),
            title="<script>alert(1)</script>",
            description="x",
        )
    assert "title" in exc.value.message_dict


def test_rating_must_be_one_to_five(world):
    worker = world.worker("union_b")
    clerk = world.staff("town_b", "clerk")
    case = cases_services.case_accept(actor=clerk, case=open_case(world, worker))
    case = cases_services.case_resolve(actor=clerk, case=case, resolution="已办")
    with pytest.raises(ValidationError) as exc:
        cases_services.case_confirm(actor=worker, case=case, rating=6)
    assert "rating" in exc.value.message_dict


def test_bulk_assignment_is_all_or_nothing(world):
    w = world.worker("union_b")
    clerk = world.staff("town_b", "clerk")
    a, b = open_case(world, w), open_case(world, w)
    cases_services.case_withdraw(actor=w, case=b)
    with pytest.raises(ValidationError):
        cases_services.case_assign(
            actor=clerk, cases=[a, b], assignee=world.staff("town_b", "admin")
        )
    a.refresh_from_db()
    assert a.assignee_id is None
    with pytest.raises(ValidationError):  # staff of another organisation
        cases_services.case_assign(
            actor=clerk, cases=[a], assignee=world.staff("district_b", "clerk")
        )
    assert cases_services.case_assign(actor=clerk, cases=[a], assignee=clerk) == 1


# --- the sweep --------------------------------------------------------------------------------


def test_sweep_escalates_overdue_cases_once(world):
    worker = world.worker("union_b")
    case = open_case(world, worker, "hardship", at=at(2026, 11, 2))  # handled by union_b
    fresh = open_case(world, worker, "hardship", at=at(2026, 11, 20))
    now = at(2026, 11, 6, 12)  # after the 2-working-day response deadline of the first
    result = sweep_services.case_sweep(now=now)
    assert result.escalated == 1
    case.refresh_from_db()
    fresh.refresh_from_db()
    assert case.handler == world.town_b and case.escalations == 1 and case.response_due > now
    assert fresh.handler == world.union_b
    event = CaseEvent.objects.get(case=case, kind=EventKind.AUTO_ESCALATED)
    assert event.from_org == world.union_b and event.to_org == world.town_b
    assert "响应期限" in event.note
    # the missed deadline stays missed in the figures, whatever the fresh deadlines say
    assert case.responded_on_time is False
    case = cases_services.case_accept(actor=world.staff("town_b", "clerk"), case=case, at=now)
    assert case.responded_on_time is False
    # idempotent: the same moment again escalates nothing
    assert sweep_services.case_sweep(now=now).escalated == 0
    assert CaseEvent.objects.filter(case=case, kind=EventKind.AUTO_ESCALATED).count() == 1


def test_the_sweep_tells_the_worker_of_an_escalation_once(
    world, outbox, django_capture_on_commit_callbacks
):
    # given an overdue case
    worker = world.worker("union_b")
    case = open_case(world, worker, "hardship", at=at(2026, 11, 2))
    outbox.clear()
    now = at(2026, 11, 6, 12)
    # when the sweep moves it, and runs again
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_services.case_sweep(now=now).escalated == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_services.case_sweep(now=now).escalated == 0
    # then the worker has one message in the app and one SMS, naming the case and its handler
    message = Notification.unscoped.get(person_id=worker.person_id, kind="casework.progress")
    assert case.number in message.text and "自动转B镇总工会督办" in message.text
    assert message.link == reverse("portal:case_detail", args=[case.pk])
    assert [t for m, t in outbox if m == worker.test_mobile] == [f"【网上工会】{message.text}"]


def test_the_sweep_leaves_a_case_that_changed_after_it_was_read(world):
    """The sweep reads the overdue cases first and moves each chunk later: a case a clerk
    accepted in between is no longer as read, and stays where the clerk put it."""
    worker = world.worker("union_b")
    case = open_case(world, worker, "hardship", at=at(2026, 11, 2))
    now = at(2026, 11, 6, 12)
    read = sweep_services._overdue_rows(now)
    plan = sweep_services._Sweep.plan(read, {t.pk: t for t in ServiceType.objects.all()}, now)
    cases_services.case_accept(actor=world.staff("union_b", "clerk"), case=case, at=now)
    moved = sweep_services._escalate_chunk(read, plan)
    assert moved == 0
    case.refresh_from_db()
    assert case.handler == world.union_b and case.state == CaseState.ACCEPTED
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.AUTO_ESCALATED).exists()


def test_sweep_closes_resolved_cases_after_the_type_days(world):
    worker = world.worker("union_b")
    clerk = world.staff("union_b", "clerk")
    case = open_case(world, worker, "hardship", at=at(2026, 11, 2))
    cases_services.case_accept(actor=clerk, case=case, at=at(2026, 11, 2, 11))
    cases_services.case_resolve(actor=clerk, case=case, resolution="已发放", at=at(2026, 11, 3))
    assert sweep_services.case_sweep(now=at(2026, 11, 8)).closed == 0
    assert sweep_services.case_sweep(now=at(2026, 11, 11)).closed == 1
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.auto_closed


def test_a_note_goes_on_an_open_case_only(world):
    worker = world.worker("union_b")
    clerk = world.staff("union_b", "clerk")
    case = open_case(world, worker, "hardship", at=at(2026, 11, 2))
    cases_services.case_accept(actor=clerk, case=case, at=at(2026, 11, 2, 11))
    cases_services.case_note(actor=clerk, case=case, note="已电话联系")
    cases_services.case_resolve(actor=clerk, case=case, resolution="已发放", at=at(2026, 11, 3))
    notes = CaseEvent.objects.filter(case=case, kind=EventKind.NOTE).count()
    with pytest.raises(ValidationError) as refused:
        cases_services.case_note(actor=clerk, case=case, note="结案后补记")
    assert "不能执行此操作" in str(refused.value.message_dict["state"])
    assert CaseEvent.objects.filter(case=case, kind=EventKind.NOTE).count() == notes


def test_late_acceptance_is_recorded_as_late(world):
    worker = world.worker("union_b")
    case = open_case(world, worker, "hardship", at=at(2026, 11, 2))
    case = cases_services.case_accept(
        actor=world.staff("union_b", "clerk"), case=case, at=at(2026, 11, 9)
    )
    assert case.responded_on_time is False


# --- materials --------------------------------------------------------------------------------


def test_material_limits_and_sealed_storage(world):
    worker = world.worker("union_b")
    case = open_case(world, worker)
    pdf = SimpleUploadedFile("合同.pdf", b"%PDF-1.4 contract", content_type="application/pdf")
    material = materials_services.case_material_add(actor=worker, case=case, upload=pdf)
    with material.file.open("rb") as handle:
        assert b"contract" not in handle.read()
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        materials_services.case_material_add(actor=worker, case=case, upload=fake)
    assert "扩展名不符" in exc.value.messages[0]
    exe = SimpleUploadedFile("a.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError):
        materials_services.case_material_add(actor=worker, case=case, upload=exe)
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        materials_services.case_material_add(actor=worker, case=case, upload=big)
    assert "10 MB" in exc.value.messages[0]
    assert case.materials.count() == 1


# --- mediation, legal aid, counselling ---------------------------------------------------------


def test_mediation_records_sessions_and_agreement_pdf(world):
    from gonghui.casework.documents import agreement_pdf

    worker = world.worker("union_b")
    clerk = world.staff("union_b", "clerk")
    case = cases_services.case_accept(actor=clerk, case=open_case(world, worker, "mediation"))
    mediation = mediation_services.mediation_open(
        actor=clerk,
        case=case,
        applicant=worker.person.name,
        respondent="B号机械有限公司",
        claims="支付加班费 3000 元",
        mediator="王调解",
    )
    with pytest.raises(ValidationError):  # no session yet
        mediation_services.mediation_conclude(
            actor=clerk, mediation=mediation, outcome="agreed", agreement="x"
        )
    mediation_services.mediation_session_add(
        actor=clerk,
        mediation=mediation,
        held_on=timezone.localdate(),
        place="工会调解室",
        attendees="双方",
        summary="双方同意分两期支付",
    )
    mediation_services.mediation_conclude(
        actor=clerk, mediation=mediation, outcome="agreed", agreement="公司分两期支付 3000 元"
    )
    assert agreement_pdf(mediation).startswith(b"%PDF")


def test_legal_aid_lawyer_from_the_handler_or_above(world):
    worker = world.worker("union_b")
    town = world.staff("town_b", "clerk")
    lawyer = legal_aid_services.lawyer_save(
        actor=world.staff("district_b", "clerk"),
        lawyer=None,
        organization=world.district_b,
        name="李律师",
        firm="B律师事务所",
        licence_number="13304201810000001",
        phone="0573-1234567",
    )
    other = legal_aid_services.lawyer_save(
        actor=world.staff("district_a", "clerk"),
        lawyer=None,
        organization=world.district_a,
        name="赵律师",
        firm="A律师事务所",
        licence_number="13304201810000002",
        phone="0573-7654321",
    )
    case = cases_services.case_accept(actor=town, case=open_case(world, worker))
    with pytest.raises(ValidationError):
        legal_aid_services.legal_aid_assign(actor=town, case=case, lawyer=other)
    aid = legal_aid_services.legal_aid_assign(actor=town, case=case, lawyer=lawyer)
    aid = legal_aid_services.legal_aid_record_outcome(
        actor=town, case=case, outcome="arbitration", note="仲裁胜诉"
    )
    assert aid.outcome == "arbitration"


def test_a_recovered_amount_is_checked_as_money_under_the_case_then_legal_aid_locks(world):
    worker = world.worker("union_b")
    town = world.staff("town_b", "clerk")
    lawyer = legal_aid_services.lawyer_save(
        actor=world.staff("district_b", "clerk"),
        lawyer=None,
        organization=world.district_b,
        name="李律师",
        firm="B律师事务所",
        licence_number="13304201810000001",
        phone="0573-1234567",
    )
    case = cases_services.case_accept(actor=town, case=open_case(world, worker))
    legal_aid_services.legal_aid_assign(actor=town, case=case, lawyer=lawyer)
    for amount, message in [
        (Decimal("-1"), "金额不能为负数。"),
        (Decimal("1.005"), "金额最多两位小数（精确到分）。"),
        (Decimal("1E+10"), "金额过大，不能超过 9,999,999,999.99 元。"),
    ]:
        with pytest.raises(ValidationError) as caught:
            legal_aid_services.legal_aid_record_outcome(
                actor=town, case=case, outcome="arbitration", recovered_amount=amount
            )
        assert caught.value.message_dict == {"recovered_amount": [message]}
    with locks.traced() as taken:
        aid = legal_aid_services.legal_aid_record_outcome(
            actor=town, case=case, outcome="arbitration", recovered_amount=Decimal("36000.5")
        )
    assert [t.space for t in taken] == [LockSpace.CASE, LockSpace.LEGAL_AID]
    aid.refresh_from_db()
    assert aid.recovered_amount == Decimal("36000.50")


def test_counselling_notes_are_readable_by_the_counsellor_alone(world):
    admin = world.staff("district_b", "admin")
    counsellor_user = world.staff("district_b", "clerk")
    counselling_services.counsellor_register(
        actor=admin, user=counsellor_user, name="陈老师", qualification="国家二级心理咨询师"
    )
    slot = counselling_services.slot_publish(
        actor=counsellor_user,
        starts_at=timezone.now() + datetime.timedelta(days=2),
        minutes=50,
        place="B区职工服务中心",
    )
    worker = world.worker()  # not a member of any union: may book all the same
    slot = counselling_services.slot_book(actor=worker, slot=slot, topic="工作压力")
    assert slot.case is not None and slot.case.handler == world.district_b
    with pytest.raises(ValidationError):  # taken
        counselling_services.slot_book(actor=world.worker("union_b"), slot=slot, topic="失眠")
    counselling_services.counselling_note_write(
        actor=counsellor_user, slot=slot, text="来访者压力较大"
    )
    assert [
        n.text.reveal() for n in selectors.counselling_notes(actor=counsellor_user, slot=slot)
    ] == ["来访者压力较大"]
    for outsider in (admin, world.staff("city", "admin"), world.staff("district_b", "reviewer")):
        assert not selectors.counselling_notes(actor=outsider, slot=slot).exists()
        assert not CounsellingNote.objects.visible_to(outsider).exists()
        with pytest.raises((NotFound, PermissionDenied)):
            counselling_services.counselling_note_write(actor=outsider, slot=slot, text="x")
    assert not CounsellingNote.objects.visible_to(worker).exists()


def test_visibility_is_origin_and_handler_subtrees_only(world):
    worker = world.worker("union_b")
    case = open_case(world, worker)
    for org in ("district_a", "town_a", "union_a", "union_b2"):
        with pytest.raises(NotFound):
            selectors.case_get(actor=world.staff(org, "admin"), id=case.pk)
    for org in ("city", "district_b", "town_b"):
        assert selectors.case_get(actor=world.staff(org, "leader"), id=case.pk) == case
    assert selectors.case_get(actor=worker, id=case.pk) == case
    with pytest.raises(NotFound):
        selectors.case_get(actor=world.worker("union_b"), id=case.pk)


def test_figures_count_rates_per_subtree_and_month(world):
    worker = world.worker("union_b")
    clerk = world.staff("union_b", "clerk")
    start = at(2026, 11, 2)
    for n, rating in enumerate((5, 3)):
        case = open_case(world, worker, "hardship", at=start + datetime.timedelta(hours=n))
        cases_services.case_accept(
            actor=clerk, case=case, at=start + datetime.timedelta(hours=n + 1)
        )
        cases_services.case_resolve(actor=clerk, case=case, resolution="办结", at=at(2026, 11, 4))
        cases_services.case_confirm(actor=worker, case=case, rating=rating)
    late = open_case(world, worker, "hardship", at=start)
    cases_services.case_accept(actor=clerk, case=late, at=at(2026, 11, 12))
    f = selectors.case_figures(
        actor=world.staff("district_b", "leader"),
        organization=world.town_b,
        month=datetime.date(2026, 11, 1),
    )
    assert f.total == 3
    assert f.response_on_time == pytest.approx(66.7)
    assert f.satisfaction == 4.0 and f.one_trip == 100.0
    other = selectors.case_figures(
        actor=world.staff("district_a", "leader"),
        organization=world.district_a,
        month=datetime.date(2026, 11, 1),
    )
    assert other.total == 0


def test_an_action_from_a_page_loaded_before_the_case_moved_is_refused(world):
    worker = world.worker("union_b")
    loaded = open_case(world, worker, "hardship", at=at(2026, 11, 2))  # at union_b
    sweep_services.case_sweep(now=at(2026, 11, 6, 12))  # moved to town_b meanwhile
    with pytest.raises(PermissionDenied):
        cases_services.case_accept(actor=world.staff("union_b", "clerk"), case=loaded)
    loaded.refresh_from_db()
    assert loaded.state == CaseState.SUBMITTED and loaded.handler == world.town_b


def test_a_stale_cancel_does_not_clear_the_next_booking(world):
    admin, counsellor = world.staff("district_b", "admin"), world.staff("district_b", "clerk")
    counselling_services.counsellor_register(
        actor=admin, user=counsellor, name="陈", qualification="二级"
    )
    slot = counselling_services.slot_publish(
        actor=counsellor,
        starts_at=timezone.now() + datetime.timedelta(days=2),
        minutes=50,
        place="中心",
    )
    first, second = world.worker("union_b"), world.worker("union_b")
    booked = counselling_services.slot_book(actor=first, slot=slot, topic="压力")
    stale = CounsellingSlot.objects.get(pk=booked.pk)
    counselling_services.slot_cancel(actor=first, slot=booked)
    counselling_services.slot_book(
        actor=second, slot=CounsellingSlot.objects.get(pk=slot.pk), topic="睡眠"
    )
    with pytest.raises((ValidationError, NotFound)):
        counselling_services.slot_cancel(actor=first, slot=stale)
    assert CounsellingSlot.objects.get(pk=slot.pk).person_id == second.person_id


FIELDS_A_MOVE_SETS = (
    "handler_id",
    "tier",
    "state",
    "assignee_id",
    "escalations",
    "response_due",
    "resolution_due",
    "responded_on_time",
    "resolved_on_time",
    "updated_at",
)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the bulk statement is PostgreSQL's; SQLite runs move_case itself",
)
def test_the_sweeps_bulk_statement_moves_a_case_exactly_as_move_case_does(world):
    """Escalation is defined once (``cases.move_case``); the sweep's statement on PostgreSQL
    is its set form. Two identical sets of overdue cases, one moved by each, end the same."""
    worker = world.worker("union_b")
    clerk = world.staff("union_b", "clerk")

    def one_set():
        late = open_case(world, worker, "hardship", at=at(2026, 11, 2))  # not answered
        taken = open_case(world, worker, "hardship", at=at(2026, 10, 1))
        taken = cases_services.case_accept(actor=clerk, case=taken, at=at(2026, 10, 1, 11))
        top = open_case(world, worker, "legal_aid", at=at(2026, 11, 2))
        return [late, taken, top]

    sql_set, orm_set = one_set(), one_set()
    now = at(2026, 11, 20, 12)
    types = {t.pk: t for t in ServiceType.objects.all()}
    read = [r for r in sweep_services._overdue_rows(now) if r[0] in {c.pk for c in sql_set}]
    plan = sweep_services._Sweep.plan(read, types, now)
    sweep_services._escalate_chunk(read, plan)  # PostgreSQL: the bulk statement
    read = [r for r in sweep_services._overdue_rows(now) if r[0] in {c.pk for c in orm_set}]
    columns = {
        "ids": [r[0] for r in read],
        "handlers": [r[1] for r in read],
        "states": [r[3] for r in read],
    }
    with transaction.atomic():
        sweep_services._escalate_rows(columns, sweep_services._Sweep.plan(read, types, now))
    for by_sql, by_orm in zip(sql_set, orm_set, strict=True):
        by_sql.refresh_from_db()
        by_orm.refresh_from_db()
        assert [getattr(by_sql, f) for f in FIELDS_A_MOVE_SETS] == [
            getattr(by_orm, f) for f in FIELDS_A_MOVE_SETS
        ]
    assert {c.escalations for c in sql_set} != {0}  # something did move
