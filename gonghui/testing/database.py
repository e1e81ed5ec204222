"""Whole-database checks for tests: a refused request must leave every table as it was."""

from __future__ import annotations

from django.apps import apps


def row_counts() -> dict[str, int]:
    """The number of rows of every table the project's models (and their history and
    many-to-many tables) use."""
    counts: dict[str, int] = {}
    for model in apps.get_models(include_auto_created=True):
        manager = getattr(model, "unscoped", None) or model._base_manager
        counts[model._meta.db_table] = manager.count()
    return counts


def changed_tables(before: dict[str, int]) -> dict[str, tuple[int, int]]:
    """The tables whose row count differs from ``before``: {table: (before, now)}."""
    now = row_counts()
    return {t: (before.get(t, 0), n) for t, n in now.items() if before.get(t, 0) != n}
