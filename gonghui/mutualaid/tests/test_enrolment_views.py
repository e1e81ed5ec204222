"""Console pages, the worker's page and the API of enrolment (same services)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.accounts.services import api_token_issue
from gonghui.mutualaid.models import Bill, Enrolment, FeePayment
from gonghui.mutualaid.services import enrolment as services
from gonghui.mutualaid.tests.enrol_helpers import period

pytestmark = pytest.mark.django_db


def client(user):
    c = Client()
    c.force_login(user)
    return c


def test_clerk_enrols_from_the_list_page_and_sees_the_bill(world):
    p = period(world)
    member = world.member("union_a")
    clerk = client(world.staff("union_a", "clerk"))
    url = reverse("console:mutualaid_enrolments")
    response = clerk.post(url, {"period": p.pk, "id_number": member.person.id_number.reveal()})
    assert response.status_code == 302
    enrolment = Enrolment.unscoped.get(person=member.person)
    page = clerk.get(url, {"period": p.pk}).content.decode()
    assert member.person.name in page and enrolment.bill.number in page
    response = clerk.post(url, {"period": p.pk, "id_number": "123"})
    assert "18 位" in response.content.decode()
    bill_page = clerk.get(reverse("console:mutualaid_bill", args=[enrolment.bill_id]))
    assert bill_page.status_code == 200
    assert "登记收到缴费" not in bill_page.content.decode()  # the federation's, not the union's


def test_federation_records_a_payment_on_the_bill_page(world):
    p = period(world)
    (bill,) = services.enrol_people(
        actor=world.staff("city", "admin"),
        period=p,
        enrollees=[[services.Enrollee(m.person_id, m.union_id) for m in [world.member("union_b")]]],
    )
    city = client(world.staff("city", "clerk"))
    url = reverse("console:mutualaid_bill", args=[bill.pk])
    assert "登记收到缴费" in city.get(url).content.decode()
    bad = city.post(
        url, {"amount": "36.001", "paid_on": timezone.localdate(), "bank_reference": "Y1"}
    )
    assert bad.status_code == 200 and not FeePayment.unscoped.exists()
    good = city.post(
        url, {"amount": "36.00", "paid_on": timezone.localdate(), "bank_reference": "Y1"}
    )
    assert good.status_code == 302
    assert Bill.unscoped.get(pk=bill.pk).status == "paid"
    assert (
        client(world.staff("city", "clerk")).get(reverse("console:mutualaid_bills")).status_code
        == 200
    )


def test_worker_enrols_in_the_portal_page(world):
    p = period(world)
    worker = world.worker("union_a")
    page = client(worker)
    url = reverse("portal:mutualaid_enrolment")
    assert p.name in page.get(url).content.decode()
    assert page.post(url, {"period": p.pk}).status_code == 302
    assert Enrolment.unscoped.filter(person_id=worker.person_id, channel="portal").exists()
    assert "待缴费" in page.get(url).content.decode()


def test_api_enrol_pay_figures_and_my_enrolments(world):
    p = period(world)
    member = world.member("union_b")
    key, _ = api_token_issue(user=world.staff("union_b", "clerk"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    c = Client()
    response = c.post(
        "/api/mutualaid/enrolment/enrolments",
        json.dumps({"period_id": p.pk, "id_number": member.person.id_number.reveal()}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    bill_id = response.json()["bill_id"]
    city_key, _ = api_token_issue(user=world.staff("city", "clerk"))
    paid = c.post(
        f"/api/mutualaid/enrolment/bills/{bill_id}/payments",
        json.dumps(
            {"amount": "36.00", "paid_on": str(timezone.localdate()), "bank_reference": "Z9"}
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {city_key}",
    )
    assert paid.status_code == 201, paid.content
    figures = c.get(
        f"/api/mutualaid/enrolment/figures?period={p.pk}",
        HTTP_AUTHORIZATION=f"Bearer {city_key}",
    ).json()
    assert figures["insured"] == 1 and figures["received"] == "36.00"
    sibling_key, _ = api_token_issue(user=world.staff("district_a", "admin"))
    assert (
        c.get(
            f"/api/mutualaid/enrolment/bills/{bill_id}", HTTP_AUTHORIZATION=f"Bearer {sibling_key}"
        ).status_code
        == 404
    )
