"""``runserver`` that also runs the periodic jobs on the embedded default.

Without a broker (no ``CELERY_BROKER_URL``), tasks run eagerly in-process; this starts
Celery's own beat service in a daemon thread of the serving process, so the modules' periodic
jobs (``core.modules.PeriodicJob``: the sweeps) run while ``make run`` serves. With a broker,
production runs ``celery -A gonghui beat`` and ``celery -A gonghui worker`` instead, and
nothing starts here.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import (
    Command as StaticRunserver,
)


def start_inprocess_beat() -> Any:
    """Start Celery's beat service in a daemon thread; returns the service (``stop()`` ends
    it, ``thread`` is its thread), or None when a broker is configured."""
    from celery.beat import Service

    from gonghui.celery import app

    if not settings.CELERY_TASK_ALWAYS_EAGER or not app.conf.beat_schedule:
        return None

    # Import every app's tasks module (what a worker does on start): beat runs a task it
    # knows in-process, eagerly, and would only queue one it does not know.
    app.loader.import_default_modules()
    os.makedirs(os.path.dirname(settings.CELERY_BEAT_SCHEDULE_FILENAME), exist_ok=True)
    service = Service(app, schedule_filename=settings.CELERY_BEAT_SCHEDULE_FILENAME)
    service.thread = threading.Thread(target=service.start, name="celery-beat", daemon=True)
    service.thread.start()
    return service


class Command(StaticRunserver):
    help = StaticRunserver.help + " Also runs the periodic jobs in-process without a broker."

    def inner_run(self, *args: Any, **options: Any) -> None:
        # ``inner_run`` runs in the serving process (the autoreloader's child), once.
        if start_inprocess_beat() is not None:
            self.stdout.write("Periodic jobs: Celery beat in-process (no broker configured).")
        super().inner_run(*args, **options)
