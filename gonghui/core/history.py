"""What changed, who changed it and when (PLT-2), read from django-simple-history.

Sealed fields are never shown, old or new: the line says that the value changed.

Records created by a spreadsheet import carry ``source_import`` and ``source_row`` instead of a
history row each (a city's roll is hundreds of thousands of rows; see docs/adr/0003). Their
creation is shown from the import; the first time such a record changes, its state as imported
is written to the history first, so the change has a "before" like any other."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.fields import SealedField

HISTORY_LIMIT = 50
INTERNAL = frozenset({"source_import", "source_row"})


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    at: Any
    user: str
    kind: str
    action: str
    reason: str
    changes: list[Change]


ACTIONS = {"+": gettext_lazy("创建"), "~": gettext_lazy("修改"), "-": gettext_lazy("删除")}


def _sealed_twin(model: Any, name: str) -> SealedField | None:
    """A sealed value is re-encrypted on every save, so its ciphertext says nothing; its
    keyed hash (``mobile`` → ``mobile_hash``) changes exactly when the value does."""
    if not name.endswith("_hash"):
        return None
    try:
        field = model._meta.get_field(name.removesuffix("_hash"))
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, SealedField) else None


def _shown(field: models.Field) -> bool:
    """Fields a person reads about: not the platform's own bookkeeping (a tree path, a
    look-up hash, the import a record came from)."""
    if isinstance(field, SealedField):
        return True
    return field.editable and not field.name.endswith("_hash") and field.name not in INTERNAL


def _display(field: models.Field, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(field, SealedField):
        return _("（加密字段）")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.ForeignKey):
        target = field.related_model._base_manager.filter(pk=value).first()  # type: ignore[union-attr]
        return str(target) if target is not None else f"#{value}"
    if isinstance(field, models.BooleanField):
        return _("是") if value else _("否")
    return str(value)


def _import_reason(job: Any, row: Any) -> str:
    return _("批量导入 #%(id)s（%(file)s 第 %(row)s 行）") % {
        "id": job.pk,
        "file": job.original_name,
        "row": row,
    }


def ensure_creation_record(instance: models.Model) -> None:
    """Before an imported record changes for the first time, write its state as imported as
    the "created" history row (who imported it, when, from which row)."""
    from gonghui.core.models import ImportJob

    if instance.pk is None or not getattr(instance, "source_import_id", None):
        return
    model = type(instance)
    history_model = model.history.model  # type: ignore[attr-defined]
    if history_model.objects.filter(id=instance.pk).exists():
        return
    old = model._base_manager.filter(pk=instance.pk).first()
    if old is None:
        return
    job = ImportJob.unscoped.filter(pk=old.source_import_id).first()  # type: ignore[attr-defined]
    own = {f.attname for f in model._meta.concrete_fields}
    values = {
        f.attname: getattr(old, f.attname)
        for f in history_model._meta.concrete_fields
        if f.attname in own
    }
    history_model.objects.create(
        **values,
        history_date=getattr(old, "created_at", None) or (job.finished_at if job else None),
        history_type="+",
        history_user_id=job.created_by_id if job else None,
        history_change_reason=_import_reason(job, old.source_row) if job else "",  # type: ignore[attr-defined]
    )


def _before_save(sender: Any, instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        ensure_creation_record(instance)


def connect_imported_models() -> None:
    """Watch every model that records its import (called once, from ``CoreConfig.ready``)."""
    from django.apps import apps
    from django.db.models.signals import pre_save

    for model in apps.get_models():
        names = {f.name for f in model._meta.get_fields()}
        if "source_import" in names and hasattr(model, "history"):
            pre_save.connect(_before_save, sender=model, dispatch_uid=f"imported-{model._meta}")


def history_of(instance: models.Model, limit: int = HISTORY_LIMIT) -> list[Entry]:
    """Newest first. The caller has already fetched ``instance`` through a scoped selector."""
    records = list(
        instance.history.select_related("history_user").order_by("-history_date", "-history_id")[  # type: ignore[attr-defined]
            : limit + 1
        ]
    )
    entries: list[Entry] = []
    model = type(instance)
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes: list[Change] = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = _sealed_twin(model, change.field) or model._meta.get_field(change.field)
                if not isinstance(field, models.Field) or not _shown(field):
                    continue
                if isinstance(field, SealedField):
                    changes.append(
                        Change(str(field.verbose_name), "", _("（已更改，内容加密不显示）"))
                    )
                    continue
                if getattr(field, "attname", None) in {"password"}:
                    continue
                changes.append(
                    Change(
                        str(field.verbose_name),
                        _display(field, change.old),
                        _display(field, change.new),
                    )
                )
        user = record.history_user
        entries.append(
            Entry(
                at=record.history_date,
                user=str(user) if user else _("系统"),
                kind=record.history_type,
                action=str(ACTIONS.get(record.history_type, record.history_type)),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    if len(records) <= limit and not any(e.kind == "+" for e in entries):
        created = _imported_entry(instance)
        if created is not None:
            entries.append(created)
    return entries


def _imported_entry(instance: models.Model) -> Entry | None:
    from gonghui.core.models import ImportJob

    job_id = getattr(instance, "source_import_id", None)
    if not job_id:
        return None
    job = ImportJob.unscoped.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        return None
    return Entry(
        at=getattr(instance, "created_at", None) or job.finished_at,
        user=str(job.created_by),
        kind="+",
        action=str(ACTIONS["+"]),
        reason=_import_reason(job, getattr(instance, "source_row", "")),
        changes=[],
    )
