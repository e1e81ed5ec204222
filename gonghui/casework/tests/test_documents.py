"""The mediation agreement as a PDF a person prints and signs."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from gonghui.casework.documents import agreement_pdf
from gonghui.casework.models import Mediation
from gonghui.casework.services import cases as cases_services
from gonghui.casework.services import mediation as mediation_services
from gonghui.casework.tests.test_services import open_case

pytestmark = pytest.mark.django_db


def _agreed(world, *, sessions: list[datetime.date]) -> Mediation:
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
    for index, day in enumerate(sessions):
        mediation_services.mediation_session_add(
            actor=clerk,
            mediation=mediation,
            held_on=day,
            place="工会调解室",
            attendees="双方",
            summary="双方协商一致，当场签署调解协议。"
            if index == len(sessions) - 1
            else "听取陈述",
        )
    return mediation_services.mediation_conclude(
        actor=clerk, mediation=mediation, outcome="agreed", agreement="公司分两期支付 3000 元"
    )


def _fonts(reader: PdfReader) -> list[dict]:
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.append(font.get_object())
    return fonts


def test_the_agreement_embeds_a_subset_of_its_font(world):
    today = timezone.localdate()
    reader = PdfReader(io.BytesIO(agreement_pdf(_agreed(world, sessions=[today]))))
    fonts = _fonts(reader)
    assert fonts
    for font in fonts:
        # A subset (six capitals and a plus before the name), embedded as TrueType outlines:
        # nothing is left for the reader to substitute.
        assert re.fullmatch(r"/[A-Z]{6}\+NotoSerifSC-(Regular|Bold)", font["/BaseFont"]), font
        assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]


def test_the_agreement_is_dated_the_day_it_was_signed_and_signed_in_separate_places(world):
    # Given an agreement signed at the second session, 12 days ago, recorded today,
    today = timezone.localdate()
    signed = today - datetime.timedelta(days=12)
    mediation = _agreed(world, sessions=[today - datetime.timedelta(days=20), signed])
    assert mediation.concluded_on == today

    # When it is printed,
    page = PdfReader(io.BytesIO(agreement_pdf(mediation))).pages[0]
    runs: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font, size):
        # Where the run starts on the page: the text matrix's origin through the current matrix.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        runs.append((text, round(x, 1), round(y, 1)))

    page.extract_text(visitor_text=visit)
    text = "".join(t for t, _x, _y in runs)

    # Then it states the signing date, never the day it was recorded or printed,
    stated = f"{signed.year} 年 {signed.month} 月 {signed.day} 日"
    assert f"本协议于 {stated} 签订" in text
    assert f"{today.year} 年 {today.month} 月 {today.day} 日" not in text
    # and each party signs in a place of its own: the respondent's label starts in the right
    # half of the page, level with the applicant's, which starts at the left margin.
    labels = {}
    for label in ("申请人（签名）", "被申请人（签章）", "调解员（签名）", "调解组织（盖章）"):
        labels[label] = next((x, y) for t, x, y in runs if t.startswith(label))
    width = float(page.mediabox.width)
    assert labels["申请人（签名）"][0] < width / 3 < width / 2 < labels["被申请人（签章）"][0]
    assert labels["申请人（签名）"][1] == labels["被申请人（签章）"][1]
    assert labels["调解员（签名）"][1] < labels["申请人（签名）"][1]  # a row of its own, below
