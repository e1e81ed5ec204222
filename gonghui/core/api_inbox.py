"""The worker's "my requests" inbox in the API (the same registry as the portal page)."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from gonghui.core import inbox
from gonghui.core.api import Search, worker_actor

router = Router(tags=["职工：我的申请"])


class InboxItemOut(Schema):
    kind: str
    kind_label: str
    id: int
    title: str
    status: str
    status_label: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    detail: str
    handler: str
    deadline: datetime.datetime | None
    url: str


class RequestKindOut(Schema):
    key: str
    label: str


@router.get("", response=list[InboxItemOut], summary="我的全部申请（各模块登记的事项）")
def my_requests(request: HttpRequest, kind: Search | None = None) -> list[inbox.InboxItem]:
    user = worker_actor(request)
    return inbox.inbox_for(user.person_id, kind=kind)


@router.get("/kinds", response=list[RequestKindOut], summary="申请种类")
def request_kinds(request: HttpRequest) -> list[dict[str, str]]:
    worker_actor(request)
    return [{"key": k.key, "label": str(k.label)} for k in inbox.kinds()]
