from django.apps import AppConfig


class CultureConfig(AppConfig):
    name = "gonghui.culture"
    label = "culture"
    verbose_name = "文化服务"

    def ready(self) -> None:
        from gonghui.core import badges
        from gonghui.culture import inbox, selectors  # noqa: F401  (registers the inbox kinds)

        badges.register("menu_orders", selectors.menu_orders_to_decide)
