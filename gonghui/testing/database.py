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


def seed_service_types() -> None:
    """The service types the migrations seed, seeded again when a transactional test's flush
    left the table empty (a flush empties what migrations put there; only ``serialized_rollback``
    restores it, and it cannot be mixed freely with other transactional tests)."""
    from importlib import import_module

    from django.apps import apps

    from gonghui.organizations.models import ServiceType

    if not ServiceType.objects.exists():
        for name in ("0002_seed_service_types", "0004_service_type_deadlines"):
            import_module(f"gonghui.organizations.migrations.{name}").seed(apps, None)
