from django.db import migrations

# The course types of the source (AST-5): training for a change of trade after the pig farms
# closed (叉车, 电子商务, 育婴师 …) and entrepreneurship training. Data: an administrator may
# rename them or add others.
TYPES = [
    ("forklift", "叉车", "skills", 10),
    ("ecommerce", "电子商务", "skills", 20),
    ("infant_care", "育婴师", "skills", 30),
    ("electrician", "电工", "skills", 40),
    ("welding", "焊工", "skills", 50),
    ("housekeeping", "家政服务", "skills", 60),
    ("cooking", "中式烹调", "skills", 70),
    ("entrepreneurship", "创业培训（SYB）", "entrepreneurship", 90),
]


def seed(apps, schema_editor):
    CourseType = apps.get_model("employment", "CourseType")
    for code, name, kind, order in TYPES:
        CourseType.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("employment", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
