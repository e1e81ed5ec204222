"""The worker's "我的消息" and "消息设置" pages."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from gonghui.core import notify, selectors
from gonghui.core.models import NotificationSettings


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tell(worker, text: str, kind: str = "casework.decision") -> None:
    with transaction.atomic():
        notify.notify(person_id=worker.person_id, kind=kind, text=text, link="/m/inbox/")


def test_a_worker_sees_their_own_messages_newest_first_and_opening_reads_them(world):
    # given two workers with a message each, and one more for the first
    mine, theirs = world.worker(), world.worker()
    tell(mine, "您的服务事项已受理")
    tell(theirs, "别人的消息")
    tell(mine, "您的服务事项已办结")
    client = login(mine)
    # when the first opens the home page, the tab shows two unread
    home = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="unread">2<' in home
    # and when they open their messages
    page = client.get(reverse("portal:messages")).content.decode()
    # then they see their own, newest first, marked new this once, and nobody else's
    assert page.index("已办结") < page.index("已受理")
    assert "别人的消息" not in page and page.count('text-bg-danger">新<') == 2
    assert selectors.notification_unread_count(actor=mine) == 0
    assert selectors.notification_unread_count(actor=theirs) == 1
    again = client.get(reverse("portal:messages")).content.decode()
    assert "已办结" in again and 'data-testid="unread"' not in again


def test_staff_have_no_message_pages(world):
    staff = login(world.staff("town_b", "clerk"))
    for name in ("portal:messages", "portal:message_settings"):
        assert staff.get(reverse(name))["Location"] == reverse("console:home")


def test_settings_turn_off_the_sms_of_kinds_that_allow_it_and_set_quiet_hours(world):
    worker = world.worker()
    client = login(worker)
    page = client.get(reverse("portal:message_settings")).content.decode()
    # the kinds a worker may turn off are offered, the others listed as always sent
    assert 'value="culture.booking"' in page and 'value="casework.decision"' not in page
    assert "服务事项受理与办结" in page
    response = client.post(
        reverse("portal:message_settings"),
        {"sms_on": ["culture.offer"], "quiet_from": "22:00", "quiet_until": "07:00"},
    )
    assert response.status_code == 302
    saved = NotificationSettings.objects.get(person_id=worker.person_id)
    assert "culture.booking" in saved.sms_off and "culture.offer" not in saved.sms_off
    assert "casework.decision" not in saved.sms_off
    assert (saved.quiet_from, saved.quiet_until) == (datetime.time(22), datetime.time(7))
    # and the page shows them as saved
    page = client.get(reverse("portal:message_settings")).content.decode()
    assert 'value="22:00"' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quiet_from": "22:00"}, "同时填写开始和结束时间"),
        ({"quiet_from": "22:00", "quiet_until": "22:00"}, "不能相同"),
        ({"sms_on": ["casework.decision"]}, "casework.decision"),  # not a choice offered
    ],
)
def test_settings_refuse_what_cannot_be_saved(world, data, message):
    worker = world.worker()
    response = login(worker).post(reverse("portal:message_settings"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not NotificationSettings.objects.filter(person_id=worker.person_id).exists()


def test_the_service_refuses_to_turn_off_a_kind_that_must_be_sent(world):
    from django.core.exceptions import ValidationError

    from gonghui.core import services

    worker = world.worker()
    with pytest.raises(ValidationError, match="不能关闭"):
        services.notification_settings_save(
            actor=worker, sms_off=["members.decision"], quiet_from=None, quiet_until=None
        )
