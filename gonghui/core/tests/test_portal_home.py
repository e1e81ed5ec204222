"""The worker portal's home and message centre: unread notices with their count and 全部标为
已读, the requests still under way, the modules' cards."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from gonghui.core import modules, notify
from gonghui.core.models import Notification
from gonghui.core.modules import Module, PortalCard


def tell(person_id: int, text: str) -> None:
    with transaction.atomic():
        notify.notify(person_id=person_id, kind="culture.booking", text=text)


def test_the_home_shows_unread_notices_and_marks_them_all_read(client, world):
    worker = world.worker("union_b")
    tell(worker.person_id, "周六文化宫有公益电影。")
    tell(worker.person_id, "您的入会申请已通过。")
    client.force_login(worker)
    page = client.get(reverse("portal:home")).content.decode()
    assert "2 条未读消息" in page and "周六文化宫有公益电影" in page
    assert 'data-testid="unread">2<' in page  # the tab bar's badge
    response = client.post(reverse("portal:messages_read"), {"next": reverse("portal:home")})
    assert response["Location"] == reverse("portal:home")
    assert not Notification.unscoped.filter(person_id=worker.person_id, read_at=None).exists()
    page = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="home-notices"' not in page and 'data-testid="unread"' not in page


def test_marking_read_touches_only_the_worker_s_own_messages(client, world):
    worker, other = world.worker("union_b"), world.worker("union_b")
    tell(other.person_id, "别人的消息。")
    client.force_login(worker)
    response = client.post(reverse("portal:messages_read"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("portal:messages")
    assert Notification.unscoped.get(person_id=other.person_id).read_at is None


def test_the_home_lists_the_requests_still_under_way(client, world):
    from gonghui.members import services as member_services

    worker = world.worker()
    member_services.join_apply(
        actor=worker, person=worker.person, union=world.union_b, employer_name="B号机械"
    )
    client.force_login(worker)
    page = client.get(reverse("portal:home")).content.decode()
    section = page.split('data-testid="home-open-requests"')[1]
    assert "申请加入B号机械有限公司工会" in section


def test_a_module_s_portal_cards_come_from_the_registry_and_hide_when_empty(world):
    shown = PortalCard("probe", "portal/_items.html", "gonghui.core.tests.test_portal_home.probe")
    empty = PortalCard("empty", "portal/_items.html", "gonghui.core.tests.test_portal_home.none")
    with modules.installed(Module(name="probe", label="probe", portal_cards=(shown, empty))):
        cards = modules.portal_cards(world.worker("union_b"))
    assert [(c.key, c.context) for c in cards if c.key in {"probe", "empty"}] == [
        ("probe", {"items": []})
    ]


def probe(user):
    return {"items": []}


def none(user):
    return None


def test_the_home_offers_joining_to_a_worker_and_the_card_and_transfer_to_a_member(client, world):
    client.force_login(world.worker())
    page = client.get(reverse("portal:home")).content.decode()
    assert "申请入会" in page and "电子会员卡" not in page and "会员转接" not in page
    client.force_login(world.worker("union_b"))
    page = client.get(reverse("portal:home")).content.decode()
    assert "申请入会" not in page and "电子会员卡" in page and "会员转接" in page
