from django.apps import AppConfig


class VirtualJobsConfig(AppConfig):
    name = "gonghui.virtualjobs"
    label = "virtualjobs"
    verbose_name = "虚拟岗位"

    def ready(self) -> None:
        from django.db import transaction
        from django.db.models.signals import post_save

        from gonghui.core import counts
        from gonghui.virtualjobs.models import PayRunLine, Post

        def changed(**kwargs: object) -> None:
            transaction.on_commit(lambda: counts.bump("virtualjobs"), robust=True)

        for model in (Post, PayRunLine):
            post_save.connect(
                changed, sender=model, weak=False, dispatch_uid=f"count-vj-{model.__name__}"
            )
