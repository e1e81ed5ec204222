"""The seed's 五美 series and the default booking rule (data another city edits)."""

from django.db import migrations

SERIES = [
    ("yinling", "引领美", "思想引领、劳模工匠精神、时事与职业素养"),
    ("xingxiang", "形象美", "礼仪、形体、服饰与妆容"),
    ("qingqu", "情趣美", "茶艺、烘焙、插花等生活情趣"),
    ("jiaju", "家居美", "家居收纳、亲子与家庭生活"),
    ("caiyi", "才艺美", "乐器、书画、棋艺、朗诵等才艺"),
]


def seed(apps, schema_editor):
    Series = apps.get_model("culture", "Series")
    for order, (code, name, description) in enumerate(SERIES, start=1):
        Series.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "order": order}
        )
    apps.get_model("culture", "BookingRules").objects.get_or_create(pk=1)


def unseed(apps, schema_editor):
    apps.get_model("culture", "Series").objects.filter(code__in=[s[0] for s in SERIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("culture", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
