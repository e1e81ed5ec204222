"""Periodic casework jobs: Celery beat in production, the in-process beat on the embedded
default (``runserver`` starts it)."""

from __future__ import annotations

from celery import shared_task

from gonghui.casework import services


@shared_task
def case_sweep_task() -> dict[str, int]:
    result = services.case_sweep()
    return {"escalated": result.escalated, "closed": result.closed}
