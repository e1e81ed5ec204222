"""The privacy gate of the worker portal: a signed-in worker who has not agreed to the current
privacy notice (``accounts.selectors.consent_in_force``) sees the notice before any portal
page, registration included, since registering collects the ID number (sensitive personal
information under the Personal Information Protection Law). A middleware rather than a
decorator, so a portal page a module adds later cannot forget it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from gonghui.accounts import selectors

# Portal pages open without consent: signing in and out, the notice itself, and the public
# pages that never show the worker's data (a scanned member card, a calendar feed fetched by a
# calendar app with its token, the lottery's checking script).
OPEN_PAGES = frozenset(
    {
        "login",
        "send_code",
        "logout",
        "privacy",
        "card_verify",
        "culture_ical",
        "culture_draw_script",
    }
)


class PrivacyConsentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.namespace != "portal" or match.url_name in OPEN_PAGES:
            return None
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_worker_account:
            return None  # the page's own guard sends others to sign in or elsewhere
        if selectors.consent_in_force(user=user) is not None:
            return None
        target = reverse("portal:privacy") + "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
