from django.db import migrations

# The six sources of the federation's assistance money (DOMAIN.md, AST-3). Data: an
# administrator may rename them or add others.
KINDS = [
    ("budget", "财政与工会经费", 10),
    ("charity", "慈善总会", 20),
    ("enterprise", "企业自帮", 30),
    ("system", "系统内帮", 40),
    ("partner", "社会结对", 50),
    ("individual", "个人资助", 60),
]


def seed(apps, schema_editor):
    SourceKind = apps.get_model("funds", "SourceKind")
    for code, name, order in KINDS:
        SourceKind.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
