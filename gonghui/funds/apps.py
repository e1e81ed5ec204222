from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "gonghui.funds"
    label = "funds"
    verbose_name = "资金管理"

    def ready(self) -> None:
        from django.db import transaction
        from django.db.models.signals import post_save

        from gonghui.core import counts
        from gonghui.funds.models import PaymentBatch, PaymentLine

        def changed(**kwargs: object) -> None:
            transaction.on_commit(lambda: counts.bump("funds"), robust=True)

        for model in (PaymentBatch, PaymentLine):
            post_save.connect(
                changed, sender=model, weak=False, dispatch_uid=f"count-{model.__name__}"
            )
