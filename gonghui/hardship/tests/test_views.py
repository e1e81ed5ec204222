from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gonghui.core.models import PersonalDataAccess
from gonghui.hardship import services
from gonghui.hardship.models import (
    FilingStatus,
    Household,
    HouseholdMember,
    HouseholdStatus,
    IncomeLine,
    VisitPhoto,
)
from gonghui.hardship.tests import helpers as h
from gonghui.testing.factories import new_id_number, person_input

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_roll_shows_the_review_lists_as_tabs_with_counts(world):
    h.lines(world)
    household = h.approved(world)
    page = client_for(world.staff("district_b", "admin")).get(reverse("console:household_list"))
    text = page.content.decode()
    assert page.status_code == 200
    assert household.person.name in text
    assert "建档未帮扶" in text and 'data-testid="tab-unhelped"' in text
    # incomes are masked in the list
    assert "6000" not in text
    never = client_for(world.staff("district_b", "admin")).get(
        reverse("console:household_list"), {"review": "above"}
    )
    assert household.person.name not in never.content.decode()
    assert "没有符合条件的档案" in never.content.decode()


def test_the_roll_filters_by_cause_and_name(world):
    h.lines(world)
    household = h.file(world)
    client = client_for(world.staff("district_b", "admin"))
    url = reverse("console:household_list")
    assert household.person.name in client.get(url, {"cause": "illness"}).content.decode()
    assert household.person.name not in client.get(url, {"cause": "disaster"}).content.decode()
    assert (
        household.person.name in client.get(url, {"q": household.person.name[:1]}).content.decode()
    )


def test_another_branch_union_in_the_filter_is_not_found(world):
    client = client_for(world.staff("district_a", "admin"))
    response = client.get(reverse("console:household_list"), {"org": world.union_b.pk})
    assert response.status_code == 404


def test_a_clerk_files_a_household_from_the_form(world):
    data = person_input()
    client = client_for(world.staff("union_b", "clerk"))
    response = client.post(
        reverse("console:household_create"),
        {
            "union": world.union_b.pk,
            "name": data.name,
            "id_number": data.id_number,
            "address": "B镇幸福路 2 号",
            "causes": ["illness", "disaster"],
            "yearly_income": "3000.50",
            "work_capacity": "partial",
        },
    )
    household = Household.unscoped.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:household_detail", args=[household.pk])
    assert set(household.causes.values_list("code", flat=True)) == {"illness", "disaster"}


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("id_number", "330402199001011234", "身份证"),
        ("yearly_income", "-3", "负数"),
        ("yearly_income", "3.333", "两位小数"),
        ("address", "<script>alert(1)</script>", "HTML"),
    ],
)
def test_bad_filing_input_is_shown_at_its_field(world, field, value, words):
    data = person_input()
    body = {
        "union": world.union_b.pk,
        "name": data.name,
        "id_number": data.id_number,
        "address": "B镇",
        "causes": ["illness"],
        "yearly_income": "100",
        "work_capacity": "full",
        field: value,
    }
    response = client_for(world.staff("union_b", "clerk")).post(
        reverse("console:household_create"), body
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert words in " ".join(errors[field])
    assert not Household.unscoped.exists()


def test_a_second_live_file_is_refused_at_the_id_number(world):
    household = h.file(world)
    person = household.person
    response = client_for(world.staff("union_b2", "clerk")).post(
        reverse("console:household_create"),
        {
            "union": world.union_b2.pk,
            "name": person.name,
            "id_number": person.id_number.reveal(),
            "address": "B镇",
            "causes": ["illness"],
            "work_capacity": "full",
        },
    )
    assert "不能重复建档" in " ".join(response.context["form"].errors["id_number"])
    assert Household.unscoped.count() == 1


def test_members_are_added_and_bad_income_is_refused_at_the_field(world):
    household = h.file(world)
    client = client_for(world.staff("union_b", "clerk"))
    url = reverse("console:hardship_member_new", args=[household.pk])
    body = {
        "name": "李小明",
        "relation": "child",
        "id_number": new_id_number(birth=datetime.date(2006, 1, 1)),
        "yearly_income": "-1",
        "work_capacity": "full",
        "in_school": "高中",
    }
    response = client.post(url, body)
    assert "负数" in " ".join(response.context["form"].errors["yearly_income"])
    body["yearly_income"] = "0"
    assert client.post(url, body).status_code == 302
    household.refresh_from_db()
    assert household.member_count == 2


def test_the_file_page_offers_the_decision_only_to_the_level_above(world):
    h.lines(world)
    filing = h.submitted(world)
    url = reverse("console:household_detail", args=[filing.household_id])
    filer = client_for(world.staff("union_b", "clerk")).get(url)
    assert 'data-testid="decision-form"' not in filer.content.decode()
    assert 'data-testid="decision-steps"' in filer.content.decode()
    district = client_for(world.staff("district_b", "reviewer")).get(url)
    assert 'data-testid="decision-form"' not in district.content.decode()
    reviewer = client_for(world.staff("town_b", "reviewer"))
    assert 'data-testid="decision-form"' in reviewer.get(url).content.decode()
    response = reviewer.post(url, {"decision": "approve", "note": ""})
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED
    assert Household.unscoped.get(pk=filing.household_id).status == HouseholdStatus.ACTIVE


def test_a_decision_by_the_wrong_level_changes_nothing(world):
    h.lines(world)
    filing = h.submitted(world)
    url = reverse("console:household_detail", args=[filing.household_id])
    response = client_for(world.staff("district_b", "reviewer")).post(
        url, {"decision": "approve", "note": ""}
    )
    assert response.status_code == 200
    assert "B镇总工会" in response.content.decode()
    filing.refresh_from_db()
    assert filing.status == FilingStatus.PENDING


def test_incomes_are_masked_and_a_reveal_is_logged(world):
    household = h.file(world, income="6543.21")
    member = HouseholdMember.unscoped.get(household=household)
    clerk = client_for(world.staff("union_b", "clerk"))
    page = clerk.get(reverse("console:household_detail", args=[household.pk])).content.decode()
    assert "6543.21" not in page and "尿毒症" not in page
    assert 'data-testid="reveal-yearly_income"' in page
    url = reverse("console:hardship_member_reveal", args=[household.pk, member.pk, "yearly_income"])
    assert clerk.post(url, {}).status_code == 400
    revealed = clerk.post(url, {"reason": "case"})
    assert "6543.21" in revealed.content.decode()
    assert PersonalDataAccess.unscoped.filter(field="yearly_income").count() == 1
    leader = client_for(world.staff("union_b", "leader"))
    assert (
        'data-testid="reveal-'
        not in leader.get(reverse("console:household_detail", args=[household.pk])).content.decode()
    )
    assert leader.post(url, {"reason": "case"}).status_code == 403


def test_a_visit_with_photos_and_a_logged_photo_view(world):
    household = h.file(world)
    client = client_for(world.staff("union_b", "clerk"))
    response = client.post(
        reverse("console:visit_create", args=[household.pk]),
        {
            "visited_on": "2017-03-02",
            "visitors": "王芳",
            "findings": "属实",
            "photos": [h.photo("a.png"), h.photo("b.png")],
        },
    )
    assert response.status_code == 302
    assert VisitPhoto.unscoped.count() == 2
    photo = VisitPhoto.unscoped.first()
    shown = client.get(reverse("console:visit_photo", args=[household.pk, photo.pk]))
    assert shown.content == h.PNG and shown["Content-Type"] == "image/png"
    assert PersonalDataAccess.unscoped.filter(field=f"hardship_photo:{photo.pk}").exists()


def test_an_oversize_or_wrong_photo_is_refused_at_the_field(world):
    household = h.file(world)
    client = client_for(world.staff("union_b", "clerk"))
    for upload, words in (
        (SimpleUploadedFile("a.exe", b"MZ", content_type="image/png"), "JPG 或 PNG"),
        (SimpleUploadedFile("a.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024)), "5 MB"),
    ):
        response = client.post(
            reverse("console:visit_create", args=[household.pk]),
            {
                "visited_on": "2017-03-02",
                "visitors": "王芳",
                "findings": "属实",
                "photos": [upload],
            },
        )
        assert response.status_code == 200
        assert words in " ".join(response.context["form"].errors["photos"])
    assert not household.visits.exists()


def test_leave_and_reenter_from_the_pages(world):
    h.lines(world)
    household = h.approved(world)
    client = client_for(world.staff("union_b", "clerk"))
    response = client.post(
        reverse("console:household_leave", args=[household.pk]),
        {"left_on": datetime.date.today().isoformat(), "reason": "已就业"},  # noqa: DTZ011
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.status == HouseholdStatus.LEFT
    page = client.get(reverse("console:household_detail", args=[household.pk])).content.decode()
    assert 'data-testid="reenter-household"' in page and 'data-testid="leave-household"' not in page
    client.post(reverse("console:household_reenter", args=[household.pk]), {"note": "再次失业"})
    household.refresh_from_db()
    assert household.status == HouseholdStatus.PENDING


def test_the_city_administrator_sets_an_income_line(world):
    client = client_for(world.staff("city", "admin"))
    response = client.post(
        reverse("console:income_line_create"),
        {"year": 2017, "level": h.level("deep").pk, "line": "8000"},
    )
    assert response.status_code == 302
    assert IncomeLine.unscoped.get().line == 8000
    page = client.get(reverse("console:income_line_list")).content.decode()
    assert "8,000.00" in page
    district = client_for(world.staff("district_b", "admin"))
    form = district.get(reverse("console:income_line_create")).content.decode()
    assert "由市总工会的管理员设定" in form
    assert (
        client_for(world.staff("city", "clerk"))
        .get(reverse("console:income_line_create"))
        .status_code
        == 403
    )


def test_the_roll_page_costs_the_same_for_more_households(world, django_assert_max_num_queries):
    h.lines(world)
    for _ in range(3):
        h.file(world)
    client = client_for(world.staff("district_b", "admin"))
    url = reverse("console:household_list")
    client.get(url)  # warm the caches (menu, counts)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(5):
        h.file(world)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_a_members_placement_shows_on_the_household_file(world):
    # Work and training declares a panel about people (core.modules.PersonPanel); the file
    # shows it for the household's members who are on the roll.
    from gonghui.employment import services as employment_services

    h.lines(world)
    person = world.member("union_b").person
    h.lines(world)
    filing = h.submitted(world, name=person.name, id_number=person.id_number.reveal())
    services.household_decide(actor=world.staff("town_b", "reviewer"), filing=filing, approve=True)
    household = Household.unscoped.get(pk=filing.household_id)
    assert household.person_id == person.pk
    clerk = world.staff("union_b", "clerk")
    employment_services.placement_create(
        actor=clerk,
        organization=world.union_b,
        person=household.person,
        employer_name="嘉兴市亚一达特种钢铸造有限公司",
        post="铸造工",
        monthly_wage="3200.00",
        starts_on=datetime.date(2017, 5, 2),
    )
    page = client_for(clerk).get(reverse("console:household_detail", args=[household.pk]))
    text = page.content.decode()
    assert 'data-testid="person-panel-placements"' in text and "亚一达" in text


def test_the_worker_sees_their_own_file_where_its_notification_leads(world):
    from gonghui.core.models import Notification

    worker = world.worker("union_b")
    other = world.worker("union_b")
    person = worker.person
    h.lines(world)
    filing = h.submitted(world, name=person.name, id_number=person.id_number.reveal())
    services.household_decide(
        actor=world.staff("town_b", "reviewer"), filing=filing, approve=True, note="情况属实"
    )
    note = Notification.unscoped.filter(person=person, kind="hardship.file").latest("pk")
    assert note.link == reverse("portal:hardship_mine")
    page = client_for(worker).get(note.link).content.decode()
    assert "B号机械有限公司工会" in page and "在册" in page and "因病" in page
    assert "在册期间可申报各项帮扶" in page
    # The home page shows the tile to them, not to a worker without a file.
    assert reverse("portal:hardship_mine") in client_for(worker).get("/m/").content.decode()
    assert reverse("portal:hardship_mine") not in client_for(other).get("/m/").content.decode()
    assert "您没有困难职工档案" in client_for(other).get(note.link).content.decode()
