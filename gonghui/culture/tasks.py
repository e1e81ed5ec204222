"""Culture's background work: the periodic sweep (Celery beat; in-process on the embedded
default). Its messages go through ``core.notify``."""

from __future__ import annotations

import logging

from celery import shared_task

from gonghui.core.tasks import recycle_connection
from gonghui.culture.services import sweep as sweep_services

logger = logging.getLogger(__name__)


@shared_task
def culture_sweep_task() -> dict[str, int]:
    recycle_connection()
    try:
        result = sweep_services.culture_sweep()
    finally:
        recycle_connection()
    if any(vars(result).values()):
        logger.info(
            "culture sweep: %s drawn, %s offers lapsed, %s seats offered, %s no-shows",
            result.drawn,
            result.lapsed,
            result.offered,
            result.no_shows,
        )
    return dict(vars(result))
