"""Assistance applications in the worker's "my requests" inbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.assistance import selectors
from gonghui.assistance.models import Application, ApplicationStatus
from gonghui.core import inbox
from gonghui.funds.services import yuan

TONES = {
    ApplicationStatus.PENDING: "warning",
    ApplicationStatus.APPROVED: "success",
    ApplicationStatus.REFUSED: "danger",
    ApplicationStatus.WITHDRAWN: "secondary",
}


def application_items(person_id: int) -> Iterable[inbox.InboxItem]:
    applications = list(
        Application.unscoped.filter(person_id=person_id).select_related("round", "waiting_at")
    )
    payments = selectors.payments_of(a.pk for a in applications)
    for application in applications:
        detail = application.decision_note
        if application.status == ApplicationStatus.PENDING and application.waiting_at:
            detail = _("%(a)s · 等待%(o)s审核") % {
                "a": yuan(application.amount),
                "o": application.waiting_at.name,
            }
        elif application.status == ApplicationStatus.APPROVED:
            # What the worker waits for now: the money, and whether it has reached the card.
            payment = payments.get(application.pk)
            detail = _("补助 %(a)s · %(s)s") % {
                "a": yuan(application.amount),
                "s": payment.get_status_display() if payment else _("待发放"),
            }
            if payment is not None and payment.paid_at is not None:
                paid_on = timezone.localdate(payment.paid_at)
                detail += _("（%(d)s）") % {"d": paid_on.isoformat()}
        yield inbox.InboxItem(
            kind="assistance",
            kind_label=_("帮扶申请"),
            id=application.pk,
            title=f"{application.round.name}：{application.beneficiary_name}",
            status=application.status,
            status_label=str(application.get_status_display()),
            tone=TONES[ApplicationStatus(application.status)],
            created_at=application.created_at,
            updated_at=application.updated_at,
            detail=detail,
            handler=application.waiting_at.name if application.waiting_at else "",
            url=reverse("portal:assistance_application", args=[application.pk]),
            extra={"amount": str(application.amount)},
            open=application.status == ApplicationStatus.PENDING,
        )
