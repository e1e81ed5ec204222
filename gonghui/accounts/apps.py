from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gonghui.accounts"
    label = "accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        # Workers sign in with codes sent by SMS: a gateway client that does not import must
        # stop every process at start-up (web, Celery, commands), not the first sign-in.
        from gonghui.core.sms import backend_class

        backend_class()
