"""Counselling: counsellors, the slots they publish, bookings by workers, and session notes
private to the counsellor."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.casework.models import (
    OPEN_STATES,
    CounsellingNote,
    CounsellingSlot,
    Counsellor,
)
from gonghui.casework.services.cases import case_open, case_withdraw
from gonghui.core.permissions import Perm
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.validators import (
    clean_text,
    raise_errors,
)
from gonghui.organizations.models import (
    ServiceType,
)

# --- counselling ------------------------------------------------------------------------------


@transaction.atomic
def counsellor_register(
    *, actor: Any, user: Any, name: str, qualification: str, introduction: str = ""
) -> Counsellor:
    if not getattr(user, "is_staff_account", False):
        raise ValidationError({"user": [_("心理咨询师须有工作人员账号。")]})
    require_within(actor, user.organization, Perm.MANAGE_STAFF)
    errors: dict[str, list[str]] = {}
    name = clean_text(name, "name", errors, required=True, limit=50)
    qualification = clean_text(qualification, "qualification", errors, required=True, limit=100)
    introduction = clean_text(
        introduction, "introduction", errors, required=False, limit=300, multiline=True
    )
    if Counsellor.unscoped.filter(user=user).exists():
        errors.setdefault("user", []).append(_("该账号已登记为心理咨询师。"))
    raise_errors(errors)
    return Counsellor.objects.create(
        user=user,
        organization=user.organization,
        name=name,
        qualification=qualification,
        introduction=introduction,
    )


def _counsellor_of(actor: Any) -> Counsellor:
    counsellor = Counsellor.unscoped.filter(user_id=getattr(actor, "pk", 0) or 0, is_active=True)
    found = counsellor.first()
    if found is None:
        raise PermissionDenied(_("仅心理咨询师本人可以操作。"))
    return found


@transaction.atomic
def slot_publish(
    *, actor: Any, starts_at: datetime.datetime, minutes: int, place: str
) -> CounsellingSlot:
    counsellor = _counsellor_of(actor)
    errors: dict[str, list[str]] = {}
    place = clean_text(place, "place", errors, required=True, limit=100)
    if starts_at <= timezone.now():
        errors.setdefault("starts_at", []).append(_("开始时间须晚于现在。"))
    if starts_at > timezone.now() + datetime.timedelta(days=366):
        errors.setdefault("starts_at", []).append(_("只能发布一年以内的时段。"))
    if not 15 <= minutes <= 180:
        errors.setdefault("minutes", []).append(_("每次咨询时长为 15 到 180 分钟。"))
    ends_at = starts_at + datetime.timedelta(minutes=minutes)
    clash = CounsellingSlot.objects.filter(
        counsellor=counsellor, cancelled=False, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if clash.exists():
        errors.setdefault("starts_at", []).append(_("与已发布的时段重叠。"))
    raise_errors(errors)
    return CounsellingSlot.objects.create(
        counsellor=counsellor, starts_at=starts_at, ends_at=ends_at, place=place
    )


@transaction.atomic
def slot_book(
    *, actor: Any, slot: CounsellingSlot, topic: str, idempotency_key: str = ""
) -> CounsellingSlot:
    """A worker books a free slot; a counselling case is opened with it, so the booking is
    followed in the inbox like any request. One conditional UPDATE takes the slot: two
    workers pressing at once cannot both get it."""
    if not getattr(actor, "is_worker_account", False) or actor.person_id is None:
        raise PermissionDenied(_("仅限职工本人预约。"))
    errors: dict[str, list[str]] = {}
    topic = clean_text(topic, "topic", errors, required=True, limit=100)
    if slot.starts_at <= timezone.now():
        errors.setdefault("slot", []).append(_("该时段已过，请选择其他时段。"))
    raise_errors(errors)
    taken = CounsellingSlot.objects.filter(pk=slot.pk, person__isnull=True, cancelled=False).update(
        person_id=actor.person_id, booked_at=timezone.now()
    )
    if not taken:
        raise ValidationError({"slot": [_("该时段已被预约，请选择其他时段。")]})
    counselling = ServiceType.objects.get(code="counselling")
    counsellor = slot.counsellor
    case = case_open(
        actor=actor,
        person=actor.person,
        service_type=counselling,
        title=_("心理咨询预约"),
        description=_("预约%(c)s %(at)s，地点：%(p)s。咨询方面：%(t)s")
        % {
            "t": topic,
            "c": counsellor.name,
            "at": timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M"),
            "p": slot.place,
        },
        # One key per slot: a form reused for another slot is a new booking.
        idempotency_key=f"slot{slot.pk}:{idempotency_key}" if idempotency_key else "",
        # The counsellor's organisation handles it, whatever the nearest tier would be, and
        # a worker who is not a member may book too.
        handler=counsellor.organization,
    )
    CounsellingSlot.objects.filter(pk=slot.pk).update(case=case)
    slot.refresh_from_db()
    return slot


@transaction.atomic
def slot_cancel(*, actor: Any, slot: CounsellingSlot) -> CounsellingSlot:
    if not getattr(actor, "is_worker_account", False) or slot.person_id != actor.person_id:
        raise NotFound
    if slot.starts_at <= timezone.now():
        raise ValidationError({"slot": [_("咨询已开始，不能取消。")]})
    case = slot.case
    # Conditional on the booking still being this worker's: a page opened before an earlier
    # cancel must not clear the next worker's booking.
    same_booking = Q(case_id=slot.case_id) if slot.case_id else Q(case__isnull=True)
    released = CounsellingSlot.objects.filter(
        same_booking, pk=slot.pk, person_id=actor.person_id
    ).update(person=None, booked_at=None, case=None)
    if not released:
        raise ValidationError({"slot": [_("该预约已取消。")]})
    if case is not None and case.state in OPEN_STATES:
        case_withdraw(actor=actor, case=case, reason=_("取消预约"))
    slot.refresh_from_db()
    return slot


@transaction.atomic
def counselling_note_write(*, actor: Any, slot: CounsellingSlot, text: str) -> CounsellingNote:
    """Only the slot's own counsellor writes (and reads) its notes."""
    counsellor = _counsellor_of(actor)
    if slot.counsellor_id != counsellor.pk:
        raise NotFound
    errors: dict[str, list[str]] = {}
    text = clean_text(text, "text", errors, required=True, limit=4000, multiline=True)
    if slot.person_id is None:
        errors.setdefault("text", []).append(_("该时段无人预约，不能记录。"))
    raise_errors(errors)
    return CounsellingNote.objects.create(slot=slot, author=actor, text=text)
