import secrets

from django.db import migrations, models

import gonghui.funds.models


def fill(apps, schema_editor):
    Income = apps.get_model("funds", "Income")
    for income in Income._default_manager.filter(verify_token__isnull=True).only("pk"):
        income.verify_token = secrets.token_urlsafe(16)
        income.save(update_fields=["verify_token"])


class Migration(migrations.Migration):
    dependencies = [("funds", "0002_seed_source_kinds")]

    operations = [
        migrations.AddField(
            model_name="income",
            name="verify_token",
            field=models.CharField(editable=False, max_length=32, null=True, verbose_name="核验码"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="income",
            name="verify_token",
            field=models.CharField(
                default=gonghui.funds.models.new_verify_token,
                editable=False,
                max_length=32,
                unique=True,
                verbose_name="核验码",
            ),
        ),
    ]
