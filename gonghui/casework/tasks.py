"""Periodic casework jobs: Celery beat in production, the in-process beat on the embedded
default (``runserver`` starts it)."""

from __future__ import annotations

import logging

from celery import shared_task

from gonghui.casework.services import sweep as sweep_services
from gonghui.core.tasks import recycle_connection

logger = logging.getLogger("gonghui.casework")


@shared_task
def case_sweep_task() -> dict[str, int]:
    recycle_connection()
    try:
        result = sweep_services.case_sweep()
    finally:
        recycle_connection()
    if result.escalated or result.closed:
        logger.info("case sweep: %s escalated, %s closed", result.escalated, result.closed)
    return {"escalated": result.escalated, "closed": result.closed}
