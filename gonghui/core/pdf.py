"""PDFs the platform hands out (the mediation agreement, and any later one): they carry their
own font, so they print and read the same on every reader.

The font is Noto Serif SC (SIL Open Font License 1.1, which permits embedding in documents and
redistributing them), installed from npm at set-up (``@expo-google-fonts/noto-serif-sc``, the
Google Fonts build: TrueType outlines). ReportLab embeds a TrueType font as subsets of the
glyphs a document uses (``FontFile2``, names prefixed ``ABCDEF+``); it cannot embed the CFF
outlines of the usual Noto CJK ``.otf``, and its built-in CID fonts (``STSong-Light``) are
never embedded, leaving the reader to substitute a font of its own."""

from __future__ import annotations

import datetime
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

FONT_PACKAGE = ("@expo-google-fonts", "noto-serif-sc")
FONT_FILES = {
    "GonghuiSerif": "400Regular/NotoSerifSC_400Regular.ttf",
    "GonghuiSerif-Bold": "700Bold/NotoSerifSC_700Bold.ttf",
}
REGULAR, BOLD = FONT_FILES


def font_path(name: str) -> Path:
    return Path(settings.NODE_MODULES).joinpath(*FONT_PACKAGE, FONT_FILES[name])


@cache
def fonts() -> tuple[str, str]:
    """Register the embedded fonts once per process; returns (regular, bold)."""
    for name in FONT_FILES:
        path = font_path(name)
        if not path.exists():
            raise ImproperlyConfigured(
                f"PDF font missing: {path}. Install the front-end packages (make assets, "
                "or npm ci) before serving PDFs."
            )
        # ReportLab's subsets hold 256 glyphs each: a page of Chinese, a few hundred distinct
        # characters, embeds two or three small subsets.
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
    return REGULAR, BOLD


def style(
    name: str, *, size: float = 11, leading: float | None = None, bold: bool = False, **kw: Any
) -> ParagraphStyle:
    """A paragraph style in the embedded font; Chinese text wraps between any two characters."""
    regular, bold_font = fonts()
    return ParagraphStyle(
        name,
        fontName=bold_font if bold else regular,
        fontSize=size,
        leading=leading or size * 1.6,
        wordWrap="CJK",
        **kw,
    )


def document(buffer: BinaryIO, **kw: Any) -> SimpleDocTemplate:
    """An A4 document whose canvas starts in the embedded font: ReportLab otherwise names
    Helvetica in every page's preamble, an unembedded font the reader must supply."""
    return SimpleDocTemplate(
        buffer, pagesize=A4, initialFontName=fonts()[0], creator="Gonghui", **kw
    )


def chinese_date(day: datetime.date) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def signature_table(cells: list[tuple[str, str]], *, width: float) -> Table:
    """Signature blocks, two to a row with a gap between: each block has its label, room to sign
    above a visible line, and its date below the line, so no two parties' labels can run
    together. ``cells`` are (label, date text) pairs."""
    label, small = style("sign-label"), style("sign-date", size=10)
    rows: list[list[object]] = []
    commands: list[tuple[object, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), fonts()[0]),  # empty cells too: no unembedded default
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]
    for start in range(0, len(cells), 2):
        pair = cells[start : start + 2]
        top = len(rows)
        rows.append([Paragraph(pair[0][0], label), "", ""])
        rows.append(["", "", ""])  # the room to sign in, above the line
        rows.append([Paragraph(pair[0][1], small), "", ""])
        if len(pair) == 2:
            rows[top][2] = Paragraph(pair[1][0], label)
            rows[top + 2][2] = Paragraph(pair[1][1], small)
        for column in (0, 2)[: len(pair)]:
            commands.append(("LINEBELOW", (column, top + 1), (column, top + 1), 0.6, colors.black))
        commands += [
            ("TOPPADDING", (0, top + 1), (-1, top + 1), 16 * mm),
            ("BOTTOMPADDING", (0, top + 1), (-1, top + 1), 0),
            ("TOPPADDING", (0, top + 2), (-1, top + 2), 1.5 * mm),
            ("BOTTOMPADDING", (0, top + 2), (-1, top + 2), 8 * mm),
        ]
    table = Table(rows, colWidths=[width * 0.44, width * 0.12, width * 0.44], hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table
