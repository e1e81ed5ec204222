"""Platform writes: counters and the personal-data access log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import F

from gonghui.core.crypto import Sealed
from gonghui.core.models import AccessReason, Counter, PersonalDataAccess
from gonghui.core.permissions import Perm, require


def counter_take(*, name: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive values of the named counter; return the first.

    The increment is one UPDATE on the counter row, which holds the row lock until the
    surrounding transaction ends, so two callers never receive overlapping blocks."""
    with transaction.atomic():
        Counter.objects.get_or_create(name=name)
        Counter.objects.filter(name=name).update(value=F("value") + count)
        value = Counter.objects.filter(name=name).values_list("value", flat=True).get()
    return int(value) - count + 1


@dataclass(frozen=True)
class Subject:
    """Whose personal data was looked at."""

    type: str
    id: int
    label: str

    @classmethod
    def of(cls, instance: models.Model) -> Subject:
        meta = instance._meta
        return cls(f"{meta.app_label}.{meta.model_name}", int(instance.pk), str(instance)[:100])


def personal_data_reveal(
    *,
    actor: Any,
    subject: models.Model,
    field: str,
    value: Sealed,
    reason: str,
    reason_note: str = "",
    ip_address: str | None = None,
) -> str:
    """Return the plaintext of ``value`` after checking the role and logging the view."""
    require(actor, Perm.REVEAL_PERSONAL)
    if reason not in AccessReason.values:
        raise ValueError(f"unknown reason {reason!r}")
    with transaction.atomic():
        personal_data_log(
            actor=actor,
            subjects=[Subject.of(subject)],
            fields=[field],
            reason=reason,
            reason_note=reason_note,
            ip_address=ip_address,
        )
    return value.reveal()


def personal_data_log(
    *,
    actor: Any,
    subjects: Iterable[Subject],
    fields: Iterable[str],
    reason: str,
    reason_note: str = "",
    channel: str = "page",
    ip_address: str | None = None,
) -> int:
    """Write one access-log row per subject and field; must run inside the transaction that
    hands out the plaintext, so a view is never shown without its log row."""
    field_list = list(fields)
    rows = [
        PersonalDataAccess(
            actor=actor,
            actor_organization_id=actor.organization_id,
            subject_type=s.type,
            subject_id=s.id,
            subject_label=s.label,
            field=f,
            reason=reason,
            reason_note=reason_note[:200],
            channel=channel,
            ip_address=ip_address,
        )
        for s in subjects
        for f in field_list
    ]
    PersonalDataAccess.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
