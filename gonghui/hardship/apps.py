from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HardshipConfig(AppConfig):
    name = "gonghui.hardship"
    label = "hardship"
    verbose_name = _("困难职工档案")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db import transaction
        from django.db.models.signals import post_save

        from gonghui.core import counts
        from gonghui.hardship import services  # noqa: F401 (registers the decision flow)
        from gonghui.hardship.models import Household, HouseholdFiling

        def changed(**kwargs: object) -> None:
            transaction.on_commit(lambda: counts.bump("hardship"), robust=True)

        for model in (Household, HouseholdFiling):
            post_save.connect(
                changed, sender=model, weak=False, dispatch_uid=f"count-{model.__name__}"
            )
