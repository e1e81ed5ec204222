"""Pages of big lists that stay fast however deep they go.

``Paginator`` reads a page with ``OFFSET``: the database walks past every row before it, so a
city's ten-thousandth page of members costs as much as reading the whole roll. ``seek_page``
reads a page in two steps: first the ids and sort keys only (narrow rows, no decryption, no
joins beyond what the filter and the order need), then the page's twenty full rows by id.
Its 上一页 / 下一页 links carry the sort key of the row they continue from (keyset or "seek"
pagination: ``WHERE (key, id) > (last key, last id)``), so walking through a list costs the
same on every page. A page typed by number is counted from the nearer end (the order
reversed for the second half), so no page is more than half the list away.

The order must end with the primary key (a unique tie-break), in the same direction as the
column before it or not; every field must be non-null.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from gonghui.core import counts

CURSOR_PARAMS = ("page", "after", "before")


@dataclass
class SeekPaginator:
    count: int
    num_pages: int
    per_page: int


@dataclass
class SeekPage:
    """What ``includes/seek_pagination.html`` shows; iterates over the page's rows."""

    object_list: list[Any]
    number: int
    paginator: SeekPaginator
    has_previous: bool
    has_next: bool
    after: str = ""  # cursor of the last row: the next page starts after it
    before: str = ""  # cursor of the first row: the previous page ends before it

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __bool__(self) -> bool:
        return bool(self.object_list)

    def previous_page_number(self) -> int:
        return max(1, self.number - 1)

    def next_page_number(self) -> int:
        return min(self.paginator.num_pages, self.number + 1)


def encode_cursor(values: tuple[Any, ...]) -> str:
    text = json.dumps([v.isoformat() if hasattr(v, "isoformat") else v for v in values])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any] | None:
    """The sort key a cursor carries, or None for anything that is not one of ours."""
    if not cursor or len(cursor) > 400:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != width:
        return None
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        return None
    return values


def _fields(order: tuple[str, ...]) -> list[tuple[str, bool]]:
    return [(o.removeprefix("-"), o.startswith("-")) for o in order]


def _reversed(order: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(o[1:] if o.startswith("-") else f"-{o}" for o in order)


def seek_q(order: tuple[str, ...], values: list[Any], *, forward: bool) -> Q:
    """Rows after (``forward``) or before the row whose sort key is ``values``, in ``order``:
    the row comparison ``(a, b, id) > (x, y, z)`` spelt out column by column, and led by the
    bound on the first column alone (``a >= x``), which an index on that column can seek to."""
    fields = _fields(order)
    result = Q(pk__in=[])
    equal = Q()
    for (name, descending), value in zip(fields, values, strict=True):
        lookup = "lt" if descending == forward else "gt"
        result |= equal & Q(**{f"{name}__{lookup}": value})
        equal &= Q(**{name: value})
    first, descending = fields[0]
    return Q(**{f"{first}__{'lte' if descending == forward else 'gte'}": values[0]}) & result


def _count_key(request: HttpRequest) -> tuple[Any, ...]:
    filters = "&".join(
        f"{k}={v}"
        for k, v in sorted(request.GET.items())
        if k not in {*CURSOR_PARAMS, "format", "sort"}
    )
    return (getattr(request.user, "scope_path", ""), request.path, filters)


def _page_number(text: str | None, num_pages: int) -> int:
    raw = (text or "").strip()
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 9 else 1
    return min(max(1, number), num_pages)


def seek_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    order: tuple[str, ...],
    count_topic: str | None = None,
    per_page: int | None = None,
) -> SeekPage:
    """A page of ``queryset`` in ``order`` (see the module's docstring), from the request's
    ``page`` (a number), ``after`` or ``before`` (a cursor from the page's own links)."""
    per_page = per_page or settings.GONGHUI_PAGE_SIZE
    if count_topic is not None:
        total = counts.cached_count(count_topic, _count_key(request), queryset.count)
    else:
        total = queryset.count()
    num_pages = max(1, math.ceil(total / per_page))
    number = _page_number(request.GET.get("page"), num_pages)
    keys = [name for name, _ in _fields(order)]
    narrow = queryset.order_by().values_list("pk", *keys)
    rows: list[Any] | None = None
    has_previous = has_next = False
    for param, forward in (("after", True), ("before", False)):
        values = decode_cursor(request.GET.get(param, ""), len(keys))
        if values is None:
            continue
        direction = order if forward else _reversed(order)
        try:
            found = list(
                narrow.filter(seek_q(order, values, forward=forward)).order_by(*direction)[
                    : per_page + 1
                ]
            )
        except (ValueError, TypeError, ValidationError):
            continue  # a cursor whose values do not fit the columns: not one of ours
        more, found = len(found) > per_page, found[:per_page]
        if forward:
            rows, has_next, has_previous = found, more, True
        else:
            rows, has_previous, has_next = found[::-1], more, True
        break
    if rows is None:
        start, stop = (number - 1) * per_page, min(number * per_page, total)
        if start <= total - stop:
            rows = list(narrow.order_by(*order)[start:stop])
        else:
            rows = list(narrow.order_by(*_reversed(order))[total - stop : total - start])[::-1]
        has_previous, has_next = number > 1, number < num_pages
    by_id = {obj.pk: obj for obj in queryset.filter(pk__in=[row[0] for row in rows]).order_by()}
    objects = [by_id[row[0]] for row in rows if row[0] in by_id]
    return SeekPage(
        object_list=objects,
        number=number,
        paginator=SeekPaginator(count=total, num_pages=num_pages, per_page=per_page),
        has_previous=has_previous and bool(rows),
        has_next=has_next and bool(rows),
        after=encode_cursor(rows[-1][1:]) if rows else "",
        before=encode_cursor(rows[0][1:]) if rows else "",
    )
