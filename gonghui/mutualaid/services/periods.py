"""Writes for the periods of the scheme and their benefit rules. One transaction each, the
actor first.

A period is set up as a draft (from scratch, or copied from the one before: rules, fee and
settings, its dates a year on), edited, then published (draft → open: its rules must parse),
and closed when its claims are settled. Its rules and the settings enrolment and claims
depend on (dates, fee, waiting period, fund) are frozen once anyone has enrolled or claimed
in it: a change after that is made by copying it into a new period, never by rewriting
what earlier enrolments and claims were decided under.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from gonghui.core.locks import LockSpace, advisory_lock, lock_one
from gonghui.core.money import check_money
from gonghui.core.permissions import Perm
from gonghui.core.scoping import require_within
from gonghui.core.validators import clean_text, raise_errors
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import Claim, ClaimStatus, Enrolment, Period, PeriodStatus
from gonghui.organizations.models import Organization, OrgKind

MAX_WAITING_DAYS = 365
MAX_CLAIM_DAYS = 730
MAX_FLAG_MULTIPLE = Decimal("999.99")
# Settings that enrolments and claims were made under: frozen once there are any.
FROZEN_BY_RECORDS = ("starts_on", "ends_on", "fee", "waiting_days", "fund")
CHINESE_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class PeriodSettings:
    """A period's settings as typed (forms and the API fill it; the service checks it)."""

    name: Any
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    enrol_opens_on: datetime.date | None
    enrol_closes_on: datetime.date | None
    fee: Any
    fund: Any
    waiting_days: Any = 90
    claim_days: Any = None
    claims_close_on: datetime.date | None = None
    auto_approve_below: Any = "0"
    sample_percent: Any = 0
    flag_multiple: Any = "3"

    @classmethod
    def of(cls, period: Period) -> PeriodSettings:
        return cls(**{f.name: getattr(period, f.name) for f in fields(cls)})


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 14 → 十四, 21 → 二十一 (up to 99), as period names write them."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHINESE_DIGITS[tens] + "十")
    return head + (CHINESE_DIGITS[ones] if ones else "")


def default_name(number: int, year: int) -> str:
    return _("第%(n)s期（%(y)s年）") % {"n": chinese_number(number), "y": year}


def _int(
    value: Any, field: str, errors: dict[str, list[str]], low: int, high: int, *, required: bool
) -> int | None:
    if value is None or value == "":
        if required:
            errors.setdefault(field, []).append(_("此项必填。"))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.setdefault(field, []).append(_("请填写整数。"))
        return None
    if not low <= number <= high:
        errors.setdefault(field, []).append(
            _("应在 %(low)s 至 %(high)s 之间。") % {"low": low, "high": high}
        )
        return None
    return number


def _multiple(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.setdefault("flag_multiple", []).append(_("请填写数字，例如 3。"))
        return None
    if not number.is_finite() or number <= 1 or number > MAX_FLAG_MULTIPLE:
        errors.setdefault("flag_multiple", []).append(_("异常倍数应大于 1，且不超过 999.99。"))
        return None
    if number.quantize(Decimal("0.01")) != number:
        errors.setdefault("flag_multiple", []).append(_("异常倍数最多两位小数。"))
        return None
    return number


def _on_line(fund: Any, organization: Organization) -> bool:
    path = fund.organization.path
    return organization.path.startswith(path) or path.startswith(organization.path)


def _check(
    settings: PeriodSettings, organization: Organization, period: Period | None
) -> dict[str, Any]:
    """The settings, checked and cleaned; raises ``ValidationError`` naming every field."""
    errors: dict[str, list[str]] = {}
    name = clean_text(settings.name, "name", errors, required=True, limit=60)
    required_dates = {
        "starts_on": (settings.starts_on, _("请填写保障开始日期。")),
        "ends_on": (settings.ends_on, _("请填写保障结束日期。")),
        "enrol_opens_on": (settings.enrol_opens_on, _("请填写参保登记开始日期。")),
        "enrol_closes_on": (settings.enrol_closes_on, _("请填写参保登记截止日期。")),
    }
    for field, (value, message) in required_dates.items():
        if not isinstance(value, datetime.date):
            errors.setdefault(field, []).append(message)
    starts, ends = settings.starts_on, settings.ends_on
    opens, closes = settings.enrol_opens_on, settings.enrol_closes_on
    if isinstance(starts, datetime.date) and isinstance(ends, datetime.date) and ends <= starts:
        errors.setdefault("ends_on", []).append(_("保障结束日期应晚于开始日期。"))
    if isinstance(opens, datetime.date) and isinstance(closes, datetime.date) and closes < opens:
        errors.setdefault("enrol_closes_on", []).append(_("参保登记截止日期不能早于开始日期。"))
    if isinstance(opens, datetime.date) and isinstance(ends, datetime.date) and opens > ends:
        errors.setdefault("enrol_opens_on", []).append(
            _("参保登记应在保障结束之前开始（一般在保障年度开始前）。")
        )
    close_claims = settings.claims_close_on
    if close_claims is not None and isinstance(ends, datetime.date) and close_claims < ends:
        errors.setdefault("claims_close_on", []).append(_("理赔申请截止日期不能早于保障结束日期。"))
    fee = check_money(settings.fee, "fee", errors, required=True)
    if fee is not None and fee <= 0:
        errors.setdefault("fee", []).append(_("每人缴费应大于 0。"))
    auto = check_money(settings.auto_approve_below, "auto_approve_below", errors)
    waiting = _int(
        settings.waiting_days, "waiting_days", errors, 0, MAX_WAITING_DAYS, required=True
    )
    claim_days = _int(settings.claim_days, "claim_days", errors, 1, MAX_CLAIM_DAYS, required=False)
    sample = _int(settings.sample_percent, "sample_percent", errors, 0, 100, required=True)
    multiple = _multiple(settings.flag_multiple, errors)
    fund = settings.fund
    if fund is None:
        errors.setdefault("fund", []).append(_("请选择本期的互助保障基金。"))
    elif not fund.active:
        errors.setdefault("fund", []).append(_("该基金已停用，请选择其他基金。"))
    elif not _on_line(fund, organization):
        errors.setdefault("fund", []).append(
            _("“%(f)s”属于%(o)s，与本期的主办工会不在同一条线上。")
            % {"f": fund.name, "o": fund.organization.name}
        )
    if not errors and isinstance(starts, datetime.date) and isinstance(ends, datetime.date):
        others = Period.unscoped.filter(
            organization=organization, starts_on__lte=ends, ends_on__gte=starts
        )
        if period is not None:
            others = others.exclude(pk=period.pk)
        clash = others.order_by("starts_on").first()
        if clash is not None:
            errors.setdefault("starts_on", []).append(
                _("与“%(p)s”（%(s)s 至 %(e)s）的保障期间重叠，同一工会的各期不能重叠。")
                % {"p": clash.name, "s": clash.starts_on, "e": clash.ends_on}
            )
    raise_errors(errors)
    return {
        "name": name,
        "starts_on": starts,
        "ends_on": ends,
        "enrol_opens_on": opens,
        "enrol_closes_on": closes,
        "fee": fee,
        "fund": fund,
        "waiting_days": waiting,
        "claim_days": claim_days,
        "claims_close_on": close_claims,
        "auto_approve_below": auto if auto is not None else Decimal("0.00"),
        "sample_percent": sample,
        "flag_multiple": multiple,
    }


def has_records(period: Period) -> bool:
    """Whether anyone has enrolled or claimed in the period (live or not: a refund or a
    withdrawn claim was still made under its rules)."""
    return (
        Enrolment.unscoped.filter(period=period).exists()
        or Claim.unscoped.filter(period=period).exists()
    )


def _locked(actor: Any, period: Period) -> Period:
    require_within(actor, period.organization, Perm.EDIT_RECORDS)
    locked = lock_one(LockSpace.MUTUALAID_PERIOD, Period, period.pk)
    return locked


def _save(actor: Any, period: Period, **changes: Any) -> Period:
    for name, value in changes.items():
        setattr(period, name, value)
    period._history_user = actor  # type: ignore[attr-defined]
    period.save()
    return period


def _check_rules(data: Any) -> dict[str, Any]:
    """The rules as the period keeps them (normalised by ``dump``), or ``ValidationError``
    with each problem at ``rules.<path>``."""
    try:
        parsed = rules.parse(data)
    except ValidationError as exc:
        raise ValidationError(
            {f"rules.{path}": messages for path, messages in exc.message_dict.items()}
        ) from None
    return rules.dump(parsed)


# --- set up ---------------------------------------------------------------------------------


@transaction.atomic
def period_create(
    *,
    actor: Any,
    organization: Organization,
    settings: PeriodSettings,
    rules_data: Any = None,
    copied_from: Period | None = None,
) -> Period:
    """A new draft period of ``organization`` (a federation: city, district, town or
    system union), numbered after its last one. ``rules_data`` may be left empty (set them
    before publishing); when given they must parse."""
    require_within(actor, organization, Perm.EDIT_RECORDS)
    if organization.kind == OrgKind.GRASSROOTS:
        raise ValidationError(
            {"organization": [_("互助保障由总工会（市、县、镇）主办，基层工会不能设立保障期。")]}
        )
    # Serialise with other new or re-dated periods of the organisation (the overlap check).
    advisory_lock(LockSpace.MUTUALAID_PERIOD_DATES, organization.pk)
    cleaned = _check(settings, organization, None)
    kept = _check_rules(rules_data) if rules_data else {}
    last = Period.unscoped.filter(organization=organization).aggregate(n=Max("number"))["n"]
    period = Period(
        organization=organization,
        number=(last or 0) + 1,
        rules=kept,
        copied_from=copied_from,
        created_by=actor,
        status=PeriodStatus.DRAFT,
        **cleaned,
    )
    period._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            period.save()
    except IntegrityError:  # the numbering is serialised above; a last guard
        raise ValidationError({"name": [_("刚有人建立了新的一期，请刷新后重试。")]}) from None
    return period


def _years_on(day: datetime.date | None, years: int, *, end: bool = False) -> datetime.date | None:
    """``day`` so many years on. 29 February, in a year without one, becomes 1 March for a
    first day and 28 February for a last day, so a copied period neither overlaps the one
    before nor leaves a day uncovered."""
    if day is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        last = day.replace(year=day.year + years, day=28)
        return last if end else last + datetime.timedelta(days=1)


@transaction.atomic
def period_copy(*, actor: Any, source: Period, name: str = "", years: int = 1) -> Period:
    """A new draft period copied from ``source``: its rules, fee, fund and settings, every
    date ``years`` later (the next year's period, as a rule). Edit it, then publish it."""
    require_within(actor, source.organization, Perm.EDIT_RECORDS)
    if not 1 <= years <= 10:
        raise ValidationError({"years": [_("应在 1 至 10 年之间。")]})
    base = PeriodSettings.of(source)
    shifted = replace(
        base,
        starts_on=_years_on(source.starts_on, years),
        ends_on=_years_on(source.ends_on, years, end=True),
        enrol_opens_on=_years_on(source.enrol_opens_on, years),
        enrol_closes_on=_years_on(source.enrol_closes_on, years, end=True),
        claims_close_on=_years_on(source.claims_close_on, years, end=True),
    )
    if not name:
        last = Period.unscoped.filter(organization=source.organization).aggregate(n=Max("number"))[
            "n"
        ]
        starts = shifted.starts_on or source.starts_on
        name = default_name((last or 0) + 1, starts.year)
    return period_create(
        actor=actor,
        organization=source.organization,
        settings=replace(shifted, name=name),
        rules_data=source.rules or None,
        copied_from=source,
    )


@transaction.atomic
def period_update(*, actor: Any, period: Period, settings: PeriodSettings) -> Period:
    """Change a period's settings. A closed period is not changed; once anyone has enrolled
    or claimed, its dates, fee, waiting period and fund stay as they were."""
    require_within(actor, period.organization, Perm.EDIT_RECORDS)
    advisory_lock(LockSpace.MUTUALAID_PERIOD_DATES, period.organization_id)
    period = _locked(actor, period)
    if period.status == PeriodStatus.CLOSED:
        raise ValidationError({"status": [_("本期已结束，不能再修改。")]})
    cleaned = _check(settings, period.organization, period)
    if has_records(period):
        errors: dict[str, list[str]] = {}
        for field in FROZEN_BY_RECORDS:
            old = period.fund_id if field == "fund" else getattr(period, field)
            new = cleaned[field].pk if field == "fund" else cleaned[field]
            if old != new:
                errors.setdefault(field, []).append(
                    _("本期已有参保登记或理赔申请，此项不能再修改；如需调整，请复制为新一期。")
                )
        raise_errors(errors)
    return _save(actor, period, **cleaned)


@transaction.atomic
def period_rules_save(*, actor: Any, period: Period, rules_data: Any) -> Period:
    """Set a period's benefit rules (``mutualaid.rules`` checks them: every problem is
    reported at ``rules.<path>``). Refused once the period is closed or anyone has enrolled
    or claimed in it: copy it into a new period instead."""
    period = _locked(actor, period)
    if period.status == PeriodStatus.CLOSED:
        raise ValidationError({"rules": [_("本期已结束，保障规则不能再修改。")]})
    if has_records(period):
        raise ValidationError(
            {
                "rules": [
                    _(
                        "本期已有参保登记或理赔申请，保障规则不能再修改；"
                        "如需调整，请复制为新一期后修改。"
                    )
                ]
            }
        )
    return _save(actor, period, rules=_check_rules(rules_data))


@transaction.atomic
def period_publish(*, actor: Any, period: Period) -> Period:
    """Open a draft period for enrolment and claims: its rules must parse and its fund be
    in use."""
    period = _locked(actor, period)
    if period.status != PeriodStatus.DRAFT:
        raise ValidationError({"status": [_("只有草拟状态的保障期可以发布。")]})
    if not period.rules:
        raise ValidationError({"rules": [_("请先设置本期的保障规则，再发布。")]})
    _check_rules(period.rules)
    if not period.fund.active:
        raise ValidationError({"fund": [_("本期的互助保障基金已停用，请先更换基金。")]})
    return _save(actor, period, status=PeriodStatus.OPEN)


@transaction.atomic
def period_close(*, actor: Any, period: Period) -> Period:
    """End an open period: no more enrolment or claims. Refused while claims wait for a
    decision."""
    period = _locked(actor, period)
    if period.status != PeriodStatus.OPEN:
        raise ValidationError({"status": [_("只有已发布的保障期可以结束。")]})
    pending = Claim.unscoped.filter(period=period, status=ClaimStatus.PENDING).count()
    if pending:
        raise ValidationError(
            {"status": [_("本期尚有 %(n)s 件理赔待审核，审核完毕后才能结束。") % {"n": pending}]}
        )
    return _save(actor, period, status=PeriodStatus.CLOSED)
