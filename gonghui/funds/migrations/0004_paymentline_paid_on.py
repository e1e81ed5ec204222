from django.db import migrations, models


def fill(apps, schema_editor):
    # Lines paid before the value date was kept: the day their result was recorded (UTC date
    # of the timestamp; close enough for lines that existed only in development).
    PaymentLine = apps.get_model("funds", "PaymentLine")
    for line in PaymentLine._default_manager.filter(status="paid", paid_on__isnull=True).only(
        "pk", "result_at"
    ):
        line.paid_on = line.result_at.date() if line.result_at else None
        line.save(update_fields=["paid_on"])


class Migration(migrations.Migration):
    dependencies = [("funds", "0003_income_verify_token")]

    operations = [
        migrations.AddField(
            model_name="paymentline",
            name="paid_on",
            field=models.DateField(blank=True, null=True, verbose_name="到账日期"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
