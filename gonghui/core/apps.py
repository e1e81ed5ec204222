from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gonghui.core"
    label = "core"
    verbose_name = "平台"

    def ready(self) -> None:
        from gonghui.core.history import connect_imported_models

        connect_imported_models()
