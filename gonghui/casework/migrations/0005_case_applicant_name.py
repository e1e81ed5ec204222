from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_names(apps, schema_editor):
    """Cases opened before the field existed show the person's name, as they did."""
    Case = apps.get_model("casework", "Case")
    Person = apps.get_model("members", "Person")
    Case._default_manager.update(
        applicant_name=Subquery(
            Person._default_manager.filter(pk=OuterRef("person_id")).values("name")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0004_case_event_deadlines_recounted"),
        ("members", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="applicant_name",
            field=models.CharField(default="", max_length=50, verbose_name="姓名"),
            preserve_default=False,
        ),
        migrations.RunPython(copy_names, migrations.RunPython.noop, elidable=True),
    ]
