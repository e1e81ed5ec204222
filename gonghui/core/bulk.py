"""Fast inserts for imports: PostgreSQL COPY, SQLite ``executemany``, history rows included.

The ORM's ``bulk_create`` prepares every field of every object in Python and, with history,
doubles that; a city's member roll (hundreds of thousands of rows) needs the database's own
bulk path. Callers pass values that are already valid and in database form (sealed tokens as
bytes, dates, aware datetimes); validation happened before, in the one place each rule lives.
Must run inside the import's transaction (see docs/adr/0003).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve ``count`` primary keys for rows the caller will insert itself."""
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the import's transaction began IMMEDIATE and holds the write lock, so no
        # other writer can take these numbers before we insert them.
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')  # noqa: S608
        start = int(cursor.fetchone()[0]) + 1
        return list(range(start, start + count))


def _sqlite_value(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value(value)
    return value


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in the order of the field attnames ``columns``)."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    names = ", ".join(f'"{f.column}"' for f in fields)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor behind Django's wrapper
            # Errors become Django's (IntegrityError…), as they would through the ORM.
            with (
                connection.wrap_database_errors,
                raw.copy(f'COPY "{meta.db_table}" ({names}) FROM STDIN') as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        prepared = [
            tuple(_sqlite_value(f, v) for f, v in zip(fields, row, strict=True))  # type: ignore[arg-type]
            for row in rows
        ]
        cursor.executemany(
            f'INSERT INTO "{meta.db_table}" ({names}) VALUES ({marks})',  # noqa: S608
            prepared,
        )


def insert_rows_with_history(
    model: type[models.Model],
    columns: Sequence[str],
    rows: list[tuple],
    *,
    user_id: int | None,
    reason: str,
) -> None:
    """Insert rows and their "created" history records (django-simple-history's table)."""
    insert_rows(model, columns, rows)
    history_model = model.history.model  # type: ignore[attr-defined]
    tracked = [
        f.attname
        for f in history_model._meta.concrete_fields
        if f.attname in columns and f.attname != "history_id"
    ]
    index = [list(columns).index(name) for name in tracked]
    now = timezone.now()
    extra = ("history_date", "history_type", "history_user_id", "history_change_reason")
    history_rows = [tuple(row[i] for i in index) + (now, "+", user_id, reason) for row in rows]
    insert_rows(history_model, [*tracked, *extra], history_rows)


def _history_value(field: models.Field, value: Any) -> Any:
    # Dates stay as they are (``insert_rows`` adapts them per database); the rest in their
    # database form (JSON as text, a sealed value sealed), as ``save()`` would store them.
    if value is None or isinstance(field, models.DateField | models.TimeField):
        return value
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=field.encoder)
    return field.get_db_prep_save(value, connection)


def insert_history(
    model: type[models.Model],
    objects: Sequence[models.Model],
    *,
    history_type: str,
    user_id: int | None,
    date: datetime.datetime,
    reason: str | None = None,
) -> None:
    """The history rows (django-simple-history's table) of ``objects`` as they are now, as
    ``save()`` would write one each: ``"~"`` for a change, ``"+"`` for a creation."""
    history_model = model.history.model  # type: ignore[attr-defined]
    tracked = list(history_model.tracked_fields)
    columns = [f.attname for f in tracked]
    extra = ("history_date", "history_type", "history_user_id", "history_change_reason")
    rows = [
        tuple(_history_value(f, getattr(obj, f.attname)) for f in tracked)
        + (date, history_type, user_id, reason)
        for obj in objects
    ]
    insert_rows(history_model, [*columns, *extra], rows)
