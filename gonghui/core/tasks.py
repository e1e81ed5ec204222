"""Background jobs of the platform (Celery; in-process on the embedded default)."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection

from gonghui.core import imports
from gonghui.core.models import ImportJob


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
