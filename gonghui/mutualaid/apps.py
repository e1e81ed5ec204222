from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MutualAidConfig(AppConfig):
    name = "gonghui.mutualaid"
    label = "mutualaid"
    verbose_name = _("职工医疗互助保障")
    default_auto_field = "django.db.models.BigAutoField"
