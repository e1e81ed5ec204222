"""On PostgreSQL every counter is a sequence (see ``core.services.counter_values``). They are
created here, once, outside any business transaction: created on first use, a sequence would be
created inside the transaction of whoever used it first, and a second user would wait for that
transaction and then fail. A new counter gets its sequence in a migration like this one."""

from django.db import migrations

COUNTERS = ("member_card", "organization_code")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Counter = apps.get_model("core", "Counter")
    with schema_editor.connection.cursor() as cursor:
        for name in COUNTERS:
            sequence = f"gonghui_counter_{name}"
            cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{sequence}"')
            # Continue after the SQLite-style counter row, if the data came from there.
            start = Counter.objects.filter(name=name).values_list("value", flat=True).first()
            if start:
                cursor.execute("SELECT setval(%s, %s)", [sequence, start])


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in COUNTERS:
            cursor.execute(f'DROP SEQUENCE IF EXISTS "gonghui_counter_{name}"')


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
