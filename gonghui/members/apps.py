from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "gonghui.members"
    label = "members"
    verbose_name = "会员"

    def ready(self) -> None:
        from django.db import transaction
        from django.db.models.signals import post_delete, post_save

        from gonghui.core import counts
        from gonghui.members import importers  # noqa: F401  (registers the importer)
        from gonghui.members.models import JoinApplication, Membership, Person, TransferRequest

        def changed(**kwargs: object) -> None:
            transaction.on_commit(lambda: counts.bump("members"), robust=True)

        for model in (Membership, Person, JoinApplication, TransferRequest):
            post_save.connect(
                changed, sender=model, weak=False, dispatch_uid=f"count-{model.__name__}"
            )
            post_delete.connect(
                changed, sender=model, weak=False, dispatch_uid=f"count-{model.__name__}-d"
            )
