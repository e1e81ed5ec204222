"""The case queue: tab counts, filters by state, service type and the day received, scoped."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.casework.models import Case
from gonghui.casework.services import cases as cases_services
from gonghui.organizations.models import ServiceType
from gonghui.testing.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def open_case(world, worker, code, title):
    return cases_services.case_open(
        actor=worker,
        person=worker.person,
        service_type=ServiceType.objects.get(code=code),
        title=title,
        description="说明",
    )


@pytest.fixture
def queue(world):
    """Three cases at union_a (one accepted, one received in 2024), one at union_b."""
    worker = world.worker("union_a")
    clerk = world.staff("union_a", "clerk")
    hardship = open_case(world, worker, "hardship", "困难帮扶甲")
    legal = open_case(world, worker, "mediation", "欠薪甲")
    old = open_case(world, worker, "hardship", "旧事项甲")
    cases_services.case_accept(actor=clerk, case=legal)
    received = datetime.datetime(2024, 6, 3, 10, 0, tzinfo=timezone.get_current_timezone())
    Case.unscoped.filter(pk=old.pk).update(created_at=received)
    open_case(world, world.worker("union_b"), "hardship", "乙方事项")
    client = Client()
    client.force_login(clerk)
    return client, {"hardship": hardship, "legal": legal, "old": old}


def titles(response):
    return sorted(c.title for c in response.context["page_obj"])


def test_tabs_show_their_counts(queue):
    client, _cases = queue
    response = client.get(reverse("console:case_list"))
    counts = {value: n for value, _label, n in response.context["queues"]}
    # Accepting the case made the clerk its assignee.
    assert counts["handling"] == 3 and counts["unassigned"] == 2 and counts["all"] == 3
    assert counts["mine"] == 1 and counts["overdue"] == 0
    page = response.content.decode()
    assert 'data-testid="queue-count-handling">3<' in page
    assert "乙方事项" not in page


def test_filters_by_state_type_and_received_dates(queue):
    client, _cases = queue
    url = reverse("console:case_list")
    assert titles(client.get(url, {"state": "accepted"})) == ["欠薪甲"]
    assert titles(client.get(url, {"type": "hardship"})) == ["困难帮扶甲", "旧事项甲"]
    dated = client.get(url, {"received_from": "2024-06-03", "received_to": "2024-06-03"})
    assert titles(dated) == ["旧事项甲"]
    assert titles(client.get(url, {"received_to": "2024-06-02"})) == []
    # The tab counts follow the filters, so a tab says what clicking it shows.
    counts = {v: n for v, _l, n in client.get(url, {"type": "hardship"}).context["queues"]}
    assert counts["handling"] == 2
    # The export takes the same filters.
    response = client.get(url, {"state": "accepted", "format": "xlsx"})
    b"".join(response.streaming_content)  # read to the end: closes its temporary file
    assert response.status_code == 200


def test_empty_queues_say_what_to_do_next(world, queue):
    client, _cases = queue
    page = client.get(reverse("console:case_list"), {"queue": "overdue"}).content.decode()
    assert "没有超期的事项" in page
    other = Client()
    other.force_login(world.staff("union_a", "reviewer"))
    page = other.get(reverse("console:case_list"), {"queue": "mine"}).content.decode()
    assert "您手上没有未办结的事项" in page and "queue=unassigned" in page
    page = client.get(reverse("console:case_list"), {"q": "无此事"}).content.decode()
    assert "没有符合条件的事项" in page and "清除筛选" in page


def test_bad_filter_values_still_give_the_page(queue):
    client, _cases = queue
    url = reverse("console:case_list")
    for query in (
        {"state": "nonsense"},
        {"type": "nonsense"},
        {"received_from": "2024-13-40"},
        {"received_from": "2024-06-05", "received_to": "2024-06-01"},
    ):
        assert client.get(url, query).status_code == 200
