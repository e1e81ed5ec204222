"""Issue 12, point 6: the small things a person notices."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def test_the_site_has_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'rel="icon"' in page and "favicon" in page
    icon = ROOT / "gonghui/core/static/gonghui/favicon.svg"
    assert icon.read_text().startswith("<svg xmlns=")


def test_the_package_licence_is_an_spdx_string_as_setuptools_asks():
    # A table (``{ text = ... }``) makes every ``pip install`` of ``make run`` print a
    # deprecation warning.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "AGPL-3.0-or-later"


@pytest.mark.django_db
def test_the_two_change_histories_of_a_member_are_told_apart(world, client):
    from gonghui.members.models import Membership

    worker = world.worker("union_b")
    membership = Membership.unscoped.get(person=worker.person, status="active")
    client.force_login(world.staff("union_b", "admin"))
    response = client.get(reverse("console:member_detail", args=[membership.pk]))
    assert response.status_code == 200
    page = response.content
    text = page.decode()
    assert "个人信息变更记录" in text and "会籍变更记录" in text
    assert f'id="history-person-{membership.person_id}"' in text
    assert f'id="history-membership-{membership.pk}"' in text
