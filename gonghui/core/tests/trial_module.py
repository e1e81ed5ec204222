"""A throw-away module for ``test_modules``: everything a module may declare, nothing real."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from gonghui.core import inbox

ran: dict[str, Any] = {}


def trial_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("试办事项列表")


console_urlpatterns = [path("trial/", trial_page, name="trial_list")]
portal_urlpatterns = [path("trial/", trial_page, name="trial_apply")]
enterprise_urlpatterns = [path("trial/", trial_page, name="trial_adopt")]


def waiting(actor: Any) -> int:
    return 7


def tile_count(actor: Any) -> int:
    return 3


def items(person_id: int) -> Iterable[inbox.InboxItem]:
    moment = timezone.now()
    yield inbox.InboxItem(
        kind="trial",
        kind_label="试办事项",
        id=1,
        title="试办申请一号",
        status="pending",
        status_label="审核中",
        tone="warning",
        created_at=moment,
        updated_at=moment + datetime.timedelta(days=1),
    )


def person_records(actor: Any, person_ids: list[int]) -> list[str]:
    """What the trial panel shows about these people: a line each, for staff only."""
    if not getattr(actor, "is_staff_account", False):
        return []
    return [f"试办记录：{person_id} 号" for person_id in person_ids]


def demo_step(builder: Any) -> None:
    ran["demo"] = sorted(builder.staff)[:1]


def bench_arguments(parser: Any) -> None:
    parser.add_argument("--trial-size", type=int, default=1)


def bench_run(args: Any) -> None:
    ran["bench"] = args.trial_size


def task() -> None:
    """Never run: the schedule is what is tested."""
