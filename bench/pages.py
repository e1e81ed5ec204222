"""Issue 12's page walk (point 7): every console, portal and enterprise page of the demo city,
as each demo role would reach it, with the server's time for each. Target: none above 300 ms.

The demo city (``load_demo``) is built in a database of its own beside the benchmark database
(``<bench>_pages``; reused with ``--keep``). Each role signs in and walks its area the way a
person clicks: from its home, every link and every fragment its pages load (``hx-get``) within
the area, breadth first, a few addresses per page kind (the same page for another record costs
the same). Downloads, exports and sign-out are left out. Each page is requested
``--page-repeats`` times after a first, warming request; the median is its time: the time
Django takes from the request to the response in this process (no network, no browser).

Prints the pages per role, the slowest pages with their role, and how many exceed the target.
"""

from __future__ import annotations

import html
import re
import statistics
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urlsplit

TARGET_MS = 300.0
AREAS = ("/console/", "/m/", "/enterprise/")
SKIP = re.compile(
    r"(export=|/logout|/sign-?out|\.(pdf|xlsx|csv|ics|svg|png|jpg|json)(\?|$)|/media/|/static/"
    r"|/download|/template|/ical/|/feed)"
)
LINK = re.compile(r"""(?:href|hx-get)\s*=\s*["']([^"'#][^"']*)["']""")
PER_KIND = 2  # addresses per page kind (URL name)


@dataclass
class Timed:
    role: str
    url: str
    name: str
    status: int
    ms: float


def _database(keep: bool) -> None:
    """The demo city in ``<bench>_pages``: created, migrated and loaded unless kept."""
    import os
    from urllib.parse import urlunsplit

    import psycopg

    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_pages"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not keep:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    fresh = not exists
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    settings.DATABASES["default"]["NAME"] = name
    from django.core.management import call_command

    if fresh:
        started = time.perf_counter()
        os.environ["GONGHUI_DEMO"] = "1"
        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0)
        print(f"  demo city loaded into {name} in {time.perf_counter() - started:.0f} s")
    else:
        call_command("migrate", verbosity=0)  # a kept city follows the code's migrations
        print(f"  reusing the demo city in {name}")


def _roles() -> dict[str, Any]:
    """A demo account per kind of person: the city's, a district's, a town's and a union's
    administrator and clerk, a leader (read-only), a worker, an enterprise contact."""
    from gonghui.accounts.models import AccountKind, User
    from gonghui.demo.accounts import demo_accounts, demo_contacts

    accounts = demo_accounts()
    staff = [row["usernames"] for row in accounts["staff"]]
    # The city, the first district, the first shown town, the first shown union.
    city, district = staff[0], staff[1]
    town = next(u for u in staff[2:] if User.objects.filter(username=u[0]).exists())
    union = staff[-1]
    wanted = {
        "市总 管理员": city[0],
        "市总 经办": city[1],
        "区总 经办": district[1],
        "区总 领导（只读）": district[3],
        "镇街 经办": town[1],
        "基层工会 管理员": union[0],
    }
    roles: dict[str, Any] = {}
    for label, username in wanted.items():
        user = User.objects.filter(username=username).first()
        if user is not None:
            roles[label] = user
    from gonghui.core.crypto import blind_index
    from gonghui.members.models import MOBILE_PURPOSE

    for worker in accounts["workers"][:1]:
        digest = blind_index(worker["mobile"], purpose=MOBILE_PURPOSE)
        user = User.objects.filter(kind=AccountKind.WORKER, person__mobile_hash=digest).first()
        if user is not None:
            # The worker has read the privacy notice and agreed, as at their first sign-in.
            from django.conf import settings

            from gonghui.accounts.models import PrivacyConsent
            from gonghui.accounts.services import privacy_consent_give

            if not PrivacyConsent.objects.filter(user=user, ended_at__isnull=True).exists():
                privacy_consent_give(
                    actor=user, version=settings.GONGHUI_PRIVACY_NOTICE_VERSION, channel="portal"
                )
            roles["职工"] = user
    for contact in demo_contacts()[:1]:
        user = User.objects.filter(kind=AccountKind.ENTERPRISE).order_by("pk").first()
        if user is not None:
            roles["企业联系人"] = user
            del contact
    return roles


def _links(body: str, area: str) -> list[str]:
    found = []
    for raw in LINK.findall(body):
        url = urldefrag(html.unescape(raw))[0]
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            continue
        if not parts.path.startswith(area) or SKIP.search(url):
            continue
        found.append(url)
    return found


def _walk(client: Any, role: str, area: str, repeats: int, limit: int) -> list[Timed]:
    from django.urls import Resolver404, resolve

    seen: set[str] = set()
    per_kind: dict[str, int] = {}
    queue = deque([area])
    timed: list[Timed] = []
    while queue and len(timed) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        try:
            name = resolve(urlsplit(url).path).view_name
        except Resolver404:
            continue
        if per_kind.get(name, 0) >= PER_KIND:
            continue
        per_kind[name] = per_kind.get(name, 0) + 1
        headers = {"HTTP_HX_REQUEST": "true"} if "/htmx" in url or "hx" in name else {}
        first = client.get(url, **headers)
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(url, **headers)
            runs.append((time.perf_counter() - started) * 1000)
        timed.append(Timed(role, url, name, first.status_code, statistics.median(runs)))
        if first.status_code == 200 and "text/html" in first.get("Content-Type", ""):
            queue.extend(_links(response.content.decode("utf-8", "replace"), area))
    return timed


def run(*, keep: bool, repeats: int, limit: int, show: int) -> list[Timed]:
    from django.test import Client

    from gonghui.accounts.models import AccountKind

    _database(keep)
    roles = _roles()
    results: list[Timed] = []
    for role, user in roles.items():
        area = {AccountKind.WORKER: "/m/", AccountKind.ENTERPRISE: "/enterprise/"}.get(
            user.kind, "/console/"
        )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        walked = _walk(client, role, area, repeats, limit)
        errors = [t for t in walked if t.status >= 500]
        print(
            f"  {role:12} {len(walked):4} pages, median {_median(walked):6.1f} ms, "
            f"slowest {max((t.ms for t in walked), default=0):6.1f} ms"
            + (f", {len(errors)} errors" if errors else "")
        )
        for t in errors:
            print(f"      error {t.status}: {t.url}")
        results += walked
    results.sort(key=lambda t: t.ms, reverse=True)
    print(f"\n  The {show} slowest pages (median of {repeats}):")
    for t in results[:show]:
        print(f"    {t.ms:7.1f} ms  {t.role:12} {t.url}")
    over = [t for t in results if t.ms > TARGET_MS]
    print(
        f"\n  {len(results)} pages walked; above {TARGET_MS:.0f} ms: {len(over)}"
        f"  -> target (none above {TARGET_MS:.0f} ms) {'met' if not over else 'MISSED'}"
    )
    return results


def _median(timed: list[Timed]) -> float:
    return statistics.median(t.ms for t in timed) if timed else 0.0


def add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--page-repeats", type=int, default=3, help="pages: timed requests per page"
    )
    parser.add_argument("--page-limit", type=int, default=300, help="pages: at most, per role")
    parser.add_argument("--page-show", type=int, default=15, help="pages: slowest shown")


def main(args: Any) -> None:
    print("\n== pages: every console, portal and enterprise page of the demo city, by role ==")
    run(keep=args.keep, repeats=args.page_repeats, limit=args.page_limit, show=args.page_show)
