"""Platform writes: counters and the personal-data access log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F

from gonghui.core.crypto import Sealed
from gonghui.core.models import AccessReason, Counter, PersonalDataAccess
from gonghui.core.permissions import Perm, require


def counter_values(*, name: str, count: int = 1) -> list[int]:
    """Take ``count`` fresh values of the named counter (member card numbers, codes).

    On PostgreSQL a counter is a sequence: ``nextval`` never hands a value out twice and holds
    no lock, so a long import does not block a clerk enrolling one member meanwhile; a
    rolled-back caller leaves gaps, which numbers of this kind allow. On SQLite, whose immediate
    transactions already serialise writers, the ``Counter`` row is advanced by ``count``."""
    if connection.vendor == "postgresql":
        # The sequence exists: migrations create one per counter (core 0002).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                [f"gonghui_counter_{name}", count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
    with transaction.atomic():
        Counter.objects.get_or_create(name=name)
        Counter.objects.filter(name=name).update(value=F("value") + count)
        last = int(Counter.objects.filter(name=name).values_list("value", flat=True).get())
    return list(range(last - count + 1, last + 1))


def counter_take(*, name: str) -> int:
    return counter_values(name=name)[0]


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
