from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from gonghui.core import badges, selectors


def platform(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"demo_mode": settings.GONGHUI_DEMO}
    user: Any = getattr(request, "user", None)
    if user is not None and getattr(user, "is_staff_account", False):
        context["pending"] = SimpleLazyObject(lambda: badges.counts(user))
    elif user is not None and getattr(user, "person_id_or_none", None) is not None:
        # Counted only when a page shows it (the portal's tab bar).
        context["unread_messages"] = SimpleLazyObject(
            lambda: selectors.notification_unread_count(actor=user)
        )
    return context
