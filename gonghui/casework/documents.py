"""Files casework hands out: sealed materials, decrypted on the way out, and the mediation
agreement as PDF (ReportLab's built-in CID font renders Chinese without font files)."""

from __future__ import annotations

import io
from urllib.parse import quote
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from gonghui.casework.models import MATERIAL_PURPOSE, CaseMaterial, Mediation
from gonghui.core.crypto import unseal_bytes

FONT = "STSong-Light"


def material_response(material: CaseMaterial) -> HttpResponse:
    with material.file.open("rb") as handle:
        data = unseal_bytes(handle.read(), purpose=MATERIAL_PURPOSE)
    response = HttpResponse(data, content_type=material.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(material.name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def agreement_pdf(mediation: Mediation) -> bytes:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    title = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=1)
    body = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=18, wordWrap="CJK")
    case = mediation.case
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, title=_("调解协议书")
    )

    def para(text: str) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), body)

    story = [
        Paragraph(escape(_("劳动争议调解协议书")), title),
        Spacer(1, 8 * mm),
        para(_("编号：%(n)s") % {"n": case.number}),
        para(_("申请人：%(a)s") % {"a": mediation.applicant}),
        para(_("被申请人：%(r)s") % {"r": mediation.respondent}),
        para(_("调解组织：%(o)s") % {"o": case.handler.name}),
        para(_("调解员：%(m)s") % {"m": mediation.mediator}),
        Spacer(1, 4 * mm),
        para(_("调解请求：")),
        para(mediation.claims),
        Spacer(1, 4 * mm),
        para(_("调解经过：")),
    ]
    for session in mediation.sessions.all():
        story.append(para(f"{session.held_on:%Y-%m-%d} {session.place}：{session.summary}"))
    story += [
        Spacer(1, 4 * mm),
        para(_("经调解，双方自愿达成如下协议：")),
        para(mediation.agreement),
        Spacer(1, 12 * mm),
        para(_("申请人（签名）：                被申请人（签章）：")),
        Spacer(1, 6 * mm),
        para(_("调解员（签名）：                日期：%(d)s") % {"d": mediation.concluded_on}),
    ]
    document.build(story)
    return buffer.getvalue()


def agreement_response(mediation: Mediation) -> HttpResponse:
    response = HttpResponse(agreement_pdf(mediation), content_type="application/pdf")
    filename = f"调解协议书-{mediation.case.number}.pdf"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
