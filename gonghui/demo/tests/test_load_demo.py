"""The demo city builds through the services, and shows the figures the source quotes."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from gonghui.accounts.models import User
from gonghui.demo.accounts import demo_accounts
from gonghui.members.models import Membership
from gonghui.organizations.models import Enterprise, Organization
from gonghui.unionbuilding.selectors import coverage_report

pytestmark = pytest.mark.django_db


def test_demo_city(capsys):
    call_command("load_demo", members=600)
    assert Organization.unscoped.filter(kind="district").count() == 7
    assert Organization.unscoped.filter(kind="town").count() == 74
    for name in ("凤桥镇总工会", "新丰镇总工会", "新兴街道总工会", "东栅街道总工会"):
        assert Organization.unscoped.filter(name=name).exists()
    for name in ("桐昆集团股份有限公司", "嘉兴敏惠汽车零部件有限公司", "浙江雅莹集团有限公司"):
        assert Enterprise.unscoped.get(name=name).union is not None
    assert Membership.unscoped.filter(status="active").count() > 500
    # One account per role at each level, all working.
    for username in ("jx-admin", "nanhu-clerk", "fengqiao-reviewer", "minhui-leader"):
        assert User.objects.get(username=username).check_password("gonghui2018")
    # Fengqiao: 35 homes of 41 grassroots unions, as the source says (85%).
    fengqiao = Organization.unscoped.get(name="凤桥镇总工会")
    admin = User.objects.get(username="jx-admin")
    report = coverage_report(actor=admin, org=fengqiao)
    assert (report.homes, report.grassroots) == (35, 41)
    assert report.home_rate == Decimal("0.8537")
    # Demo workers can sign in; their numbers are listed on the sign-in page.
    listed = demo_accounts()
    assert {w["mobile"] for w in listed["workers"]} >= {"13957300001", "13957300004"}
    # A second run leaves the data alone.
    call_command("load_demo", if_empty=True)
    assert "跳过" in capsys.readouterr().out
