"""Money, in one place: ``Decimal`` yuan with two places (分), never a float.

One rule (``to_money``) is used by the model field (``MoneyField``), the form field
(``MoneyFormField``), services (``check_money``) and the API's ``Money`` input type
(``gonghui.core.api``): a number written with ASCII digits, at most two decimal places, at
most 9,999,999,999.99 yuan (``numeric(12, 2)``), and not negative unless the field says so
(``allow_negative``, e.g. a ledger's correcting entry). Messages are Chinese and say how to
fix the value.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_DIGITS = 12
PLACES = 2
CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999.99")
# What a person types: digits, an optional sign and decimal point; no exponent, no
# separators, no full-width digits (which ``Decimal`` would accept).
_TYPED = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


def _message(code: str) -> str:
    messages = {
        "invalid": _("金额应为数字，例如 1234.50。"),
        "negative": _("金额不能为负数。"),
        "places": _("金额最多两位小数（精确到分）。"),
        "too_big": _("金额过大，不能超过 %(max)s 元。") % {"max": f"{MAX_MONEY:,}"},
    }
    return str(messages[code])


def to_money(value: Any, *, allow_negative: bool = False) -> Decimal:
    """``value`` (a ``Decimal``, an ``int``, the text a person typed, or a ``float`` read as
    its shortest form, which is what was typed) as yuan with exactly two places; raises
    ``ValidationError`` with code ``invalid``, ``negative``, ``places`` or ``too_big``."""
    if isinstance(value, bool):
        raise ValidationError(_message("invalid"), code="invalid")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        text = value.strip()
        if not _TYPED.match(text):
            raise ValidationError(_message("invalid"), code="invalid")
        value = Decimal(text)
    elif isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError(_message("invalid"), code="invalid")
    if value < 0 and not allow_negative:
        raise ValidationError(_message("negative"), code="negative")
    if abs(value) > MAX_MONEY:
        raise ValidationError(_message("too_big"), code="too_big")
    try:
        exact = value.quantize(CENT)
    except InvalidOperation:  # cannot happen within MAX_MONEY; refused all the same
        raise ValidationError(_message("invalid"), code="invalid") from None
    if exact != value:
        raise ValidationError(_message("places"), code="places")
    return exact + 0  # ``-0.00`` becomes ``0.00``


def check_money(
    value: Any,
    field: str,
    errors: dict[str, list[str]],
    *,
    required: bool = False,
    allow_negative: bool = False,
) -> Decimal | None:
    """For services: the amount (see ``to_money``), or ``None`` when left empty and not
    ``required``. Problems are added to ``errors[field]``, as ``clean_text`` does, so a
    service reports every field at once (``raise_errors``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.setdefault(field, []).append(str(_("请填写金额。")))
        return None
    try:
        return to_money(value, allow_negative=allow_negative)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
        return None


@deconstructible
class MoneyValidator:
    """The model field's validator (``to_money`` on the value it holds)."""

    def __init__(self, allow_negative: bool = False) -> None:
        self.allow_negative = allow_negative

    def __call__(self, value: Any) -> None:
        if value is not None:
            to_money(value, allow_negative=self.allow_negative)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MoneyValidator) and other.allow_negative == self.allow_negative

    def __hash__(self) -> int:
        return hash(self.allow_negative)


class MoneyField(models.DecimalField):
    """A sum of money in yuan: ``numeric(12, 2)``, validated by ``to_money``.

    It deconstructs as the ``DecimalField`` it stores, so migrations see a plain decimal
    column: switching a field to ``MoneyField`` needs no migration and changes no column,
    and the rule can change without touching the migration history. ``allow_negative`` is
    not a database property and stays out of migrations."""

    default_error_messages = {"invalid": gettext_lazy("金额应为数字，例如 1234.50。")}

    def __init__(self, *args: Any, allow_negative: bool = False, **kwargs: Any) -> None:
        self.allow_negative = allow_negative
        kwargs["max_digits"], kwargs["decimal_places"] = MAX_DIGITS, PLACES
        super().__init__(*args, **kwargs)

    @property
    def validators(self) -> list[Any]:
        # The money rule instead of Django's DecimalValidator: the same limits, one message each.
        own: list[Any] = self._validators  # type: ignore[attr-defined]
        return [*own, MoneyValidator(self.allow_negative)]

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs

    def formfield(  # type: ignore[override]
        self, form_class: Any = None, **kwargs: Any
    ) -> Any:
        return super().formfield(
            form_class=form_class or MoneyFormField, allow_negative=self.allow_negative, **kwargs
        )


class MoneyFormField(forms.DecimalField):
    """A form's amount in yuan, read by ``to_money`` (the same rules and messages as the
    model field and the API)."""

    default_error_messages = {"invalid": gettext_lazy("金额应为数字，例如 1234.50。")}

    def __init__(self, *, allow_negative: bool = False, **kwargs: Any) -> None:
        self.allow_negative = allow_negative
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        super().__init__(max_digits=MAX_DIGITS, decimal_places=PLACES, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, DecimalValidator)]

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        return to_money(value, allow_negative=self.allow_negative)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.NumberInput):
            attrs.setdefault("min", "0" if not self.allow_negative else f"-{MAX_MONEY}")
            attrs.setdefault("max", str(MAX_MONEY))
        return attrs
