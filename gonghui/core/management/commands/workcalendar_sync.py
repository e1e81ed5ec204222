"""Pull the installed chinesecalendar release into the working-day calendar.

After upgrading the package (it usually adds the next year's holidays in November or
December, when the State Council publishes them): ``manage.py workcalendar_sync``. Days the
package knows are set as it says; days entered by hand that it does not know are kept; the years
it covers are marked as its own (``WorkCalendarYear``), and open cases' deadlines are counted
again over any day that changed. Until a release has next year, the city administrator pastes
the notice on the 工作日历 page instead."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from django.core.management.base import BaseCommand

from gonghui.core.services import workcalendar_package_days, workcalendar_sync_from_package


class Command(BaseCommand):
    help = "Bring the official holidays and adjusted working days of chinesecalendar in."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = workcalendar_sync_from_package(actor=None)
        last = max(workcalendar_package_days()).year
        self.stdout.write(
            f"chinesecalendar {version('chinesecalendar')} covers up to {last}: "
            f"{changed} day(s) added or changed."
        )
