from django.apps import AppConfig


class CultureConfig(AppConfig):
    name = "gonghui.culture"
    label = "culture"
    verbose_name = "文化服务"

    def ready(self) -> None:
        from gonghui.culture import inbox  # noqa: F401  (registers the inbox kinds)
