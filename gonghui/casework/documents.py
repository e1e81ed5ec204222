"""Files casework hands out: sealed materials, decrypted on the way out, and the mediation
agreement as PDF (in the platform's embedded font, ``core.pdf``)."""

from __future__ import annotations

import datetime
import io
from urllib.parse import quote
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from gonghui.casework.models import MATERIAL_PURPOSE, CaseMaterial, Mediation
from gonghui.core import pdf
from gonghui.core.crypto import unseal_bytes


def material_response(material: CaseMaterial) -> HttpResponse:
    with material.file.open("rb") as handle:
        data = unseal_bytes(handle.read(), purpose=MATERIAL_PURPOSE)
    response = HttpResponse(data, content_type=material.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(material.name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def signing_date(mediation: Mediation) -> datetime.date | None:
    """The day the agreement was signed: the mediation session at which the parties agreed
    (the last one; the agreement is signed there), not the day the clerk recorded the outcome
    (``concluded_on``) nor the day the PDF is printed."""
    last = mediation.sessions.order_by("-held_on", "-id").first()
    return last.held_on if last is not None else mediation.concluded_on


def agreement_pdf(mediation: Mediation) -> bytes:
    title = pdf.style("title", size=18, leading=26, alignment=1, bold=True)
    body = pdf.style("body")
    case = mediation.case
    signed = signing_date(mediation)
    dated = pdf.chinese_date(signed) if signed else _("    年    月    日")
    buffer = io.BytesIO()
    document = pdf.document(
        buffer,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        title=_("调解协议书"),
        subject=case.number,
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
        Spacer(1, 4 * mm),
        para(_("本协议于 %(d)s 签订，自双方签字（盖章）之日起生效。") % {"d": dated}),
        Spacer(1, 10 * mm),
        pdf.signature_table(
            [
                (_("申请人（签名）："), _("日期：%(d)s") % {"d": dated}),
                (_("被申请人（签章）："), _("日期：%(d)s") % {"d": dated}),
                (_("调解员（签名）："), _("日期：%(d)s") % {"d": dated}),
                (_("调解组织（盖章）："), _("日期：%(d)s") % {"d": dated}),
            ],
            width=A4[0] - 50 * mm,
        ),
    ]
    document.build(story)
    return buffer.getvalue()


def agreement_response(mediation: Mediation) -> HttpResponse:
    response = HttpResponse(agreement_pdf(mediation), content_type="application/pdf")
    filename = f"调解协议书-{mediation.case.number}.pdf"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
