"""The console pages, the portal pages and the API of the five helps."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.accounts.services import api_token_issue
from gonghui.assistance import selectors, services
from gonghui.assistance.models import Application, ApplicationStatus, Programme, Round
from gonghui.assistance.tests import helpers as h
from gonghui.core import inbox
from gonghui.core.models import PersonalDataAccess
from gonghui.funds import services as funds_services
from gonghui.funds.models import PayableItem

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def helped(monkeypatch):
    return h.install_mark_helped(monkeypatch)


@pytest.fixture
def applicant(world):
    user = world.worker("union_b")
    user.household = h.household(world, user.person)
    return user


# --- set-up --------------------------------------------------------------------------------


def test_a_clerk_sets_up_a_programme_and_a_round_from_a_template(world):
    clerk = world.staff("district_b", "clerk")
    client = login(clerk)
    response = client.post(
        reverse("console:assistance_programmes"),
        {"organization": world.district_b.pk, "kind": "study", "name": "金秋助学"},
    )
    programme = Programme.unscoped.get(name="金秋助学")
    assert response.status_code == 302
    url = reverse("console:assistance_round_create", args=[programme.pk])
    page = client.get(url, {"template": "autumn_study"})
    # The form shows the rules in the words staff read, not their codes.
    shown = page.content.decode()
    assert "子女录取学段" in shown and "child.education_level" not in shown
    fund = h.funds_helpers.fund(world, balance="1000")
    initial = page.context["form"].initial
    today = timezone.localdate()
    data = {
        "name": "2017 金秋助学",
        "year": 2017,
        "opens_on": today.isoformat(),
        "closes_on": today.isoformat(),
        "tiers": ["grassroots", "town", "district"],
        "funds": [fund.pk],
        "rules_data": initial["rules_data"],
        "amounts": json.dumps({"fixed": "-5"}),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "固定金额：金额不能为负数。" in response.content.decode()
    assert not Round.unscoped.exists()
    response = client.post(url, {**data, "amounts": initial["amounts"]})
    round_ = Round.unscoped.get()
    assert response.status_code == 302 and round_.tier_list == ["grassroots", "town", "district"]
    detail = client.get(reverse("console:assistance_round", args=[round_.pk])).content.decode()
    assert "满足以下任一条件" in detail and "本科：4,000.00 元" in detail


# --- review --------------------------------------------------------------------------------


def test_the_review_queue_and_bulk_approval_on_the_pages(world, helped):
    round_ = h.round_(world)
    applications = []
    for _ in range(2):
        user = world.worker("union_b")
        h.household(world, user.person)
        applications.append(h.apply(world, round_, user))
    reviewer = world.staff("union_b", "reviewer")
    client = login(reviewer)
    page = client.get(reverse("console:assistance_queue"), {"queue": "mine"})
    assert page.status_code == 200
    assert page.context["page_obj"].paginator.count == 2
    response = client.post(
        reverse("console:assistance_bulk_approve"),
        {"applications": [a.pk for a in applications]},
    )
    assert response.status_code == 302
    assert Application.unscoped.filter(waiting_at=world.town_b).count() == 2
    town = login(world.staff("town_b", "admin")).get(
        reverse("console:assistance_queue"), {"tier": "town"}
    )
    assert town.context["page_obj"].paginator.count == 2


def test_the_application_page_decides_each_step_and_shows_the_payment(world, applicant, helped):
    application = h.apply(world, h.round_(world), applicant)
    url = reverse("console:assistance_application", args=[application.pk])
    town = login(world.staff("town_b", "reviewer"))
    page = town.get(url)
    assert page.context["can_decide"] is False  # the grassroots union decides first
    response = town.post(url, {"decision": "approve"})
    assert "此步骤由" in response.content.decode()
    for org in ("union_b", "town_b", "district_b"):
        response = login(world.staff(org, "reviewer")).post(url, {"decision": "approve"})
        assert response.status_code == 302, response.content.decode()[:500]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    page = login(world.staff("district_b", "admin")).get(url).content.decode()
    assert page.count('data-testid="decision-step"') == 3
    assert "6228480328123456789" not in page


def test_opening_a_document_is_logged(world, applicant):
    application = h.apply(world, h.round_(world), applicant)
    document = application.documents.get()
    clerk = world.staff("union_b", "clerk")
    response = login(clerk).get(
        reverse("console:assistance_document", args=[application.pk, document.pk])
    )
    assert response.status_code == 200 and response.content == h.PDF
    assert (
        PersonalDataAccess.objects.visible_to(clerk)
        .filter(field=f"assistance_document:{document.pk}")
        .exists()
    )
    leader = login(world.staff("union_b", "leader"))
    assert (
        leader.get(
            reverse("console:assistance_document", args=[application.pk, document.pk])
        ).status_code
        == 403
    )


def test_a_clerk_enters_an_application_by_id_number(world, applicant):
    round_ = h.round_(world)
    client = login(world.staff("union_b", "clerk"))
    url = reverse("console:assistance_application_create", args=[round_.pk])
    base = {
        "beneficiary": "child",
        "beneficiary_name": "王小明",
        "education_level": "college",
        "admission_year": timezone.localdate().year,
    }
    response = client.post(url, {**base, "id_number": "110101199001011234"})
    assert response.status_code == 200 and not Application.unscoped.exists()
    number = applicant.person.id_number.reveal()
    response = client.post(url, {**base, "id_number": number})
    assert response.status_code == 302
    assert Application.unscoped.get().amount == Decimal("3000.00")


def test_the_proposals_page_enters_complete_proposals_in_bulk(world):
    round_ = h.round_(world, template="spring", tiers=("grassroots",))
    for _ in range(2):
        user = world.worker("union_b")
        h.household(world, user.person)
    client = login(world.staff("town_b", "clerk"))
    url = reverse("console:assistance_proposals", args=[round_.pk])
    page = client.get(url)
    assert page.context["complete"] == 2
    ids = [p.household_id for p in page.context["page_obj"]]
    assert client.post(url, {"households": ids}).status_code == 302
    assert Application.unscoped.filter(channel="proposal").count() == 2
    sibling = login(world.staff("district_a", "admin"))
    assert sibling.get(url).status_code == 404
    assert client.get(url, {"org": world.union_a.pk}).status_code == 404


# --- portal --------------------------------------------------------------------------------


def test_a_worker_applies_in_the_portal_and_follows_it_to_the_payment(world, applicant, helped):
    round_ = h.round_(world, documents_required=True)
    dialysis = h.round_(world, template="dialysis")
    client = login(applicant)
    home = client.get(reverse("portal:assistance_home")).content.decode()
    assert round_.name in home and dialysis.name in home
    assert round_.name in client.get(reverse("portal:home")).content.decode()  # the card
    url = reverse("portal:assistance_apply", args=[round_.pk])
    data = {
        "beneficiary": "child",
        "beneficiary_name": "王小明",
        "school": "浙江大学",
        "education_level": "bachelor",
        "admission_year": timezone.localdate().year,
        "account_holder": applicant.person.name,
        "bank_name": "农业银行",
        "bank_card": h.CARD,
    }
    response = client.post(url, {**data, "documents": [h.letter("通知书.exe", b"MZ")]})
    assert "只能上传 PDF、JPG 或 PNG 文件" in response.content.decode()
    assert not Application.unscoped.exists()
    response = client.post(url, {**data, "documents": [h.letter()]})
    application = Application.unscoped.get()
    assert response.status_code == 302
    (item,) = inbox.inbox_for(applicant.person.pk, kind="assistance")
    assert item.open and item.title.startswith(round_.name)
    h.approve_all(world, application)
    payable = PayableItem.unscoped.get(source_id=application.pk)
    batch = funds_services.batch_create(
        actor=world.staff("district_b", "reviewer"),
        organization=world.district_b,
        title="金秋助学第一批",
        items=[payable],
    )
    batch = funds_services.batch_decide(
        actor=world.staff("district_b", "admin"), batch=batch, approve=True
    )
    funds_services.batch_results_record(
        actor=world.staff("district_b", "clerk"),
        batch=batch,
        results=[funds_services.LineResult(batch.lines.get().pk, True)],
    )
    page = client.get(reverse("portal:assistance_application", args=[application.pk]))
    assert "已发放" in page.content.decode()
    other = login(world.worker("union_b"))
    assert (
        other.get(reverse("portal:assistance_application", args=[application.pk])).status_code
        == 404
    )
    public = Client().get(reverse("portal:assistance_transparency", args=[round_.pk]))
    text = public.content.decode()
    assert public.status_code == 200
    assert "B区总工会" in text and "4,000.00" in text
    assert applicant.person.name not in text and "王小明" not in text


def test_a_worker_withdraws_a_pending_application(world, applicant):
    application = h.apply(world, h.round_(world), applicant)
    client = login(applicant)
    client.post(reverse("portal:assistance_withdraw", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


# --- API -----------------------------------------------------------------------------------


def api(user, method: str, url: str, body=None):
    key, _ = api_token_issue(user=user)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if body is None:
        return getattr(Client(), method)(url, **headers)
    return getattr(Client(), method)(
        url, json.dumps(body), content_type="application/json", **headers
    )


def test_the_api_decides_and_reports_the_figures_scoped(world, applicant, helped):
    application = h.apply(world, h.round_(world), applicant)
    for org in ("union_b", "town_b", "district_b"):
        response = api(
            world.staff(org, "reviewer"),
            "post",
            f"/api/assistance/applications/{application.pk}/decision",
            {"approve": True},
        )
        assert response.status_code == 200, response.content
    year = timezone.localdate().year
    admin = world.staff("district_b", "admin")
    response = api(admin, "get", f"/api/assistance/figures?year={year}&org={world.town_b.pk}")
    figures = {f["key"]: Decimal(str(f["value"])) for f in response.json()["figures"]}
    assert figures["assistance.approved"] == 1
    assert figures["assistance.approved_amount"] == Decimal("4000.00")
    assert figures["assistance.amount.study"] == Decimal("4000.00")
    assert "funds.raised" in figures
    sibling = world.staff("district_a", "admin")
    assert (
        api(
            sibling, "get", f"/api/assistance/figures?year={year}&org={world.town_b.pk}"
        ).status_code
        == 404
    )
    assert api(sibling, "get", f"/api/assistance/applications/{application.pk}").status_code == 404


def test_the_api_refuses_a_second_application_at_the_field(world, applicant):
    round_ = h.round_(world)
    body = {
        "beneficiary": "child",
        "beneficiary_name": "王小明",
        "education_level": "bachelor",
        "admission_year": timezone.localdate().year,
        "account_holder": "王",
        "bank_name": "农行",
        "bank_card": h.CARD,
    }
    url = f"/api/me/assistance/rounds/{round_.pk}/applications"
    assert api(applicant, "post", url, body).status_code == 201
    response = api(applicant, "post", url, body)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "round" and "只能申请一次" in error["message"]
    assert selectors.worker_applications(user=applicant).count() == 1


def test_the_queue_page_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    round_ = h.round_(world)
    for _ in range(6):
        user = world.worker("union_b")
        h.household(world, user.person)
        h.apply(world, round_, user)
    client = login(world.staff("union_b", "reviewer"))
    url = reverse("console:assistance_queue")
    client.get(url, {"queue": "mine"})  # warm the caches (menu badges, counts)
    with django_assert_max_num_queries(25):
        response = client.get(url, {"queue": "mine"})
    assert len(response.context["page_obj"]) == 6


def test_a_decision_takes_the_application_lock_only(world, applicant, helped):
    from gonghui.core import locks
    from gonghui.core.locks import LockSpace

    application = h.approve_all(world, h.apply(world, h.round_(world), applicant), ("union_b",))
    with locks.traced() as taken:
        services.application_decide(
            actor=world.staff("town_b", "reviewer"), application=application, approve=True
        )
    assert [t.space for t in taken] == [LockSpace.ASSISTANCE_APPLICATION]
    assert locks.in_table_order(taken)


def test_the_incomes_a_decision_relied_on_are_revealed_with_a_log(world, applicant):
    application = h.approve_all(world, h.apply(world, h.round_(world), applicant), ("union_b",))
    from gonghui.hardship.models import HouseholdMember

    HouseholdMember.unscoped.filter(household=applicant.household).update(name="后来改的")
    reviewer = world.staff("town_b", "reviewer")
    url = reverse("console:assistance_snapshot", args=[application.pk])
    page = login(reviewer).post(url, {"step": "0", "reason": "verify"})
    text = page.content.decode()
    assert page.status_code == 200 and "16000.00" in text and "尿毒症" in text
    assert "后来改的" not in text
    assert (
        PersonalDataAccess.objects.visible_to(reviewer)
        .filter(field__startswith="assistance_snapshot:")
        .exists()
    )
    leader = login(world.staff("town_b", "leader")).post(url, {"step": "0", "reason": "verify"})
    assert leader.status_code == 403
