"""The member forms as a clerk meets them: dates come up filled in, every error is named at
once at its field, and what was typed stays."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from gonghui.members.models import Person

pytestmark = pytest.mark.django_db


def date_value(html: str, name: str) -> str:
    tag = re.search(rf'<input type="date" name="{name}"[^>]*>', html)
    assert tag is not None, f"no date input {name}"
    value = re.search(r'value="([^"]*)"', tag.group())
    return value.group(1) if value else ""


def test_the_join_date_comes_up_as_today_in_the_date_inputs_format(client, world):
    client.force_login(world.staff("town_a", "clerk"))
    html = client.get(reverse("console:member_create")).content.decode()
    assert date_value(html, "joined_on") == timezone.localdate().isoformat()


def test_the_leave_date_comes_up_as_today_in_the_date_inputs_format(client, world):
    membership = world.member("union_a")
    client.force_login(world.staff("town_a", "clerk"))
    html = client.get(reverse("console:member_leave", args=[membership.pk])).content.decode()
    assert date_value(html, "ended_on") == timezone.localdate().isoformat()


def test_every_error_is_shown_at_once_at_its_field_and_the_typing_stays(client, world):
    client.force_login(world.staff("town_a", "clerk"))
    response = client.post(
        reverse("console:member_create"),
        {"name": "王小明", "mobile": "1380013800", "joined_on": "2024-01-15"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    # union, id number and mobile, each at its field, in one answer
    errors = re.findall(r'<div class="invalid-feedback d-block">([^<]+)</div>', html)
    assert len(errors) >= 3
    assert 'value="王小明"' in html and 'value="1380013800"' in html
    assert date_value(html, "joined_on") == "2024-01-15"
    # and the browser is not asked to stop at the first empty field.
    assert not re.search(r"<(input|select|textarea)[^>]* required[ >]", html)
    assert Person.unscoped.count() == 0
