"""Every list exports to xlsx with the same columns the screen shows (PLT-3).

Rows stream into openpyxl's write-only workbook on disk, so an export of a few hundred
thousand members does not hold them in memory. Sealed personal data is written masked, since
``str(Sealed)`` is the masked form; an unmasked export passes ``reveal=True`` columns and is
logged by the caller (see ``gonghui.members.views``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from gonghui.core.crypto import Sealed


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 16


def _cell_value(value: Any) -> Any:
    if isinstance(value, Sealed):
        return value.masked()
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, int | float | str) or hasattr(value, "isoformat"):
        return value
    return str(value)


def write_xlsx(
    path: str, title: str, columns: list[Column], rows: Iterable[Any], *, note: str = ""
) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, column in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = column.width
    if note:
        sheet.append([note])
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_cell_value(column.value(row)) for column in columns])
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
    filename = f"{title}-{stamp}.xlsx"
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
