"""Every console list exports, and every export is a workbook a spreadsheet reads as data.

Nothing here is a hand-kept list of exports: the console's pages come from the URL resolver
(through the scope matrix), and a page's exports are the ``format=xlsx`` links it offers. A
page that lists records in a table must offer one, unless it is named below as not being a
list, with the reason. Each export is fetched as staff of branch B of the scope matrix's
world (which holds records of every kind) and opened with openpyxl: a valid workbook, a
header row, rows, typed cells (numbers and dates as numeric and date cells, never as text
that looks like one; no formula), and no personal number unmasked.
"""

from __future__ import annotations

import datetime
import re
from io import BytesIO
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gonghui.members.models import Person
from gonghui.tests import test_scope_matrix as scope
from gonghui.tests.test_scope_matrix import EVERYTHING, GET_CONSOLE, OWNERS, XLSX, export_links

matrix = scope.matrix

# Parameterless console pages that show a table but are not a list of records, and why.
NOT_A_LIST = {
    "console:culture_calendar": "a month grid; its classes and events export from their lists",
    "console:menu_order_new": "the order form; each menu's items export from the menu's page",
    "console:place_create": "a form; its table is the choice of service types",
}
# Branch B's staff who open the pages: the district's administrator sees every list; its
# clerk is also a counsellor (their own timetable); the owners of the scope matrix.
VIEWERS = {("district_b", "admin"), ("district_b", "clerk"), *OWNERS.values()}
# Text a spreadsheet should have been given as a number or a date. Identifiers written in
# digits (licence numbers, codes with leading zeros) are text, and are longer than 8 digits
# or start with 0; a number shown as text is shorter, a share, a decimal or a date.
LOOKS_LIKE_A_NUMBER = re.compile(r"-?[1-9]\d{0,7}|-?\d+\.\d+%?|-?\d+%|0")
LOOKS_LIKE_A_DATE = re.compile(
    r"(19|20)\d\d[-/.年](0?[1-9]|1[0-2])([-/.月]\d{1,2}日?)?([ T]\d{1,2}:\d{2}(:\d{2})?)?"
)
LOOKS_LIKE_A_TIME = re.compile(r"(\d{1,2}-\d{1,2} )?\d{1,2}:\d{2}(:\d{2})?")


def _page(user: Any, name: str, pattern: Any, ids: dict[str, Any]) -> tuple[str, Any]:
    url = reverse(name, kwargs={key: ids[key] for key in pattern.converters})
    client = scope._client(user)
    response = client.get(url, EVERYTHING)
    scope._close(response)
    return url, response


def _personal_numbers() -> set[str]:
    """Every ID number and mobile of the world, in full: none may appear in an export."""
    numbers = set()
    for person in Person.unscoped.all():
        numbers.add(person.id_number.reveal())
        if person.mobile is not None:
            numbers.add(person.mobile.reveal())
    return numbers


def _check_workbook(label: str, content: bytes, personal: set[str]) -> int:
    """The checks of one export; returns its number of data rows."""
    workbook = load_workbook(BytesIO(content))  # a valid workbook, or this raises
    sheet = workbook.active
    rows = list(sheet.iter_rows())
    assert rows, f"{label}: an empty sheet"
    header = rows[0]
    assert all(isinstance(c.value, str) and c.value.strip() for c in header), (
        f"{label}: the first row is not a header: {[c.value for c in header]}"
    )
    assert all(c.font.b for c in header), f"{label}: the header is not bold"
    for row in rows:
        for cell in row:
            where = f"{label} {cell.coordinate}"
            assert cell.data_type != "f", f"{where}: a formula {cell.value!r}"
            assert cell.data_type != "e", f"{where}: an error cell {cell.value!r}"
            value = cell.value
            if not isinstance(value, str) or row is header:
                continue
            text = value.strip()
            for kind, pattern in (
                ("number", LOOKS_LIKE_A_NUMBER),
                ("date", LOOKS_LIKE_A_DATE),
                ("time", LOOKS_LIKE_A_TIME),
            ):
                assert not pattern.fullmatch(text), f"{where}: a {kind} written as text {value!r}"
            leaked = [n for n in personal if n in text]
            assert not leaked, f"{where}: unmasked personal data"
    for row in rows[1:]:
        for cell in row:
            if isinstance(cell.value, datetime.datetime | datetime.date):
                assert cell.is_date, f"{label} {cell.coordinate}: a date without a date format"
    return len(rows) - 1


@pytest.mark.parametrize(("name", "pattern"), GET_CONSOLE, ids=[n for n, _ in GET_CONSOLE])
def test_every_console_list_offers_an_export_that_is_a_typed_workbook(db, matrix, name, pattern):
    personal = _personal_numbers()
    rows: dict[str, int] = {}  # export (its query) -> the most rows a viewer got
    for viewer in sorted(VIEWERS):
        url, page = _page(matrix.world.staff(*viewer), name, pattern, matrix.ids)
        if page.status_code != 200 or not page["Content-Type"].startswith("text/html"):
            continue
        queries = export_links(page)
        shows_a_table = "<table" in page.content.decode()
        if shows_a_table and not pattern.converters and name not in NOT_A_LIST:
            assert queries, f"{name} lists records but offers no export (as {viewer})"
        for query in queries:
            response = scope._client(matrix.world.staff(*viewer)).get(url, query)
            assert response.status_code == 200, f"{name} {query}: {response.status_code}"
            assert response["Content-Type"] == XLSX, f"{name} {query}"
            content = b"".join(response.streaming_content)
            label = f"{name} {query} as {viewer}"
            key = str(sorted(query.items()))
            rows[key] = max(rows.get(key, 0), _check_workbook(label, content, personal))
    # Some viewer's copy of each export has rows, so the checks above looked at cells.
    assert all(rows.values()), f"{name}: an export without rows for anyone: {rows}"
    if name in EXPORTING:
        assert rows, f"{name} no longer exports"


# What issue 9 found without an export, and every list that had one: a floor under the
# discovery above, so that it cannot quietly find nothing.
EXPORTING = {
    "console:access_log",
    "console:brand_list",
    "console:case_figures",
    "console:case_list",
    "console:counselling",
    "console:coverage",
    "console:culture_courses",
    "console:culture_events",
    "console:culture_mentors",
    "console:culture_session",
    "console:culture_sessions",
    "console:culture_venues",
    "console:enterprise_list",
    "console:founding_list",
    "console:home_list",
    "console:import_list",
    "console:join_list",
    "console:lawyer_list",
    "console:member_list",
    "console:menu_detail",
    "console:menu_list",
    "console:menu_order_list",
    "console:org_tree",
    "console:place_list",
    "console:service_types",
    "console:staff_list",
    "console:transfer_list",
    "console:workcalendar",
}


def test_the_text_patterns_tell_numbers_from_identifiers():
    for number in ("7", "2024", "-3", "12345678", "85.5", "85.0%", "0"):
        assert LOOKS_LIKE_A_NUMBER.fullmatch(number), number
    for identifier in ("13304201810000009", "0573", "CITY0000000018", "B0000001", "0573-1"):
        assert not LOOKS_LIKE_A_NUMBER.fullmatch(identifier), identifier
    for date in ("2024-05-01", "2024-05-01 10:30", "2024年5月1日", "2024-05"):
        assert LOOKS_LIKE_A_DATE.fullmatch(date), date
    for phone in ("0573-1", "0573-82345678"):
        assert not LOOKS_LIKE_A_DATE.fullmatch(phone), phone
    for time in ("10:30", "05-01 10:30", "10:30:15"):
        assert LOOKS_LIKE_A_TIME.fullmatch(time), time
