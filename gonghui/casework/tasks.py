"""Periodic casework jobs: Celery beat in production, the in-process beat on the embedded
default (``runserver`` starts it)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import close_old_connections, connection

from gonghui.casework import services

logger = logging.getLogger("gonghui.casework")


@shared_task
def case_sweep_task() -> dict[str, int]:
    # In the in-process beat thread nothing closes a broken or stale connection between runs
    # (Celery's worker does that for its own tasks); without this one dropped connection
    # would stop every later sweep.
    _recycle_connection()
    try:
        result = services.case_sweep()
    finally:
        _recycle_connection()
    if result.escalated or result.closed:
        logger.info("case sweep: %s escalated, %s closed", result.escalated, result.closed)
    return {"escalated": result.escalated, "closed": result.closed}


def _recycle_connection() -> None:
    if not connection.in_atomic_block:  # a caller's transaction (a test) keeps its connection
        close_old_connections()


@shared_task
def case_escalated_notify_task(case_ids: list[int]) -> None:
    """The SMS for one chunk of cases the sweep moved, sent outside the sweep."""
    services.case_escalated_notify(case_ids=case_ids)
