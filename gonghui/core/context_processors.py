from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from gonghui.core import badges


def platform(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"demo_mode": settings.GONGHUI_DEMO}
    user: Any = getattr(request, "user", None)
    if user is not None and getattr(user, "is_staff_account", False):
        context["pending"] = SimpleLazyObject(lambda: badges.counts(user))
    return context
