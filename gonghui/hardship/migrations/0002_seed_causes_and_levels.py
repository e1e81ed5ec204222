"""The causes of hardship and the two levels of the source; a federation may add more."""

from django.db import migrations

CAUSES = (
    ("illness", "因病", 10),
    ("disability", "因残", 20),
    ("accident", "因意外事故", 30),
    ("education", "子女就学", 40),
    ("unemployment", "失业", 50),
    ("disaster", "因灾", 60),
    ("other", "其他", 90),
)

LEVELS = (
    ("deep", "深度困难", 10),
    ("relative", "相对困难", 20),
)


def seed(apps, schema_editor):
    cause_model = apps.get_model("hardship", "HardshipCause")
    level_model = apps.get_model("hardship", "HardshipLevel")
    for code, name, order in CAUSES:
        cause_model.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for code, name, order in LEVELS:
        level_model.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("hardship", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
