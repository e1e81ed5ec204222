"""Background jobs of the platform (Celery; in-process on the embedded default)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection
from django.utils import timezone

from gonghui.core import delivery, imports
from gonghui.core.models import ImportJob, ImportStatus

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


def _held_elsewhere(task: Any, job: ImportJob) -> str:
    """The job is running under a live lease: a double start (the embedded default), or this
    task re-delivered because its worker died, while the dead run's lease has not lapsed yet.
    Come back when it has; by then the job is settled (and this task resumes it) or done."""
    if task.request.is_eager or job.lease_until is None:
        return str(job.status)
    wait = (job.lease_until - timezone.now()).total_seconds()
    raise task.retry(countdown=max(1.0, wait + 1.0))


@shared_task(bind=True, max_retries=10)
def import_check(self: Any, job_id: int, actor_id: int) -> str:
    """The dry run. Idempotent: a job already past it is left alone; a job whose earlier run
    died (this task re-delivered after its worker was lost) is settled and checked again."""
    job, actor = _job_and_actor(job_id, actor_id)
    imports.import_job_settle(job)
    if job.status in imports.RUNNING:
        return _held_elsewhere(self, job)
    if job.status == ImportStatus.INTERRUPTED and not job.checked_at:
        imports.import_job_reopen(job)
    if job.status != ImportStatus.UPLOADED:
        return str(job.status)
    return str(imports.run_check(job, actor).status)


@shared_task(bind=True, max_retries=10)
def import_commit(self: Any, job_id: int, actor_id: int) -> str:
    """The commit. Idempotent: a job committed (or failed) already is left alone; a job whose
    earlier commit died is settled (nothing of it was committed) and committed again."""
    job, actor = _job_and_actor(job_id, actor_id)
    imports.import_job_settle(job)
    if job.status in imports.RUNNING:
        return _held_elsewhere(self, job)
    if job.status == ImportStatus.INTERRUPTED and job.checked_at:
        imports.import_job_reopen(job)
    if job.status != ImportStatus.CHECKED:
        return str(job.status)
    return str(imports.run_commit(job, actor).status)


@shared_task
def settle_imports() -> dict[str, int]:
    """Every minute: imports whose run died are settled; files left for a day are deleted."""
    recycle_connection()
    try:
        return imports.import_jobs_settle()
    finally:
        recycle_connection()


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
