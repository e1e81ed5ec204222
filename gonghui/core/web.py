"""Helpers shared by the thin views of every app."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from gonghui.core import counts
from gonghui.core.permissions import has_perm, require


def apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form, each message at its field when the
    form has that field, otherwise at the top of the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages)
    else:
        form.add_error(None, exc.messages)


def decided(
    request: HttpRequest,
    form: Any,
    perm: Any,
    decide: Callable[[bool, str], object],
    success: str,
) -> bool:
    """Handle a posted approve / refuse form: the role, the service call ``decide(approve,
    note)``, the messages. True when the decision was recorded. A refusal of this actor for
    this request (the maker, the decider of an earlier step: ``core.decisions``) is shown on
    the page like an input error; a role without ``perm`` gets the 403 page."""
    require(request.user, perm)
    if not form.is_valid():
        return False
    try:
        decide(form.approved, form.cleaned_data["note"])
    except ValidationError as exc:
        apply_errors(form, exc)
        messages.error(request, error_text(exc))
        return False
    except PermissionDenied as exc:
        non_field_error(form, str(exc))
        messages.error(request, str(exc))
        return False
    messages.success(request, success)
    return True


def error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


def paginate(
    request: HttpRequest,
    queryset: Any,
    per_page: int | None = None,
    *,
    count_topic: str | None = None,
) -> Page:
    """A page of ``queryset``. With ``count_topic``, the total is taken from Django's cache
    while nothing of that topic has changed (see ``core.counts``): counting a district's
    hundred thousand members on every page view costs more than the page itself."""
    paginator = Paginator(queryset, per_page or settings.GONGHUI_PAGE_SIZE)
    if count_topic is not None:
        key = (getattr(request.user, "scope_path", ""), request.path, _filters(request))
        total = counts.cached_count(count_topic, key, queryset.count)
        paginator.count = total  # replaces the cached_property
    return paginator.get_page(request.GET.get("page"))


def _filters(request: HttpRequest) -> str:
    return "&".join(
        f"{k}={v}" for k, v in sorted(request.GET.items()) if k not in {"page", "format"}
    )


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind a reverse proxy the header named by
    ``GONGHUI_CLIENT_IP_HEADER`` (its last entry: the one the proxy itself appended; earlier
    ones are whatever the client claimed). A value that is not an address is ignored."""
    header = settings.GONGHUI_CLIENT_IP_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        candidate = forwarded.rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def staff_required(view: Any) -> Any:
    """A console view: signed-in staff only; workers are sent to their portal. To an
    enterprise contact every console page is "not found": it has no organisation scope, and
    the console must not even confirm which pages exist."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if getattr(user, "is_enterprise_account", False):
            raise Http404
        if not user.is_staff_account:
            return redirect("portal:home")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def worker_required(view: Any) -> Any:
    """A portal page: a signed-in worker who has registered; staff go to their console."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if getattr(user, "is_staff_account", False):
            return redirect("console:home")
        if getattr(user, "is_enterprise_account", False):
            return redirect("enterprise:home")
        if user.person_id is None:
            return redirect("portal:register")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def enterprise_required(view: Any) -> Any:
    """A page of the enterprise area: a signed-in enterprise contact; staff go to their
    console and workers to their portal."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("enterprise:login"))
        if getattr(user, "is_staff_account", False):
            return redirect("console:home")
        if not getattr(user, "is_enterprise_account", False):
            return redirect("portal:home")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def can(request: HttpRequest, perm: Any) -> bool:
    return has_perm(request.user, perm)


def non_field_error(form: forms.BaseForm, message: str) -> None:
    form.add_error(None, ValidationError(message, code=NON_FIELD_ERRORS))


def not_allowed_message() -> str:
    return _("您的角色不能执行此操作。")
