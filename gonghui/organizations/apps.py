from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "gonghui.organizations"
    label = "organizations"
    verbose_name = "组织"

    def ready(self) -> None:
        from gonghui.organizations import importers  # noqa: F401  (registers the importer)
