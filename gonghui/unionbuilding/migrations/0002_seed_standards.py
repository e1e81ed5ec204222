"""Reference data of 三建联动: the mechanisms (建制), the "六有" standard of a workers' home
and its rating levels. Data, not code: a federation edits it."""

from decimal import Decimal

from django.db import migrations

MECHANISMS = [
    ("congress", "职工代表大会", "每年至少召开一次，审议企业重大事项", 12),
    ("open_affairs", "厂务公开", "定期公开涉及职工切身利益的事项", 12),
    ("collective_contract", "集体合同", "平等协商签订集体合同（含工资专项集体合同）", 36),
    ("dues", "会费收缴", "按规定收缴和使用工会会费", 12),
    ("meetings", "工会例会制度", "工会委员会定期召开例会", 3),
]

SIX_HAVES = [
    ("chair", "有依法选举的工会主席", "工会主席经民主选举产生，按期换届", 15),
    ("organisation", "有健全的工会组织", "工会委员会、经费审查委员会、女职工委员会健全", 15),
    ("place", "有职工信赖的活动阵地", "有服务职工的活动场所和设施（职工书屋、健身室等）", 20),
    ("funds", "有自主管理的工会经费", "经费独立核算、自主管理、账目公开", 15),
    ("rules", "有服务职工的工作机制", "建立联系职工、民主管理、维权服务等工作制度", 15),
    ("results", "有职工满意的工作绩效", "职工对工会工作的满意率达到要求", 20),
]

RATINGS = [
    ("示范职工之家", Decimal("90"), True),
    ("先进职工之家", Decimal("80"), True),
    ("合格职工之家", Decimal("70"), True),
]


def seed(apps, schema_editor):
    MechanismType = apps.get_model("unionbuilding", "MechanismType")
    HomeStandardItem = apps.get_model("unionbuilding", "HomeStandardItem")
    HomeRatingLevel = apps.get_model("unionbuilding", "HomeRatingLevel")
    for order, (code, name, description, cycle) in enumerate(MECHANISMS, start=1):
        MechanismType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "cycle_months": cycle,
                "sort_order": order,
            },
        )
    for order, (code, title, description, score) in enumerate(SIX_HAVES, start=1):
        HomeStandardItem.objects.update_or_create(
            code=code,
            defaults={
                "title": title,
                "description": description,
                "max_score": score,
                "sort_order": order,
            },
        )
    for name, min_score, counts in RATINGS:
        HomeRatingLevel.objects.update_or_create(
            name=name, defaults={"min_score": min_score, "counts_as_home": counts}
        )


class Migration(migrations.Migration):
    dependencies = [("unionbuilding", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
