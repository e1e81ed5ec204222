from django.apps import AppConfig


class CultureConfig(AppConfig):
    name = "gonghui.culture"
    label = "culture"
    verbose_name = "文化服务"

    def ready(self) -> None:
        from gonghui.core import badges
        from gonghui.culture import inbox, notifications  # noqa: F401  (register the kinds)
        from gonghui.culture.selectors import menu as menu_selectors

        badges.register("menu_orders", menu_selectors.menu_orders_to_decide)
