"""Model fields for personal data (see ``gonghui.core.crypto``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from gonghui.core.crypto import Sealed, mask_all


class _SealedDescriptor:
    """Wraps every assigned plaintext in ``Sealed`` at once, so the model attribute is never
    a bare string that a template could print."""

    def __init__(self, field: SealedField) -> None:
        self.field = field

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return instance.__dict__.get(self.field.attname)

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = self.field.wrap(value)


class SealedField(models.BinaryField):
    """An encrypted text value. Not searchable: pair it with a blind-index column."""

    def __init__(
        self,
        *args: Any,
        purpose: str,
        masker: Callable[[str], str] = mask_all,
        **kwargs: Any,
    ) -> None:
        self.purpose = purpose
        self.masker = masker
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls: Any, name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.attname, _SealedDescriptor(self))

    def wrap(self, value: Any) -> Sealed | None:
        if value is None or value == "" or isinstance(value, Sealed):
            return value or None
        if isinstance(value, str):
            return Sealed(purpose=self.purpose, masker=self.masker, plain=value)
        return Sealed(purpose=self.purpose, masker=self.masker, token=bytes(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Sealed | None:
        if value is None:
            return None
        return Sealed(purpose=self.purpose, masker=self.masker, token=bytes(value))

    def to_python(self, value: Any) -> Any:
        return self.wrap(value)

    def get_prep_value(self, value: Any) -> Any:
        value = self.wrap(value)
        if value is None:
            return None
        return value.token

    def value_to_string(self, obj: Any) -> str:
        value = self.value_from_object(obj)
        return str(value) if value else ""
