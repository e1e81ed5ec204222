"""The claim pages (portal and console) and the claims API: the same services behind each."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from gonghui.accounts.services import api_token_issue
from gonghui.core import inbox
from gonghui.core.models import PersonalDataAccess
from gonghui.funds.models import PayableItem
from gonghui.mutualaid.models import Claim, ClaimRoute, ClaimStatus, SampleDraw
from gonghui.mutualaid.services import claims as services
from gonghui.mutualaid.tests.claims_helpers import (
    PDF,
    days,
    enrolled_worker,
    invoice,
    period,
    submit,
)

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user, method: str, url: str, body=None):
    key, _ = api_token_issue(user=user)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if body is None:
        return getattr(Client(), method)(url, **headers)
    return getattr(Client(), method)(
        url, json.dumps(body), content_type="application/json", **headers
    )


def form_data(**changes) -> dict:
    data = {
        "category": "inpatient",
        "hospital": "嘉兴市第一医院",
        "admitted_on": days(-20).isoformat(),
        "discharged_on": days(-12).isoformat(),
        "diagnosis": "肺炎",
        "inv0_code": "033001900111",
        "inv0_number": "90000001",
        "inv0_total": "4000.00",
        "inv0_insurance_paid": "1000.00",
        "inv0_eligible": "2500.00",
        "account_holder": "王芳",
        "bank_name": "农业银行",
        "bank_card": "6228480328123456789",
    }
    data.update(changes)
    return data


def test_the_worker_previews_and_submits_from_the_portal(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    target = period(world)
    user = enrolled_worker(world, target)
    client = login(user)
    page = client.get(reverse("portal:mutualaid_claims"))
    assert target.name in page.content.decode()
    assert client.get(reverse("portal:mutualaid_claim_new")).status_code == 200
    preview = client.post(reverse("portal:mutualaid_claim_preview"), form_data())
    assert "1,000.00" in preview.content.decode() or "1000.00" in preview.content.decode()
    assert "起付线" in preview.content.decode()
    half = client.post(reverse("portal:mutualaid_claim_preview"), form_data(inv0_eligible=""))
    assert "填写完整" in half.content.decode()
    assert not Claim.unscoped.exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("portal:mutualaid_claim_new"),
        {**form_data(), "invoice_files": SimpleUploadedFile("发票.pdf", PDF)},
    )
    claim = Claim.unscoped.get()
    assert response.status_code == 302 and claim.channel == "portal"
    assert claim.documents.count() == 1
    detail = client.get(reverse("portal:mutualaid_claim", args=[claim.pk])).content.decode()
    assert "1,000.00" in detail or "1000.00" in detail
    items = inbox.inbox_for(user.person_id, kind="mutualaid")
    assert items and items[0].open
    # another worker cannot open it
    assert (
        login(world.worker("union_b"))
        .get(reverse("portal:mutualaid_claim", args=[claim.pk]))
        .status_code
        == 404
    )


def test_the_portal_form_shows_each_error_at_its_field(world):
    target = period(world)
    user = enrolled_worker(world, target)
    response = login(user).post(
        reverse("portal:mutualaid_claim_new"),
        form_data(discharged_on=days(-30).isoformat(), inv0_eligible="4000.001"),
    )
    form = response.context["form"]
    assert "早于" in form.errors["discharged_on"][0]
    assert "两位小数" in form.errors["inv0_eligible"][0]
    assert not Claim.unscoped.exists()


def test_the_reviewer_works_the_queues_and_pays_through_a_batch(world):
    target = period(world, sample_percent=100)
    claim = submit(enrolled_worker(world, target), invoice("2500.00"))
    reviewer = world.staff("city", "reviewer")
    client = login(reviewer)
    response = client.post(reverse("console:mutualaid_adjudicate"), {"period": target.pk})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.route == ClaimRoute.SAMPLED
    page = client.get(reverse("console:mutualaid_claims"), {"queue": "sampled"})
    assert claim.person.name in page.content.decode()
    url = reverse("console:mutualaid_claim", args=[claim.pk])
    assert (
        "**" in client.get(url).content.decode() or "肺炎" not in client.get(url).content.decode()
    )
    # adjust without a reason: told at the field
    refused = client.post(url, {"action": "adjust", "eligible": "2000.00", "reason": ""})
    assert "原因" in refused.content.decode()
    client.post(url, {"action": "adjust", "eligible": "2000.00", "reason": "部分药品自费"})
    claim.refresh_from_db()
    assert claim.benefit == Decimal("750.00")
    client.post(url, {"action": "approve", "note": ""})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert PayableItem.unscoped.get(source_id=claim.pk).amount == Decimal("750.00")
    draw = SampleDraw.unscoped.get()
    draw_page = client.get(reverse("console:mutualaid_draw", args=[draw.pk])).content.decode()
    assert "结果一致" in draw_page
    # the diagnosis is revealed with a reason, logged
    shown = client.post(
        reverse("console:mutualaid_claim_diagnosis", args=[claim.pk]), {"reason": "case"}
    )
    assert "急性阑尾炎" in shown.content.decode()
    assert PersonalDataAccess.unscoped.filter(actor=reviewer, field="diagnosis").exists()
    # the sibling branch sees nothing
    sibling = login(world.staff("district_a", "admin"))
    assert sibling.get(url).status_code == 404


def test_a_union_clerk_claims_at_the_counter_for_a_worker(world):
    target = period(world)
    user = enrolled_worker(world, target)
    clerk = world.staff("union_b", "clerk")
    client = login(clerk)
    number = user.person.id_number.reveal()
    found = client.get(reverse("console:mutualaid_claim_create"), {"id_number": number})
    assert found.context["form"] is not None
    response = client.post(
        reverse("console:mutualaid_claim_create") + f"?id_number={number}",
        {**form_data(), "channel": "counter"},
    )
    assert response.status_code == 302, response.context["form"].errors
    claim = Claim.unscoped.get()
    assert claim.channel == "counter" and claim.counter_visit
    other = login(world.staff("union_a", "clerk")).get(
        reverse("console:mutualaid_claim_create"), {"id_number": number}
    )
    assert other.context["form"] is None and other.context["lookup"].errors


def test_the_figures_page_and_export_and_api(world):
    target = period(world, sample_percent=0)
    submit(enrolled_worker(world, target), invoice("1500.00"))
    services.claim_submit(
        actor=world.staff("union_b", "clerk"),
        person=enrolled_worker(world, target).person,
        data=__import__(
            "gonghui.mutualaid.tests.claims_helpers", fromlist=["claim_input"]
        ).claim_input(invoice("1500.00")),
        channel="counter",
    )
    services.claims_adjudicate()
    admin = world.staff("city", "admin")
    page = login(admin).get(reverse("console:mutualaid_figures"))
    assert page.status_code == 200
    assert "50.0%" in page.content.decode()
    export = login(admin).get(reverse("console:mutualaid_figures"), {"format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    b"".join(export.streaming_content)
    response = api(admin, "get", f"/api/mutualaid/figures?org={world.town_b.pk}")
    body = response.json()
    line = body["periods"][0]
    assert line["insured"] == 2 and line["claims"] == 2
    assert Decimal(str(line["zero_trip_share"])) == Decimal("50.0")
    assert line["by_category"][0]["code"] == "inpatient"
    assert Decimal(str(line["benefit"])) == Decimal("1000.00")
    sibling = world.staff("district_a", "admin")
    assert api(sibling, "get", f"/api/mutualaid/figures?org={world.town_b.pk}").status_code == 404


def test_the_api_submits_previews_reviews(world):
    target = period(world, sample_percent=100)
    user = enrolled_worker(world, target)
    body = {
        "category": "inpatient",
        "hospital": "二院",
        "admitted_on": days(-20).isoformat(),
        "discharged_on": days(-12).isoformat(),
        "diagnosis": "骨折",
        "invoices": [
            {
                "code": "1",
                "number": "2",
                "total": "4000.00",
                "insurance_paid": "0",
                "eligible": "2500.00",
            }
        ],
        "account_holder": "王",
        "bank_name": "农行",
        "bank_card": "6228480328123456789",
    }
    preview = api(user, "post", "/api/me/mutualaid/claims/preview", body)
    assert preview.status_code == 200, preview.content
    assert Decimal(str(preview.json()["benefit"])) == Decimal("1000.00")
    made = api(user, "post", "/api/me/mutualaid/claims", body)
    assert made.status_code == 201, made.content
    claim_id = made.json()["id"]
    assert "骨折" not in made.json()["diagnosis"]
    again = api(user, "post", "/api/me/mutualaid/claims", body)
    assert again.status_code == 422
    assert "不能重复报销" in again.json()["errors"][0]["message"]
    reviewer = world.staff("city", "reviewer")
    run = api(reviewer, "post", "/api/mutualaid/claims/adjudicate", {"period_id": target.pk})
    assert run.json()["routed"]["sampled"] == 1
    draw = api(reviewer, "get", f"/api/mutualaid/claims/draws/{run.json()['draw_ids'][0]}")
    assert draw.json()["verified"] is True
    refused = api(reviewer, "post", f"/api/mutualaid/claims/{claim_id}/refuse", {"reason": ""})
    assert refused.status_code == 422
    done = api(
        reviewer, "post", f"/api/mutualaid/claims/{claim_id}/refuse", {"reason": "非住院费用"}
    )
    assert done.json()["status"] == "refused"
    mine = api(user, "get", f"/api/me/mutualaid/claims/{claim_id}")
    assert mine.json()["decision_note"] == "非住院费用"
    sibling = world.staff("district_a", "admin")
    assert api(sibling, "get", f"/api/mutualaid/claims/{claim_id}").status_code == 404


def test_missing_documents_are_sent_later_in_the_portal_the_console_and_the_api(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    target = period(world)
    user = enrolled_worker(world, target)
    claim = submit(user, invoice("2500.00"))
    # The worker's page offers 补充材料 while the claim waits; they send the discharge summary.
    portal = login(user)
    url = reverse("portal:mutualaid_claim", args=[claim.pk])
    assert "补充材料" in portal.get(url).content.decode()
    documents_url = reverse("portal:mutualaid_claim_documents", args=[claim.pk])
    sent = portal.post(
        documents_url,
        {"kind": "discharge", "document_files": SimpleUploadedFile("出院小结.pdf", PDF + b"1")},
    )
    assert sent.status_code == 302
    assert "出院小结.pdf" in portal.get(url).content.decode()
    # A file of the wrong kind is shown at the field, nothing stored.
    bad = portal.post(
        documents_url,
        {"kind": "discharge", "document_files": SimpleUploadedFile("x.pdf", b"<b>no</b>")},
    )
    assert bad.status_code == 200 and "文件内容与扩展名不符" in bad.content.decode()
    # The union's clerk sends the invoice scan from the console.
    console = login(world.staff("union_b", "clerk"))
    page = reverse("console:mutualaid_claim", args=[claim.pk])
    done = console.post(
        page,
        {
            "action": "documents",
            "kind": "invoice",
            "document_files": SimpleUploadedFile("发票.pdf", PDF + b"2"),
        },
    )
    assert done.status_code == 302
    # Through the API: the worker's app and a union's system, multipart with the kind.
    key, _ = api_token_issue(user=user)
    made = Client().post(
        f"/api/me/mutualaid/claims/{claim.pk}/documents",
        {"kind": "other", "file": SimpleUploadedFile("病历.pdf", PDF + b"3")},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert made.status_code == 201, made.content
    assert len(made.json()["documents"]) == 3
    staff_key, _ = api_token_issue(user=world.staff("union_b", "clerk"))
    wrong = Client().post(
        f"/api/mutualaid/claims/{claim.pk}/documents",
        {"kind": "photo", "file": SimpleUploadedFile("a.pdf", PDF + b"4")},
        HTTP_AUTHORIZATION=f"Bearer {staff_key}",
    )
    assert wrong.status_code == 422
    sibling_key, _ = api_token_issue(user=world.staff("union_a", "clerk"))
    hidden = Client().post(
        f"/api/mutualaid/claims/{claim.pk}/documents",
        {"kind": "invoice", "file": SimpleUploadedFile("a.pdf", PDF + b"5")},
        HTTP_AUTHORIZATION=f"Bearer {sibling_key}",
    )
    assert hidden.status_code == 404
    assert claim.documents.count() == 3
