"""The one export writer: whatever was stored, the workbook opens, holds no formula and keeps
numbers and dates typed."""

import datetime
import zipfile
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from gonghui.core.exports import Column, safe_text, sheet_title, write_xlsx

HOSTILE = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://x","y")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "#N/A",
    "张\x00三",
    "工资\x01拖欠",
    "\ud800lone",
    "\ufffe",
]


def _write(tmp_path, rows, *, title="名册"):
    path = tmp_path / "out.xlsx"
    columns = [Column("值", lambda r: r)]
    write_xlsx(str(path), title, columns, rows)
    return path


def _sheet_xml(path):
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        return "".join(archive.read(n).decode() for n in names)


def test_hostile_text_is_written_as_inert_text(tmp_path):
    path = _write(tmp_path, HOSTILE)
    assert "<f>" not in _sheet_xml(path)
    values = [row[0] for row in load_workbook(path).active.iter_rows(min_row=2, values_only=True)]
    assert values[0] == "'=cmd|' /C calc'!A0"
    assert values[1] == '\'=HYPERLINK("http://x","y")'
    assert values[2:5] == ["'+1+2", "'-2+3", "'@SUM(A1:A2)"]
    assert values[5].startswith("'\t=") and values[6].startswith("'")
    assert values[7] == "#N/A"  # a string, not Excel's error value
    assert values[8:11] == ["张三", "工资拖欠", "lone"]


def test_numbers_money_and_dates_stay_typed(tmp_path):
    moment = datetime.datetime(2026, 3, 1, 1, 30, tzinfo=datetime.UTC)
    rows = [7, Decimal("1510000.50"), datetime.date(2017, 9, 1), moment, None, True]
    path = _write(tmp_path, rows)
    cells = [row[0] for row in load_workbook(path).active.iter_rows(min_row=2)]
    assert cells[0].data_type == "n" and cells[0].value == 7
    assert cells[1].data_type == "n" and Decimal(str(cells[1].value)) == Decimal("1510000.5")
    assert cells[2].is_date and cells[2].value.date() == datetime.date(2017, 9, 1)
    assert (cells[3].value.hour, cells[3].value.minute) == (9, 30)  # Asia/Shanghai
    assert cells[4].value is None
    assert cells[5].value is True


@pytest.mark.parametrize(
    "title, expected",
    [
        ("五美课堂 周六 09:00–10:30 [钢琴]", "五美课堂 周六 09 00–10 30  钢琴"),
        ("a/b\\c?d*e", "a b c d e"),
        ("'引号'", "引号"),
        ("::", "Sheet1"),
        ("长" * 40, "长" * 31),
    ],
)
def test_sheet_titles_are_made_legal(tmp_path, title, expected):
    assert sheet_title(title) == expected
    path = _write(tmp_path, ["x"], title=title)
    assert load_workbook(path).sheetnames == [expected]


@settings(deadline=None)  # writes and reads a workbook on disk per example
@given(st.text())
def test_any_string_can_be_written(text):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder), [text], title=text)
        value = load_workbook(path).active.cell(row=2, column=1).value
    assert (value or "") == safe_text(text)
    assert not str(value or "").startswith(("=", "+", "-", "@"))
