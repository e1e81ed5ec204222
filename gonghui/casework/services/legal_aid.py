"""Legal aid: the lawyer rosters, a lawyer assigned to a case, and the outcome."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.casework.models import (
    Case,
    EventKind,
    Lawyer,
    LegalAid,
    LegalAidOutcome,
)
from gonghui.casework.services.cases import (
    ACTION_STATES,
    case_event,
    case_lock_handling,
    case_notify,
    require_state,
)
from gonghui.casework.services.mediation import require_special
from gonghui.core.locks import LockSpace, lock_first
from gonghui.core.money import check_money
from gonghui.core.permissions import Perm
from gonghui.core.scoping import require_within
from gonghui.core.validators import (
    clean_text,
    raise_errors,
)
from gonghui.organizations.models import (
    Organization,
)

# --- legal aid --------------------------------------------------------------------------------


@transaction.atomic
def lawyer_save(
    *,
    actor: Any,
    lawyer: Lawyer | None,
    organization: Organization,
    name: str,
    firm: str,
    licence_number: str,
    phone: str,
    specialties: str = "",
    is_active: bool = True,
) -> Lawyer:
    require_within(actor, organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required=True, limit=50)
    firm = clean_text(firm, "firm", errors, required=True, limit=100)
    phone = clean_text(phone, "phone", errors, required=True, limit=30)
    specialties = clean_text(specialties, "specialties", errors, required=False, limit=200)
    licence_number = (licence_number or "").strip()
    if len(licence_number) != 17 or not licence_number.isascii() or not licence_number.isdigit():
        errors.setdefault("licence_number", []).append(_("律师执业证号为 17 位数字。"))
    elif (
        Lawyer.unscoped.filter(licence_number=licence_number)
        .exclude(pk=lawyer.pk if lawyer is not None else 0)
        .exists()
    ):
        errors.setdefault("licence_number", []).append(_("该执业证号已在名册中。"))
    raise_errors(errors)
    lawyer = lawyer or Lawyer(organization=organization)
    lawyer.organization = organization
    lawyer.name, lawyer.firm, lawyer.licence_number = name, firm, licence_number
    lawyer.phone, lawyer.specialties, lawyer.is_active = phone, specialties, is_active
    lawyer.save()
    return lawyer


@transaction.atomic
def legal_aid_assign(*, actor: Any, case: Case, lawyer: Lawyer) -> LegalAid:
    require_special(case, "legal_aid")
    case = case_lock_handling(actor, case)
    require_state(case, *ACTION_STATES["lawyer"])
    if not lawyer.is_active or not case.handler.path.startswith(lawyer.organization.path):
        raise ValidationError({"lawyer": [_("请从承办单位或其上级的律师名册中选择在册律师。")]})
    aid = LegalAid.objects.filter(case=case).first()
    if aid is not None and aid.outcome != LegalAidOutcome.PENDING:
        raise ValidationError({"lawyer": [_("援助已有结果，不能更换律师。")]})
    aid = aid or LegalAid(case=case, assigned_by=actor, lawyer=lawyer)
    aid.lawyer, aid.assigned_by, aid.assigned_at = lawyer, actor, timezone.now()
    aid.save()
    case_event(case, EventKind.NOTE, actor, note=_("指派援助律师：%(l)s") % {"l": lawyer})
    case_notify(case, _("已为您指派援助律师%(l)s。") % {"l": lawyer})
    return aid


@transaction.atomic
def legal_aid_record_outcome(
    *,
    actor: Any,
    case: Case,
    outcome: str,
    note: str = "",
    recovered_amount: Decimal | None = None,
) -> LegalAid:
    case = case_lock_handling(actor, case)
    aid = lock_first(LockSpace.LEGAL_AID, LegalAid.objects.filter(case=case))
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "outcome_note", errors, required=False, limit=2000, multiline=True)
    if aid is None:
        errors.setdefault("outcome", []).append(_("请先指派援助律师。"))
    if outcome not in LegalAidOutcome.values or outcome == LegalAidOutcome.PENDING:
        errors.setdefault("outcome", []).append(_("请选择援助结果。"))
    amount = check_money(recovered_amount, "recovered_amount", errors)
    raise_errors(errors)
    assert aid is not None  # noqa: S101 (checked above)
    aid.outcome, aid.outcome_note = outcome, note
    aid.recovered_amount = amount
    aid.save()
    return aid
