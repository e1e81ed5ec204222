from django.apps import AppConfig


class UnionBuildingConfig(AppConfig):
    name = "gonghui.unionbuilding"
    label = "unionbuilding"
    verbose_name = "三建联动"
