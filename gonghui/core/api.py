"""Shared pieces of the REST API: authentication, input types, error shapes, actor checks.

Two ways in: a bearer token (``Authorization: Bearer gh_…``) for the mini-program, and the
browser session (with CSRF) for pages that call the API. Handlers are thin: they call the
same selectors and services as the pages.

Every input field of every schema uses the types below, so the bounds a client may send are
declared once, appear in the OpenAPI document, and are refused with a Chinese message (422)
before any service runs: text goes through the platform's one text validator with the model's
length limit, identifiers and page numbers fit the database's 64-bit keys, counts and years have
sensible maxima, and dates lie between 1900 and 2099. Every error the API can answer is
declared on every operation with its body shape (``GonghuiAPI.get_openapi_schema``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.pagination import PageNumberPagination
from ninja.security import HttpBearer, SessionAuth
from pydantic import AfterValidator, GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from gonghui.core import availability
from gonghui.core.availability import ServiceUnavailable
from gonghui.core.money import MAX_MONEY, to_money
from gonghui.core.validators import check_characters


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from gonghui.accounts.services import api_token_user

        user = api_token_user(key=token)
        if user is not None:
            request.user = user
        return user


AUTH = [BearerToken(), SessionAuth()]


# --- input types -------------------------------------------------------------------------------

MAX_ID = 2**63 - 1  # a BigAutoField key; a larger number cannot name a record
MAX_PAGE = 100_000
MAX_COUNT = 1_000_000  # seats, quotas, employees, people reached: no record needs more
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2099, 12, 31)


@dataclass(frozen=True)
class Text:
    """Metadata for a text field: ``Annotated[str, Text(100)]``, or ``Text.of(Model, "f")``
    to take the limit (and multi-line for a ``TextField``) from the model field it fills.
    The value is stripped and checked by ``check_characters`` (no control characters, one
    line unless ``multiline``). The markup rule and the field's own rules are the service's,
    which reports every field's problem at once."""

    max_length: int
    multiline: bool = False

    @classmethod
    def of(cls, model: Any, field: str) -> Text:
        from django.db import models

        model_field = model._meta.get_field(field)
        return cls(model_field.max_length, isinstance(model_field, models.TextField))

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def plain(value: str) -> str:
            try:
                return check_characters(value, multiline=self.multiline)
            except ValidationError as exc:
                raise PydanticCustomError(
                    "plain_text", "{error}", {"error": str(exc.messages[0])}
                ) from None

        return core_schema.no_info_after_validator_function(
            plain,
            core_schema.str_schema(strip_whitespace=True, max_length=self.max_length),
        )


@dataclass(frozen=True)
class OneOf:
    """Metadata for a choice: ``Annotated[str, OneOf(Household, blank=True)]`` takes one of
    the choices' values (or ``""`` when ``blank``) and declares them as the field's enum; the
    value stays a plain string."""

    choices: Any
    blank: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        values = [str(v) for v in getattr(self.choices, "values", self.choices)]
        if self.blank and "" not in values:
            values.append("")
        return core_schema.literal_schema(values)


@dataclass(frozen=True)
class Amount:
    """Metadata for a decimal: ``Annotated[Decimal, Amount("0", "100", places=1)]``. A client
    sends a JSON number or a numeric string; both are bounded in the schema."""

    ge: str
    le: str
    places: int = 2

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.decimal_schema(
            ge=Decimal(self.ge), le=Decimal(self.le), decimal_places=self.places
        )

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        low, high = float(self.ge), float(self.le)
        return {
            "anyOf": [
                {"type": "number", "minimum": low, "maximum": high},
                {"type": "string", "maxLength": 24, "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
            ]
        }


@dataclass(frozen=True)
class MoneyRules:
    """Metadata for an amount of money: ``Annotated[Decimal, MoneyRules()]`` (the ``Money``
    type below) reads the value by ``gonghui.core.money.to_money``, the rule the model
    field, the forms and the services use, with its Chinese messages. A client sends a JSON
    number or a numeric string."""

    allow_negative: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def money(value: Any) -> Decimal:
            try:
                return to_money(value, allow_negative=self.allow_negative)
            except ValidationError as exc:
                raise PydanticCustomError(
                    "money", "{error}", {"error": str(exc.messages[0])}
                ) from None

        return core_schema.no_info_plain_validator_function(money)

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        high = float(MAX_MONEY)
        low = -high if self.allow_negative else 0
        return {
            "anyOf": [
                {"type": "number", "minimum": low, "maximum": high},
                {"type": "string", "maxLength": 24, "pattern": r"^[+-]?[0-9]+(\.[0-9]{1,2})?$"},
            ]
        }


def _aware(value: datetime.datetime) -> datetime.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _date_in_range(value: datetime.date) -> datetime.date:
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST <= day <= LATEST:
        message = _("日期应在 %(a)s 至 %(b)s 之间。") % {"a": EARLIEST, "b": LATEST}
        raise PydanticCustomError("date_range", "{error}", {"error": str(message)})
    return value


# A record's id (path and body): what a 64-bit key can hold.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A count of things (seats, quotas, employees, workers reached).
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Year = Annotated[int, Field(ge=1900, le=2099)]
Date = Annotated[datetime.date, AfterValidator(_date_in_range)]
# A moment sent without a time zone is read in the platform's (Asia/Shanghai).
DateTime = Annotated[datetime.datetime, AfterValidator(_aware), AfterValidator(_date_in_range)]
# Yuan with two places, not negative, at most 9,999,999,999.99 (``gonghui.core.money``).
Money = Annotated[Decimal, MoneyRules()]
# A search box or a short code in a query string.
Search = Annotated[str, Text(100)]
# A client's key that makes a repeated submission return the first result.
IdempotencyKey = Annotated[str, Text(64)]


def omitted() -> Any:
    """The default of a field a PATCH may leave out: absent means "unchanged", and, since the
    type does not admit ``null``, an explicit ``null`` is refused (422) instead of reaching a
    column that cannot hold it. Read the payload with ``dict(exclude_unset=True)``."""
    return Field(None)


class Pages(PageNumberPagination):
    """Page-number pagination with bounded numbers: ``page`` ≤ 100,000, ``page_size`` ≤ 100."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=100)


# --- errors ----------------------------------------------------------------------------------


class Message(Schema):
    detail: str


class FieldError(Schema):
    field: str
    message: str


class ValidationErrors(Schema):
    detail: str
    errors: list[FieldError]


def _schema_message(error: dict[str, Any]) -> str:
    """A pydantic error in Chinese: what is wrong with the value and what it should be."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("plain_text", "date_range", "money", "value_error", "assertion_error"):
        return str(ctx.get("error") or error.get("msg", "")).removeprefix("Value error, ")
    simple = {
        "missing": _("此项必填。"),
        "string_type": _("应为文本。"),
        "int_type": _("应为整数。"),
        "int_parsing": _("应为整数。"),
        "int_from_float": _("应为整数，不能有小数。"),
        "float_type": _("应为数字。"),
        "float_parsing": _("应为数字。"),
        "decimal_type": _("应为数字。"),
        "decimal_parsing": _("应为数字。"),
        "finite_number": _("应为有限的数字。"),
        "bool_type": _("应为 true 或 false。"),
        "bool_parsing": _("应为 true 或 false。"),
        "date_type": _("日期格式应为 YYYY-MM-DD，且须为真实存在的日期。"),
        "date_parsing": _("日期格式应为 YYYY-MM-DD，且须为真实存在的日期。"),
        "date_from_datetime_parsing": _("日期格式应为 YYYY-MM-DD，且须为真实存在的日期。"),
        "date_from_datetime_inexact": _("日期格式应为 YYYY-MM-DD，不能带时间。"),
        "datetime_type": _("时间格式应为 ISO 8601，例如 2026-12-05T09:30:00+08:00。"),
        "datetime_parsing": _("时间格式应为 ISO 8601，例如 2026-12-05T09:30:00+08:00。"),
        "datetime_from_date_parsing": _("时间格式应为 ISO 8601，例如 2026-12-05T09:30:00+08:00。"),
        "time_type": _("时间格式应为 HH:MM。"),
        "time_parsing": _("时间格式应为 HH:MM。"),
        "list_type": _("应为列表。"),
        "dict_type": _("应为 JSON 对象。"),
        "model_type": _("应为 JSON 对象。"),
        "model_attributes_type": _("应为 JSON 对象。"),
        "json_invalid": _("请求体不是有效的 JSON。"),
        "json_type": _("请求体不是有效的 JSON。"),
        "extra_forbidden": _("不认识的字段，请删除。"),
        "none_required": _("此项应为空。"),
        "uuid_parsing": _("格式不正确。"),
    }
    if kind in simple:
        return str(simple[kind])
    limits = {
        "string_too_long": _("不能超过 %(max_length)s 个字。"),
        "string_too_short": _("至少 %(min_length)s 个字。"),
        "too_long": _("最多 %(max_length)s 项。"),
        "too_short": _("至少 %(min_length)s 项。"),
        "greater_than_equal": _("不能小于 %(ge)s。"),
        "greater_than": _("应大于 %(gt)s。"),
        "less_than_equal": _("不能大于 %(le)s。"),
        "less_than": _("应小于 %(lt)s。"),
        "decimal_max_digits": _("数值过大：最多 %(max_digits)s 位数字。"),
        "decimal_max_places": _("最多 %(decimal_places)s 位小数。"),
        "decimal_whole_digits": _("数值过大：整数部分最多 %(whole_digits)s 位。"),
        "enum": _("取值无效，可选：%(expected)s。"),
        "literal_error": _("取值无效，可选：%(expected)s。"),
    }
    if kind in limits:
        try:
            return str(limits[kind]) % {k: v for k, v in ctx.items()}
        except (KeyError, TypeError, ValueError):
            pass
    return str(_("格式不正确。"))


_OUT_OF_RANGE = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")


def _schema_field(loc: list[Any] | tuple[Any, ...]) -> str:
    """``("body", "payload", "items", 0, "name")`` → ``"items.0.name"``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "form", "file"):
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in ("query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts)


class GonghuiAPI(NinjaAPI):
    """The platform's API: Chinese errors with one body shape, every error declared."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        declare_error_responses(schema)
        return schema


def _ref(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def declare_error_responses(schema: dict[str, Any]) -> None:
    """Add to every operation the errors it can answer, with their bodies: 401, 403 and 404
    where it needs an account; 422 where it takes input; 400 and 413 where it takes a body;
    400 where it takes a query string."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Message, FieldError, ValidationErrors):
        components[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            codes: dict[int, tuple[str, Any]] = {}
            if operation.get("security"):
                codes[401] = ("Message", _("未登录或令牌无效"))
                codes[403] = ("Message", _("无权操作"))
                codes[404] = ("Message", _("记录不存在或不在管辖范围内"))
            if operation.get("parameters") or operation.get("requestBody"):
                codes[422] = ("ValidationErrors", _("提交的内容有误，逐项说明"))
            if operation.get("requestBody"):
                codes[400] = ("Message", _("请求体无法解析"))
                codes[413] = ("Message", _("请求体过大"))
            elif any(p.get("in") == "query" for p in operation.get("parameters", [])):
                # core.middleware.QueryStringGuardMiddleware
                codes[400] = ("Message", _("网址参数中含有控制字符"))
            for code, (model_name, description) in codes.items():
                responses.setdefault(
                    code, {"description": str(description), "content": _ref(model_name)}
                )


def install_error_handlers(api: NinjaAPI) -> None:
    def errors_response(request: HttpRequest, errors: list[dict[str, str]]) -> HttpResponse:
        return api.create_response(
            request, {"detail": _("提交的内容有误。"), "errors": errors}, status=422
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs
            ]
        else:
            errors = [{"field": "", "message": m} for m in exc.messages]
        return errors_response(request, errors)

    @api.exception_handler(SchemaError)
    def schema_error(request: HttpRequest, exc: SchemaError) -> HttpResponse:
        if any(
            e.get("loc", ("",))[0] == "path" and e.get("type") in _OUT_OF_RANGE for e in exc.errors
        ):
            # A record number no key can hold names no record: "not found", like any other.
            return not_found(request, Http404())
        errors = [
            {"field": _schema_field(e.get("loc", ())), "message": _schema_message(e)}
            for e in exc.errors
        ]
        return errors_response(request, errors)

    def unavailable(request: HttpRequest, exc: Any) -> HttpResponse:
        """The cache or the database is down for a moment: 503, try again (not a 500)."""
        message = exc.message if isinstance(exc, ServiceUnavailable) else availability.MESSAGE
        response = api.create_response(request, {"detail": str(message)}, status=503)
        response["Retry-After"] = str(availability.RETRY_AFTER_SECONDS)
        return response

    for error in availability.unavailable_errors():
        api.add_exception_handler(error, unavailable)  # type: ignore[type-var]

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc) or _("无权操作。")}, status=403)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(
            request, {"detail": _("记录不存在，或不在您的管辖范围内。")}, status=404
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        if isinstance(exc, AuthenticationError) or status == 401:
            detail = _("请先登录，或登录已失效，请重新登录。")
        elif status == 400:
            detail = _("请求体无法解析：请发送有效的 JSON（UTF-8）。")
        elif status == 403:
            detail = _("无权操作。")
        else:
            detail = str(exc)
        return api.create_response(request, {"detail": detail}, status=status)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return api.create_response(
            request, {"detail": _("请求体过大，请减少提交的内容。")}, status=413
        )

    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return api.create_response(
            request, {"detail": _("表单数据格式不正确（缺少 boundary 或已损坏）。")}, status=400
        )


def staff_actor(request: HttpRequest) -> Any:
    """The authenticated staff account, or 403 for a worker's token. An enterprise contact
    gets 404: no staff operation exists for it (as the console's pages do not)."""
    user: Any = request.auth  # type: ignore[attr-defined]
    if getattr(user, "is_enterprise_account", False):
        raise Http404
    if not getattr(user, "is_staff_account", False):
        raise PermissionDenied(_("仅限工会工作人员使用。"))
    return user


def worker_actor(request: HttpRequest, *, registered: bool = True, consent: bool = True) -> Any:
    """The authenticated worker account (registered, unless said otherwise), or 403. A worker
    who has not agreed to the current privacy notice gets 403 too (``consent=False`` only for
    the endpoints that read and give the consent): the mini-program processes the same
    personal information as the portal, so the same consent gates it."""
    user: Any = request.auth  # type: ignore[attr-defined]
    if not getattr(user, "is_worker_account", False):
        raise PermissionDenied(_("仅限职工本人使用。"))
    if consent:
        from gonghui.accounts.selectors import consent_in_force

        if consent_in_force(user=user) is None:
            raise PermissionDenied(
                _("请先阅读并同意个人信息保护告知书（GET /api/me/privacy，POST /api/me/privacy）。")
            )
    if registered and user.person_id is None:
        raise PermissionDenied(_("请先完成实名登记。"))
    return user
