"""Training in the worker's "my requests" inbox: each course they enrolled on, its state
and what comes next."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import inbox
from gonghui.employment.models import Enrolment, EnrolmentStatus

TONES = {
    EnrolmentStatus.ENROLLED: "warning",
    EnrolmentStatus.COMPLETED: "success",
    EnrolmentStatus.NOT_COMPLETED: "secondary",
    EnrolmentStatus.WITHDRAWN: "secondary",
}


def _detail(enrolment: Enrolment) -> str:
    course = enrolment.course
    if enrolment.status == EnrolmentStatus.ENROLLED:
        return _("%(a)s 至 %(b)s，%(p)s。") % {
            "a": course.starts_on,
            "b": course.ends_on,
            "p": course.place,
        }
    if enrolment.status == EnrolmentStatus.COMPLETED:
        return _("%(d)s 结业。") % {"d": enrolment.completed_on}
    return enrolment.completion_note


def enrolment_items(person_id: int) -> Iterable[inbox.InboxItem]:
    enrolments = Enrolment.unscoped.filter(person_id=person_id).select_related(
        "course", "course__organization"
    )
    today = timezone.localdate()
    for enrolment in enrolments:
        updated = enrolment.enrolled_at
        if enrolment.completed_on is not None:
            closed = timezone.make_aware(
                datetime.datetime.combine(enrolment.completed_on, datetime.time(18))
            )
            updated = max(updated, closed)
        yield inbox.InboxItem(
            kind="training",
            kind_label=_("技能培训"),
            id=enrolment.pk,
            title=enrolment.course.title,
            status=enrolment.status,
            status_label=str(enrolment.get_status_display()),
            tone=TONES[EnrolmentStatus(enrolment.status)],
            created_at=enrolment.enrolled_at,
            updated_at=updated,
            detail=_detail(enrolment),
            handler=enrolment.course.organization.name,
            url=reverse("portal:training_home"),
            open=enrolment.status == EnrolmentStatus.ENROLLED and enrolment.course.ends_on >= today,
        )
