"""Seed the working-day calendar from the installed chinesecalendar release (the official
holidays and adjusted working weekends since 2004), so no one types them in. Later releases of
the package are pulled in with ``manage.py workcalendar_sync``; years the package does not have
yet are entered by the city administrator on the console page."""

from django.db import migrations


def seed(apps, schema_editor):
    from gonghui.core.services import workcalendar_package_days

    WorkCalendarDay = apps.get_model("core", "WorkCalendarDay")
    days = workcalendar_package_days()
    existing = set(WorkCalendarDay.objects.filter(day__in=list(days)).values_list("day", flat=True))
    WorkCalendarDay.objects.bulk_create(
        [
            WorkCalendarDay(day=day, is_workday=is_workday, name=name)
            for day, (is_workday, name) in sorted(days.items())
            if day not in existing
        ],
        batch_size=500,
    )


def unseed(apps, schema_editor):
    from gonghui.core.services import workcalendar_package_days

    WorkCalendarDay = apps.get_model("core", "WorkCalendarDay")
    WorkCalendarDay.objects.filter(day__in=list(workcalendar_package_days())).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_workcalendarday")]
    operations = [migrations.RunPython(seed, unseed)]
