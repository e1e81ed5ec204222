"""The nearest service station in the worker portal: by district and town, the worker's own
to begin with, with opening hours, open now or not, and a number to call."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from gonghui.casework import selectors
from gonghui.organizations import services as org_services
from gonghui.organizations.models import ServiceTier

WEEKDAYS = [(d, datetime.time(8, 30), datetime.time(17, 0)) for d in range(1, 6)]


def place(world, org: str, tier: str, name: str, phone: str = "", opening=WEEKDAYS):
    return org_services.service_place_save(
        actor=None,
        place=None,
        organization=world.orgs[org],
        tier=tier,
        name=name,
        address=f"{name}地址",
        phone=phone,
        opening=opening,
    )


def test_the_town_s_station_comes_first_then_its_district_s_centre(world):
    centre = place(world, "district_b", ServiceTier.CENTRE, "B区职工服务中心", "12351")
    station = place(world, "town_b", ServiceTier.STATION, "B镇职工服务站", "0573-83100001")
    place(world, "town_a", ServiceTier.STATION, "A镇职工服务站")
    found = selectors.stations_near(district=world.district_b, town=world.town_b)
    assert [s.place for s in found] == [station, centre]
    assert found[0].town == world.town_b and found[0].district == world.district_b
    # the district alone: all its places; nothing chosen: the district centres
    assert {s.place for s in selectors.stations_near(district=world.district_b, town=None)} == {
        station,
        centre,
    }
    assert [s.place for s in selectors.stations_near(district=None, town=None)] == [centre]


def test_hours_today_and_open_now_follow_the_local_clock(world):
    place(world, "town_b", ServiceTier.STATION, "B镇职工服务站")
    tz = timezone.get_current_timezone()
    monday_morning = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=tz)
    sunday = datetime.datetime(2026, 12, 6, 9, 0, tzinfo=tz)
    (open_one,) = selectors.stations_near(
        district=world.district_b, town=world.town_b, now=monday_morning
    )
    assert open_one.open_now and open_one.today == "08:30–17:00"
    assert open_one.hours[0] == ("周一", "08:30–17:00") and len(open_one.hours) == 5
    (closed,) = selectors.stations_near(district=world.district_b, town=world.town_b, now=sunday)
    assert not closed.open_now and closed.today == ""


def test_the_page_starts_at_the_worker_s_own_town_and_offers_a_call(client, world):
    station = place(world, "town_b", ServiceTier.STATION, "B镇职工服务站", "0573-83100001")
    place(world, "town_a", ServiceTier.STATION, "A镇职工服务站", "0573-83100002")
    client.force_login(world.worker("union_b"))
    page = client.get(reverse("portal:stations")).content.decode()
    assert f'data-testid="station-{station.pk}"' in page
    assert 'href="tel:0573-83100001"' in page and "A镇职工服务站" not in page
    # another district chosen
    page = client.get(reverse("portal:stations"), {"district": world.district_a.pk}).content
    assert "A镇职工服务站" in page.decode()
    # a town outside the chosen district is ignored; an unknown one too
    query = {"district": world.district_a.pk, "town": world.town_b.pk}
    assert "B镇职工服务站" not in client.get(reverse("portal:stations"), query).content.decode()
    assert client.get(reverse("portal:stations"), {"district": "x"}).status_code == 200
