"""Background jobs of the platform (Celery; in-process on the embedded default)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection

from gonghui.core import delivery, imports
from gonghui.core.models import ImportJob

logger = logging.getLogger("gonghui.notify")


def recycle_connection() -> None:
    """For periodic tasks, before and after their work. In the in-process beat thread nothing
    closes a broken or stale connection between runs (Celery's worker does that for its own
    tasks); without this one dropped connection would stop every later run."""
    if not connection.in_atomic_block:  # a caller's transaction (a test) keeps its connection
        close_old_connections()


def _job_and_actor(job_id: int, actor_id: int) -> tuple[ImportJob, object]:
    # The job runs as the person who uploaded it, read through the same scope as every page.
    actor = get_user_model().objects.select_related("organization").get(pk=actor_id)
    return ImportJob.objects.visible_to(actor).get(pk=job_id, created_by=actor), actor


@shared_task
def import_check(job_id: int, actor_id: int) -> str:
    job, actor = _job_and_actor(job_id, actor_id)
    return imports.run_check(job, actor).status


@shared_task
def import_commit(job_id: int, actor_id: int) -> str:
    job, actor = _job_and_actor(job_id, actor_id)
    return imports.run_commit(job, actor).status


@shared_task
def deliver_notifications(ids: list[int]) -> dict[str, int]:
    """The SMS of notifications just committed (queued by ``core.notify``)."""
    return _counts(delivery.deliver(ids=ids))


@shared_task
def deliver_due_notifications() -> dict[str, int]:
    """Every minute: what the task after commit could not send (the broker was down, the
    gateway failed, the worker's quiet hours have ended)."""
    recycle_connection()
    try:
        result = delivery.deliver()
    finally:
        recycle_connection()
    if result.sent or result.failed:
        logger.info("notifications: %s sent, %s failed for good", result.sent, result.failed)
    return _counts(result)


def _counts(result: delivery.DeliveryResult) -> dict[str, int]:
    return {k: getattr(result, k) for k in ("sent", "skipped", "held", "retried", "failed")}
