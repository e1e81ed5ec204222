"""Mutual-aid claims in the worker's "my requests" inbox."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from gonghui.core import inbox
from gonghui.mutualaid.models import Claim, ClaimStatus

TONES = {
    ClaimStatus.PENDING: "warning",
    ClaimStatus.APPROVED: "success",
    ClaimStatus.PAID: "success",
    ClaimStatus.REFUSED: "danger",
    ClaimStatus.WITHDRAWN: "secondary",
}


def claim_items(person_id: int) -> Iterable[inbox.InboxItem]:
    claims = Claim.unscoped.filter(person_id=person_id).select_related("period")
    for claim in claims:
        detail = claim.decision_note
        if claim.status == ClaimStatus.PENDING:
            detail = _("审核中，按规则可赔付 %(a)s 元") % {"a": claim.benefit}
        elif claim.status in (ClaimStatus.APPROVED, ClaimStatus.PAID):
            detail = _("赔付 %(a)s 元") % {"a": claim.benefit}
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
