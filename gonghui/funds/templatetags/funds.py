"""``{{ amount|yuan }}``: an amount of money as people read it, ``1,581,200.50``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"
