"""The members module's request kinds in the worker's inbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from gonghui.core import inbox
from gonghui.members.models import JoinApplication, RequestStatus, TransferRequest

TONES = {
    RequestStatus.PENDING: "warning",
    RequestStatus.APPROVED: "success",
    RequestStatus.REFUSED: "danger",
    RequestStatus.WITHDRAWN: "secondary",
}


def join_items(person_id: int) -> Iterable[inbox.InboxItem]:
    for app in JoinApplication.unscoped.filter(person_id=person_id).select_related("union"):
        yield inbox.InboxItem(
            kind="join",
            kind_label=_("入会申请"),
            id=app.pk,
            title=_("申请加入%(u)s") % {"u": app.union.name},
            status=app.status,
            status_label=str(app.get_status_display()),
            tone=TONES[RequestStatus(app.status)],
            created_at=app.created_at,
            updated_at=app.decided_at or app.created_at,
            detail=app.decision_note,
            handler=app.union.name,
            url=reverse("portal:join_detail", args=[app.pk]),
            open=app.status == RequestStatus.PENDING,
        )


def transfer_items(person_id: int) -> Iterable[inbox.InboxItem]:
    transfers = TransferRequest.unscoped.filter(membership__person_id=person_id).select_related(
        "membership__union", "to_union"
    )
    for t in transfers:
        yield inbox.InboxItem(
            kind="transfer",
            kind_label=_("会员转接"),
            id=t.pk,
            title=_("从%(a)s转入%(b)s") % {"a": t.membership.union.name, "b": t.to_union.name},
            status=t.status,
            status_label=str(t.get_status_display()),
            tone=TONES[RequestStatus(t.status)],
            created_at=t.created_at,
            updated_at=t.decided_at or t.created_at,
            detail=t.decision_note,
            handler=t.to_union.name,
            url=reverse("portal:transfer_detail", args=[t.pk]),
            open=t.status == RequestStatus.PENDING,
        )
