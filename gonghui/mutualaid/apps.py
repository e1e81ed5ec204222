from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MutualAidConfig(AppConfig):
    name = "gonghui.mutualaid"
    label = "mutualaid"
    verbose_name = _("职工医疗互助保障")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from gonghui.members.models import Membership
        from gonghui.mutualaid import importers  # noqa: F401  (registers the enrolment importers)
        from gonghui.mutualaid.services import enrolment

        # A member's transfer moves their enrolments to the new union (members knows nothing
        # of mutual aid; its transfer creates the new membership through the ORM).
        post_save.connect(
            enrolment.on_membership_saved,
            sender=Membership,
            weak=False,
            dispatch_uid="mutualaid-enrolment-transfer",
        )
