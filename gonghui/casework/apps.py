import datetime
from typing import Any

from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "gonghui.casework"
    label = "casework"
    verbose_name = "职工服务"

    def ready(self) -> None:
        from django.db import transaction
        from django.db.models.signals import post_save

        from gonghui.casework.models import Case, CaseEvent
        from gonghui.core import counts

        def changed(**kwargs: object) -> None:
            transaction.on_commit(lambda: counts.bump("cases"), robust=True)

        for model in (Case, CaseEvent):
            post_save.connect(
                changed, sender=model, weak=False, dispatch_uid=f"count-{model.__name__}"
            )

        from gonghui.casework.services import deadlines as deadlines_services
        from gonghui.core.workdays import calendar_changed

        def recount(
            *, actor: Any, previous: dict[datetime.date, bool | None], **kwargs: Any
        ) -> int:
            """A change of the working-day calendar counts the open cases' deadlines again,
            in the change's transaction."""
            return deadlines_services.case_deadlines_recount(actor=actor, previous=previous)

        # A strong reference: nothing else holds this local function.
        calendar_changed.connect(recount, weak=False, dispatch_uid="casework-deadlines-recount")
