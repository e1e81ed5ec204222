"""What changed, who changed it and when (PLT-2), read from django-simple-history.

Sealed fields are never shown, old or new: the line says that the value changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from gonghui.core.fields import SealedField

HISTORY_LIMIT = 50


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


ACTIONS = {"+": "创建", "~": "修改", "-": "删除"}


def _display(field: models.Field, value: Any) -> str:
    if value is None or value == "":
        return "—"
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
                field = model._meta.get_field(change.field)
                if not isinstance(field, models.Field):
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
                action=_(ACTIONS.get(record.history_type, record.history_type)),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    return entries
