from django.apps import AppConfig


class EmploymentConfig(AppConfig):
    name = "gonghui.employment"
    label = "employment"
    verbose_name = "就业培训"

    def ready(self) -> None:
        from django.db import transaction
        from django.db.models.signals import post_save

        from gonghui.core import counts
        from gonghui.employment.models import Placement

        def changed(**kwargs: object) -> None:
            transaction.on_commit(lambda: counts.bump("employment"), robust=True)

        post_save.connect(changed, sender=Placement, weak=False, dispatch_uid="count-Placement")
