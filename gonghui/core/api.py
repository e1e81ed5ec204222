"""Shared pieces of the REST API: authentication, error shapes, actor checks.

Two ways in: a bearer token (``Authorization: Bearer gh_…``) for the mini-program, and the
browser session (with CSRF) for pages that call the API. Handlers are thin: they call the
same selectors and services as the pages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.security import HttpBearer, SessionAuth


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from gonghui.accounts.services import api_token_user

        user = api_token_user(key=token)
        if user is not None:
            request.user = user
        return user


AUTH = [BearerToken(), SessionAuth()]


class Message(Schema):
    detail: str


class FieldError(Schema):
    field: str
    message: str


class ValidationErrors(Schema):
    detail: str
    errors: list[FieldError]


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs
            ]
        else:
            errors = [{"field": "", "message": m} for m in exc.messages]
        return api.create_response(
            request, {"detail": _("提交的内容有误。"), "errors": errors}, status=422
        )

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc) or _("无权操作。")}, status=403)


def staff_actor(request: HttpRequest) -> Any:
    """The authenticated staff account, or 403 for a worker's token."""
    user: Any = request.auth  # type: ignore[attr-defined]
    if not getattr(user, "is_staff_account", False):
        raise PermissionDenied(_("仅限工会工作人员使用。"))
    return user


def worker_actor(request: HttpRequest, *, registered: bool = True) -> Any:
    """The authenticated worker account (registered, unless said otherwise), or 403."""
    user: Any = request.auth  # type: ignore[attr-defined]
    if not getattr(user, "is_worker_account", False):
        raise PermissionDenied(_("仅限职工本人使用。"))
    if registered and user.person_id is None:
        raise PermissionDenied(_("请先完成实名登记。"))
    return user
