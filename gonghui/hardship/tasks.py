"""Long work of the hardship roll, run by Celery."""

from __future__ import annotations

from celery import shared_task

from gonghui.core.tasks import recycle_connection
from gonghui.hardship import services


@shared_task
def income_lines_recompute_task(city_id: int) -> int:
    """Recompute a large city's households after its income lines changed. Idempotent: a
    retry or a second run changes nothing more."""
    recycle_connection()
    try:
        return services.income_lines_recompute(city_id=city_id)
    finally:
        recycle_connection()
