from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MutualAidConfig(AppConfig):
    name = "gonghui.mutualaid"
    label = "mutualaid"
    verbose_name = _("职工医疗互助保障")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from gonghui.funds.signals import items_paid
        from gonghui.members.models import Membership
        from gonghui.mutualaid import importers  # noqa: F401  (registers the enrolment importers)
        from gonghui.mutualaid.services import claims, enrolment

        # A member's transfer moves their enrolments to the new union (members knows nothing
        # of mutual aid; its transfer creates the new membership through the ORM).
        post_save.connect(
            enrolment.on_membership_saved,
            sender=Membership,
            weak=False,
            dispatch_uid="mutualaid-enrolment-transfer",
        )
        # A claim turns paid when the bank's receipt is recorded for its payable item.
        items_paid.connect(claims.on_items_paid, weak=False, dispatch_uid="mutualaid-claims-paid")
