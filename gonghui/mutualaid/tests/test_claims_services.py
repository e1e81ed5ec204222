"""Claims: submission checks (each bad input refused at its field, nothing written), the
duplicate invoice and file checks, the benefit and its continuation, the reviewer's actions
and the payment hand-over."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.core.models import Notification, PersonalDataAccess
from gonghui.core.scoping import NotFound
from gonghui.funds.models import PayableItem
from gonghui.mutualaid.models import Claim, ClaimDocument, ClaimRoute, ClaimStatus, Invoice
from gonghui.mutualaid.services import claims as services
from gonghui.mutualaid.tests.claims_helpers import (
    PDF,
    PNG,
    claim_input,
    days,
    document,
    enrolled_worker,
    invoice,
    period,
    submit,
)

pytestmark = pytest.mark.django_db


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_a_worker_claims_in_the_portal_and_sees_the_benefit(world):
    # Given a worker insured in the period
    target = period(world)
    user = enrolled_worker(world, target)
    # When they claim 2,500 yuan eligible self-paid for a stay in hospital
    claim = submit(user, invoice("2500.00"), documents=[document()])
    # Then the deductible of 500 is used and 2,000 are paid at 50%
    assert claim.status == ClaimStatus.PENDING and claim.route == ""
    assert claim.channel == "portal" and not claim.counter_visit
    assert claim.eligible == Decimal("2500.00") and claim.deductible_used == Decimal("500.00")
    assert claim.benefit == Decimal("1000.00")
    assert claim.explanation
    assert claim.total == Decimal("4000.00") and claim.insurance_paid == Decimal("1000.00")
    assert claim.invoices.count() == 1 and claim.documents.count() == 1
    # the diagnosis is sealed and masked; the document sealed at rest
    fresh = Claim.unscoped.get(pk=claim.pk)
    assert "阑尾" not in fresh.diagnosis.masked() and fresh.diagnosis.reveal() == "急性阑尾炎"
    stored = ClaimDocument.objects.get(claim=claim)
    with stored.file.open("rb") as handle:
        assert b"%PDF" not in handle.read()
    assert Notification.unscoped.filter(person=user.person, kind="mutualaid.claim").exists()


def test_the_preview_gives_the_benefit_and_writes_nothing(world):
    target = period(world)
    user = enrolled_worker(world, target)
    prepared = services.claim_preview(
        actor=user, person=user.person, data=claim_input(invoice("2500.00"))
    )
    assert prepared.benefit.amount == Decimal("1000.00")
    assert prepared.benefit.lines
    assert not Claim.unscoped.exists()
    # bad input is told the same way as on submission
    found = errors_of(
        lambda: services.claim_preview(
            actor=user, person=user.person, data=claim_input(invoice("5000.00", total="4000.00"))
        )
    )
    assert "invoices.0.eligible" in found


def test_a_person_not_enrolled_at_the_date_of_treatment_is_refused(world):
    period(world)
    user = world.worker("union_b")
    found = errors_of(lambda: submit(user))
    assert "未参加职工医疗互助保障" in found["admitted_on"][0]
    assert not Claim.unscoped.exists()


def test_an_enrolment_not_yet_in_effect_is_refused(world):
    target = period(world)
    billed = enrolled_worker(world, target, status="billed", effective_on=None)
    assert "尚未生效" in errors_of(lambda: submit(billed))["admitted_on"][0]
    late = enrolled_worker(world, target, effective_on=days(-5), covered_from=days(-5))
    assert "尚未生效" in errors_of(lambda: submit(late))["admitted_on"][0]


def test_treatment_in_the_waiting_period_is_refused(world):
    target = period(world)
    user = enrolled_worker(world, target, effective_on=days(-100), covered_from=days(-10))
    message = errors_of(lambda: submit(user))["admitted_on"][0]
    assert "等待期" in message and days(-10).isoformat() in message


def test_a_claim_after_the_deadline_is_refused(world):
    target = period(world, claim_days=5)
    user = enrolled_worker(world, target)
    message = errors_of(lambda: submit(user))["discharged_on"][0]
    assert "5 天内" in message
    closed = period(world, number=2, name="第二期", claims_close_on=days(-1), claim_days=None)
    other = enrolled_worker(world, closed)
    found = errors_of(lambda: submit(other))
    assert any("截止" in m for m in found["discharged_on"])


@pytest.mark.parametrize(
    ("fields", "invoice_fields", "where", "words"),
    [
        ({"admitted_on": days(-5), "discharged_on": days(-8)}, {}, "discharged_on", "早于"),
        ({"discharged_on": days(2)}, {}, "discharged_on", "晚于今天"),
        ({}, {"eligible": "4100.00"}, "invoices.0.eligible", "不能超过费用总额"),
        ({}, {"eligible": "-1.00"}, "invoices.0.eligible", "负数"),
        ({}, {"total": "4000.001"}, "invoices.0.total", "两位小数"),
        ({}, {"insurance_paid": "3000.00"}, "invoices.0.insurance_paid", "之和"),
        ({}, {"total": "0"}, "invoices.0.total", "大于 0"),
        ({}, {"code": "<b>1</b>"}, "invoices.0.code", ""),
        ({"hospital": "<script>x</script>医院"}, {}, "hospital", ""),
        ({"diagnosis": ""}, {}, "diagnosis", "必填"),
        ({"category": "dental"}, {}, "category", "保障类别"),
        ({"bank_card": "123"}, {}, "bank_card", "银行卡号"),
        ({"invoices": []}, {}, "invoices", "至少"),
    ],
)
def test_each_bad_input_is_refused_at_its_field(world, fields, invoice_fields, where, words):
    target = period(world)
    user = enrolled_worker(world, target)
    if "invoices" not in fields:
        fields = {**fields, "invoices": [invoice(**invoice_fields)]}
    found = errors_of(
        lambda: services.claim_submit(actor=user, person=user.person, data=claim_input(**fields))
    )
    assert where in found, found
    assert words in " ".join(found[where])
    assert not Claim.unscoped.exists() and not Invoice.objects.exists()


def test_the_women_workers_category_is_for_women(world):
    target = period(world)
    user = enrolled_worker(world, target)
    person = user.person
    found = services.claim_submit if person.sex == "F" else None
    if found is not None:  # a woman may claim it
        assert submit(user, category="women").benefit == Decimal("2500.00")
    else:
        assert "女职工" in errors_of(lambda: submit(user, category="women"))["category"][0]


def test_a_duplicate_invoice_is_refused_naming_the_earlier_date_only(world):
    target = period(world)
    first = enrolled_worker(world, target)
    second = enrolled_worker(world, target)
    used = invoice()
    submit(first, used)
    found = errors_of(lambda: submit(second, invoice(code=used.code, number=used.number)))
    message = found["invoices.0.number"][0]
    assert days(0).isoformat() in message and "不能重复报销" in message
    assert first.person.name not in message
    assert Claim.unscoped.count() == 1
    # in the same claim twice
    twice = invoice()
    found = errors_of(lambda: submit(second, twice, twice))
    assert "两次" in found["invoices.1.number"][0]


def test_the_invoice_index_refuses_a_duplicate_that_slipped_past_the_check(world, monkeypatch):
    # Given two submissions at once: the second's check ran before the first committed
    target = period(world)
    first, second = enrolled_worker(world, target), enrolled_worker(world, target)
    used = invoice()
    submit(first, used)
    real = services._used_invoices
    calls = []

    def blind(pairs):
        calls.append(1)
        return {} if len(calls) == 1 else real(pairs)

    monkeypatch.setattr(services, "_used_invoices", blind)
    # Then the partial unique index refuses it, with the same message
    found = errors_of(lambda: submit(second, invoice(code=used.code, number=used.number)))
    assert "不能重复报销" in found["invoices.0.number"][0]


def test_a_refused_claim_frees_its_invoices(world):
    target = period(world)
    user = enrolled_worker(world, target)
    used = invoice()
    claim = submit(user, used)
    services.claims_adjudicate(actor=world.staff("city", "reviewer"), period=target)
    claim.refresh_from_db()
    if claim.status == ClaimStatus.PENDING:
        services.claim_refuse(actor=world.staff("city", "reviewer"), claim=claim, reason="材料不全")
        again = submit(user, invoice(code=used.code, number=used.number))
        assert again.pk != claim.pk


def test_identical_files_are_flagged_not_refused(world):
    target = period(world)
    first, second = enrolled_worker(world, target), enrolled_worker(world, target)
    submit(first, documents=[document()])
    claim = submit(second, documents=[document("扫描件.pdf")])
    assert claim.flags and claim.flags[0]["kind"] == "same_file"
    assert first.person.name not in claim.flags[0]["text"]
    twice = submit(
        enrolled_worker(world, target), documents=[document("a.png", PNG), document("b.png", PNG)]
    )
    assert "两次" in twice.flags[0]["text"]


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (SimpleUploadedFile("a.exe", b"MZ"), "PDF、JPG 或 PNG"),
        (SimpleUploadedFile("a.pdf", b"<html>"), "不符"),
        (SimpleUploadedFile("a.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024)), "10 MB"),
    ],
)
def test_a_bad_document_is_refused(world, upload, words):
    target = period(world)
    user = enrolled_worker(world, target)
    found = errors_of(lambda: submit(user, documents=[("invoice", upload)]))
    assert words in found["documents"][0]
    assert not Claim.unscoped.exists()


def test_a_union_clerk_claims_for_a_worker_and_the_counter_means_a_trip(world):
    target = period(world)
    user = enrolled_worker(world, target)
    clerk = world.staff("union_b", "clerk")
    claim = services.claim_submit(
        actor=clerk, person=user.person, data=claim_input(), channel="union"
    )
    assert claim.channel == "union" and not claim.counter_visit
    counter = services.claim_submit(
        actor=clerk, person=user.person, data=claim_input(), channel="counter"
    )
    assert counter.counter_visit
    assert "channel" in errors_of(
        lambda: services.claim_submit(actor=clerk, person=user.person, data=claim_input())
    )
    # a clerk of the sibling branch cannot
    with pytest.raises(NotFound):
        services.claim_submit(
            actor=world.staff("union_a", "clerk"),
            person=user.person,
            data=claim_input(),
            channel="union",
        )


def test_two_claims_in_sequence_pay_what_one_claim_of_their_sum_pays(world):
    target = period(world, auto_approve_below=Decimal("100000"))
    user = enrolled_worker(world, target)
    a = submit(user, invoice("3000.00", total="5000.00"))
    b = submit(user, invoice("6000.00", total="8000.00"))
    other = enrolled_worker(world, target)
    one = submit(other, invoice("9000.00", total="13000.00"))
    assert a.benefit + b.benefit == one.benefit
    assert b.deductible_used == Decimal("0.00")


def test_an_adjusted_claim_replaces_its_own_use(world):
    target = period(world, sample_percent=100, auto_approve_below=Decimal("0.01"))
    user = enrolled_worker(world, target)
    claim = submit(user, invoice("2500.00"))
    services.claims_adjudicate(actor=world.staff("city", "reviewer"), period=target)
    reviewer = world.staff("city", "reviewer")
    found = errors_of(
        lambda: services.claim_adjust(actor=reviewer, claim=claim, eligible="2000.00", reason="")
    )
    assert "原因" in found["reason"][0]
    assert (
        "不能超过"
        in errors_of(
            lambda: services.claim_adjust(actor=reviewer, claim=claim, eligible="9000", reason="x")
        )["eligible"][0]
    )
    adjusted = services.claim_adjust(
        actor=reviewer, claim=claim, eligible="2000.00", reason="自费药品不在政策范围内"
    )
    # the deductible is used once, by this claim alone: (2000 - 500) x 50%
    assert adjusted.deductible_used == Decimal("500.00")
    assert adjusted.benefit == Decimal("750.00")
    assert adjusted.adjust_reason and adjusted.eligible_claimed == Decimal("2500.00")


def test_the_reviewer_approves_and_the_claim_is_handed_to_the_funds(world):
    target = period(world, sample_percent=100, auto_approve_below=Decimal("100000"))
    user = enrolled_worker(world, target)
    claim = submit(user, invoice("2500.00"))
    reviewer = world.staff("city", "reviewer")
    with pytest.raises(ValidationError):  # not routed yet
        services.claim_approve(actor=reviewer, claim=claim)
    services.claims_adjudicate(actor=reviewer, period=target)
    claim.refresh_from_db()
    assert claim.route == ClaimRoute.SAMPLED and claim.draw is not None
    with pytest.raises(NotFound):
        services.claim_approve(actor=world.staff("district_a", "reviewer"), claim=claim)
    approved = services.claim_approve(actor=reviewer, claim=claim)
    assert approved.status == ClaimStatus.APPROVED
    item = PayableItem.unscoped.get(source_kind="mutualaid.claim", source_id=claim.pk)
    assert item.amount == Decimal("1000.00") and item.fund_id == target.fund_id
    assert (
        "已审结"
        in errors_of(lambda: services.claim_approve(actor=reviewer, claim=claim))["status"][0]
    )
    assert (
        "原因"
        in errors_of(lambda: services.claim_refuse(actor=reviewer, claim=claim, reason=""))[
            "reason"
        ][0]
    )


def test_the_clerk_who_entered_a_claim_does_not_review_it(world):
    target = period(world, sample_percent=100, auto_approve_below=Decimal("100000"))
    user = enrolled_worker(world, target)
    admin = world.staff("city", "admin")
    claim = services.claim_submit(
        actor=admin, person=user.person, data=claim_input(), channel="union"
    )
    services.claims_adjudicate(actor=admin, period=target)
    found = errors_of(lambda: services.claim_approve(actor=admin, claim=claim))
    assert "不能审核" in found["status"][0]


def test_the_diagnosis_reveal_is_logged(world):
    target = period(world)
    user = enrolled_worker(world, target)
    claim = submit(user)
    reviewer = world.staff("city", "reviewer")
    assert services.diagnosis_reveal(actor=reviewer, claim=claim, reason="case") == "急性阑尾炎"
    assert PersonalDataAccess.unscoped.filter(actor=reviewer, field="diagnosis").exists()
    with pytest.raises(NotFound):
        services.diagnosis_reveal(actor=world.staff("union_a", "admin"), claim=claim, reason="case")


# --- documents sent after the claim (补充材料) ---------------------------------------------


def test_a_worker_or_their_union_sends_a_missing_document_while_the_claim_waits(world):
    target = period(world)
    user = enrolled_worker(world, target)
    claim = submit(user, invoice("2500.00"))
    assert claim.documents.count() == 0
    # The worker sends the discharge summary; the union's clerk the invoice scan.
    services.claim_documents_add(
        actor=user, claim=claim, documents=[document("出院小结.png", PNG, "discharge")]
    )
    clerk = world.staff("union_b", "clerk")
    services.claim_documents_add(actor=clerk, claim=claim, documents=[document()])
    kinds = sorted(claim.documents.values_list("kind", flat=True))
    assert kinds == ["discharge", "invoice"]
    assert set(claim.documents.values_list("uploaded_by", flat=True)) == {user.pk, clerk.pk}
    # A file identical to one of another live claim is flagged for the reviewer.
    other = submit(enrolled_worker(world, target), invoice("2600.00"))
    services.claim_documents_add(actor=clerk, claim=other, documents=[document()])
    other.refresh_from_db()
    assert [f["kind"] for f in other.flags] == ["same_file"]


def test_a_sibling_branch_cannot_add_a_document_and_nothing_is_stored(world):
    target = period(world)
    claim = submit(enrolled_worker(world, target), invoice("2500.00"))
    with pytest.raises(NotFound):
        services.claim_documents_add(
            actor=world.staff("union_a", "clerk"), claim=claim, documents=[document()]
        )
    with pytest.raises(NotFound):
        services.claim_documents_add(
            actor=world.worker("union_b"), claim=claim, documents=[document()]
        )
    assert ClaimDocument.objects.count() == 0


def test_bad_documents_and_a_decided_claim_are_refused_at_the_field(world):
    target = period(world)
    user = enrolled_worker(world, target)
    claim = submit(
        user,
        invoice("2500.00"),
        documents=[document(f"{i}.pdf", PDF + bytes([i])) for i in range(9)],
    )
    add = services.claim_documents_add
    assert (
        "请选择要上传的文件。"
        in errors_of(lambda: add(actor=user, claim=claim, documents=[]))["documents"]
    )
    two = [document("a.pdf", PDF + b"a"), document("b.pdf", PDF + b"b")]
    assert (
        "本笔理赔已有 9 个文件，最多还能上传 1 个。"
        in errors_of(lambda: add(actor=user, claim=claim, documents=two))["documents"]
    )
    fake = document("发票.pdf", b"<html>not a pdf</html>")
    assert any(
        "文件内容与扩展名不符" in m
        for m in errors_of(lambda: add(actor=user, claim=claim, documents=[fake]))["documents"]
    )
    unknown = ("photo", document()[1])
    assert (
        "“发票.pdf”：请选择材料类型。"
        in errors_of(lambda: add(actor=user, claim=claim, documents=[unknown]))["documents"]
    )
    assert claim.documents.count() == 9
    services.claim_refuse(actor=world.staff("city", "reviewer"), claim=claim, reason="非住院")
    assert (
        "该理赔已审结（不予赔付），不能再补充材料。"
        in errors_of(
            lambda: add(actor=user, claim=claim, documents=[document("c.pdf", PDF + b"c")])
        )["documents"]
    )
    assert claim.documents.count() == 9
