"""Issue 12, point 1: the staff home per person. What waits for this person across every
module, this month against last, the year so far and a twelve-month trend of the subtree, all
from the module registry (home tiles and flow figures)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from gonghui.core import modules, selectors
from gonghui.members.models import Membership

pytestmark = pytest.mark.django_db


def joined(world, union, day: datetime.date, n: int = 1) -> None:
    """``n`` members of ``union`` who joined on ``day``."""
    for _ in range(n):
        worker = world.worker(union)
        Membership.unscoped.filter(person=worker.person).update(joined_on=day)


def test_a_flow_figure_month_by_month_adds_up_to_its_year(world):
    joined(world, "union_a", datetime.date(2025, 1, 15), 2)
    joined(world, "union_b", datetime.date(2025, 12, 31), 1)
    actor = world.staff("city", "admin")
    for figure in modules.figures():
        if not figure.dated_by:
            continue
        months = modules.figure_months(
            figure.key, actor=actor, org=world.city, today=datetime.date(2025, 12, 31)
        )
        assert [label for label, _n in months][0::11] == ["2025-01", "2025-12"]
        year = modules.figure_value(figure.key, actor=actor, org=world.city, year=2025)
        assert sum(n for _label, n in months) == year, figure.key


def test_months_are_counted_where_they_fall_and_only_in_the_subtree(world):
    joined(world, "union_a", datetime.date(2026, 10, 3), 3)
    joined(world, "union_a", datetime.date(2026, 11, 20), 1)
    joined(world, "union_b", datetime.date(2026, 11, 21), 5)
    today = datetime.date(2026, 11, 30)

    town_a = selectors.home_activity(actor=world.staff("town_a", "clerk"), today=today)
    city = selectors.home_activity(actor=world.staff("city", "admin"), today=today)

    members_a = next(a for a in town_a if a.key == "members.joined")
    assert (members_a.last_month, members_a.this_month, members_a.change) == (3, 1, -2)
    assert members_a.months[-1] == ("2026-11", 1) and len(members_a.months) == 12
    members_city = next(a for a in city if a.key == "members.joined")
    assert members_city.this_month == members_a.this_month + 5
    assert members_city.year_to_date >= 9


def test_the_home_lists_what_waits_with_a_total_and_loads_the_figures(world, client):
    clerk = world.staff("town_a", "clerk")
    client.force_login(clerk)

    page = client.get(reverse("console:home")).content.decode()

    for key in ("joins", "cases", "cases_mine", "cases_overdue", "imports", "sessions_today"):
        assert f'data-tile="{key}"' in page, key
    assert reverse("console:home_activity") in page
    activity = client.get(reverse("console:home_activity")).content.decode()
    assert 'data-figure="members.joined"' in activity and 'data-figure="cases.received"' in activity
    assert 'id="home-trend"' in activity and "data-chart=" in activity and "上月" in activity


def test_a_leader_sees_the_figures_but_no_to_do(world, client):
    leader = world.staff("district_a", "leader")
    client.force_login(leader)
    page = client.get(reverse("console:home")).content.decode()
    assert "data-tile=" not in page and "暂无待办" in page
    activity = client.get(reverse("console:home_activity"))
    assert activity.status_code == 200 and "在册会员" in activity.content.decode()


def test_an_interrupted_import_waits_on_its_uploaders_home(world, tmp_path, settings):
    from gonghui.core import imports
    from gonghui.testing.sheets import csv_upload

    settings.MEDIA_ROOT = tmp_path
    clerk = world.staff("town_a", "clerk")
    job = imports.import_job_create(actor=clerk, kind="members", upload=csv_upload([]))
    assert selectors.imports_waiting_count(clerk) == 0
    type(job).unscoped.filter(pk=job.pk).update(status="interrupted")
    assert selectors.imports_waiting_count(clerk) == 1
    assert selectors.imports_waiting_count(world.staff("town_a", "admin")) == 0


def test_the_home_figures_are_today_in_shanghai(world):
    # A membership that began today counts in this month, whatever the server's clock zone.
    joined(world, "union_a", timezone.localdate())
    activity = selectors.home_activity(actor=world.staff("town_a", "clerk"))
    assert next(a for a in activity if a.key == "members.joined").this_month >= 1
