from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from gonghui.core import modules, selectors


def platform(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"demo_mode": settings.GONGHUI_DEMO}
    user: Any = getattr(request, "user", None)
    if user is not None and getattr(user, "is_staff_account", False):
        # The side menu (with its badge counts) is built from the modules' declarations,
        # lazily: only pages that show the menu count anything.
        context["console_menu"] = SimpleLazyObject(lambda: modules.console_menu(user))
    elif user is not None and getattr(user, "is_enterprise_account", False):
        context["enterprise_tiles"] = SimpleLazyObject(lambda: modules.enterprise_tiles(user))
    elif user is not None and getattr(user, "person_id_or_none", None) is not None:
        # Counted only when a page shows it (the portal's tab bar).
        context["unread_messages"] = SimpleLazyObject(
            lambda: selectors.notification_unread_count(actor=user)
        )
    return context
