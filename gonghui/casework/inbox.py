"""Casework in the worker's inbox: each case with its state, handler and next deadline."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from gonghui.casework.models import Case, CaseState
from gonghui.core import inbox

TONES = {
    CaseState.SUBMITTED: "warning",
    CaseState.ACCEPTED: "primary",
    CaseState.RESOLVED: "info",
    CaseState.CLOSED: "success",
    CaseState.REJECTED: "danger",
    CaseState.WITHDRAWN: "secondary",
}


def case_items(person_id: int) -> Iterable[inbox.InboxItem]:
    cases = Case.unscoped.filter(person_id=person_id).select_related("service_type", "handler")
    for case in cases:
        detail = case.reject_reason or case.resolution
        if case.state == CaseState.RESOLVED:
            detail = _("请确认办理结果并评价。")
        yield inbox.InboxItem(
            kind="case",
            kind_label=_("服务事项"),
            id=case.pk,
            title=f"{case.service_type.name}：{case.title}",
            status=case.state,
            status_label=str(case.get_state_display()),
            tone=TONES[CaseState(case.state)],
            created_at=case.created_at,
            updated_at=case.updated_at,
            detail=detail,
            handler=case.handler.name,
            deadline=case.next_deadline,
            url=reverse("portal:case_detail", args=[case.pk]),
            extra={"number": case.number},
            # Resolved waits for the worker's confirmation and rating.
            open=case.state in (CaseState.SUBMITTED, CaseState.ACCEPTED, CaseState.RESOLVED),
        )
