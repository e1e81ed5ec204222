"""Simplified Chinese first: the language is Chinese unless the person chose another with the
language switch (Django's language cookie). The browser's Accept-Language is not consulted,
so a phone set to English still gets the Chinese product its union uses, and nobody sees a
half-translated page."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _


class ChineseFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class ContentSecurityPolicyMiddleware:
    """Sends ``settings.CONTENT_SECURITY_POLICY`` (directive -> sources) with every response
    that does not set its own. Django 5.2 has no built-in policy; this is the whole of it.
    The policy is the reason templates hold no inline script (docs/adr/0007)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        policy: dict[str, list[str]] = settings.CONTENT_SECURITY_POLICY
        self.header = "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Content-Security-Policy", self.header)
        return response


# C0 controls but tab, newline and carriage return, and DEL: no search box or link carries
# them, PostgreSQL refuses NUL in any text, and a value read straight from the query string
# (a search term) never passes the text validator.
_CONTROL_IN_QUERY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class QueryStringGuardMiddleware:
    """Refuse a query string holding control characters with a clear 400, before any view
    reads it (``?q=%00`` would otherwise reach the database)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, values in request.GET.lists():
            if _CONTROL_IN_QUERY.search(key) or any(_CONTROL_IN_QUERY.search(v) for v in values):
                message = _("网址参数中含有不允许的控制字符，请检查链接或重新输入。")
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": str(message)}, status=400)
                return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ServiceUnavailableMiddleware:
    """A page whose request met a backing service that is down (the cache, a database that
    is restarting) answers a friendly Chinese page with 503 and ``Retry-After`` instead of the
    500 page: nothing is broken, the visitor should try again in a few seconds. (The API
    answers JSON: ``core.api``.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_response(request, exception)


def unavailable_response(request: HttpRequest, exception: BaseException) -> HttpResponse | None:
    """503 with ``Retry-After`` for an exception that means "try again shortly" (JSON on
    ``/api/``, the friendly page elsewhere); None for any other."""
    import json

    from django.template.loader import render_to_string

    from gonghui.core import availability

    if not isinstance(exception, availability.unavailable_errors()):
        return None
    message = getattr(exception, "message", availability.MESSAGE)
    if request.path.startswith("/api/"):
        response = HttpResponse(
            json.dumps({"detail": str(message)}, ensure_ascii=False),
            status=503,
            content_type="application/json; charset=utf-8",
        )
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(availability.RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: what an uncaught exception anywhere answers, in a view or in a
    middleware (the session or the user read while the database restarts, which no
    ``process_exception`` sees). A backing service that is down gets the 503 answer; anything
    else the 500 page."""
    import sys

    from django.template.loader import render_to_string

    error = sys.exc_info()[1]
    if error is not None:
        unavailable = unavailable_response(request, error)
        if unavailable is not None:
            return unavailable
    return HttpResponse(render_to_string("500.html"), status=500)
