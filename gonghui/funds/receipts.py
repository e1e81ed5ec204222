"""The acknowledgement a donor or an allocating body receives for money recorded into a fund:
a PDF in the platform's embedded font (``core.pdf``) with the amount in figures and in
Chinese capital numerals (大写), and a QR code that opens the income's public verification
page, so whoever holds the paper can check that the receipt is real."""

from __future__ import annotations

import io
from decimal import Decimal
from urllib.parse import quote
from xml.sax.saxutils import escape

import segno
from django.http import HttpResponse
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, Spacer, Table, TableStyle

from gonghui.core import pdf
from gonghui.core.crypto import mask_name
from gonghui.funds.models import Income, IncomeKind

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ((1000, "仟"), (100, "佰"), (10, "拾"), (1, ""))
_GROUPS = ("", "万", "亿", "万亿")
INDIVIDUAL = "individual"


def _group_capital(group: int) -> str:
    """One group of four digits (1..9999), with 零 for the zeros inside it."""
    text, zero, started = "", False, False
    for place, unit in _PLACES:
        digit = group // place % 10
        if digit == 0:
            zero = zero or started
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + unit
        started = True
    return text


def capital_yuan(amount: Decimal) -> str:
    """An amount in yuan as written on a receipt (中文大写金额): ``Decimal("1561200")`` →
    ``壹佰伍拾陆万壹仟贰佰元整``; ``Decimal("1010.05")`` → ``壹仟零壹拾元零伍分``. The
    amount must be non-negative with at most two places (``core.money``)."""
    cents = int((amount * 100).to_integral_exact())
    if cents < 0 or Decimal(cents) != amount * 100:
        raise ValueError(f"not an amount of money: {amount}")
    whole, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    groups = []
    rest = whole
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    if len(groups) > len(_GROUPS):
        raise ValueError(f"too large: {amount}")
    text, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _group_capital(group) + _GROUPS[index]
        gap = False
    if not whole and (jiao or fen):
        result = ""
    else:
        result = (text or "零") + "元"
    if jiao:
        result += _DIGITS[jiao] + "角"
    elif fen and whole:
        result += "零"
    result += _DIGITS[fen] + "分" if fen else "整"
    return result


def public_donor(income: Income) -> str:
    """The donor as the public verification page shows it: an individual's name masked
    (``张*``), an enterprise's or a body's name in full."""
    if income.fund.source_kind.code == INDIVIDUAL:
        return mask_name(income.donor)
    return income.donor


def qr_png(text: str) -> io.BytesIO:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=6, border=4)
    out.seek(0)
    return out


def acknowledgement_pdf(income: Income, *, verify_url: str) -> bytes:
    """The acknowledgement of ``income`` (one A4 page)."""
    title_style = pdf.style("ack-title", size=20, leading=30, alignment=1, bold=True)
    body = pdf.style("ack-body", size=12, leading=20)
    small = pdf.style("ack-small", size=9, leading=13)
    label = pdf.style("ack-label", size=11, leading=18, bold=True)
    organization = income.fund.organization
    donation = income.kind == IncomeKind.DONATION
    title = _("捐赠确认书") if donation else _("拨款到账确认书")
    buffer = io.BytesIO()
    document = pdf.document(
        buffer,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=22 * mm,
        title=title,
        subject=income.receipt_number,
    )
    width = A4[0] - 44 * mm

    def para(text: str, style: object = body) -> Paragraph:
        return Paragraph(escape(text), style)

    rows = [
        (_("收据编号"), income.receipt_number),
        (_("捐赠方") if donation else _("拨款单位"), income.donor),
        (_("金额（小写）"), f"¥{income.amount:,.2f}"),
        (_("金额（大写）"), _("人民币%(a)s") % {"a": capital_yuan(income.amount)}),
        (_("到账日期"), pdf.chinese_date(income.received_on)),
        (_("用途"), income.purpose or income.fund.purpose or _("工会帮扶")),
        (_("收款基金"), income.fund.name),
        (_("收款单位"), organization.name),
    ]
    table = Table(
        [[para(key, label), para(str(value))] for key, value in rows],
        colWidths=[width * 0.26, width * 0.74],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), pdf.fonts()[0]),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f3f3f3")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5 * mm),
            ]
        )
    )
    thanks = (
        _("兹确认收到%(d)s上述款项，已全额计入“%(f)s”，将专款用于困难职工帮扶。谨致谢忱！")
        if donation
        else _("兹确认收到%(d)s上述拨款，已全额计入“%(f)s”，将专款用于困难职工帮扶。")
    ) % {"d": income.donor, "f": income.fund.name}
    code = Image(qr_png(verify_url), width=32 * mm, height=32 * mm)
    verify = Table(
        [
            [
                code,
                [
                    para(_("扫描二维码核验本确认书"), label),
                    para(
                        _("核验页显示收据编号、金额、到账日期和收款单位，与本确认书一致即为真。"),
                        small,
                    ),
                    para(verify_url, small),
                ],
            ]
        ],
        colWidths=[36 * mm, width - 36 * mm],
    )
    verify.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), pdf.fonts()[0]),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
            ]
        )
    )
    sign = pdf.style("ack-sign", size=12, leading=20, alignment=2)
    story = [
        Paragraph(escape(title), title_style),
        Spacer(1, 8 * mm),
        table,
        Spacer(1, 6 * mm),
        para(thanks),
        Spacer(1, 12 * mm),
        Paragraph(escape(organization.name), sign),
        Paragraph(escape(pdf.chinese_date(income.received_on)), sign),
        Spacer(1, 14 * mm),
        verify,
    ]
    document.build(story)
    return buffer.getvalue()


def acknowledgement_response(income: Income, *, verify_url: str) -> HttpResponse:
    response = HttpResponse(
        acknowledgement_pdf(income, verify_url=verify_url), content_type="application/pdf"
    )
    filename = f"确认书-{income.receipt_number}.pdf"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
