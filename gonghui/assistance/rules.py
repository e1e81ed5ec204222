"""Eligibility rules and amount tables of a round, as data (AST-2).

A round's rules are a small tree of JSON-able dicts, kept on the round and set by staff:

- a condition: ``{"fact": "household.status", "op": "eq", "value": "active",
  "reason": "须为在册困难职工家庭"}``; the reason is what the applicant is told when the
  condition is not met;
- ``{"all": [...]}``: every part must hold; its reasons are those of the parts that fail;
- ``{"any": [...], "reason": "..."}``: at least one part must hold; when none does, the
  group's own reason is given (one sentence for the alternatives, not each of them).

Facts are a flat dict of dotted names (``FACTS``: the person on the roll, their hardship
file, what the application declares about the child or the patient); a fact that is missing
fails every condition on it, so evaluation is total: it never raises, whatever the facts.

A round's amounts are a table: ``{"fixed": "4500.00"}`` (爱心透析: per person per year), or
``{"by": "child.education_level", "amounts": {"bachelor": "3000.00", ...}}`` (金秋助学: per
education level). An amount only ever comes from the table.

No programme has code of its own here: 金秋助学, 爱心透析 and 春节送温暖 are rules and tables
in their rounds (``TEMPLATES`` gives staff a start).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.money import to_money
from gonghui.core.text import StrOrPromise
from gonghui.core.validators import check_plain_text

MAX_DEPTH = 5
MAX_PARTS = 20
MAX_REASON = 100
MAX_VALUES = 30

Rule = dict[str, Any]
Facts = Mapping[str, Any]


@dataclass(frozen=True)
class Fact:
    """A fact rules may test: its label, its kind (``choice``, ``bool``, ``int``, ``text``)
    and, for a choice, the values it takes with their labels."""

    label: StrOrPromise
    kind: str
    choices: tuple[tuple[str, StrOrPromise], ...] = ()


EDUCATION_LEVELS: tuple[tuple[str, StrOrPromise], ...] = (
    ("secondary_vocational", gettext_lazy("中等职业学校")),
    ("college", gettext_lazy("高职（大专）")),
    ("bachelor", gettext_lazy("本科")),
    ("postgraduate", gettext_lazy("研究生")),
)
CONDITIONS: tuple[tuple[str, StrOrPromise], ...] = (
    ("dialysis", gettext_lazy("尿毒症透析")),
    ("cancer", gettext_lazy("恶性肿瘤")),
    ("transplant", gettext_lazy("器官移植")),
    ("other", gettext_lazy("其他重大疾病")),
)
HOUSEHOLD_STATUSES: tuple[tuple[str, StrOrPromise], ...] = (
    ("active", gettext_lazy("在册")),
    ("pending", gettext_lazy("待审批")),
    ("left", gettext_lazy("已退出")),
    ("none", gettext_lazy("未建档")),
)

FACTS: dict[str, Fact] = {
    "person.is_member": Fact(gettext_lazy("本人是工会会员"), "bool"),
    "person.household_type": Fact(
        gettext_lazy("本人户籍类型"),
        "choice",
        (("urban", gettext_lazy("城镇")), ("migrant", gettext_lazy("农民工（农村户籍）"))),
    ),
    "household.status": Fact(gettext_lazy("困难职工档案状态"), "choice", HOUSEHOLD_STATUSES),
    "household.level": Fact(gettext_lazy("困难等级（代码）"), "text"),
    "household.above_line": Fact(gettext_lazy("家庭人均收入高于困难标准"), "bool"),
    "child.education_level": Fact(gettext_lazy("子女录取学段"), "choice", EDUCATION_LEVELS),
    "child.admission_year": Fact(gettext_lazy("子女录取年份"), "int"),
    "child.admitted_this_year": Fact(gettext_lazy("子女为本年度新录取"), "bool"),
    "member.condition": Fact(gettext_lazy("患病情况"), "choice", CONDITIONS),
}

OPS: dict[str, StrOrPromise] = {
    "eq": gettext_lazy("为"),
    "ne": gettext_lazy("不为"),
    "in": gettext_lazy("属于"),
    "not_in": gettext_lazy("不属于"),
    "is_true": gettext_lazy("是"),
    "is_false": gettext_lazy("否"),
    "gte": gettext_lazy("不小于"),
    "lte": gettext_lazy("不大于"),
}
_LIST_OPS = {"in", "not_in"}
_NO_VALUE_OPS = {"is_true", "is_false"}
_ORDER_OPS = {"gte", "lte"}


# --- evaluation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """Whether the rules hold, and, when not, the reasons (in the rules' order, once each)."""

    eligible: bool
    reasons: tuple[str, ...] = ()


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | bool)


def _holds(op: str, actual: Any, expected: Any) -> bool:
    """One comparison; anything that does not fit (a missing fact, a wrong type) is "not
    met", never an error."""
    if actual is None or not _scalar(actual):
        return False
    if op == "is_true":
        return actual is True
    if op == "is_false":
        return actual is False
    if op == "eq":
        return type(actual) is type(expected) and actual == expected
    if op == "ne":
        return type(actual) is type(expected) and actual != expected
    if op in _LIST_OPS:
        if not isinstance(expected, list | tuple):
            return False
        found = any(type(actual) is type(v) and actual == v for v in expected)
        return found if op == "in" else not found
    if op in _ORDER_OPS:
        numbers = all(isinstance(v, int) and not isinstance(v, bool) for v in (actual, expected))
        if not numbers:
            return False
        return bool(actual >= expected if op == "gte" else actual <= expected)
    return False


def _reason(node: Any) -> str:
    reason = node.get("reason") if isinstance(node, dict) else None
    return str(reason) if isinstance(reason, str) and reason else _("不符合申报条件。")


def evaluate(rule: Any, facts: Facts, *, assume_missing: bool = False) -> Outcome:
    """The outcome of ``rule`` over ``facts``. Total: an empty rule holds; a malformed node
    is a failed condition with its reason (rules are validated when saved, so this is a
    last guard, not a path). ``assume_missing``: a condition on a fact that is not given
    holds (for proposing applicants from the hardship files, before they declare the rest)."""
    found = failures(rule, facts, assume_missing=assume_missing)
    unique = tuple(dict.fromkeys(reason for _fact, reason in found))
    return Outcome(not unique, unique)


def failures(
    rule: Any, facts: Facts, *, assume_missing: bool = False
) -> list[tuple[str | None, str]]:
    """The failed conditions as ``(fact, reason)``, in the rules' order; ``fact`` is None for
    a group of alternatives (its reason speaks for all of them). A form shows each reason
    at the field that declared the fact."""
    return _failures(rule, facts, 0, assume_missing)


def _failures(
    node: Any, facts: Facts, depth: int, assume_missing: bool
) -> list[tuple[str | None, str]]:
    if node is None or node == {}:
        return []
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        return [(None, _reason(node))]
    if "all" in node:
        parts = node["all"]
        if not isinstance(parts, list):
            return [(None, _reason(node))]
        return [f for part in parts for f in _failures(part, facts, depth + 1, assume_missing)]
    if "any" in node:
        parts = node["any"]
        if not isinstance(parts, list) or not parts:
            return [(None, _reason(node))]
        if any(not _failures(part, facts, depth + 1, assume_missing) for part in parts):
            return []
        return [(None, _reason(node))]
    fact = node.get("fact")
    if not isinstance(fact, str) or node.get("op") not in OPS:
        return [(None, _reason(node))]
    if assume_missing and fact not in facts:
        return []
    if _holds(node["op"], facts.get(fact), node.get("value")):
        return []
    return [(fact, _reason(node))]


# --- amounts -----------------------------------------------------------------------------


def amount_for(table: Any, facts: Facts) -> tuple[Decimal | None, str]:
    """The amount the table gives for these facts, or ``None`` with the reason."""
    if not isinstance(table, dict):
        return None, _("本批次未设定补助标准。")
    if "fixed" in table:
        try:
            return to_money(table["fixed"]), ""
        except ValidationError:
            return None, _("本批次未设定补助标准。")
    by, amounts = table.get("by"), table.get("amounts")
    if not isinstance(by, str) or not isinstance(amounts, dict):
        return None, _("本批次未设定补助标准。")
    key = facts.get(by)
    if not isinstance(key, str) or key not in amounts:
        label = FACTS[by].label if by in FACTS else by
        return None, _("本批次没有“%(f)s”为“%(v)s”的补助标准。") % {
            "f": label,
            "v": choice_label(by, key),
        }
    try:
        return to_money(amounts[key]), ""
    except ValidationError:
        return None, _("本批次未设定补助标准。")


def table_amounts(table: Any) -> set[Decimal]:
    """Every amount the table can give."""
    if not isinstance(table, dict):
        return set()
    raw = [table["fixed"]] if "fixed" in table else list((table.get("amounts") or {}).values())
    found = set()
    for value in raw:
        try:
            found.add(to_money(value))
        except ValidationError:
            continue
    return found


# --- validation (when a round is saved) ---------------------------------------------------


def validate_rule(rule: Any) -> list[str]:
    """What is wrong with ``rule``, in Chinese (empty when it may be saved)."""
    errors: list[str] = []
    _check_node(rule, 0, errors)
    return list(dict.fromkeys(errors))


def _check_reason(node: dict[str, Any], errors: list[str], *, required: bool) -> None:
    reason = node.get("reason")
    if reason is None or reason == "":
        if required:
            errors.append(_("每个条件都要写明不符合时告诉申请人的原因（reason）。"))
        return
    if not isinstance(reason, str):
        errors.append(_("原因（reason）应为文字。"))
        return
    if len(reason) > MAX_REASON:
        errors.append(_("原因不能超过 %(n)s 个字：%(r)s…") % {"n": MAX_REASON, "r": reason[:20]})
    try:
        check_plain_text(reason)
    except ValidationError as exc:
        errors.extend(exc.messages)


def _check_node(node: Any, depth: int, errors: list[str], *, in_any: bool = False) -> None:
    """``in_any``: a condition among alternatives, whose group gives the reason."""
    if node == {} and depth == 0:
        return  # no rule: everyone within the round's organisation may apply
    if not isinstance(node, dict):
        errors.append(_("条件应为对象（{...}）。"))
        return
    if depth > MAX_DEPTH:
        errors.append(_("条件嵌套不能超过 %(n)s 层。") % {"n": MAX_DEPTH})
        return
    groups = [key for key in ("all", "any") if key in node]
    if groups:
        key = groups[0]
        parts = node[key]
        if len(groups) > 1 or "fact" in node:
            errors.append(_("一个条件只能是 all、any 或单个事实判断之一。"))
        if not isinstance(parts, list) or not parts:
            errors.append(_("“%(k)s”后应列出至少一个条件。") % {"k": key})
            return
        if len(parts) > MAX_PARTS:
            errors.append(_("一组条件不能超过 %(n)s 个。") % {"n": MAX_PARTS})
        _check_reason(node, errors, required=key == "any")
        for part in parts[:MAX_PARTS]:
            _check_node(part, depth + 1, errors, in_any=key == "any")
        return
    fact, op = node.get("fact"), node.get("op")
    unknown = set(node) - {"fact", "op", "value", "reason"}
    if unknown:
        errors.append(_("条件中有无法识别的项：%(k)s。") % {"k": "、".join(sorted(unknown))})
    if fact not in FACTS:
        errors.append(
            _("未知的事实“%(f)s”，可用的有：%(l)s。") % {"f": fact, "l": "、".join(FACTS)}
        )
        return
    if op not in OPS:
        errors.append(
            _("未知的比较方式“%(o)s”，可用的有：%(l)s。") % {"o": op, "l": "、".join(OPS)}
        )
        return
    _check_reason(node, errors, required=not in_any)
    _check_value(FACTS[fact], fact, op, node.get("value"), errors)


def _check_value(fact: Fact, name: str, op: str, value: Any, errors: list[str]) -> None:
    if op in _NO_VALUE_OPS:
        if fact.kind != "bool":
            errors.append(_("“%(f)s”不是是非判断，不能用 is_true / is_false。") % {"f": fact.label})
        return
    if fact.kind == "bool":
        errors.append(_("“%(f)s”是是非判断，请用 is_true 或 is_false。") % {"f": fact.label})
        return
    values = value if op in _LIST_OPS else [value]
    if op in _LIST_OPS and (not isinstance(value, list) or not value or len(value) > MAX_VALUES):
        errors.append(_("“%(o)s”后应列出 1 至 %(n)s 个值。") % {"o": op, "n": MAX_VALUES})
        return
    if op in _ORDER_OPS and fact.kind != "int":
        errors.append(_("“%(f)s”不是数字，不能比较大小。") % {"f": fact.label})
        return
    for item in values:
        if fact.kind == "int" and (not isinstance(item, int) or isinstance(item, bool)):
            errors.append(_("“%(f)s”应与整数比较。") % {"f": fact.label})
        elif fact.kind in {"choice", "text"} and not isinstance(item, str):
            errors.append(_("“%(f)s”应与文字比较。") % {"f": fact.label})
        elif fact.kind == "choice" and item not in dict(fact.choices):
            errors.append(
                _("“%(f)s”没有“%(v)s”这一项，可选：%(l)s。")
                % {"f": fact.label, "v": item, "l": "、".join(dict(fact.choices))}
            )
        elif fact.kind == "text" and isinstance(item, str) and len(item) > 50:
            errors.append(_("比较的值不能超过 50 个字。"))


def validate_table(table: Any) -> list[str]:
    """What is wrong with an amount table, in Chinese (empty when it may be saved)."""
    if not isinstance(table, dict) or not table:
        return [_("请设定补助标准：固定金额（fixed），或按某一事实分档（by + amounts）。")]
    errors: list[str] = []
    if "fixed" in table:
        if set(table) != {"fixed"}:
            errors.append(_("固定金额（fixed）不能与分档（by、amounts）同时设定。"))
        _check_amount(table["fixed"], _("固定金额"), errors)
        return errors
    by, amounts = table.get("by"), table.get("amounts")
    if set(table) - {"by", "amounts"}:
        errors.append(_("补助标准中只能有 fixed，或 by 与 amounts。"))
    if by not in FACTS or FACTS[by].kind != "choice":
        choices = "、".join(n for n, f in FACTS.items() if f.kind == "choice")
        errors.append(_("分档依据（by）应为可选项事实之一：%(l)s。") % {"l": choices})
        return errors
    if not isinstance(amounts, dict) or not amounts:
        errors.append(_("请为各档设定金额（amounts）。"))
        return errors
    allowed = dict(FACTS[by].choices)
    for key, value in amounts.items():
        if key not in allowed:
            errors.append(
                _("“%(f)s”没有“%(v)s”这一档，可选：%(l)s。")
                % {"f": FACTS[by].label, "v": key, "l": "、".join(allowed)}
            )
            continue
        _check_amount(value, allowed[key], errors)
    return errors


def _check_amount(value: Any, label: Any, errors: list[str]) -> None:
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = to_money(value)
    except ValidationError as exc:
        errors.extend(f"{label}：{m}" for m in exc.messages)
        return
    if amount <= 0:
        errors.append(_("%(l)s：金额应大于 0。") % {"l": label})


# --- reading rules ------------------------------------------------------------------------


def choice_label(fact: str, value: Any) -> str:
    """A fact's value as a person reads it: a choice's label, 是 or 否 for a yes-or-no."""
    if isinstance(value, bool):
        return str(OPS["is_true"] if value else OPS["is_false"])
    known = FACTS.get(fact)
    if known is not None:
        for code, label in known.choices:
            if code == value:
                return str(label)
    return "" if value is None else str(value)


def facts_used(rule: Any, table: Any = None) -> set[str]:
    """The facts a round's rule tests and its amounts depend on (an application form asks
    for these, and not for the others)."""
    found: set[str] = set()

    def walk(node: Any, depth: int) -> None:
        if not isinstance(node, dict) or depth > MAX_DEPTH:
            return
        for key in ("all", "any"):
            parts = node.get(key)
            for part in parts if isinstance(parts, list) else []:
                walk(part, depth + 1)
        if isinstance(node.get("fact"), str):
            found.add(node["fact"])

    walk(rule, 0)
    if isinstance(table, dict) and isinstance(table.get("by"), str):
        found.add(table["by"])
    return found


def describe(rule: Any) -> list[str]:
    """The rule in plain Chinese, one line per condition (for the round's page)."""
    lines: list[str] = []
    _describe(rule, 0, lines)
    return lines


def _describe(node: Any, depth: int, lines: list[str]) -> None:
    indent = "　" * depth
    if not isinstance(node, dict) or not node:
        if depth == 0:
            lines.append(_("不限条件"))
        return
    if "all" in node or "any" in node:
        key = "all" if "all" in node else "any"
        heading = _("同时满足以下全部条件：") if key == "all" else _("满足以下任一条件：")
        lines.append(indent + heading)
        for part in node[key] if isinstance(node[key], list) else []:
            _describe(part, depth + 1, lines)
        return
    fact = str(node.get("fact", ""))
    op = str(node.get("op", ""))
    label = str(FACTS[fact].label) if fact in FACTS else fact
    value = node.get("value")
    if op in _NO_VALUE_OPS:
        shown = str(OPS[op])
    else:
        values = value if isinstance(value, list) else [value]
        # "为在册" in Chinese, "is Active" in English: the catalogue places the words.
        shown = _("%(op)s%(value)s") % {
            "op": OPS.get(op, op),
            "value": _("、").join(choice_label(fact, v) for v in values),
        }
    lines.append(
        indent + "· " + _("%(label)s：%(condition)s") % {"label": label, "condition": shown}
    )


def _amount_text(value: Any) -> str:
    """An amount of a table as the platform writes amounts (4,000.00)."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def describe_table(table: Any) -> list[str]:
    if not isinstance(table, dict):
        return []
    if "fixed" in table:
        return [_("每人 %(a)s 元") % {"a": _amount_text(table["fixed"])}]
    by = str(table.get("by", ""))
    amounts = table.get("amounts") or {}
    return [
        _("%(level)s：%(a)s 元") % {"level": choice_label(by, key), "a": _amount_text(value)}
        for key, value in amounts.items()
    ]


# --- the rules as staff read and type them ---------------------------------------------------

# The words of the rules' structure, as a form shows them (the stored rules keep the codes).
KEY_LABELS: dict[str, StrOrPromise] = {
    "all": gettext_lazy("全部满足"),
    "any": gettext_lazy("满足其一"),
    "fact": gettext_lazy("条件"),
    "op": gettext_lazy("判断"),
    "value": gettext_lazy("取值"),
    "reason": gettext_lazy("不符合时告知"),
    "fixed": gettext_lazy("固定金额"),
    "by": gettext_lazy("按"),
    "amounts": gettext_lazy("金额"),
}


def _value_label(fact: str, value: Any) -> Any:
    known = FACTS.get(fact)
    if known is None or known.kind != "choice" or not isinstance(value, str):
        return value
    return next((str(label) for code, label in known.choices if code == value), value)


def _value_code(fact: str, value: Any) -> Any:
    known = FACTS.get(fact)
    if known is None or known.kind != "choice" or not isinstance(value, str):
        return value
    return next((code for code, label in known.choices if str(label) == value), value)


def readable(node: Any) -> Any:
    """Rules or a table with their codes replaced by the words staff read (条件 子女录取学段,
    判断 属于, 取值 本科): what a round's form shows. ``from_readable`` turns it back."""
    if isinstance(node, list):
        return [readable(part) for part in node]
    if not isinstance(node, dict):
        return node
    fact = str(node.get("fact") or node.get("by") or "")
    shown: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("all", "any"):
            value = readable(value)
        elif key in ("fact", "by") and value in FACTS:
            value = str(FACTS[value].label)
        elif key == "op" and value in OPS:
            value = str(OPS[value])
        elif key == "value":
            value = (
                [_value_label(fact, v) for v in value]
                if isinstance(value, list)
                else _value_label(fact, value)
            )
        elif key == "amounts" and isinstance(value, dict):
            value = {_value_label(fact, k): v for k, v in value.items()}
        shown[str(KEY_LABELS.get(key, key))] = value
    return shown


def from_readable(node: Any) -> Any:
    """``readable``'s rules or table back to their codes. Codes typed as such are kept, and
    anything unknown is left for ``validate_rule`` / ``validate_table`` to name."""
    if isinstance(node, list):
        return [from_readable(part) for part in node]
    if not isinstance(node, dict):
        return node
    keys = {str(label): key for key, label in KEY_LABELS.items()}
    facts = {str(f.label): name for name, f in FACTS.items()}
    ops = {str(label): op for op, label in OPS.items()}
    coded = {keys.get(str(k), k): v for k, v in node.items()}
    for key in ("fact", "by"):
        if isinstance(coded.get(key), str):
            coded[key] = facts.get(coded[key], coded[key])
    if isinstance(coded.get("op"), str):
        coded["op"] = ops.get(coded["op"], coded["op"])
    fact = str(coded.get("fact") or coded.get("by") or "")
    if "value" in coded:
        value = coded["value"]
        coded["value"] = (
            [_value_code(fact, v) for v in value]
            if isinstance(value, list)
            else _value_code(fact, value)
        )
    if isinstance(coded.get("amounts"), dict):
        coded["amounts"] = {_value_code(fact, k): v for k, v in coded["amounts"].items()}
    for key in ("all", "any"):
        if key in coded:
            coded[key] = from_readable(coded[key])
    return coded


# --- templates for staff setting up a round -----------------------------------------------

TEMPLATES: dict[str, tuple[StrOrPromise, Rule, Rule]] = {
    "autumn_study": (
        gettext_lazy("金秋助学"),
        {
            "all": [
                {
                    "any": [
                        {"fact": "household.status", "op": "eq", "value": "active"},
                        {"fact": "person.household_type", "op": "eq", "value": "migrant"},
                    ],
                    "reason": "须为在册困难职工家庭子女或农民工子女",
                },
                {
                    "fact": "child.admitted_this_year",
                    "op": "is_true",
                    "reason": "须为本年度新录取的学生",
                },
                {
                    "fact": "child.education_level",
                    "op": "in",
                    "value": ["secondary_vocational", "college", "bachelor"],
                    "reason": "须被高校或职业学校录取",
                },
            ]
        },
        {
            "by": "child.education_level",
            "amounts": {
                "secondary_vocational": "2000.00",
                "college": "3000.00",
                "bachelor": "4000.00",
            },
        },
    ),
    "dialysis": (
        gettext_lazy("爱心透析"),
        {
            "all": [
                {"fact": "person.is_member", "op": "is_true", "reason": "须为工会会员"},
                {
                    "fact": "member.condition",
                    "op": "eq",
                    "value": "dialysis",
                    "reason": "须为尿毒症透析患者",
                },
            ]
        },
        {"fixed": "4500.00"},
    ),
    "spring": (
        gettext_lazy("春节送温暖"),
        {
            "all": [
                {
                    "fact": "household.status",
                    "op": "eq",
                    "value": "active",
                    "reason": "须为在册困难职工家庭",
                }
            ]
        },
        {"fixed": "2000.00"},
    ),
}
