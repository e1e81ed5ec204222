"""One validator per rule, shared by forms, API schemas and importers.

Every validator takes the raw text a person typed, returns the normalised value and raises
``ValidationError`` with a Chinese message that says what is wrong and how to fix it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

# Province-level prefixes of GB/T 2260, plus 81/82/83 used by residence permits of Hong Kong,
# Macao and Taiwan residents. The county part is not checked against a table: codes change
# over the years and an ID number keeps the code it was issued with (see docs/adr/0002).
_PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46]
    + [50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]
)
_EARLIEST_BIRTH = datetime.date(1900, 1, 1)
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_SEPARATORS = re.compile(r"[\s\-]")
# A "<" immediately followed by a letter, "/", "!" or "?" starts a tag, a comment or a declaration.
_MARKUP = re.compile(r"<[a-zA-Z/!?]|javascript\s*:|&#|\bon[a-z]+\s*=", re.IGNORECASE)


def digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts "²" and full-width "１", which ``int``
    then refuses or which would hash differently from the same number typed normally."""
    return text.isascii() and text.isdigit()


def today() -> datetime.date:
    """Today in the platform's time zone (Asia/Shanghai). Cheaper than ``timezone.localdate``,
    which matters when a validator runs a million times in an import."""
    return datetime.datetime.now(_zone()).date()


@cache
def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def normalize_id_number(value: str, *, on: datetime.date | None = None) -> str:
    """A resident ID number (GB 11643): 18 characters, checksum, real birth date (not after
    ``on``, today by default)."""
    number = _SEPARATORS.sub("", str(value or "")).upper()
    if not number:
        raise ValidationError(_("请填写身份证号。"), code="required")
    if len(number) != 18:
        raise ValidationError(
            _("身份证号应为 18 位，当前为 %(n)s 位，请核对。") % {"n": len(number)}, code="length"
        )
    if not digits(number[:17]) or not (digits(number[17]) or number[17] == "X"):
        raise ValidationError(
            _("身份证号前 17 位应为数字，最后一位为数字或 X，请核对。"), code="format"
        )
    if int(number[:2]) not in _PROVINCES:
        raise ValidationError(
            _("身份证号前两位 %(p)s 不是有效的省级行政区划代码，请核对。") % {"p": number[:2]},
            code="region",
        )
    check = ric.calc_check_digit(number)
    if number[17] != check:
        raise ValidationError(
            _("身份证号校验位不正确（按 GB 11643 计算应为 %(d)s），请核对是否有输错的数字。")
            % {"d": check},
            code="checksum",
        )
    try:
        birth = id_number_birth_date(number)
    except ValueError:
        raise ValidationError(
            _("身份证号中的出生日期 %(d)s 不存在，请核对第 7 至 14 位。") % {"d": number[6:14]},
            code="birth_date",
        ) from None
    if birth < _EARLIEST_BIRTH or birth > (on or today()):
        raise ValidationError(
            _("身份证号中的出生日期 %(d)s 不可能，请核对第 7 至 14 位。")
            % {"d": birth.isoformat()},
            code="birth_date",
        )
    return number


def id_number_birth_date(number: str) -> datetime.date:
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def id_number_sex(number: str) -> str:
    """``"M"`` or ``"F"``: the 17th digit is odd for men and even for women."""
    return "M" if int(number[16]) % 2 else "F"


def normalize_credit_code(value: str) -> str:
    """A unified social credit code (GB 32100): 18 characters with a check character."""
    code = _SEPARATORS.sub("", str(value or "")).upper()
    if not code:
        raise ValidationError(_("请填写统一社会信用代码。"), code="required")
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，当前为 %(n)s 位，请核对。") % {"n": len(code)},
            code="length",
        )
    try:
        return str(uscc.validate(code))
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _("统一社会信用代码校验位不正确（按 GB 32100 计算），请核对是否有输错的字符。"),
            code="checksum",
        ) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(
            _(
                "统一社会信用代码格式不正确：前 8 位应为数字，其余为数字或"
                "除 I、O、Z、S、V 以外的大写字母。"
            ),
            code="format",
        ) from None


def normalize_mobile(value: str) -> str:
    """A mainland mobile number: 11 digits starting 13-19; ``+86`` and separators are dropped."""
    number = _SEPARATORS.sub("", str(value or ""))
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    if not number:
        raise ValidationError(_("请填写手机号。"), code="required")
    if not _MOBILE.match(number):
        raise ValidationError(
            _("手机号应为 11 位数字、以 13 至 19 开头的中国大陆手机号码，请核对。"), code="format"
        )
    return number


def normalize_division_code(value: str) -> str:
    """An administrative division code: 6 digits (county), 9 (town) or 12 (village)."""
    code = _SEPARATORS.sub("", str(value or ""))
    if not digits(code) or len(code) not in (6, 9, 12):
        raise ValidationError(
            _("行政区划代码应为 6 位（县级）、9 位（乡镇街道）或 12 位（村社区）数字。"),
            code="format",
        )
    if int(code[:2]) not in _PROVINCES:
        raise ValidationError(_("行政区划代码的前两位不是有效的省级代码。"), code="region")
    return code


# Characters no text field takes: C0 and C1 controls and DEL (NUL breaks PostgreSQL, the rest
# break spreadsheets and terminals), lone surrogates (not encodable), the non-characters
# U+FFFE/U+FFFF, and the bidirectional embeddings, overrides and isolates, which make a name
# display as something other than what it is ("Trojan source"). Newline and tab are allowed in
# multi-line text only; a carriage return there is a line break and normalised to "\n".
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_CONTROL_MULTILINE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def check_characters(value: str, *, multiline: bool = False) -> str:
    """Refuse characters that are not text (controls, bidirectional overrides, lone
    surrogates; in a single-line field also line breaks and tabs), naming the first one.
    Returns the text, with ``\\r\\n`` as ``\\n`` in multi-line text. The API's input types
    apply this to every text a client sends; ``check_plain_text`` adds the markup rule."""
    if not value:
        return value
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    found = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    if found is not None:
        char = found.group()
        if char in "\n\t\r":
            raise ValidationError(_("此项只能填写一行，不能包含换行符或制表符。"), code="control")
        raise ValidationError(
            _(
                "不能包含控制字符或不可见的格式字符（第 %(at)s 个字符为 U+%(code)04X），"
                "请删除后重新输入。"
            )
            % {"at": found.start() + 1, "code": ord(char)},
            code="control",
        )
    return value


def check_plain_text(value: str, *, multiline: bool = False) -> str:
    """The one text validator. Free text must not carry HTML or script, nor characters that
    are not text (see ``check_characters``). Refuses with the reason; returns the text."""
    value = check_characters(value, multiline=multiline)
    if value and _MARKUP.search(value):
        raise ValidationError(
            _("不能包含 HTML 标签或脚本（如 <script>、<a>、onclick=），请删除尖括号内的内容。"),
            code="markup",
        )
    return value


def clean_text(
    value: str,
    field: str,
    errors: dict[str, list[str]],
    *,
    required: bool,
    limit: int | None = None,
    multiline: bool = False,
) -> str:
    """A form or API text: stripped, plain (see ``check_plain_text``; ``multiline`` for text
    typed in a text area), present when ``required``, at most ``limit`` characters. Problems
    are added to ``errors[field]`` so a service can report every field at once; see
    ``raise_errors``."""
    value = (value or "").strip()
    try:
        value = check_plain_text(value, multiline=multiline)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
    if required and not value:
        errors.setdefault(field, []).append(_("此项必填。"))
    if limit is not None and len(value) > limit:
        errors.setdefault(field, []).append(_("不能超过 %(n)s 个字。") % {"n": limit})
    return value


def clean_field(
    model: Any,
    field: str,
    value: str,
    errors: dict[str, list[str]],
    *,
    required: bool = False,
    key: str | None = None,
) -> str:
    """``clean_text`` with the limit and the kind of text taken from the model field: its
    ``max_length``, and multi-line for a ``TextField``. ``key`` names the error when the form
    field differs from the model's."""
    model_field = model._meta.get_field(field)
    return clean_text(
        value,
        key or field,
        errors,
        required=required,
        limit=model_field.max_length,
        multiline=isinstance(model_field, models.TextField),
    )


def use_platform_messages() -> None:
    """Django's own message for over-long text reads "确保该变量包含不超过 300 字符 (目前字符数
    310)。" in zh-hans: every form and model field says it in the platform's words instead
    (those of ``clean_text``, with the count now, so a person knows how much to cut). Set
    once at start-up (``CoreConfig.ready``); the class attribute is Django's documented
    default for each validator instance that is given no message of its own."""
    MaxLengthValidator.message = gettext_lazy(
        "不能超过 %(limit_value)d 个字，现有 %(show_value)d 个字，请删减。"
    )


def form_validator(check: Callable[[str], object]) -> Callable[[Any], None]:
    """One of the validators above as a form field's validator (which returns nothing): the
    form then names the error in the same answer as its other fields' errors."""

    def validate(value: Any) -> None:
        check(value)

    return validate


def raise_errors(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)
