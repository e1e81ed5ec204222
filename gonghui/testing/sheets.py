"""Spreadsheets for import tests."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

MEMBER_HEADER = ["姓名", "身份证号", "手机号", "工会编码", "入会日期", "户籍类型", "学历"]


def csv_upload(
    rows: list[list[Any]],
    *,
    header: list[str] = MEMBER_HEADER,
    encoding: str = "utf-8-sig",
    name: str = "名册.csv",
) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(
    rows: list[list[Any]], *, header: list[str] = MEMBER_HEADER, name: str = "名册.xlsx"
) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())
