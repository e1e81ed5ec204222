"""Writes for virtual jobs: posts, adoptions, suspensions, ends and monthly pay runs. One
transaction each, the acting user first.

Money is the funds' (ADR 0015): an adopter's committed money comes in through
``funds.services.income_record`` into the fund the adoption names, and each month of a post
is handed over through ``funds.services.payable_submit`` (``source_kind="virtualjobs.pay"``,
``source_id`` the pay line), which the funds' batches pay. Nothing here moves a balance.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import counts, notify
from gonghui.core.locks import LockSpace, lock_one, lock_rows
from gonghui.core.money import check_money
from gonghui.core.permissions import Perm
from gonghui.core.scoping import require_within
from gonghui.core.validators import clean_text, raise_errors
from gonghui.funds import services as funds_services
from gonghui.hardship.models import Household, HouseholdMember
from gonghui.virtualjobs import notifications
from gonghui.virtualjobs.models import (
    LIVE_POST_STATUSES,
    SOURCE_KIND,
    Adoption,
    EventKind,
    PayRun,
    PayRunLine,
    Post,
    PostEvent,
    PostStatus,
    Suspension,
)

ZERO = Decimal("0.00")
# A household member whose work capacity is lost in part or in full may hold a post.
LOST_CAPACITY = ("partial", "none")
MAX_TERM_MONTHS = 120


# --- months --------------------------------------------------------------------------------------


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_add(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(first: datetime.date, last: datetime.date) -> int:
    """How many months from ``first`` to ``last``, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def parse_month(value: Any, field: str, errors: dict[str, list[str]]) -> datetime.date | None:
    """A month as ``2017-03`` (what ``<input type="month">`` sends) or a date; the first of
    that month. Problems go to ``errors[field]``."""
    if isinstance(value, datetime.date):
        return month_of(value)
    text = str(value or "").strip()
    if not text:
        errors.setdefault(field, []).append(_("请填写月份。"))
        return None
    try:
        year, month = text[:7].split("-")
        parsed = datetime.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        errors.setdefault(field, []).append(_("月份格式应为“2017-03”。"))
        return None
    if not 2000 <= parsed.year <= 2099:
        errors.setdefault(field, []).append(_("月份应在 2000 年至 2099 年之间。"))
        return None
    return parsed


def label(month: datetime.date) -> str:
    return _("%(y)s 年 %(m)s 月") % {"y": month.year, "m": month.month}


def _record(post: Post, kind: str, month: datetime.date, note: str, actor: Any) -> None:
    PostEvent.objects.create(post=post, kind=kind, month=month, note=note[:300], by=actor)


def _tell(post: Post, text: str) -> None:
    """Tell the worker whose household holds the post (in the change's transaction)."""
    notify.notify(person_id=post.household.person_id, kind=notifications.POST, text=text)


def _save(post: Post, actor: Any, fields: list[str]) -> None:
    post._history_user = actor  # type: ignore[attr-defined]
    post.save(update_fields=fields)


def _last_paid_month(post: Post) -> datetime.date | None:
    line = PayRunLine.unscoped.filter(post=post).order_by("-month").first()
    return line.month if line else None


# --- posts ---------------------------------------------------------------------------------------


@transaction.atomic
def post_create(
    *,
    actor: Any,
    organization: Any,
    household: Household,
    member: HouseholdMember,
    title: str,
    monthly_amount: Any,
    start_month: Any,
    end_month: Any,
    account_holder: str,
    bank_name: str,
    bank_card: str,
    duties: str = "",
) -> Post:
    """A post for ``member`` of ``household`` (on the roll, in ``organization``'s subtree),
    whose work capacity is lost in part or in full; to be adopted before it is paid."""
    require_within(actor, organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    title = clean_text(title, "title", errors, required=True, limit=50)
    duties = clean_text(duties, "duties", errors, required=False, limit=300, multiline=True)
    account_holder = clean_text(account_holder, "account_holder", errors, required=True, limit=50)
    bank_name = clean_text(bank_name, "bank_name", errors, required=True, limit=100)
    amount = check_money(monthly_amount, "monthly_amount", errors, required=True)
    if amount is not None and amount <= 0:
        errors.setdefault("monthly_amount", []).append(_("每月待遇应大于 0。"))
    try:
        card = funds_services.normalize_bank_card(bank_card)
    except ValidationError as exc:
        errors.setdefault("bank_card", []).extend(exc.messages)
        card = ""
    start = parse_month(start_month, "start_month", errors)
    end = parse_month(end_month, "end_month", errors)
    if start and end:
        if end < start:
            errors.setdefault("end_month", []).append(
                _("终止月份（%(e)s）不能早于起始月份（%(s)s）。")
                % {"e": label(end), "s": label(start)}
            )
        elif months_between(start, end) > MAX_TERM_MONTHS:
            errors.setdefault("end_month", []).append(
                _("岗位期限最长 %(n)s 个月，请分期设岗。") % {"n": MAX_TERM_MONTHS}
            )
    if household.status != "active":
        errors.setdefault("household", []).append(
            _("该户不在困难职工档案在册名单中（当前状态：%(s)s），不能设立虚拟岗位。")
            % {"s": household.get_status_display()}
        )
    elif not household.union.path.startswith(organization.path):
        errors.setdefault("household", []).append(
            _("该户的建档工会不在%(o)s的管辖范围内。") % {"o": organization.name}
        )
    if member.household_id != household.pk:
        errors.setdefault("member", []).append(_("请选择该户的家庭成员。"))
    elif member.work_capacity not in LOST_CAPACITY:
        errors.setdefault("member", []).append(
            _("%(n)s 劳动能力完全，虚拟岗位只为丧失或部分丧失劳动能力的成员设立。")
            % {"n": member.name}
        )
    elif Post.unscoped.filter(member=member, status__in=LIVE_POST_STATUSES).exists():
        errors.setdefault("member", []).append(
            _("%(n)s 已有未终止的虚拟岗位，不能重复设岗。") % {"n": member.name}
        )
    raise_errors(errors)
    assert amount is not None and start is not None and end is not None  # noqa: S101
    post = Post(
        organization=organization,
        household=household,
        member=member,
        person_id=member.person_id or household.person_id,
        title=title,
        duties=duties,
        monthly_amount=amount,
        start_month=start,
        end_month=end,
        account_holder=account_holder,
        bank_name=bank_name,
        bank_card=card,
        created_by=actor,
    )
    post._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            post.save()
    except IntegrityError:
        raise ValidationError(
            {"member": [_("%(n)s 刚被他人设立了虚拟岗位。") % {"n": member.name}]}
        ) from None
    _record(post, EventKind.CREATED, start, f"{title} ¥{amount:,.2f}/月", actor)
    return post


@dataclass(frozen=True)
class Commitment:
    """The adopter's money, recorded into the fund with the adoption (optional)."""

    amount: Any
    received_on: datetime.date | None
    receipt_number: str


@transaction.atomic
def post_adopt(
    *,
    actor: Any,
    post: Post,
    fund: Any,
    adopter_name: str = "",
    enterprise: Any = None,
    from_month: Any = None,
    commitment: Commitment | None = None,
) -> Adoption:
    """An enterprise (on the register) or a public unit (by name) adopts ``post`` from
    ``from_month``; ``fund`` (the post's organisation's or one above it) holds its money and
    pays the post. A post already adopted passes to the new adopter (转认领): the previous
    adoption ends the month before. With ``commitment``, the adopter's money is recorded
    into the fund as an income in the same transaction."""
    require_within(actor, post.organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    if enterprise is not None:
        adopter_name = enterprise.name
    adopter_name = clean_text(adopter_name, "adopter_name", errors, required=True, limit=100)
    if fund is None:
        errors.setdefault("fund", []).append(_("请选择存放认领资金、支付该岗位的基金。"))
    elif not post.organization.path.startswith(fund.organization.path):
        errors.setdefault("fund", []).append(
            _("“%(f)s”属于%(o)s，不能支付%(p)s的岗位；请选择本级或上级的基金。")
            % {"f": fund.name, "o": fund.organization.name, "p": post.organization.name}
        )
    elif not fund.active:
        errors.setdefault("fund", []).append(_("该基金已停用。"))
    start = parse_month(from_month or post.start_month, "from_month", errors)
    raise_errors(errors)
    assert start is not None  # noqa: S101
    income = None
    if commitment is not None:
        # The income first: it locks the fund (FUND), before the post (VIRTUAL_POST).
        try:
            income = funds_services.income_record(
                actor=actor,
                fund=fund,
                donor=adopter_name,
                amount=commitment.amount,
                received_on=commitment.received_on,
                receipt_number=commitment.receipt_number,
                purpose=_("认领虚拟岗位：%(t)s") % {"t": post.title},
            )
        except ValidationError as exc:
            renamed = {
                {"amount": "committed", "donor": "adopter_name"}.get(k, k): v
                for k, v in exc.message_dict.items()
            }
            raise ValidationError(renamed) from None
    post = lock_one(LockSpace.VIRTUAL_POST, Post.unscoped.select_related("organization"), post.pk)
    if post.status == PostStatus.ENDED:
        errors.setdefault("from_month", []).append(_("该岗位已终止，不能认领。"))
    elif not post.start_month <= start <= post.end_month:
        errors.setdefault("from_month", []).append(
            _("认领起始月份应在岗位期限内（%(s)s 至 %(e)s）。")
            % {"s": label(post.start_month), "e": label(post.end_month)}
        )
    paid = _last_paid_month(post)
    if paid is not None and start <= paid:
        errors.setdefault("from_month", []).append(
            _("%(m)s 及以前的待遇已发放，转认领应从之后的月份开始。") % {"m": label(paid)}
        )
    current = Adoption.unscoped.filter(post=post, to_month__isnull=True).first()
    if current is not None and start <= current.from_month:
        errors.setdefault("from_month", []).append(
            _("现认领单位自 %(m)s 起认领，转认领应从之后的月份开始。")
            % {"m": label(current.from_month)}
        )
    raise_errors(errors)
    if current is not None:
        current.to_month = month_add(start, -1)
        current.save(update_fields=["to_month"])
    adoption = Adoption.objects.create(
        post=post,
        enterprise=enterprise,
        adopter_name=adopter_name,
        fund=fund,
        income=income,
        from_month=start,
        by=actor,
    )
    post.adopter_name, post.fund = adopter_name, fund
    fields = ["adopter_name", "fund"]
    if post.status == PostStatus.OPEN:
        post.status = PostStatus.ACTIVE
        fields.append("status")
    _save(post, actor, fields)
    kind = EventKind.READOPTED if current is not None else EventKind.ADOPTED
    note = adopter_name + (f"，¥{income.amount:,.2f}" if income else "")
    _record(post, kind, start, note, actor)
    _tell(
        post,
        _("%(n)s的虚拟岗位“%(t)s”由%(a)s认领，自%(m)s起每月发放 ¥%(y)s。")
        % {
            "n": post.member.name,
            "t": post.title,
            "a": adopter_name,
            "m": label(start),
            "y": f"{post.monthly_amount:,.2f}",
        },
    )
    return adoption


@transaction.atomic
def post_suspend(*, actor: Any, post: Post, from_month: Any, reason: str) -> Post:
    """The post is not paid from ``from_month`` until it is resumed."""
    require_within(actor, post.organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=200)
    start = parse_month(from_month, "from_month", errors)
    raise_errors(errors)
    assert start is not None  # noqa: S101
    post = lock_one(LockSpace.VIRTUAL_POST, Post.unscoped.select_related("organization"), post.pk)
    if post.status != PostStatus.ACTIVE:
        errors.setdefault("from_month", []).append(
            _("只有在岗的岗位可以暂停（当前：%(s)s）。") % {"s": post.get_status_display()}
        )
    elif not post.start_month <= start <= post.end_month:
        errors.setdefault("from_month", []).append(
            _("暂停起始月份应在岗位期限内（%(s)s 至 %(e)s）。")
            % {"s": label(post.start_month), "e": label(post.end_month)}
        )
    else:
        paid = _last_paid_month(post)
        if paid is not None and start <= paid:
            errors.setdefault("from_month", []).append(
                _("%(m)s 及以前的待遇已发放，暂停应从之后的月份开始。") % {"m": label(paid)}
            )
    raise_errors(errors)
    Suspension.objects.create(post=post, from_month=start, reason=reason, by=actor)
    post.status = PostStatus.SUSPENDED
    _save(post, actor, ["status"])
    _record(post, EventKind.SUSPENDED, start, reason, actor)
    _tell(
        post,
        _("%(n)s的虚拟岗位“%(t)s”自%(m)s起暂停发放（%(r)s）。")
        % {"n": post.member.name, "t": post.title, "m": label(start), "r": reason},
    )
    return post


@transaction.atomic
def post_resume(*, actor: Any, post: Post, from_month: Any, note: str = "") -> Post:
    """The post is paid again from ``from_month``."""
    require_within(actor, post.organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, "note", errors, required=False, limit=200)
    start = parse_month(from_month, "from_month", errors)
    raise_errors(errors)
    assert start is not None  # noqa: S101
    post = lock_one(LockSpace.VIRTUAL_POST, Post.unscoped.select_related("organization"), post.pk)
    suspension = Suspension.unscoped.filter(post=post, to_month__isnull=True).first()
    if post.status != PostStatus.SUSPENDED or suspension is None:
        errors.setdefault("from_month", []).append(_("该岗位未暂停。"))
    elif start <= suspension.from_month:
        errors.setdefault("from_month", []).append(
            _("恢复月份应晚于暂停起始月份（%(m)s）。") % {"m": label(suspension.from_month)}
        )
    raise_errors(errors)
    assert suspension is not None  # noqa: S101
    suspension.to_month = month_add(start, -1)
    suspension.save(update_fields=["to_month"])
    post.status = PostStatus.ACTIVE
    _save(post, actor, ["status"])
    _record(post, EventKind.RESUMED, start, note, actor)
    _tell(
        post,
        _("%(n)s的虚拟岗位“%(t)s”自%(m)s起恢复发放。")
        % {"n": post.member.name, "t": post.title, "m": label(start)},
    )
    return post


@transaction.atomic
def post_end(*, actor: Any, post: Post, last_month: Any, reason: str) -> Post:
    """The post ends after ``last_month`` (its last month paid, if it was due)."""
    require_within(actor, post.organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    reason = clean_text(reason, "reason", errors, required=True, limit=200)
    last = parse_month(last_month, "last_month", errors)
    raise_errors(errors)
    assert last is not None  # noqa: S101
    post = lock_one(LockSpace.VIRTUAL_POST, Post.unscoped.select_related("organization"), post.pk)
    paid = _last_paid_month(post)
    if post.status == PostStatus.ENDED:
        errors.setdefault("last_month", []).append(_("该岗位已终止。"))
    elif last > post.end_month:
        errors.setdefault("last_month", []).append(
            _("终止月份不能晚于岗位期限（%(e)s）。") % {"e": label(post.end_month)}
        )
    elif paid is not None and last < paid:
        errors.setdefault("last_month", []).append(
            _("%(m)s 的待遇已发放，终止月份不能早于它。") % {"m": label(paid)}
        )
    elif last < post.start_month:
        errors.setdefault("last_month", []).append(
            _("终止月份不能早于岗位起始月份（%(s)s）；尚未开始的岗位请先暂停。")
            % {"s": label(post.start_month)}
        )
    raise_errors(errors)
    post.end_month = last
    # Adoptions that would have begun after the end never pay; the others end with the post.
    Adoption.unscoped.filter(post=post, from_month__gt=last).delete()
    Adoption.unscoped.filter(post=post).filter(
        Q(to_month__isnull=True) | Q(to_month__gt=last)
    ).update(to_month=last)
    Suspension.unscoped.filter(post=post, from_month__gt=last).delete()
    Suspension.unscoped.filter(post=post).filter(
        Q(to_month__isnull=True) | Q(to_month__gt=last)
    ).update(to_month=last)
    post.status = PostStatus.ENDED
    _save(post, actor, ["status", "end_month"])
    _record(post, EventKind.ENDED, last, reason, actor)
    _tell(
        post,
        _("%(n)s的虚拟岗位“%(t)s”于%(m)s后终止（%(r)s）。")
        % {"n": post.member.name, "t": post.title, "m": label(last), "r": reason},
    )
    return post


# --- pay runs ------------------------------------------------------------------------------------


def payable_posts(*, organization: Any, month: datetime.date) -> QuerySet[Post]:
    """The posts of ``organization``'s subtree due for ``month`` and not yet paid for it: in
    their term, adopted for that month, not suspended in it. Unscoped: callers check the
    organisation is the actor's (``require_within``)."""
    adopted = Adoption.unscoped.filter(post=OuterRef("pk"), from_month__lte=month).filter(
        Q(to_month__isnull=True) | Q(to_month__gte=month)
    )
    suspended = Suspension.unscoped.filter(post=OuterRef("pk"), from_month__lte=month).filter(
        Q(to_month__isnull=True) | Q(to_month__gte=month)
    )
    paid = PayRunLine.unscoped.filter(post=OuterRef("pk"), month=month)
    return (
        Post.unscoped.filter(
            organization__path__startswith=organization.path,
            start_month__lte=month,
            end_month__gte=month,
        )
        .exclude(status=PostStatus.OPEN)
        .filter(Exists(adopted))
        .exclude(Exists(suspended))
        .exclude(Exists(paid))
    )


@transaction.atomic
def pay_run_create(*, actor: Any, organization: Any, month: Any) -> PayRun:
    """Pay ``month`` for every post of ``organization``'s subtree that is due and unpaid:
    one line per post, each handed over to the funds as a payable item. A second run of the
    same month finds nothing left and is refused; two at once wait for each other on the
    posts' locks, and the unique (post, month) constraint is the last guard."""
    require_within(actor, organization, Perm.EDIT_RECORDS)
    errors: dict[str, list[str]] = {}
    start = parse_month(month, "month", errors)
    this_month = month_of(timezone.localdate())
    if start is not None and start > this_month:
        errors.setdefault("month", []).append(
            _("不能为未来月份（%(m)s）发放，最晚只能发放本月（%(n)s）。")
            % {"m": label(start), "n": label(this_month)}
        )
    raise_errors(errors)
    assert start is not None  # noqa: S101
    # Lock the due posts in key order, then read again: a run that waited for another
    # sees the lines it committed and skips those posts.
    due = list(payable_posts(organization=organization, month=start).values_list("pk", flat=True))
    locked = lock_rows(
        LockSpace.VIRTUAL_POST,
        Post.unscoped.filter(pk__in=due).select_related("organization", "fund"),
    )
    still_due = set(
        payable_posts(organization=organization, month=start)
        .filter(pk__in=due)
        .values_list("pk", flat=True)
    )
    posts = [post for post in locked if post.pk in still_due]
    if not posts:
        already = PayRunLine.unscoped.filter(
            post__organization__path__startswith=organization.path, month=start
        ).exists()
        errors.setdefault("month", []).append(
            _("%(m)s 的在岗岗位都已发放，没有需要发放的岗位。") % {"m": label(start)}
            if already
            else _("%(o)s %(m)s 没有应发放的岗位：岗位须在期限内、已认领且未暂停。")
            % {"o": organization.name, "m": label(start)}
        )
    raise_errors(errors)
    adoptions = {
        adoption.post_id: adoption
        for adoption in Adoption.unscoped.filter(post__in=posts, from_month__lte=start)
        .filter(Q(to_month__isnull=True) | Q(to_month__gte=start))
        .select_related("fund", "fund__organization")
    }
    run = PayRun.objects.create(
        organization=organization,
        month=start,
        line_count=len(posts),
        total=sum((post.monthly_amount for post in posts), ZERO),
        created_by=actor,
    )
    for post in posts:
        adoption = adoptions[post.pk]
        try:
            with transaction.atomic():
                line = PayRunLine.objects.create(
                    run=run,
                    post=post,
                    month=start,
                    amount=post.monthly_amount,
                    fund=adoption.fund,
                    adopter_name=adoption.adopter_name,
                )
        except IntegrityError:
            # Another run paid it after our read (the locks make this unreachable on
            # PostgreSQL; the constraint stays the guard).
            raise ValidationError(
                {"month": [_("%(p)s 的 %(m)s 待遇刚被发放。") % {"p": post, "m": label(start)}]}
            ) from None
        item = funds_services.payable_submit(
            actor=actor,
            organization=post.organization,
            fund=adoption.fund,
            person=post.person,
            account_holder=post.account_holder,
            bank_name=post.bank_name,
            bank_card=post.bank_card.reveal(),
            amount=post.monthly_amount,
            source_kind=SOURCE_KIND,
            source_id=line.pk,
            label=_("虚拟岗位 %(m)s") % {"m": f"{start:%Y-%m}"},
        )
        line.item_id = item.pk
        line.save(update_fields=["item_id"])
    transaction.on_commit(lambda: counts.bump("virtualjobs"), robust=True)
    return run
