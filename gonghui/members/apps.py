from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "gonghui.members"
    label = "members"
    verbose_name = "会员"

    def ready(self) -> None:
        from gonghui.core import badges
        from gonghui.members import importers, inbox, selectors  # noqa: F401  (registers importer, inbox)

        badges.register("joins", selectors.pending_joins)
        badges.register("transfers", selectors.pending_transfers_in)
