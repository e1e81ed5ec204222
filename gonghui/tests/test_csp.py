"""The content security policy (docs/adr/0007): every response carries it, and no template
holds what it would block: inline script, event-handler attributes, hx-on (evaluated code),
javascript: links, style attributes or <style> elements."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

GONGHUI = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(GONGHUI.glob("*/templates/**/*.html"))

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.mark.parametrize(
    ("who", "url"),
    [
        (None, "/accounts/login/"),
        (None, "/m/login/"),
        (None, "/api/docs"),
        (None, "/api/ping"),
        (None, "/no-such-page/"),
        ("staff", "console:home"),
        ("staff", "console:member_list"),
        ("staff", "console:org_tree"),
        ("staff", "console:coverage"),
        ("staff", "console:case_figures"),
        ("staff", "console:culture_calendar"),
        ("worker", "portal:home"),
        ("worker", "portal:culture_calendar"),
        ("worker", "portal:card"),
    ],
)
def test_every_page_carries_the_policy(world, client, who, url):
    if who == "staff":
        client.force_login(world.staff("town_a", "clerk"))
    elif who == "worker":
        client.force_login(world.worker("union_a"))
    response = client.get(url if url.startswith("/") else reverse(url))
    assert response.status_code in (200, 404)
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


def test_templates_are_found():
    assert len(TEMPLATES) > 100


SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[a-zA-Z][^<>]*>")
FORBIDDEN_IN_TAG = [
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an on*= event-handler attribute"),
    (re.compile(r"\shx-on", re.IGNORECASE), "hx-on (code that htmx evaluates)"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "a style attribute (use a class in site.css)"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: URL"),
]


def offences(text: str) -> list[str]:
    found = []
    for attributes, body in SCRIPT.findall(text):
        if body.strip() and "application/json" not in attributes:
            found.append("an inline <script> with a body (move it to a static .js file)")
    if re.search(r"<style\b", text, re.IGNORECASE):
        found.append("a <style> element")
    for tag in TAG.findall(text):
        found += [what for pattern, what in FORBIDDEN_IN_TAG if pattern.search(tag)]
    return found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(GONGHUI)))
def test_no_template_holds_what_the_policy_blocks(path):
    assert offences(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<button type="button" onclick="go()">',
        '<a hx-get="/x" hx-on::after-request="this.remove()">',
        '<div style="width: 3px">',
        '<a href="javascript:history.back()">',
        "<style>p { color: red }</style>",
    ],
)
def test_the_scan_finds_each_kind(snippet):
    assert offences(snippet)


def test_the_scan_allows_external_scripts_and_data_attributes():
    assert not offences(
        "<script src=\"{% static 'x.js' %}\"></script>"
        '<button data-union-id="3" data-remove-after-request>'
    )
