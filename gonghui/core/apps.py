from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gonghui.core"
    label = "core"
    verbose_name = "平台"

    def ready(self) -> None:
        from gonghui.celery import app
        from gonghui.core import modules
        from gonghui.core.history import connect_imported_models
        from gonghui.core.validators import use_platform_messages

        connect_imported_models()
        use_platform_messages()
        # Every installed app's ``module.py``: menus, tiles, inbox kinds, periodic jobs, demo
        # steps, bench scenarios, figures. Models are all loaded by now, which is all the
        # declarations need.
        modules.autodiscover()
        # ``celery -A gonghui beat`` sets Django up (Celery's Django fix-up) before it reads
        # the schedule; the in-process beat of ``runserver`` reads it after this.
        app.conf.beat_schedule = modules.beat_schedule()
