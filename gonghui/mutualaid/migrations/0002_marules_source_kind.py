from django.db import migrations

# The mutual-aid fund's money comes from the fees the units pay for their staff: a source of
# its own beside the six of the assistance funds (data: an administrator may rename it).


def seed(apps, schema_editor):
    SourceKind = apps.get_model("funds", "SourceKind")
    SourceKind.objects.get_or_create(
        code="mutualaid", defaults={"name": "职工互助保障缴费", "order": 70}
    )


class Migration(migrations.Migration):
    dependencies = [("mutualaid", "0001_initial"), ("funds", "0002_seed_source_kinds")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
