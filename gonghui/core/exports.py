"""Every list exports to xlsx with the same columns the screen shows (PLT-3).

Rows stream into openpyxl's write-only workbook on disk, so an export of a few hundred
thousand members does not hold them in memory. Sealed personal data is written masked, since
``str(Sealed)`` is the masked form; an unmasked export passes ``reveal=True`` columns and is
logged by the caller (see ``gonghui.members.views``).

This is the one writer, and it cannot be made to fail or to run code by what people typed:
every text is written as a string cell (never a formula or an error code), text that a
spreadsheet would read as a formula when edited is neutralised, characters XML cannot hold are
dropped, and sheet titles are made legal. Numbers, money and dates stay typed cells.
"""

from __future__ import annotations

import datetime
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from gonghui.core.crypto import Sealed


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 16


# Characters an XML 1.0 document cannot hold (C0 controls but tab, newline and carriage
# return; lone surrogates; U+FFFE and U+FFFF): openpyxl raises on them, so they are dropped.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A spreadsheet reads text starting with these as a formula once the cell is edited (and CSV
# readers at once): such text gets a leading apostrophe, the usual neutralisation.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel's limit for one cell; longer text is cut with an ellipsis instead of a broken file.
_CELL_LIMIT = 32_767
# Characters Excel refuses in a sheet title (and at most 31 of them).
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def safe_text(value: str) -> str:
    """Any stored string as a spreadsheet can hold it and never evaluate it. Line breaks
    become the ``\\n`` a cell uses (XML turns a bare ``\\r`` into one anyway)."""
    text = _UNWRITABLE.sub("", value)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > _CELL_LIMIT:
        text = text[: _CELL_LIMIT - 1] + "…"
    return text


def sheet_title(title: str) -> str:
    """A legal worksheet title: no ``[]:*?/\\``, no apostrophe at either end, 1–31 characters."""
    text = _SHEET_TITLE_BAD.sub(" ", _UNWRITABLE.sub("", title)).strip().strip("'").strip()
    return text[:31].strip() or "Sheet1"


def _text_cell(sheet: WriteOnlyWorksheet, text: str, *, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=safe_text(text))
    # Always a string cell: openpyxl would store "=…" as a formula and "#N/A" as an error.
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def _cell_value(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, Sealed):
        return _text_cell(sheet, value.masked())
    if value is None:
        return None
    if isinstance(value, bool | int | float | Decimal | datetime.date | datetime.time):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    return _text_cell(sheet, str(value))


def write_xlsx(
    path: str, title: str, columns: list[Column], rows: Iterable[Any], *, note: str = ""
) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    if note:
        sheet.append([_text_cell(sheet, note)])
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, str(column.header), font=bold) for column in columns])
    count = 0
    for row in rows:
        sheet.append([_cell_value(sheet, column.value(row)) for column in columns])
        count += 1
    workbook.save(path)
    return count


def xlsx_response(
    title: str, columns: list[Column], rows: Iterable[Any], *, note: str = ""
) -> FileResponse:
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by FileResponse)
    write_xlsx(handle.name, title, columns, rows, note=note)
    handle.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{sheet_title(title)}-{stamp}.xlsx"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def wants_export(request: Any) -> bool:
    return request.GET.get("format") == "xlsx"


def export_list(request: Any, title: str, columns: list[Column], queryset: Any) -> FileResponse:
    """The list the page shows, as a spreadsheet: same scope and filters, masked personal data.
    Any role that may see the list may export it (``Perm.EXPORT``)."""
    from gonghui.core.permissions import Perm, require

    require(request.user, Perm.EXPORT)
    rows = queryset.iterator(chunk_size=2000) if hasattr(queryset, "iterator") else queryset
    return xlsx_response(title, columns, rows)
