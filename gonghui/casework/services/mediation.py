"""Mediation records of a dispute-mediation case: parties, sessions, the outcome and the
agreement."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.casework.models import (
    Case,
    Mediation,
    MediationOutcome,
    MediationSession,
)
from gonghui.casework.services.cases import case_lock_handling, require_handling
from gonghui.core.locks import LockSpace, lock_one
from gonghui.core.validators import (
    clean_text,
    raise_errors,
)

# --- mediation --------------------------------------------------------------------------------


def require_special(case: Case, code: str) -> None:
    if case.service_type.code != code:
        raise ValidationError({"case": [_("该事项不是“%(t)s”类事项。") % {"t": code}]})


@transaction.atomic
def mediation_open(
    *, actor: Any, case: Case, applicant: str, respondent: str, claims: str, mediator: str
) -> Mediation:
    require_special(case, "mediation")
    case = case_lock_handling(actor, case)  # two submits cannot both create the record
    errors: dict[str, list[str]] = {}
    applicant = clean_text(applicant, "applicant", errors, required=True, limit=100)
    respondent = clean_text(respondent, "respondent", errors, required=True, limit=100)
    claims = clean_text(claims, "claims", errors, required=True, limit=2000, multiline=True)
    mediator = clean_text(mediator, "mediator", errors, required=True, limit=50)
    if Mediation.objects.filter(case=case).exists():
        errors.setdefault("case", []).append(_("该事项已建立调解记录。"))
    raise_errors(errors)
    return Mediation.objects.create(
        case=case, applicant=applicant, respondent=respondent, claims=claims, mediator=mediator
    )


@transaction.atomic
def mediation_session_add(
    *,
    actor: Any,
    mediation: Mediation,
    held_on: datetime.date,
    place: str,
    attendees: str,
    summary: str,
) -> MediationSession:
    require_handling(actor, mediation.case)
    errors: dict[str, list[str]] = {}
    place = clean_text(place, "place", errors, required=True, limit=100)
    attendees = clean_text(attendees, "attendees", errors, required=True, limit=200)
    summary = clean_text(summary, "summary", errors, required=True, limit=2000, multiline=True)
    if mediation.outcome != MediationOutcome.PENDING:
        errors.setdefault("held_on", []).append(_("调解已结案，不能再登记调解。"))
    if held_on > timezone.localdate():
        errors.setdefault("held_on", []).append(_("调解日期不能晚于今天。"))
    raise_errors(errors)
    return MediationSession.objects.create(
        mediation=mediation, held_on=held_on, place=place, attendees=attendees, summary=summary
    )


@transaction.atomic
def mediation_conclude(
    *, actor: Any, mediation: Mediation, outcome: str, agreement: str = ""
) -> Mediation:
    require_handling(actor, mediation.case)
    mediation = lock_one(LockSpace.MEDIATION, Mediation, mediation.pk)
    errors: dict[str, list[str]] = {}
    agreement = clean_text(
        agreement, "agreement", errors, required=outcome == "agreed", limit=4000, multiline=True
    )
    if mediation.outcome != MediationOutcome.PENDING:
        errors.setdefault("outcome", []).append(_("调解已结案。"))
    if outcome not in MediationOutcome.values or outcome == MediationOutcome.PENDING:
        errors.setdefault("outcome", []).append(_("请选择调解结果。"))
    if not mediation.sessions.exists():
        errors.setdefault("outcome", []).append(_("请先登记至少一次调解。"))
    raise_errors(errors)
    mediation.outcome = outcome
    mediation.agreement = agreement
    mediation.concluded_on = timezone.localdate()
    mediation.save()
    return mediation
