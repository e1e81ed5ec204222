"""The case-number counter's sequence on PostgreSQL (see core 0002)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute('CREATE SEQUENCE IF NOT EXISTS "gonghui_counter_case"')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute('DROP SEQUENCE IF EXISTS "gonghui_counter_case"')


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial"), ("core", "0002_counter_sequences")]
    operations = [migrations.RunPython(create, drop)]
