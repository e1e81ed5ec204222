from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gonghui.core.models import DecisionStep, Notification, PersonalDataAccess
from gonghui.core.scoping import NotFound
from gonghui.hardship import selectors, services
from gonghui.hardship.models import (
    EventKind,
    FilingStatus,
    Household,
    HouseholdEvent,
    HouseholdFiling,
    HouseholdMember,
    HouseholdStatus,
    IncomeLine,
    VisitPhoto,
)
from gonghui.hardship.tests import helpers as h
from gonghui.members.models import Person
from gonghui.testing.factories import new_id_number, person_input

pytestmark = pytest.mark.django_db


# --- filing ----------------------------------------------------------------------------------


def test_a_household_is_filed_for_a_new_person_registered_by_id_number(world):
    h.lines(world)
    data = person_input()
    household = services.household_file(
        actor=world.staff("union_b", "clerk"),
        union=world.union_b,
        name=data.name,
        id_number=data.id_number,
        address="B镇幸福路 1 号",
        causes=["illness", "education"],
        yearly_income="7000.50",
    )
    person = Person.unscoped.get(pk=household.person_id)
    assert person.name == data.name
    assert household.status == HouseholdStatus.DRAFT
    (me,) = HouseholdMember.unscoped.filter(household=household)
    assert me.relation == "self" and me.id_number_hash == person.id_number_hash
    assert h.per_capita(household) == Decimal("7000.50")
    assert household.level.code == "deep" and not household.above_line
    assert household.address.reveal() == "B镇幸福路 1 号"
    assert str(household.address) != "B镇幸福路 1 号"  # masked by default


def test_a_worker_registered_on_the_spot_is_known_where_the_file_is_kept(world):
    from gonghui.employment import services as employment

    h.lines(world)
    data = person_input()
    clerk = world.staff("union_b", "clerk")
    household = services.household_file(
        actor=clerk,
        union=world.union_b,
        name=data.name,
        id_number=data.id_number,
        address="B镇幸福路 2 号",
        causes=["illness"],
    )
    person = Person.unscoped.get(pk=household.person_id)
    for actor in (clerk, world.staff("town_b", "clerk"), world.staff("city", "admin")):
        assert Person.objects.visible_to(actor).filter(pk=person.pk).exists()
    assert not Person.objects.visible_to(world.staff("union_a", "clerk")).filter(pk=person.pk)
    # Known there, the worker can be placed in work by the union that keeps the file.
    placement = employment.placement_create(
        actor=clerk,
        organization=world.union_b,
        person=person,
        post="仓库管理员",
        monthly_wage="3200",
        starts_on=timezone.localdate(),
        employer_name="B号机械有限公司",
    )
    assert placement.person_id == person.pk


def test_a_household_is_filed_for_a_person_already_on_the_roll(world):
    membership = world.member("union_b")
    person = membership.person
    household = services.household_file(
        actor=world.staff("union_b", "clerk"),
        union=world.union_b,
        name=person.name,
        id_number=person.id_number.reveal(),
        address="B镇",
        causes=["illness"],
    )
    assert household.person_id == person.pk
    assert Person.unscoped.count() == Person.unscoped.filter(pk__lte=person.pk).count()


def test_a_second_live_file_for_the_same_person_is_refused(world):
    household = h.file(world)
    person = household.person
    before = Household.unscoped.count()
    with pytest.raises(ValidationError) as exc:
        services.household_file(
            actor=world.staff("union_b2", "clerk"),
            union=world.union_b2,
            name=person.name,
            id_number=person.id_number.reveal(),
            address="B镇",
            causes=["illness"],
        )
    assert "不能重复建档" in exc.value.message_dict["id_number"][0]
    assert Household.unscoped.count() == before


def test_filing_refuses_bad_input_at_each_field_and_saves_nothing(world):
    people = Person.unscoped.count()
    with pytest.raises(ValidationError) as exc:
        services.household_file(
            actor=world.staff("union_b", "clerk"),
            union=world.union_b,
            name="<b>张</b>",
            id_number="330402199001011234",
            address="<script>x</script>",
            causes=["nonsense"],
            yearly_income="-1",
        )
    errors = exc.value.message_dict
    assert {"name", "id_number", "address", "causes", "yearly_income"} <= set(errors)
    assert "HTML" in errors["name"][0]
    assert "负数" in errors["yearly_income"][0]
    assert Person.unscoped.count() == people and not Household.unscoped.exists()


def test_only_a_grassroots_or_town_union_files(world):
    data = person_input()
    with pytest.raises(ValidationError) as exc:
        services.household_file(
            actor=world.staff("district_b", "clerk"),
            union=world.district_b,
            name=data.name,
            id_number=data.id_number,
            address="B区",
            causes=["illness"],
        )
    assert "基层工会或镇" in exc.value.message_dict["union"][0]


def test_another_branch_cannot_file_or_edit(world):
    household = h.file(world)
    with pytest.raises(NotFound):
        h.file(world, "union_b", actor=world.staff("district_a", "clerk"))
    with pytest.raises(NotFound):
        services.member_add(
            actor=world.staff("union_a", "clerk"),
            household=household,
            data=services.MemberInput(name="甲", relation="child", id_number=new_id_number()),
        )


# --- members and the derived figures -------------------------------------------------------


def test_members_change_the_per_capita_income_and_the_level(world):
    h.lines(world)
    household = h.file(world, income="20000")
    household.refresh_from_db()
    assert household.above_line and household.level is None
    child = h.member(world, household, income="0")
    h.member(world, household, name="李老", relation="parent", income="1000.01")
    household.refresh_from_db()
    assert household.member_count == 3
    assert h.per_capita(household) == Decimal("7000.00")  # 21000.01 / 3, to the fen
    assert household.level.code == "deep" and not household.above_line
    services.member_remove(actor=world.staff("union_b", "clerk"), member=child)
    household.refresh_from_db()
    assert household.member_count == 2
    assert h.per_capita(household) == Decimal("10500.01")  # 21000.01 / 2, rounded half up
    assert household.level.code == "relative"


def test_member_input_is_checked_at_the_field(world):
    household = h.file(world)
    cases = {
        "yearly_income": ("-5", "负数"),
        "id_number": ("123", "身份证"),
    }
    for field, (value, words) in cases.items():
        kw = {"yearly_income": "0", "id_number": new_id_number()}
        kw[field] = value
        with pytest.raises(ValidationError) as exc:
            services.member_add(
                actor=world.staff("union_b", "clerk"),
                household=household,
                data=services.MemberInput(name="甲", relation="child", **kw),
            )
        assert words in exc.value.message_dict[field][0], field
    with pytest.raises(ValidationError) as exc:
        services.member_add(
            actor=world.staff("union_b", "clerk"),
            household=household,
            data=services.MemberInput(
                name="甲", relation="child", id_number=new_id_number(), yearly_income="1.234"
            ),
        )
    assert "两位小数" in exc.value.message_dict["yearly_income"][0]
    with pytest.raises(ValidationError) as exc:
        services.member_add(
            actor=world.staff("union_b", "clerk"),
            household=household,
            data=services.MemberInput(
                name="甲", relation="self", id_number=new_id_number(), health="<img src=x>"
            ),
        )
    assert set(exc.value.message_dict) == {"relation", "health"}
    assert HouseholdMember.unscoped.filter(household=household).count() == 1


def test_the_same_id_number_twice_in_a_household_is_refused(world):
    household = h.file(world)
    number = new_id_number()
    h.member(world, household, id_number=number)
    with pytest.raises(ValidationError) as exc:
        h.member(world, household, id_number=number)
    assert "已在本户" in exc.value.message_dict["id_number"][0]


def test_an_edit_keeps_sealed_fields_left_empty(world):
    household = h.file(world)
    child = h.member(world, household, income="1200")
    services.member_update(
        actor=world.staff("union_b", "clerk"),
        member=child,
        data=services.MemberInput(
            name="李小红", relation="child", id_number=None, yearly_income=None, health=None
        ),
    )
    child.refresh_from_db()
    assert child.name == "李小红" and child.income() == Decimal("1200.00")


def test_the_worker_cannot_be_removed(world):
    household = h.file(world)
    me = HouseholdMember.unscoped.get(household=household, relation="self")
    with pytest.raises(ValidationError):
        services.member_remove(actor=world.staff("union_b", "clerk"), member=me)


# --- visits --------------------------------------------------------------------------------


def test_a_visit_keeps_its_photos_sealed(world, settings):
    household = h.file(world)
    visit = h.visit(world, household, photos=[h.photo()])
    (photo,) = VisitPhoto.unscoped.filter(visit=visit)
    with photo.file.open("rb") as handle:
        stored = handle.read()
    assert h.PNG not in stored and photo.size == len(h.PNG)
    assert HouseholdEvent.unscoped.filter(household=household, kind=EventKind.VISITED).exists()


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (SimpleUploadedFile("a.gif", b"GIF89a", content_type="image/gif"), "JPG 或 PNG"),
        (SimpleUploadedFile("a.png", b"<html></html>", content_type="image/png"), "不符"),
        (
            SimpleUploadedFile("a.png", h.PNG + b"0" * (5 * 1024 * 1024), content_type="image/png"),
            "5 MB",
        ),
    ],
)
def test_a_bad_photo_is_refused_and_nothing_is_saved(world, upload, words):
    household = h.file(world)
    with pytest.raises(ValidationError) as exc:
        h.visit(world, household, photos=[upload])
    assert words in exc.value.message_dict["photos"][0]
    assert not household.visits.exists() and not VisitPhoto.unscoped.exists()


# --- submission and decision ---------------------------------------------------------------


def test_the_level_above_approves_after_a_visit(world):
    h.lines(world)
    filing = h.submitted(world)
    household = Household.unscoped.get(pk=filing.household_id)
    assert household.status == HouseholdStatus.PENDING
    services.household_decide(actor=world.staff("town_b", "reviewer"), filing=filing, approve=True)
    household.refresh_from_db()
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED
    assert household.status == HouseholdStatus.ACTIVE
    assert household.filed_on == household.reviewed_on is not None
    (step,) = DecisionStep.objects.filter(flow="hardship.filing", object_id=filing.pk)
    assert step.organization == world.town_b
    snapshot = step.snapshot
    assert snapshot["member_count"] == 1 and snapshot["level"] == "深度困难"
    # incomes stay sealed in the snapshot
    assert "6000" not in str(snapshot) and snapshot["members"][0]["yearly_income_sealed"]
    assert Notification.unscoped.filter(person=household.person, kind="hardship.file").exists()


def test_approval_needs_a_visit(world):
    h.lines(world)
    household = h.file(world)
    filing = services.household_submit(actor=world.staff("union_b", "clerk"), household=household)
    with pytest.raises(ValidationError) as exc:
        services.household_decide(
            actor=world.staff("town_b", "reviewer"), filing=filing, approve=True
        )
    assert "入户核查" in exc.value.message_dict["decision_note"][0]
    filing.refresh_from_db()
    assert filing.status == FilingStatus.PENDING
    assert not DecisionStep.objects.filter(object_id=filing.pk, flow="hardship.filing").exists()


def test_the_filer_cannot_approve(world):
    h.lines(world)
    # filed at town_b by district_b's administrator: district_b decides, but not the filer
    filing = h.submitted(world, "town_b", actor=world.staff("district_b", "admin"))
    with pytest.raises(PermissionDenied) as exc:
        services.household_decide(
            actor=world.staff("district_b", "admin"), filing=filing, approve=True
        )
    assert "录入人" in str(exc.value)
    filing.refresh_from_db()
    assert filing.status == FilingStatus.PENDING
    services.household_decide(
        actor=world.staff("district_b", "reviewer"), filing=filing, approve=True
    )
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED


def test_only_the_level_just_above_decides(world):
    h.lines(world)
    filing = h.submitted(world)  # union_b: its parent is town_b
    for actor in (world.staff("district_b", "admin"), world.staff("city", "admin")):
        with pytest.raises(PermissionDenied) as exc:
            services.household_decide(actor=actor, filing=filing, approve=True)
        assert "B镇总工会" in str(exc.value)
    with pytest.raises(NotFound):
        services.household_decide(
            actor=world.staff("town_a", "reviewer"), filing=filing, approve=True
        )
    filing.refresh_from_db()
    assert filing.status == FilingStatus.PENDING


def test_a_refusal_needs_a_reason_and_the_file_can_be_corrected(world):
    h.lines(world)
    filing = h.submitted(world)
    reviewer = world.staff("town_b", "reviewer")
    with pytest.raises(ValidationError):
        services.household_decide(actor=reviewer, filing=filing, approve=False)
    services.household_decide(actor=reviewer, filing=filing, approve=False, note="收入证明不全")
    household = Household.unscoped.get(pk=filing.household_id)
    assert household.status == HouseholdStatus.REFUSED
    assert household.decision_note == "收入证明不全"
    again = services.household_submit(actor=world.staff("union_b", "clerk"), household=household)
    assert again.pk != filing.pk and again.status == FilingStatus.PENDING


def test_submission_needs_the_city_lines_and_an_income_under_them(world):
    household = h.file(world)
    with pytest.raises(ValidationError) as exc:
        services.household_submit(actor=world.staff("union_b", "clerk"), household=household)
    assert "尚未设定" in exc.value.message_dict["household"][0]
    h.lines(world)
    rich = h.file(world, income="30000")
    with pytest.raises(ValidationError) as exc:
        services.household_submit(actor=world.staff("union_b", "clerk"), household=rich)
    assert "高于" in exc.value.message_dict["household"][0]


def test_a_pending_file_cannot_be_edited(world):
    h.lines(world)
    filing = h.submitted(world)
    with pytest.raises(ValidationError) as exc:
        h.member(world, filing.household)
    assert "审批中" in exc.value.message_dict["household"][0]


# --- review, leaving, re-entering ----------------------------------------------------------


def test_review_leave_and_reenter_are_kept_in_history(world):
    h.lines(world)
    household = h.approved(world)
    clerk = world.staff("union_b", "clerk")
    today = datetime.date.today()  # noqa: DTZ011
    services.household_review(
        actor=clerk,
        household=household,
        reviewed_on=today,
        note="收入无变化",
        visit=services.VisitInput(today, "王芳", "情况属实", [h.photo()]),
    )
    household.refresh_from_db()
    assert household.reviewed_on == today and household.visits.count() == 2
    services.household_leave(actor=clerk, household=household, left_on=today, reason="已就业脱困")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.LEFT and household.left_reason == "已就业脱困"
    filing = services.household_reenter(actor=clerk, household=household, note="再次失业")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.PENDING
    services.household_decide(actor=world.staff("town_b", "reviewer"), filing=filing, approve=True)
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ACTIVE and household.left_on is None
    kinds = list(
        HouseholdEvent.unscoped.filter(household=household)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        "created",
        "visited",
        "submitted",
        "approved",
        "visited",
        "reviewed",
        "left",
        "reentered",
        "approved",
    ]
    statuses = [r.status for r in household.history.order_by("history_id")]
    assert "left" in statuses and statuses[-1] == "active"
    assert HouseholdFiling.unscoped.filter(household=household).count() == 2


def test_reentry_is_refused_while_another_live_file_exists(world):
    h.lines(world)
    household = h.approved(world)
    clerk = world.staff("union_b", "clerk")
    services.household_leave(
        actor=clerk,
        household=household,
        left_on=datetime.date.today(),  # noqa: DTZ011
        reason="调离",
    )
    person = household.person
    services.household_file(
        actor=world.staff("union_b2", "clerk"),
        union=world.union_b2,
        name=person.name,
        id_number=person.id_number.reveal(),
        address="B2",
        causes=["illness"],
    )
    with pytest.raises(ValidationError) as exc:
        services.household_reenter(actor=clerk, household=household)
    assert "不能重复建档" in exc.value.message_dict["id_number"][0]
    household.refresh_from_db()
    assert household.status == HouseholdStatus.LEFT


def test_leaving_needs_a_reason_and_a_date_not_in_the_future(world):
    h.lines(world)
    household = h.approved(world)
    with pytest.raises(ValidationError) as exc:
        services.household_leave(
            actor=world.staff("union_b", "clerk"),
            household=household,
            left_on=datetime.date.today() + datetime.timedelta(days=3),  # noqa: DTZ011
            reason="",
        )
    assert set(exc.value.message_dict) == {"left_on", "reason"}


def test_mark_helped_keeps_the_later_day(world):
    h.lines(world)
    household = h.approved(world)
    services.mark_helped(household_id=household.pk, on=datetime.date(2017, 9, 1))
    services.mark_helped(household_id=household.pk, on=datetime.date(2017, 2, 1))
    household.refresh_from_db()
    assert household.helped_on == datetime.date(2017, 9, 1)


# --- income lines --------------------------------------------------------------------------


def test_new_lines_recompute_the_city_households(world):
    h.lines(world)
    household = h.approved(world)  # 6,000 yuan per capita: deep
    assert household.level.code == "deep"
    h.lines(world, deep="5000", relative="5500", year=2018)
    household.refresh_from_db()
    assert household.above_line and household.level.code == "deep"
    assert list(selectors.household_list(actor=world.staff("city"), review="above")) == [household]
    # idempotent: a second run changes nothing
    assert services.income_lines_recompute(city_id=world.city.pk) == 0
    h.lines(world, deep="5000", relative="9000", year=2018)
    household.refresh_from_db()
    assert not household.above_line and household.level.code == "relative"


def test_lines_are_set_by_a_federation_administrator_in_a_sensible_order(world):
    with pytest.raises(PermissionDenied):
        services.income_line_set(
            actor=world.staff("city", "clerk"),
            organization=world.city,
            year=2017,
            level=h.level("deep"),
            line="8000",
        )
    with pytest.raises(ValidationError) as exc:
        services.income_line_set(
            actor=world.staff("district_b", "admin"),
            organization=world.district_b,
            year=2017,
            level=h.level("deep"),
            line="8000.001",
        )
    assert {"organization", "line"} <= set(exc.value.message_dict)
    h.lines(world)
    with pytest.raises(ValidationError) as exc:
        services.income_line_set(
            actor=world.staff("city", "admin"),
            organization=world.city,
            year=2017,
            level=h.level("deep"),
            line="16000",
        )
    assert "越困难" in exc.value.message_dict["line"][0]
    assert IncomeLine.unscoped.get(year=2017, level__code="deep").line == Decimal("8000.00")


# --- personal data -------------------------------------------------------------------------


def test_a_reveal_is_logged_and_needs_the_role(world):
    household = h.file(world)
    member = HouseholdMember.unscoped.get(household=household)
    plain = services.household_reveal(
        actor=world.staff("union_b", "clerk"),
        household=household,
        member=member,
        field="yearly_income",
        reason="case",
    )
    assert plain == "6000.00"
    row = PersonalDataAccess.unscoped.get()
    assert (row.subject_type, row.field) == ("hardship.householdmember", "yearly_income")
    with pytest.raises(PermissionDenied):
        services.household_reveal(
            actor=world.staff("union_b", "leader"),
            household=household,
            field="address",
            reason="case",
        )
    assert PersonalDataAccess.unscoped.count() == 1


# --- review lists --------------------------------------------------------------------------


def test_the_review_lists(world):
    h.lines(world)
    household = h.approved(world)
    actor = world.staff("district_b", "admin")
    counts = selectors.review_counts(actor=actor)
    assert counts == {"stale": 0, "unhelped": 1, "above": 0}
    Household.unscoped.filter(pk=household.pk).update(
        reviewed_on=datetime.date.today() - datetime.timedelta(days=400)  # noqa: DTZ011
    )
    services.mark_helped(household_id=household.pk, on=datetime.date(2017, 5, 1))
    assert selectors.review_counts(actor=actor) == {"stale": 1, "unhelped": 0, "above": 0}
    assert selectors.review_counts(actor=world.staff("district_a", "admin")) == {
        "stale": 0,
        "unhelped": 0,
        "above": 0,
    }


def test_the_home_tile_counts_what_waits_for_this_person(world):
    h.lines(world)
    h.submitted(world)
    assert selectors.filings_waiting(world.staff("town_b", "reviewer")) == 1
    assert selectors.filings_waiting(world.staff("district_b", "reviewer")) == 0
    assert selectors.filings_waiting(world.staff("town_b", "clerk")) == 0


def test_a_large_city_is_recomputed_by_a_task_after_commit(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from gonghui.hardship import tasks

    h.lines(world)
    household = h.approved(world)
    monkeypatch.setattr(services, "INLINE_RECOMPUTE_LIMIT", 0)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        h.lines(world, deep="5000", relative="5500", year=2018)
    household.refresh_from_db()
    assert not household.above_line  # not yet: the task runs after commit
    for callback in callbacks:
        callback()
    household.refresh_from_db()
    assert household.above_line
    # a retry of the task changes nothing more
    assert tasks.income_lines_recompute_task.delay(world.city.pk).get() == 0


def test_the_figures_count_the_roll_and_the_files_approved_in_a_year(world):
    from gonghui.core import modules

    h.lines(world)
    filing = h.submitted(world)
    services.household_decide(
        actor=world.staff("town_b", "reviewer"),
        filing=filing,
        approve=True,
        on=datetime.date(2017, 6, 1),
    )
    h.file(world)  # a draft counts in neither
    actor = world.staff("district_b", "admin")
    value = modules.figure_value
    assert value("hardship.households", actor=actor, org=world.district_b, year=2017) == 1
    assert value("hardship.filed", actor=actor, org=world.district_b, year=2017) == 1
    assert value("hardship.filed", actor=actor, org=world.district_b, year=2018) == 0
    with pytest.raises(NotFound):
        value("hardship.households", actor=actor, org=world.district_a, year=2017)


def test_a_filing_date_after_today_is_refused(world):
    h.lines(world)
    filing = h.submitted(world)
    with pytest.raises(ValidationError):
        services.household_decide(
            actor=world.staff("town_b", "reviewer"),
            filing=filing,
            approve=True,
            on=datetime.date.today() + datetime.timedelta(days=1),  # noqa: DTZ011
        )
