"""Which years of the working-day calendar hold an official schedule, and where it came from.

Every year that already has rows is marked: the years the installed chinesecalendar release
covers as the package's, any other year (entered by hand before this change) as entered day by
day. A year with no row here has no official data: its deadlines are provisional."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def mark_years(apps, schema_editor):
    from gonghui.core.services import workcalendar_package_days, workcalendar_package_note

    WorkCalendarDay = apps.get_model("core", "WorkCalendarDay")
    WorkCalendarYear = apps.get_model("core", "WorkCalendarYear")
    package_years = {day.year for day in workcalendar_package_days()}
    note = workcalendar_package_note()
    years = {d.year for d in WorkCalendarDay.objects.dates("day", "year")}
    WorkCalendarYear.objects.bulk_create(
        [
            WorkCalendarYear(year=year, source="package", note=note)
            if year in package_years
            else WorkCalendarYear(year=year, source="manual")
            for year in sorted(years)
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_workcalendar_seed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkCalendarYear",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(unique=True, verbose_name="年份")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("package", "chinesecalendar 数据包"),
                            ("notice", "粘贴国务院办公厅通知"),
                            ("manual", "逐日登记"),
                        ],
                        max_length=10,
                        verbose_name="来源",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=100, verbose_name="说明")),
                ("notice", models.TextField(blank=True, verbose_name="通知原文")),
                ("entered_at", models.DateTimeField(auto_now=True, verbose_name="登记时间")),
                (
                    "entered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="登记人",
                    ),
                ),
            ],
            options={
                "verbose_name": "工作日历年度安排",
                "verbose_name_plural": "工作日历年度安排",
                "ordering": ("year",),
            },
        ),
        migrations.RunPython(mark_years, migrations.RunPython.noop),
    ]
