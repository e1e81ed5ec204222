"""The eight service types the service centres offer (SVC-1); data a federation can edit."""

from django.db import migrations

SERVICE_TYPES = [
    ("petition", "信访接待", "接待职工来信来访，反映诉求"),
    ("employment", "就业援助", "职业介绍、技能培训、创业指导"),
    ("hardship", "困难救助", "困难职工帮扶、送温暖"),
    ("counselling", "心理咨询", "职工心理健康咨询和疏导"),
    ("legal_aid", "法律援助", "劳动法律咨询、代理和援助"),
    ("mediation", "争议调解", "劳动争议调解"),
    ("mutual_aid", "医疗互助", "职工医疗互助保障参保和报销"),
    ("grassroots", "服务基层工会", "指导和服务基层工会建设"),
]


def seed(apps, schema_editor):
    ServiceType = apps.get_model("organizations", "ServiceType")
    for order, (code, name, description) in enumerate(SERVICE_TYPES, start=1):
        ServiceType.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
