from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "gonghui.casework"
    label = "casework"
    verbose_name = "职工服务"

    def ready(self) -> None:
        from gonghui.casework import inbox, selectors  # noqa: F401  (registers the inbox kind)
        from gonghui.core import badges

        badges.register("cases", selectors.unaccepted_count, topic="cases")

        from django.db import transaction
        from django.db.models.signals import post_save

        from gonghui.casework.models import Case, CaseEvent
        from gonghui.core import counts

        def changed(**kwargs: object) -> None:
            transaction.on_commit(lambda: counts.bump("cases"))

        for model in (Case, CaseEvent):
            post_save.connect(changed, sender=model, dispatch_uid=f"count-{model.__name__}")
