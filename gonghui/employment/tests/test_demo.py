"""The demo's work and training reproduce the source's 2017 figures, as the figures count
them (样本四)."""

from __future__ import annotations

import json

import pytest

from gonghui.accounts.models import User
from gonghui.core import modules
from gonghui.demo import DATA_DIR
from gonghui.demo.loader import DemoBuilder
from gonghui.employment import demo
from gonghui.employment.models import Placement
from gonghui.organizations.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_card_prefixes():
    """Membership card prefixes are cached by the city's id, which the next test's city may
    reuse after this one's rollback: forget the demo city's."""
    from gonghui.members.services import _card_prefix

    yield
    _card_prefix.cache_clear()


def test_the_demo_reproduces_the_2017_figures(settings, tmp_path, fresh_card_prefixes):
    settings.VAR_DIR = tmp_path
    data = json.loads((DATA_DIR / "jiaxing.json").read_text(encoding="utf-8"))
    builder = DemoBuilder(data, members=600, log=lambda text: None)
    builder.tree()
    builder.enterprises()
    builder.members()
    demo.run(builder)
    admin = User.objects.get(username="jx-admin")
    city = Organization.unscoped.get(kind="city")
    xinfeng = Organization.unscoped.get(name="新丰镇总工会")

    def figure(key, org=city):
        return modules.figure_value(f"employment.{key}", actor=admin, org=org, year=2017)

    assert figure("fairs") == 45
    assert figure("served") == 23_098
    assert figure("trained") == 3_700
    assert figure("entrepreneurship_trained") == 260
    assert figure("sessions", xinfeng) == 36
    assert figure("placed", xinfeng) == 158
    chen = Placement.unscoped.get(person__name="陈明根")
    assert (chen.employer_name, str(chen.monthly_wage), chen.still_employed) == (
        "嘉兴市亚一达特种钢铸造有限公司",
        "3200.00",
        True,
    )
    # Today: something to enrol in, and follow-ups due.
    assert modules.figure_value("employment.fairs", actor=admin, org=city, year=2016) == 0
    from gonghui.employment import selectors

    assert selectors.followups_due(admin) > 0
