"""A period's benefit rules, as data, and the one benefit computation (MMA-1).

Pure: no database. A period keeps its rules as JSON (``Period.rules``); ``parse`` reads and
checks them (every problem reported at once, in Chinese, keyed by the field's path, e.g.
``categories.0.bands.1.start``), ``dump`` writes them back, and ``compute`` gives the benefit
of one claim with its explanation line by line.

The format::

    {
      "yearly_cap": "50000.00" | null,            # overall yearly cap 年度总封顶线 (all categories)
      "categories": [
        {
          "code": "inpatient",                    # what a claim names (lowercase, digits, _)
          "name": "住院",
          "deductible": "500.00",                 # 起付线, yearly per category
          "bands": [                              # on the year's cumulative amount above it
            {"start": "0.00", "end": "5000.00", "rate": "50"},
            {"start": "5000.00", "end": null, "rate": "60"}
          ],
          "per_claim_cap": null,                  # 单次封顶线
          "yearly_cap": "30200.00",               # 本类别年度封顶线
          "lump_sum": null,                       # a fixed sum once a year instead of bands
          "sex": null                             # "F": women workers only
        }
      ]
    }

Amounts are yuan with at most two decimals (``gonghui.core.money``); a rate is a percentage
from 0 to 100 with at most two decimals. Bands start at 0 and follow one another without
overlap or gap; only the last may be open-ended (``end`` null); above a closed last band
nothing more is paid.

The computation has one fixed order (ADR 0021):

1. the deductible: yearly per category; what earlier claims of the year used is gone, and
   this claim uses what is left of it, up to its eligible amount;
2. the bands, on the YEAR's cumulative amount above the deductible in the category: the
   claim pays ``B(before + this) - B(before)``, where ``B(x)`` is the bands' payout for a
   cumulative amount ``x`` rounded to the fen (ROUND_HALF_UP). Rounding the cumulative sum,
   never each claim's share, is what makes two claims in sequence pay exactly what one claim
   of their sum pays, fen for fen. A lump-sum category has ``B(x) = lump_sum`` for any
   ``x > 0``: its fixed sum is paid once a year, by the claim that first passes the
   deductible (the one benefit that may exceed the claim's eligible amount, by design);
3. the per-claim cap;
4. the category's yearly cap, less what earlier claims of the year in the category paid;
5. the overall yearly cap, less what all earlier claims of the year paid.

Only the bands step produces fractions of a fen; the caps subtract amounts already in fen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext as _

from gonghui.core.money import CENT, to_money
from gonghui.core.validators import check_plain_text

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
RATE_PLACES = Decimal("0.01")
MAX_CATEGORIES = 20
MAX_BANDS = 20
MAX_NAME = 30
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
SEXES = ("F", "M")

_TOP_KEYS = frozenset({"categories", "yearly_cap"})
_CATEGORY_KEYS = frozenset(
    {"code", "name", "deductible", "bands", "per_claim_cap", "yearly_cap", "lump_sum", "sex"}
)
_BAND_KEYS = frozenset({"start", "end", "rate"})
# What a person types for a rate: digits with an optional decimal point (no sign, no exponent).
_RATE_TYPED = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


@dataclass(frozen=True)
class Band:
    """Pay ``rate`` percent of the part of the year's cumulative amount above the deductible
    that falls in ``[start, end)`` (``end`` None: no upper end)."""

    start: Decimal
    end: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    deductible: Decimal
    bands: tuple[Band, ...]
    per_claim_cap: Decimal | None
    yearly_cap: Decimal | None
    lump_sum: Decimal | None = None
    sex: str | None = None

    def allows(self, sex: str | None) -> bool:
        """Whether a person of this sex (``"F"``/``"M"``, None unknown) may claim in it."""
        return self.sex is None or sex == self.sex


@dataclass(frozen=True)
class RuleSet:
    categories: tuple[Category, ...]
    yearly_cap: Decimal | None

    def category(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(code)


@dataclass(frozen=True)
class Earlier:
    """One earlier live claim of the member in the period: its category, its eligible
    amount, what it used of the deductible and what it pays."""

    category: str
    eligible: Decimal
    deductible_used: Decimal
    benefit: Decimal


@dataclass(frozen=True)
class Benefit:
    amount: Decimal
    deductible_used: Decimal
    lines: tuple[str, ...]


# --- parsing ------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.by_path: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.by_path.setdefault(path, []).append(str(message))

    def __bool__(self) -> bool:
        return bool(self.by_path)


def _unknown_keys(data: dict[str, Any], allowed: frozenset[str], prefix: str, e: _Errors) -> None:
    for key in sorted(set(data) - allowed, key=str):
        e.add(f"{prefix}{key}", _("不认识的设置项“%(key)s”，请删除。") % {"key": str(key)[:30]})


def _money(value: Any, path: str, e: _Errors, *, required: bool) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            e.add(path, _("请填写金额。"))
        return None
    try:
        return to_money(value)
    except ValidationError as exc:
        for message in exc.messages:
            e.add(path, message)
        return None


def _cap(value: Any, path: str, e: _Errors) -> Decimal | None:
    amount = _money(value, path, e, required=False)
    if amount is not None and amount <= 0:
        e.add(path, _("封顶线应大于 0；不设封顶请留空。"))
        return None
    return amount


def _rate(value: Any, path: str, e: _Errors) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        e.add(path, _("请填写赔付比例（0 至 100 的百分数）。"))
        return None
    if isinstance(value, bool):
        value = "x"
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip().removesuffix("%").strip()
    if text.startswith("-"):
        e.add(path, _("赔付比例不能为负数，应在 0 至 100 之间。"))
        return None
    if not _RATE_TYPED.match(text):
        e.add(path, _("赔付比例应为 0 至 100 之间的数字，例如 50 表示 50%。"))
        return None
    try:
        rate = Decimal(text)
    except InvalidOperation:  # the pattern above admits only decimals
        e.add(path, _("赔付比例应为 0 至 100 之间的数字，例如 50 表示 50%。"))
        return None
    if rate > HUNDRED:
        e.add(path, _("赔付比例不能超过 100%。"))
        return None
    if rate.quantize(RATE_PLACES) != rate:
        e.add(path, _("赔付比例最多两位小数，例如 62.5。"))
        return None
    return rate.quantize(RATE_PLACES)


def _bands(value: Any, prefix: str, e: _Errors) -> tuple[Band, ...]:
    if not isinstance(value, list):
        e.add(prefix, _("赔付分段应为列表。"))
        return ()
    if len(value) > MAX_BANDS:
        e.add(prefix, _("赔付分段不能超过 %(n)s 段。") % {"n": MAX_BANDS})
        return ()
    bands: list[Band] = []
    previous_end: Decimal | None = ZERO
    open_ended_at: int | None = None
    ok = True
    for index, item in enumerate(value):
        path = f"{prefix}.{index}"
        if not isinstance(item, dict):
            e.add(path, _("每个赔付分段应包括起点、终点和比例。"))
            ok = False
            continue
        _unknown_keys(item, _BAND_KEYS, f"{path}.", e)
        start = _money(item.get("start"), f"{path}.start", e, required=True)
        end = _money(item.get("end"), f"{path}.end", e, required=False)
        rate = _rate(item.get("rate"), f"{path}.rate", e)
        if start is None or rate is None:
            ok = False
            previous_end = end
            continue
        if open_ended_at is not None:
            e.add(
                f"{path}.start",
                _("第 %(n)s 段没有终点（不封顶），其后不能再有分段。") % {"n": open_ended_at + 1},
            )
            ok = False
        elif index == 0 and start != ZERO:
            e.add(f"{path}.start", _("第一段应从 0 元开始。"))
            ok = False
        elif index > 0 and previous_end is not None and start < previous_end:
            e.add(
                f"{path}.start",
                _("与上一段重叠：上一段到 %(end)s 元为止，本段应从 %(end)s 元开始。")
                % {"end": _yuan(previous_end)},
            )
            ok = False
        elif index > 0 and previous_end is not None and start > previous_end:
            e.add(
                f"{path}.start",
                _(
                    "与上一段之间有空档：上一段到 %(end)s 元为止，本段应从 %(end)s 元开始，"
                    "不能从 %(start)s 元开始。"
                )
                % {"end": _yuan(previous_end), "start": _yuan(start)},
            )
            ok = False
        if end is not None and end <= start:
            e.add(f"{path}.end", _("分段终点应大于起点；最后一段不封顶时请留空。"))
            ok = False
        if end is None and item.get("end") not in (None, ""):
            ok = False  # an invalid end was reported by _money
        elif end is None and open_ended_at is None:
            open_ended_at = index
        previous_end = end
        bands.append(Band(start=start, end=end, rate=rate))
    return tuple(bands) if ok else ()


def _category(item: Any, index: int, e: _Errors) -> Category | None:
    prefix = f"categories.{index}"
    if not isinstance(item, dict):
        e.add(prefix, _("每个保障类别应包括代码、名称、起付线和赔付分段。"))
        return None
    before = len(e.by_path)
    _unknown_keys(item, _CATEGORY_KEYS, f"{prefix}.", e)
    code = item.get("code")
    if not isinstance(code, str) or not code.strip():
        e.add(f"{prefix}.code", _("请填写类别代码，例如 inpatient。"))
        code = ""
    elif not CODE_RE.match(code.strip()):
        e.add(
            f"{prefix}.code",
            _("类别代码应以小写英文字母开头，只含小写字母、数字和下划线，最多 30 个字符。"),
        )
    code = code.strip()
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        e.add(f"{prefix}.name", _("请填写类别名称，例如 住院。"))
        name = ""
    else:
        name = name.strip()
        try:
            check_plain_text(name)
        except ValidationError as exc:
            for message in exc.messages:
                e.add(f"{prefix}.name", message)
        if len(name) > MAX_NAME:
            e.add(f"{prefix}.name", _("不能超过 %(n)s 个字。") % {"n": MAX_NAME})
    deductible = _money(item.get("deductible", "0"), f"{prefix}.deductible", e, required=False)
    per_claim_cap = _cap(item.get("per_claim_cap"), f"{prefix}.per_claim_cap", e)
    yearly_cap = _cap(item.get("yearly_cap"), f"{prefix}.yearly_cap", e)
    lump_sum = _money(item.get("lump_sum"), f"{prefix}.lump_sum", e, required=False)
    if lump_sum is not None and lump_sum <= 0:
        e.add(f"{prefix}.lump_sum", _("定额补助应大于 0；按比例赔付请留空并设置分段。"))
    raw_bands = item.get("bands", [])
    bands = _bands(raw_bands if raw_bands is not None else [], f"{prefix}.bands", e)
    if lump_sum is not None and raw_bands:
        e.add(f"{prefix}.bands", _("定额补助的类别不设赔付分段，请删除分段或清空定额补助。"))
    elif lump_sum is None and not raw_bands:
        e.add(f"{prefix}.bands", _("请至少设置一个赔付分段，或填写定额补助。"))
    sex = item.get("sex")
    if sex in ("", None):
        sex = None
    elif sex not in SEXES:
        e.add(f"{prefix}.sex", _("限定性别只能为 F（女职工）或 M（男职工），不限请留空。"))
        sex = None
    if len(e.by_path) != before:
        return None
    return Category(
        code=code,
        name=name,
        deductible=deductible if deductible is not None else ZERO,
        bands=bands,
        per_claim_cap=per_claim_cap,
        yearly_cap=yearly_cap,
        lump_sum=lump_sum,
        sex=sex,
    )


def parse(data: Any) -> RuleSet:
    """The rules in ``data`` (a period's ``rules``), checked. Raises ``ValidationError``
    whose ``message_dict`` names each problem by its path (``yearly_cap``,
    ``categories.0.code``, ``categories.1.bands.2.start`` ...), all at once."""
    e = _Errors()
    if not isinstance(data, dict):
        raise ValidationError({"categories": [_("保障规则格式不正确。")]})
    _unknown_keys(data, _TOP_KEYS, "", e)
    yearly_cap = _cap(data.get("yearly_cap"), "yearly_cap", e)
    raw = data.get("categories")
    categories: list[Category] = []
    if not isinstance(raw, list) or not raw:
        e.add("categories", _("请至少设置一个保障类别。"))
    elif len(raw) > MAX_CATEGORIES:
        e.add("categories", _("保障类别不能超过 %(n)s 个。") % {"n": MAX_CATEGORIES})
    else:
        seen: dict[str, int] = {}
        for index, item in enumerate(raw):
            category = _category(item, index, e)
            code = item.get("code") if isinstance(item, dict) else None
            code = code.strip() if isinstance(code, str) else None
            if code:
                if code in seen:
                    e.add(
                        f"categories.{index}.code",
                        _("类别代码“%(code)s”与第 %(n)s 个类别重复，每个类别的代码应不同。")
                        % {"code": code, "n": seen[code] + 1},
                    )
                else:
                    seen[code] = index
            if category is not None:
                categories.append(category)
    if e:
        raise ValidationError(e.by_path)
    return RuleSet(categories=tuple(categories), yearly_cap=yearly_cap)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def dump(rules: RuleSet) -> dict[str, Any]:
    """``rules`` as the JSON a period keeps; ``parse(dump(r)) == r``."""
    return {
        "yearly_cap": _text(rules.yearly_cap),
        "categories": [
            {
                "code": c.code,
                "name": c.name,
                "deductible": _text(c.deductible),
                "bands": [
                    {"start": _text(b.start), "end": _text(b.end), "rate": rate_text(b.rate)}
                    for b in c.bands
                ],
                "per_claim_cap": _text(c.per_claim_cap),
                "yearly_cap": _text(c.yearly_cap),
                "lump_sum": _text(c.lump_sum),
                "sex": c.sex,
            }
            for c in rules.categories
        ],
    }


def errors_of(data: Any) -> dict[str, list[str]]:
    """The problems ``parse`` finds in ``data``, by path (empty when the rules are good)."""
    try:
        parse(data)
    except ValidationError as exc:
        return dict(exc.message_dict)
    return {}


# --- computing ----------------------------------------------------------------------------


def _fen(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP) + 0


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def rate_text(rate: Decimal) -> str:
    """A rate as written: ``50``, ``62.5``, ``33.33``."""
    text = f"{rate:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _payout(category: Category, amount: Decimal) -> Decimal:
    """``B(amount)``: what the category pays on a cumulative amount above its deductible,
    rounded to the fen. Non-decreasing in ``amount``, with slope at most 1 for bands."""
    if amount <= 0:
        return ZERO
    if category.lump_sum is not None:
        return category.lump_sum
    exact = Decimal(0)
    for band in category.bands:
        top = amount if band.end is None else min(amount, band.end)
        if top > band.start:
            exact += (top - band.start) * band.rate / HUNDRED
    return _fen(exact)


# The explanation's message templates per language, translated once: an adjudication run
# computes every claim of a period, and Django's gettext cost more than the computation.
_TRANSLATED: dict[str | None, dict[str, str]] = {}


def _memo_gettext() -> Callable[[str], str]:
    table = _TRANSLATED.setdefault(get_language(), {})

    def translated(message: str) -> str:
        found = table.get(message)
        if found is None:
            found = table[message] = gettext(message)
        return found

    return translated


def compute(
    rules: RuleSet, category: str, eligible: Decimal, earlier: Sequence[Earlier]
) -> Benefit:
    """The benefit of a claim of ``eligible`` yuan in ``category``, given the member's
    earlier live claims in the period, with its explanation (see the module's docstring
    for the order). Raises ``KeyError`` for a category the rules do not have and
    ``ValueError`` for an amount that is negative or not in fen."""
    _ = _memo_gettext()  # the same catalogue lookups, once per language and message
    cat = rules.category(category)
    if eligible < 0 or eligible.quantize(CENT) != eligible:
        raise ValueError(eligible)
    eligible = eligible.quantize(CENT)
    mine = [c for c in earlier if c.category == cat.code]
    before_eligible = sum((c.eligible for c in mine), ZERO)
    before_deductible = sum((c.deductible_used for c in mine), ZERO)
    before_benefit_cat = sum((c.benefit for c in mine), ZERO)
    before_benefit_all = sum((c.benefit for c in earlier), ZERO)
    lines: list[str] = [
        _("保障类别：%(name)s；本次政策内自付 %(amount)s 元。")
        % {"name": cat.name, "amount": _yuan(eligible)}
    ]

    # 1. The deductible, yearly per category.
    left = max(ZERO, cat.deductible - before_deductible)
    used = min(eligible, left)
    above = eligible - used
    if cat.deductible <= 0:
        lines.append(_("起付线：无。"))
    elif before_deductible > 0:
        lines.append(
            _("起付线 %(d)s 元，本年此前已使用 %(before)s 元，本次使用 %(used)s 元。")
            % {"d": _yuan(cat.deductible), "before": _yuan(before_deductible), "used": _yuan(used)}
        )
    else:
        lines.append(
            _("起付线 %(d)s 元，本次使用 %(used)s 元。")
            % {"d": _yuan(cat.deductible), "used": _yuan(used)}
        )

    # 2. The bands (or the lump sum) on the year's cumulative amount above the deductible.
    start = max(ZERO, before_eligible - before_deductible)
    end = start + above
    amount = _payout(cat, end) - _payout(cat, start)
    if cat.lump_sum is not None:
        if amount > 0:
            lines.append(
                _("本类别为定额补助 %(sum)s 元，每年给付一次，本次给付 %(sum)s 元。")
                % {"sum": _yuan(cat.lump_sum)}
            )
        elif start > 0:
            lines.append(
                _("本类别为定额补助 %(sum)s 元，每年给付一次，本年已给付，本次不再给付。")
                % {"sum": _yuan(cat.lump_sum)}
            )
        else:
            lines.append(
                _("本类别为定额补助 %(sum)s 元，超过起付线后给付；本次未超过起付线。")
                % {"sum": _yuan(cat.lump_sum)}
            )
    else:
        if start > 0:
            lines.append(
                _(
                    "本年本类别此前累计超过起付线部分 %(start)s 元，"
                    "本次 %(above)s 元，累计至 %(end)s 元。"
                )
                % {"start": _yuan(start), "above": _yuan(above), "end": _yuan(end)}
            )
        else:
            lines.append(_("超过起付线部分 %(above)s 元。") % {"above": _yuan(above)})
        paid_to = start
        for band in cat.bands:
            low = max(start, band.start)
            high = end if band.end is None else min(end, band.end)
            if high <= low:
                continue
            share = _payout(cat, high) - _payout(cat, low)
            if band.end is None:
                where = _("%(start)s 元以上") % {"start": _yuan(band.start)}
            else:
                where = _("%(start)s 至 %(end)s 元段") % {
                    "start": _yuan(band.start),
                    "end": _yuan(band.end),
                }
            lines.append(
                _("其中 %(part)s 元（%(where)s）按 %(rate)s%% 计 %(share)s 元。")
                % {
                    "part": _yuan(high - low),
                    "where": where,
                    "rate": rate_text(band.rate),
                    "share": _yuan(share),
                }
            )
            paid_to = high
        if paid_to < end:
            lines.append(_("超出最高分段的 %(part)s 元不予赔付。") % {"part": _yuan(end - paid_to)})
        lines.append(_("按分段计算合计 %(amount)s 元。") % {"amount": _yuan(amount)})

    # 3. The per-claim cap.
    if cat.per_claim_cap is not None and amount > cat.per_claim_cap:
        amount = cat.per_claim_cap
        lines.append(
            _("单次封顶 %(cap)s 元，本次按封顶计 %(cap)s 元。") % {"cap": _yuan(cat.per_claim_cap)}
        )

    # 4. The category's yearly cap.
    if cat.yearly_cap is not None:
        room = max(ZERO, cat.yearly_cap - before_benefit_cat)
        lines.append(
            _("本类别年度封顶 %(cap)s 元，本年此前已赔付 %(before)s 元，尚余 %(room)s 元。")
            % {
                "cap": _yuan(cat.yearly_cap),
                "before": _yuan(before_benefit_cat),
                "room": _yuan(room),
            }
        )
        if amount > room:
            amount = room
            lines.append(_("本次按本类别年度封顶计 %(amount)s 元。") % {"amount": _yuan(amount)})

    # 5. The overall yearly cap.
    if rules.yearly_cap is not None:
        room = max(ZERO, rules.yearly_cap - before_benefit_all)
        lines.append(
            _("年度总封顶 %(cap)s 元，本年此前各类共赔付 %(before)s 元，尚余 %(room)s 元。")
            % {
                "cap": _yuan(rules.yearly_cap),
                "before": _yuan(before_benefit_all),
                "room": _yuan(room),
            }
        )
        if amount > room:
            amount = room
            lines.append(_("本次按年度总封顶计 %(amount)s 元。") % {"amount": _yuan(amount)})

    amount = _fen(amount)
    lines.append(
        _("本次赔付 %(amount)s 元；本年本类别累计赔付 %(total)s 元。")
        % {"amount": _yuan(amount), "total": _yuan(before_benefit_cat + amount)}
    )
    return Benefit(amount=amount, deductible_used=used, lines=tuple(lines))
