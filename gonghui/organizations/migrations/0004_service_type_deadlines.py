"""Deadlines and tiers of the eight seeded service types (SVC-2). Data a federation edits:
these are the Jiaxing demo's choices (e.g. labour dispute mediation within 15 working days,
counselling answered within 8 office hours, legal aid and counselling at stations and centres)."""

from django.db import migrations

ALL = ["centre", "station", "point"]
UPPER = ["centre", "station"]
# code: (response, unit, resolution, unit, tiers, auto-close days)
RULES = {
    "petition": (1, "workday", 15, "workday", ALL, 7),
    "employment": (2, "workday", 10, "workday", ALL, 7),
    "hardship": (2, "workday", 15, "workday", ALL, 7),
    "counselling": (8, "hour", 10, "workday", UPPER, 7),
    "legal_aid": (2, "workday", 20, "workday", UPPER, 10),
    "mediation": (1, "workday", 15, "workday", ALL, 10),
    "mutual_aid": (2, "workday", 10, "workday", ALL, 7),
    "grassroots": (2, "workday", 10, "workday", UPPER, 7),
}


def seed(apps, schema_editor):
    ServiceType = apps.get_model("organizations", "ServiceType")
    for code, (response, r_unit, resolution, s_unit, tiers, close) in RULES.items():
        ServiceType.objects.filter(code=code).update(
            response_limit=response,
            response_unit=r_unit,
            resolution_limit=resolution,
            resolution_unit=s_unit,
            tiers=tiers,
            auto_close_days=close,
        )


class Migration(migrations.Migration):
    dependencies = [("organizations", "0003_historicalservicetype_auto_close_days_and_more")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
