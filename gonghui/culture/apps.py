from django.apps import AppConfig


class CultureConfig(AppConfig):
    name = "gonghui.culture"
    label = "culture"
    verbose_name = "文化服务"
    # What it adds to the platform is declared in ``module.py`` (core.modules).
