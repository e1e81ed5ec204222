"""Mutual aid's background work: the periodic adjudication run (Celery beat; in-process on
the embedded default). Its messages go through ``core.notify``."""

from __future__ import annotations

import logging

from celery import shared_task

from gonghui.core.tasks import recycle_connection
from gonghui.mutualaid.services import claims as claim_services

logger = logging.getLogger(__name__)


@shared_task
def claims_adjudicate_task() -> dict[str, int]:
    """Route the pending claims without a route and approve the automatic ones; run twice,
    the second run finds nothing left to route."""
    recycle_connection()
    try:
        result = claim_services.claims_adjudicate()
    finally:
        recycle_connection()
    if result.total or result.paid:
        logger.info(
            "mutual aid adjudication: %s routed (%s), %s paid",
            result.total,
            result.routed,
            result.paid,
        )
    return {**result.routed, "approved": result.approved, "paid": result.paid}
