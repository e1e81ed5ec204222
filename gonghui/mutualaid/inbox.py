"""Mutual-aid claims in the worker's "my requests" inbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import inbox
from gonghui.funds.services import yuan
from gonghui.mutualaid.models import Claim, ClaimStatus
from gonghui.mutualaid.selectors.claims import payments_of

TONES = {
    ClaimStatus.PENDING: "warning",
    ClaimStatus.APPROVED: "success",
    ClaimStatus.PAID: "success",
    ClaimStatus.REFUSED: "danger",
    ClaimStatus.WITHDRAWN: "secondary",
}


def claim_items(person_id: int) -> Iterable[inbox.InboxItem]:
    claims = list(Claim.unscoped.filter(person_id=person_id).select_related("period"))
    payments = payments_of(c.pk for c in claims)
    for claim in claims:
        detail = claim.decision_note
        if claim.status == ClaimStatus.PENDING:
            detail = _("审核中，按规则可赔付 %(a)s") % {"a": yuan(claim.benefit)}
        elif claim.status in (ClaimStatus.APPROVED, ClaimStatus.PAID):
            # What the worker waits for once approved: the money, and whether it has reached
            # the card (the claim itself turns paid only at the next adjudication run).
            payment = payments.get(claim.pk)
            if payment is None and claim.benefit <= 0:
                detail = _("赔付 %(a)s") % {"a": yuan(claim.benefit)}  # nothing to pay
            else:
                detail = _("赔付 %(a)s · %(s)s") % {
                    "a": yuan(claim.benefit),
                    "s": payment.get_status_display() if payment else _("待发放"),
                }
            if payment is not None and payment.paid_at is not None:
                paid_on = timezone.localdate(payment.paid_at)
                detail += _("（%(d)s）") % {"d": paid_on.isoformat()}
        yield inbox.InboxItem(
            kind="mutualaid",
            kind_label=_("互助理赔"),
            id=claim.pk,
            title=f"{claim.period.name}：{claim.hospital}",
            status=claim.status,
            status_label=str(claim.get_status_display()),
            tone=TONES[ClaimStatus(claim.status)],
            created_at=claim.created_at,
            updated_at=claim.updated_at,
            detail=detail,
            url=reverse("portal:mutualaid_claim", args=[claim.pk]),
            extra={"benefit": str(claim.benefit)},
            open=claim.status == ClaimStatus.PENDING,
        )
