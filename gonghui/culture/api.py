"""API for culture: the catalogue, sessions and the calendar (``/api/culture``), the worker's
bookings (``/api/me/bookings``), the staff's session work, and the menu service 菜单式服务
(``/api/culture/menu``: the menus a unit may order from, ordering and withdrawing, the
federation's decisions and delivery records). Same selectors and services as the pages.

No ``from __future__ import annotations``: django-ninja resolves the annotations of a
paginated handler in its own module, where the platform's input types are unknown."""

import datetime
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from gonghui.core.api import (
    Count,
    Date,
    DateTime,
    Id,
    OneOf,
    Pages,
    Search,
    Text,
    staff_actor,
    worker_actor,
)
from gonghui.culture import draw
from gonghui.culture.models import (
    Booking,
    BookingMode,
    BookingRules,
    ClassSession,
    MenuItem,
    MenuOrder,
)
from gonghui.culture.selectors import booking as booking_selectors
from gonghui.culture.selectors import catalogue as catalogue_selectors
from gonghui.culture.selectors import menu as menu_selectors
from gonghui.culture.services import attendance as attendance_services
from gonghui.culture.services import booking as booking_services
from gonghui.culture.services import catalogue as catalogue_services
from gonghui.culture.services import lottery as lottery_services
from gonghui.culture.services import menu as menu_services
from gonghui.culture.services import rules as rules_services
from gonghui.culture.services import sessions as sessions_services
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["文化服务"])
worker_router = Router(tags=["职工：课程预约"])
feed_router = Router(tags=["职工：课程预约"])


class SessionOut(Schema):
    id: int
    course: str
    series: str
    category: str
    organization: str
    mentor: str
    place: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    capacity: int
    seats_left: int
    mode: str
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    audience: str | None
    state: str
    commitment: str
    # Published when sign-up closes, before the draw (empty until then).
    entrants_digest: str
    entrants_frozen_at: datetime.datetime | None
    drawn_at: datetime.datetime | None

    @staticmethod
    def resolve_course(obj: ClassSession) -> str:
        return obj.course.title

    @staticmethod
    def resolve_series(obj: ClassSession) -> str:
        return obj.course.series.name

    @staticmethod
    def resolve_category(obj: ClassSession) -> str:
        return obj.course.category

    @staticmethod
    def resolve_organization(obj: ClassSession) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_mentor(obj: ClassSession) -> str:
        return obj.course.mentor.name if obj.course.mentor else ""

    @staticmethod
    def resolve_audience(obj: ClassSession) -> str | None:
        return obj.audience.name if obj.audience else None


class BookingOut(Schema):
    id: int
    code: str
    session_id: int
    course: str
    starts_at: datetime.datetime
    state: str
    state_label: str
    weight_divisor: int
    waiting_place: int | None
    offered_until: datetime.datetime | None
    checked_in_at: datetime.datetime | None
    qr: str

    @staticmethod
    def resolve_course(obj: Booking) -> str:
        return obj.session.course.title

    @staticmethod
    def resolve_starts_at(obj: Booking) -> datetime.datetime:
        return obj.session.starts_at

    @staticmethod
    def resolve_state_label(obj: Booking) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_waiting_place(obj: Booking) -> int | None:
        return booking_services.waiting_place(obj)

    @staticmethod
    def resolve_qr(obj: Booking) -> str:
        return obj.token  # what the QR code carries; staff scan it at the door


class BookedOut(Schema):
    """The answer to a booking: lean, so a flash crowd costs the server little."""

    id: int
    code: str
    session_id: int
    state: str
    state_label: str
    weight_divisor: int

    @staticmethod
    def resolve_state_label(obj: Booking) -> str:
        return str(obj.get_state_display())


class RulesOut(Schema):
    weekly_limit: int
    no_show_limit: int
    no_show_window_days: int
    suspension_days: int
    lottery_divisor: int
    my_no_shows: int | None = None
    my_penalised_until: datetime.datetime | None = None
    my_lottery_divisor: int | None = None


class SessionIn(Schema):
    course_id: Id
    starts_at: DateTime
    ends_at: DateTime
    capacity: Annotated[int, Field(ge=1, le=100_000)]
    mode: Annotated[str, OneOf(BookingMode)]
    opens_at: DateTime
    closes_at: DateTime
    place: Annotated[str, Text.of(ClassSession, "place")] = ""
    venue_id: Id | None = None
    audience_id: Id | None = None
    offer_hours: Annotated[int, Field(ge=1, le=168)] = 24


class SessionCancelIn(Schema):
    reason: Annotated[str, Text(200, multiline=True)]


class TokenIn(Schema):
    token: Annotated[str, Text(100)]


class CheckInOut(Schema):
    booking_id: int
    code: str
    name: str
    state: str


class CalendarEntryOut(Schema):
    uid: str
    kind: str
    kind_label: str
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    organization: str
    series: str
    mine: bool


def _actor(request: HttpRequest) -> Any:
    """The authenticated account, worker or staff. The catalogue is theirs: to an enterprise
    contact it is "not found", as every staff operation is."""
    user = getattr(request, "auth", None)
    if getattr(user, "is_enterprise_account", False):
        raise Http404
    return user


# --- the catalogue and sessions (workers and staff) ------------------------------------------


@router.get("/sessions", response=list[SessionOut], summary="课程场次")
def list_sessions(
    request: HttpRequest, series: Id | None = None, organization: Id | None = None
) -> Any:
    return list(
        booking_selectors.session_list(
            actor=_actor(request), series=series, organization=organization
        )[:200]
    )


@router.get("/sessions/{session_id}", response=SessionOut, summary="场次详情")
def get_session(request: HttpRequest, session_id: Id) -> Any:
    return booking_selectors.session_get(actor=_actor(request), id=session_id)


@router.post("/sessions/{session_id}/bookings", response={201: BookedOut}, summary="预约或报名")
def book(request: HttpRequest, session_id: Id) -> Any:
    """Workers only: staff get "not found" for a session out of their reach, else 403. The
    flash crowd's endpoint (bench/flash.py): the service reads the session itself, once."""
    actor = _actor(request)
    if not getattr(actor, "is_worker_account", False):
        booking_selectors.session_get(actor=actor, id=session_id)
    user = worker_actor(request)
    return Status(201, booking_services.booking_create(actor=user, session=session_id))


@router.get("/sessions/{session_id}/draw", response=dict[str, Any], summary="抽签公示")
def get_draw(request: HttpRequest, session_id: Id) -> Any:
    return lottery_services.draw_record(
        booking_selectors.session_get(actor=_actor(request), id=session_id)
    )


@router.get("/rules", response=RulesOut, summary="预约规则（含本人缺席情况）")
def get_rules(request: HttpRequest) -> Any:
    rules = BookingRules.current()
    out: dict[str, Any] = {
        name: getattr(rules, name)
        for name in (
            "weekly_limit",
            "no_show_limit",
            "no_show_window_days",
            "suspension_days",
            "lottery_divisor",
        )
    }
    person_id = getattr(_actor(request), "person_id_or_none", None)
    if person_id is not None:
        standing = rules_services.standing_of(person_id=person_id)
        out |= {
            "my_no_shows": standing.no_shows,
            "my_penalised_until": standing.penalised_until,
            "my_lottery_divisor": standing.weight_divisor,
        }
    return out


@router.get("/calendar", response=list[CalendarEntryOut], summary="活动日历（按月）")
def calendar(
    request: HttpRequest,
    month: Search = "",
    series: Id | None = None,
    organization: Id | None = None,
) -> Any:
    year, number = _month(month)
    start, end = catalogue_selectors.month_bounds(year, number)
    return catalogue_selectors.calendar_entries(
        actor=_actor(request), start=start, end=end, series=series, organization=organization
    )


class FeedOut(Schema):
    url: str


@feed_router.get("", response=FeedOut, summary="我的日历订阅地址（iCal）")
def calendar_feed(request: HttpRequest) -> Any:
    token = catalogue_services.calendar_feed_token(actor=worker_actor(request))
    return {"url": request.build_absolute_uri(reverse("portal:culture_ical", args=[token]))}


@feed_router.post("", response=FeedOut, summary="更换日历订阅地址（旧地址失效）")
def calendar_feed_renew(request: HttpRequest) -> Any:
    token = catalogue_services.calendar_feed_renew(actor=worker_actor(request))
    return {"url": request.build_absolute_uri(reverse("portal:culture_ical", args=[token]))}


def _month(text: str) -> tuple[int, int]:
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    if not text:
        today = timezone.localdate()
        return today.year, today.month
    try:
        year, number = (int(part) for part in text.split("-"))
        datetime.date(year, number, 1)
    except ValueError:
        raise ValidationError({"month": [_("月份格式应为 2026-12。")]}) from None
    if not 2000 <= year <= 2100:
        raise ValidationError({"month": [_("月份格式应为 2026-12。")]})
    return year, number


# --- the worker's bookings ------------------------------------------------------------------


@worker_router.get("", response=list[BookingOut], summary="我的预约")
def my_bookings(request: HttpRequest) -> Any:
    return list(booking_selectors.my_bookings(actor=worker_actor(request))[:200])


@worker_router.get("/{booking_id}", response=BookingOut, summary="预约详情")
def my_booking(request: HttpRequest, booking_id: Id) -> Any:
    return booking_selectors.booking_get(actor=worker_actor(request), id=booking_id)


@worker_router.post("/{booking_id}/cancel", response=BookingOut, summary="取消预约")
def cancel(request: HttpRequest, booking_id: Id) -> Any:
    user = worker_actor(request)
    booking = booking_selectors.booking_get(actor=user, id=booking_id)
    return booking_services.booking_cancel(actor=user, booking=booking)


@worker_router.post("/{booking_id}/confirm", response=BookingOut, summary="确认递补名额")
def confirm(request: HttpRequest, booking_id: Id) -> Any:
    user = worker_actor(request)
    booking = booking_selectors.booking_get(actor=user, id=booking_id)
    return booking_services.offer_confirm(actor=user, booking=booking)


@worker_router.post("/{booking_id}/decline", response=BookingOut, summary="放弃递补名额")
def decline(request: HttpRequest, booking_id: Id) -> Any:
    user = worker_actor(request)
    booking = booking_selectors.booking_get(actor=user, id=booking_id)
    return booking_services.offer_decline(actor=user, booking=booking)


# --- staff -----------------------------------------------------------------------------------


@router.post("/sessions", response={201: SessionOut}, summary="发布课程场次")
def publish(request: HttpRequest, payload: SessionIn) -> Any:
    user = staff_actor(request)
    data = payload.dict()
    course = catalogue_selectors.course_get(actor=user, id=data.pop("course_id"))
    venue_id, audience_id = data.pop("venue_id"), data.pop("audience_id")
    venue = catalogue_selectors.venue_get(actor=user, id=venue_id) if venue_id else None
    audience = None
    if audience_id:
        from gonghui.organizations import selectors as org_selectors

        audience = org_selectors.organization_get(actor=user, id=audience_id)
    session = sessions_services.session_publish(
        actor=user, course=course, venue=venue, audience=audience, **data
    )
    return Status(201, booking_selectors.session_get(actor=user, id=session.pk))


@router.post("/sessions/{session_id}/cancel", response=SessionOut, summary="取消课程")
def cancel_session(request: HttpRequest, session_id: Id, payload: SessionCancelIn) -> Any:
    user = staff_actor(request)
    session = booking_selectors.session_get(actor=user, id=session_id)
    return sessions_services.session_cancel(actor=user, session=session, reason=payload.reason)


@router.post("/sessions/{session_id}/draw", response=dict[str, Any], summary="抽签")
def run_draw(request: HttpRequest, session_id: Id) -> Any:
    user = staff_actor(request)
    session = booking_selectors.session_get(actor=user, id=session_id)
    return lottery_services.draw_record(lottery_services.lottery_draw(actor=user, session=session))


@router.post("/sessions/{session_id}/check-in", response=CheckInOut, summary="扫码签到")
def check_in(request: HttpRequest, session_id: Id, payload: TokenIn) -> Any:
    user = staff_actor(request)
    session = booking_selectors.session_get(actor=user, id=session_id)
    booking = attendance_services.booking_check_in(actor=user, session=session, token=payload.token)
    return {
        "booking_id": booking.pk,
        "code": booking.code,
        "name": booking.person.name,
        "state": booking.state,
    }


class StaffBookingOut(Schema):
    id: int
    code: str
    name: str
    state: str
    rank: int
    created_at: datetime.datetime
    checked_in_at: datetime.datetime | None

    @staticmethod
    def resolve_name(obj: Booking) -> str:
        return obj.person.name


@router.get("/sessions/{session_id}/bookings", response=list[StaffBookingOut], summary="预约名单")
def session_bookings(request: HttpRequest, session_id: Id, state: Search = "") -> Any:
    user = staff_actor(request)
    session = booking_selectors.session_get(actor=user, id=session_id)
    return list(booking_selectors.session_bookings(actor=user, session=session, state=state)[:1000])


@router.get("/algorithm", response=dict[str, str], summary="抽签算法说明", auth=None)
def algorithm(request: HttpRequest) -> Any:
    return {"algorithm": draw.ALGORITHM, "text": draw.ALGORITHM_TEXT}


menu_router = Router(tags=["文化服务：菜单"])


class ItemOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    description: str
    unit: str
    quota: int
    per_unit_quota: int
    ordered: int
    left: int
    unit_held: int
    unit_left: int

    @staticmethod
    def resolve_kind_label(obj: MenuItem) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_unit_held(obj: Any) -> int:
        return int(getattr(obj, "held", 0))

    @staticmethod
    def resolve_unit_left(obj: Any) -> int:
        return max(0, obj.per_unit_quota - int(getattr(obj, "held", 0)))


class MenuOut(Schema):
    id: int
    year: int
    title: str
    organization_id: int
    organization_name: str
    items: list[ItemOut]


class OrderOut(Schema):
    id: int
    menu_id: int
    menu_title: str
    item_id: int
    item_title: str
    item_unit: str
    unit_id: int
    unit_name: str
    provider_id: int
    provider_name: str
    quantity: int
    wanted_on: datetime.date
    note: str
    state: str
    state_label: str
    reason: str
    delivered_on: datetime.date | None
    delivery_note: str
    audience: int | None
    created_at: datetime.datetime
    actions: list[str]

    @staticmethod
    def resolve_menu_id(obj: MenuOrder) -> int:
        return obj.item.menu_id

    @staticmethod
    def resolve_menu_title(obj: MenuOrder) -> str:
        return obj.item.menu.title

    @staticmethod
    def resolve_item_title(obj: MenuOrder) -> str:
        return obj.item.title

    @staticmethod
    def resolve_item_unit(obj: MenuOrder) -> str:
        return obj.item.unit

    @staticmethod
    def resolve_unit_name(obj: MenuOrder) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_provider_name(obj: MenuOrder) -> str:
        return obj.provider.name

    @staticmethod
    def resolve_state_label(obj: MenuOrder) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_actions(obj: Any) -> list[str]:
        """What the caller may do next (``cancel``, ``approve``, ``reject``, ``deliver``)."""
        return sorted(getattr(obj, "allowed_actions", ()))


class OrderIn(Schema):
    item_id: Id
    quantity: Annotated[Count, Field(ge=1)]
    wanted_on: Date | None = None
    note: Annotated[str, Text(300, multiline=True)] = ""
    unit_id: Id | None = None


class DecideIn(Schema):
    approve: bool
    reason: Annotated[str, Text(300, multiline=True)] = ""


class DeliverIn(Schema):
    delivered_on: Date | None = None
    delivery_note: Annotated[str, Text(300, multiline=True)] = ""
    audience: Count | None = None


def _out(actor: Any, order: MenuOrder) -> MenuOrder:
    order.allowed_actions = menu_services.menu_order_actions(  # type: ignore[attr-defined]
        actor=actor, order=order
    )
    return order


def _order(request: HttpRequest, order_id: Id) -> tuple[Any, MenuOrder]:
    actor = staff_actor(request)
    return actor, menu_selectors.menu_order_get(actor=actor, id=order_id)


@menu_router.get("/menus", response=list[MenuOut], summary="本单位可点的菜单和项目")
def available_menus(request: HttpRequest) -> Any:
    """Published menus of this or a later year from the caller's organisation and those
    above it; each item with what is left overall and for the caller's unit."""
    actor = staff_actor(request)
    return [
        {
            "id": menu.pk,
            "year": menu.year,
            "title": menu.title,
            "organization_id": menu.organization_id,
            "organization_name": menu.organization.name,
            "items": list(menu_selectors.menu_items(menu=menu, unit=actor.organization)),
        }
        for menu in menu_selectors.menu_available(actor=actor)
    ]


@menu_router.get("/orders", response=list[OrderOut], summary="点单记录")
@paginate(Pages, page_size=50)
def list_orders(
    request: HttpRequest, state: Search = "", menu_id: Id | None = None, side: Search = ""
) -> Any:
    """``side``: ``received`` (orders on the caller's menus) or ``placed`` (orders of the
    caller's subtree on others' menus); both when empty."""
    actor = staff_actor(request)
    return menu_selectors.menu_order_list(actor=actor, state=state, menu=menu_id, side=side)


@menu_router.post("/orders", response={201: OrderOut}, summary="点单")
def create_order(request: HttpRequest, payload: OrderIn) -> Any:
    """``unit_id`` defaults to the caller's organisation; staff may order for a unit of
    their subtree. 422 with the reason at ``quantity`` when a quota would be exceeded."""
    actor = staff_actor(request)
    item = menu_selectors.menu_item_orderable_get(actor=actor, id=payload.item_id)
    unit = None
    if payload.unit_id is not None:
        unit = org_selectors.organization_get(actor=actor, id=payload.unit_id)
    order = menu_services.menu_order_create(
        actor=actor,
        item=item,
        quantity=payload.quantity,
        wanted_on=payload.wanted_on,
        note=payload.note,
        unit=unit,
    )
    return Status(201, _out(actor, menu_selectors.menu_order_get(actor=actor, id=order.pk)))


@menu_router.get("/orders/{order_id}", response=OrderOut, summary="点单详情")
def get_order(request: HttpRequest, order_id: Id) -> Any:
    actor, order = _order(request, order_id)
    return _out(actor, order)


@menu_router.post("/orders/{order_id}/cancel", response=OrderOut, summary="撤回点单")
def cancel_order(request: HttpRequest, order_id: Id) -> Any:
    actor, order = _order(request, order_id)
    menu_services.menu_order_cancel(actor=actor, order=order)
    return _out(actor, menu_selectors.menu_order_get(actor=actor, id=order_id))


@menu_router.post("/orders/{order_id}/decide", response=OrderOut, summary="审核点单")
def decide_order(request: HttpRequest, order_id: Id, payload: DecideIn) -> Any:
    actor, order = _order(request, order_id)
    menu_services.menu_order_decide(
        actor=actor, order=order, approve=payload.approve, reason=payload.reason
    )
    return _out(actor, menu_selectors.menu_order_get(actor=actor, id=order_id))


@menu_router.post("/orders/{order_id}/deliver", response=OrderOut, summary="记录送达")
def deliver_order(request: HttpRequest, order_id: Id, payload: DeliverIn) -> Any:
    actor, order = _order(request, order_id)
    menu_services.menu_order_deliver(
        actor=actor,
        order=order,
        delivered_on=payload.delivered_on,
        delivery_note=payload.delivery_note,
        audience=payload.audience,
    )
    return _out(actor, menu_selectors.menu_order_get(actor=actor, id=order_id))
