from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "gonghui.assistance"
    label = "assistance"
    verbose_name = _("五助帮扶")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db import transaction
        from django.db.models.signals import post_save

        from gonghui.assistance import services  # noqa: F401 (registers the decision flows)
        from gonghui.assistance.models import Application
        from gonghui.core import counts

        def changed(**kwargs: object) -> None:
            transaction.on_commit(lambda: counts.bump("assistance"), robust=True)

        post_save.connect(
            changed, sender=Application, weak=False, dispatch_uid="count-assistance-application"
        )
