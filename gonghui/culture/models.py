"""Culture: the "good life energy station" (CUL). The 五美 course catalogue, mentors and venues;
class sessions booked first come or by a checkable lottery; check-in and the no-show rule; the
federation's yearly menu of services; the calendar of shows, contests and training."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.core.fields import SealedField
from gonghui.core.scoping import ScopedManager, ScopedModel

SEED_PURPOSE = "culture.draw_seed"


def new_token() -> str:
    return secrets.token_urlsafe(16)


class PublicToWorkers:
    """Mixed into the catalogue and calendar models: every signed-in worker sees them all
    (who may book is the session's rule); staff still see their subtree only."""

    @classmethod
    def owner_scope(cls, person_id: int) -> Q:
        return Q()


class Series(models.Model):
    """A series of the catalogue (the seed's "五美": 引领美, 形象美, 情趣美, 家居美, 才艺美). Data:
    another city keeps its own."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=30)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("order", "pk")
        verbose_name = _("课程系列")

    def __str__(self) -> str:
        return self.name


class Category(models.TextChoices):
    INSTRUMENT = "instrument", _("乐器")
    BAKING = "baking", _("烘焙")
    TEA = "tea", _("茶艺")
    CALLIGRAPHY = "calligraphy", _("书画")
    CHESS = "chess", _("棋艺")
    RECITATION = "recitation", _("朗诵")
    DANCE = "dance", _("舞蹈")
    FITNESS = "fitness", _("健身")
    ETIQUETTE = "etiquette", _("礼仪形象")
    HOME = "home", _("家居生活")
    OTHER = "other", _("其他")


class Mentor(PublicToWorkers, ScopedModel):
    """A member of the mentor team 导师团, kept by the organisation that engaged them."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name=_("所属组织"), on_delete=models.PROTECT
    )
    name = models.CharField(_("姓名"), max_length=50)
    speciality = models.CharField(_("专长"), max_length=100)
    title = models.CharField(_("职称或头衔"), max_length=100, blank=True)
    bio = models.TextField(_("简介"), max_length=1000, blank=True)
    is_active = models.BooleanField(_("在聘"), default=True)

    unscoped = models.Manager()
    objects = ScopedManager["Mentor"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("name",)
        verbose_name = _("导师")

    def __str__(self) -> str:
        return self.name


class VenueKind(models.TextChoices):
    VENUE = "venue", _("活动场馆")
    BASE = "base", _("合作培训基地")


class Venue(PublicToWorkers, ScopedModel):
    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name=_("所属组织"), on_delete=models.PROTECT
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=VenueKind.choices)
    partner = models.CharField(_("合作单位"), max_length=100, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    capacity = models.PositiveIntegerField(_("容纳人数"))
    is_active = models.BooleanField(_("启用"), default=True)

    unscoped = models.Manager()
    objects = ScopedManager["Venue"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("name",)
        verbose_name = _("场地")

    def __str__(self) -> str:
        return self.name


class Course(PublicToWorkers, ScopedModel):
    """A course of the catalogue. Any organisation of the tree runs its own (the seed's 公益大课堂
    moved down to the towns); its sessions are what workers book."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name=_("开课单位"), on_delete=models.PROTECT
    )
    series = models.ForeignKey(Series, verbose_name=_("系列"), on_delete=models.PROTECT)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    title = models.CharField(_("课程名称"), max_length=100)
    description = models.TextField(_("课程介绍"), max_length=2000, blank=True)
    mentor = models.ForeignKey(
        Mentor, verbose_name=_("导师"), on_delete=models.PROTECT, null=True, blank=True
    )
    is_public_class = models.BooleanField(_("公益大课堂"), default=True)
    is_active = models.BooleanField(_("开设中"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["Course"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("series__order", "title")
        verbose_name = _("课程")

    def __str__(self) -> str:
        return self.title


class BookingMode(models.TextChoices):
    FIRST_COME = "first_come", _("先到先得")
    LOTTERY = "lottery", _("报名抽签")


class SessionState(models.TextChoices):
    SCHEDULED = "scheduled", _("正常")
    CANCELLED = "cancelled", _("已取消")


class ClassSession(PublicToWorkers, ScopedModel):
    """One class on one day. ``seats_left`` is the scarce thing: it is only ever taken by one
    conditional UPDATE (``seats_left > 0``), so no concurrency oversells it. In lottery mode
    the seed is drawn when the session is published; only its hash (the commitment) is shown
    until the draw, and the seed is sealed at rest meanwhile. When sign-up closes the entrant
    list is frozen and its digest published; the draw ranks exactly that list."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    course = models.ForeignKey(
        Course, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="sessions"
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("开课单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    venue = models.ForeignKey(
        Venue, verbose_name=_("场地"), on_delete=models.PROTECT, null=True, blank=True
    )
    place = models.CharField(_("上课地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    seats_left = models.PositiveIntegerField(_("剩余名额"))
    mode = models.CharField(_("预约方式"), max_length=12, choices=BookingMode.choices)
    opens_at = models.DateTimeField(_("开放预约时间"))
    closes_at = models.DateTimeField(_("截止预约时间"))
    # Who may book: members of this subtree; anyone signed in and registered when empty.
    audience = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("面向会员范围"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    offer_hours = models.PositiveSmallIntegerField(_("候补确认时限（小时）"), default=24)
    state = models.CharField(
        _("状态"), max_length=10, choices=SessionState.choices, default=SessionState.SCHEDULED
    )
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    # Lottery: the commitment is public from the start; the entrant digest from the close of
    # sign-up (``lottery_freeze``), before the seed is revealed by the draw.
    commitment = models.CharField(_("随机种子承诺值"), max_length=64, blank=True)
    entrants_digest = models.CharField(_("报名名单摘要"), max_length=64, blank=True)
    entrants_frozen_at = models.DateTimeField(_("报名名单锁定时间"), null=True, blank=True)
    seed = SealedField(purpose=SEED_PURPOSE, null=True)
    drawn_at = models.DateTimeField(_("抽签时间"), null=True, blank=True)
    draw_record = models.JSONField(null=True, blank=True)
    noshows_marked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["ClassSession"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("starts_at", "pk")
        verbose_name = _("课程场次")
        indexes: ClassVar = [
            models.Index(fields=["organization", "starts_at"], name="session_org_start_idx"),
            models.Index(fields=["starts_at"], name="session_start_idx"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(seats_left__lte=models.F("capacity")), name="session_seats_in_capacity"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="session_window_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.title} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_lottery(self) -> bool:
        return self.mode == BookingMode.LOTTERY

    @property
    def is_cancelled(self) -> bool:
        return self.state == SessionState.CANCELLED

    def window_state(self, now: Any = None) -> str:
        """ "before", "open" or "closed" (the booking window)."""
        now = now or timezone.now()
        if now < self.opens_at:
            return "before"
        return "open" if now < self.closes_at else "closed"


class BookingState(models.TextChoices):
    ENTERED = "entered", _("已报名，待抽签")
    BOOKED = "booked", _("预约成功")
    WAITING = "waiting", _("候补中")
    OFFERED = "offered", _("候补递补，待确认")
    ATTENDED = "attended", _("已签到")
    NO_SHOW = "no_show", _("未到场")
    CANCELLED = "cancelled", _("已取消")
    LAPSED = "lapsed", _("递补未确认")
    UNREACHED = "unreached", _("候补未轮到")
    SESSION_CANCELLED = "session_cancelled", _("课程已取消")


# States that hold the worker's place in a session (one per worker and session).
ACTIVE_STATES = (
    BookingState.ENTERED,
    BookingState.BOOKED,
    BookingState.WAITING,
    BookingState.OFFERED,
    BookingState.ATTENDED,
    BookingState.NO_SHOW,
)
# States that hold a seat.
SEAT_STATES = (BookingState.BOOKED, BookingState.OFFERED, BookingState.ATTENDED)


class Booking(ScopedModel):
    """A worker's booking, sign-up or waiting-list place for one session. Staff see those of
    sessions their subtree runs; the worker sees their own."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)
    owner_field: ClassVar[str | None] = "person"

    session = models.ForeignKey(
        ClassSession, verbose_name=_("场次"), on_delete=models.PROTECT, related_name="bookings"
    )
    person = models.ForeignKey(
        "members.Person", verbose_name=_("职工"), on_delete=models.PROTECT, related_name="+"
    )
    # The session's organisation, kept here so scoping and the staff lists need no join.
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    state = models.CharField(_("状态"), max_length=20, choices=BookingState.choices)
    # Lottery: 1 = full weight, 2 = halved by the no-show rule. Set at sign-up, shown then.
    weight_divisor = models.PositiveSmallIntegerField(default=1)
    # Order in line: the lottery's rank; 0 for first come (then the key orders the line).
    rank = models.PositiveIntegerField(default=0)
    offered_until = models.DateTimeField(_("递补确认截止"), null=True, blank=True)
    token = models.CharField(max_length=32, unique=True, default=new_token)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("预约时间"), default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The worker's rating of the class they attended (once).
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    # A database default: the booking rush inserts bookings in plain SQL (services.booking).
    rating_comment = models.CharField(_("评价"), max_length=300, blank=True, db_default="")
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    unscoped = models.Manager()
    objects = ScopedManager["Booking"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at",)
        verbose_name = _("预约")
        constraints: ClassVar = [
            # One booking per worker per session; a cancelled one may be made again.
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=Q(state__in=ACTIVE_STATES),
                name="booking_one_per_worker",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="booking_rating_1_to_5",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["session", "state", "rank"], name="booking_line_idx"),
            models.Index(fields=["person", "created_at"], name="booking_person_idx"),
            models.Index(fields=["organization", "created_at"], name="booking_org_idx"),
            models.Index(
                fields=["offered_until"],
                condition=Q(state="offered"),
                name="booking_offer_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.get_state_display()}"

    @property
    def code(self) -> str:
        """The public entry code: in the published lottery list and on the QR card."""
        return f"B{self.pk:07d}"


class BookingRules(models.Model):
    """The published booking rule, one row for the city (``BookingRules.current()``): shown
    to the worker before they book, editable by the city's administrators."""

    weekly_limit = models.PositiveSmallIntegerField(_("每周最多预约或报名节数"), default=2)
    no_show_limit = models.PositiveSmallIntegerField(_("缺席次数上限"), default=2)
    no_show_window_days = models.PositiveSmallIntegerField(_("缺席统计天数"), default=60)
    suspension_days = models.PositiveSmallIntegerField(_("暂停先到先得预约天数"), default=30)
    lottery_divisor = models.PositiveSmallIntegerField(_("抽签权重除数"), default=2)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("预约规则")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> BookingRules:
        rules, _created = cls.objects.get_or_create(pk=1)
        return rules


# --- the menu service 菜单式服务 -----------------------------------------------------------


class Menu(ScopedModel):
    """A federation's yearly menu. Units of its subtree order from it once it is published."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name=_("发布单位"), on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=100)
    is_published = models.BooleanField(_("已发布"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["Menu"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-year", "pk")
        verbose_name = _("服务菜单")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "year"], name="menu_one_per_year")
        ]

    def __str__(self) -> str:
        return self.title


class MenuItemKind(models.TextChoices):
    PERFORMANCE = "performance", _("文艺演出")
    FILM = "film", _("电影放映")
    BOOKS = "books", _("图书配送")
    TRAINING = "training", _("培训送课")


class MenuItem(models.Model):
    """One dish of the menu. ``ordered`` counts what orders hold (submitted, approved or
    delivered); it only moves by conditional UPDATEs under the item's row lock."""

    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("类别"), max_length=12, choices=MenuItemKind.choices)
    title = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), max_length=1000, blank=True)
    unit = models.CharField(_("计量单位"), max_length=10, default="场")
    quota = models.PositiveIntegerField(_("年度总量"))
    per_unit_quota = models.PositiveIntegerField(_("每单位限额"))
    ordered = models.PositiveIntegerField(_("已订"), default=0)

    class Meta:
        ordering = ("kind", "pk")
        verbose_name = _("菜单项目")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ordered__lte=models.F("quota")), name="menu_item_within_quota"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def left(self) -> int:
        return self.quota - self.ordered


class OrderState(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已同意，待配送")
    DELIVERED = "delivered", _("已送达")
    REJECTED = "rejected", _("未同意")
    CANCELLED = "cancelled", _("已撤回")


HOLDING_STATES = (OrderState.SUBMITTED, OrderState.APPROVED, OrderState.DELIVERED)


class MenuOrder(ScopedModel):
    """An order by a unit (a grassroots union, for its enterprise) from its federation's menu.
    Seen by the unit's subtree and by the federation that published the menu, and, when an
    enterprise's contact placed it, by that enterprise's contacts."""

    scope_fields: ClassVar[tuple[str, ...]] = ("unit", "provider")
    # An enterprise contact sees the orders placed for their enterprise.
    enterprise_field: ClassVar[str | None] = "enterprise"

    item = models.ForeignKey(
        MenuItem, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="orders"
    )
    unit = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("点单单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    provider = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("配送单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set when an enterprise's contact placed the order for it; ``unit`` is then the union
    # covering the enterprise, whose staff follow the order as their own.
    enterprise = models.ForeignKey(
        "organizations.Enterprise",
        verbose_name=_("点单企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    quantity = models.PositiveIntegerField(_("数量"))
    wanted_on = models.DateField(_("希望日期"))
    note = models.CharField(_("需求说明"), max_length=300, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=OrderState.choices, default=OrderState.SUBMITTED
    )
    reason = models.CharField(_("审核意见"), max_length=300, blank=True)
    delivered_on = models.DateField(_("送达日期"), null=True, blank=True)
    delivery_note = models.CharField(_("送达记录"), max_length=300, blank=True)
    audience = models.PositiveIntegerField(_("受益职工人数"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("点单时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    unscoped = models.Manager()
    objects = ScopedManager["MenuOrder"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("-created_at",)
        verbose_name = _("点单")

    def __str__(self) -> str:
        return f"{self.item.title} × {self.quantity}"


# --- the calendar ------------------------------------------------------------------------------


class EventKind(models.TextChoices):
    SHOW = "show", _("汇演")
    CONTEST = "contest", _("赛事")
    TRAINING = "training", _("培训")
    OTHER = "other", _("活动")


class CultureEvent(PublicToWorkers, ScopedModel):
    """A show, contest or training day on the calendar ("季季有汇演, 月月有赛事, 周周有培训").
    Class sessions appear on the calendar beside these as training."""

    scope_fields: ClassVar[tuple[str, ...]] = ("organization",)

    organization = models.ForeignKey(
        "organizations.Organization", verbose_name=_("主办单位"), on_delete=models.PROTECT
    )
    kind = models.CharField(_("类别"), max_length=10, choices=EventKind.choices)
    series = models.ForeignKey(
        Series, verbose_name=_("系列"), on_delete=models.PROTECT, null=True, blank=True
    )
    title = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), max_length=2000, blank=True)
    place = models.CharField(_("地点"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    created_at = models.DateTimeField(auto_now_add=True)

    unscoped = models.Manager()
    objects = ScopedManager["CultureEvent"]()

    class Meta:
        default_manager_name = "unscoped"
        base_manager_name = "unscoped"
        ordering = ("starts_at", "pk")
        verbose_name = _("文体活动")
        indexes: ClassVar = [models.Index(fields=["starts_at"], name="culture_event_start_idx")]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class CalendarFeed(models.Model):
    """The secret address of a worker's iCal feed (calendar apps cannot sign in). A new one
    replaces the old, which stops working."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=32, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"feed {self.user_id}"
