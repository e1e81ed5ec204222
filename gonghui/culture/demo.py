"""The demo city's culture programme (CUL), through the culture services on one clock: the
city's mentor team, venues and partner training bases, the 五美 catalogue (the city's free
public classes and the towns' own), a term of sessions from eight weeks ago to eight weeks
ahead with their bookings, waiting lists, offers, lotteries, check-ins and no-shows, and the
year's shows and contests. The yearly menu and its orders come last (``menu``).

Every step is a moment on the clock (``heapq``): a session is published two weeks before it
starts, its window opens a week before and closes the day before (lotteries) or two hours
before (first come); workers book at random moments in the window, some cancel, the first in
line confirms an offered seat or lets it lapse; staff check people in at the door; the culture
sweep runs every evening at 21:00 and draws the lotteries, passes on lapsed offers and counts
the no-shows.
"""

from __future__ import annotations

import datetime
import functools
import heapq
import itertools
import json
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from gonghui.accounts import services as account_services
from gonghui.accounts.models import AccountKind, User
from gonghui.culture.models import (
    Booking,
    BookingMode,
    BookingState,
    ClassSession,
    Course,
    EventKind,
    Series,
)
from gonghui.culture.services import attendance as attendance_services
from gonghui.culture.services import booking as booking_services
from gonghui.culture.services import catalogue as catalogue_services
from gonghui.culture.services import menu as menu_services
from gonghui.culture.services import sessions as sessions_services
from gonghui.culture.services import sweep as sweep_services
from gonghui.demo import DATA_DIR
from gonghui.organizations.models import Organization, OrgKind

if TYPE_CHECKING:
    from gonghui.demo.loader import DemoBuilder

TEXTS = DATA_DIR / "culture.json"
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
TERM_WEEKS_BEFORE, TERM_WEEKS_AFTER = 8, 8
SWEEP_AT = datetime.time(21, 0)
WORKERS = 900  # portal users who take classes
TOWNS_WITH_CLASSES = 10  # towns running their own classes (the 公益大课堂 moved down)
P_CANCEL = 0.08
P_CONFIRM = 0.7  # an offered seat is confirmed in time
P_SHOW = 0.88  # a booked worker comes and is checked in


class Culture:
    def __init__(self, builder: DemoBuilder) -> None:
        self.b = builder
        self.rng = random.Random(builder.rng.getrandbits(64))
        self.text = json.loads(TEXTS.read_text(encoding="utf-8"))
        self.zone = timezone.get_current_timezone()
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.orgs = {o.pk: o for o in Organization.unscoped.filter(is_active=True)}
        self.city = next(o for o in self.orgs.values() if o.parent_id is None)
        self.towns = [o for o in self.orgs.values() if o.kind == OrgKind.TOWN]
        self.clerks: dict[int, User] = {}
        for user in User.objects.filter(kind=AccountKind.STAFF, is_active=True):
            if "clerk" in user.roles and user.organization_id not in self.clerks:
                self.clerks[user.organization_id] = user  # type: ignore[index]
        self.series = {s.code: s for s in Series.objects.all()}
        self.queue: list[tuple[datetime.datetime, int, Callable[[datetime.datetime], None]]] = []
        self.order = itertools.count()
        self.counts = {"sessions": 0, "bookings": 0, "refused": 0}
        self.accounts: dict[int, User] = {}  # person → the account they book with
        self.answered: set[int] = set()  # offers already answered (or left to lapse)

    def at(self, day: datetime.date, time: datetime.time) -> datetime.datetime:
        return datetime.datetime.combine(day, time, tzinfo=self.zone)

    def later(self, moment: datetime.datetime, step: Callable[[datetime.datetime], None]) -> None:
        if moment < self.now:
            heapq.heappush(self.queue, (moment, next(self.order), step))

    # --- the catalogue ----------------------------------------------------------------------

    def catalogue(self) -> tuple[list[Course], list[tuple[Course, int]]]:
        city_clerk = self.clerks[self.city.pk]
        mentors = {
            name: catalogue_services.mentor_save(
                actor=city_clerk, name=name, speciality=speciality, title=title
            )
            for name, speciality, title in self.text["mentors"]
        }
        venues = [
            catalogue_services.venue_save(
                actor=city_clerk,
                name=name,
                kind=kind,
                partner=partner,
                address=address,
                capacity=capacity,
            )
            for name, kind, partner, address, capacity in self.text["city_venues"]
        ]
        self.venues = venues
        city_courses = []
        for series, category, title, description, mentor, mode, capacity in self.text[
            "city_courses"
        ]:
            course = catalogue_services.course_save(
                actor=city_clerk,
                series=self.series[series],
                category=category,
                title=title,
                description=description,
                mentor=mentors[mentor],
            )
            course.demo = (mode, capacity)  # type: ignore[attr-defined]
            city_courses.append(course)
        town_courses = []
        for town in self.rng.sample(self.towns, min(TOWNS_WITH_CLASSES, len(self.towns))):
            clerk = self.clerks.get(town.pk)
            if clerk is None:
                continue
            for series, category, title, capacity in self.rng.sample(self.text["town_courses"], 2):
                course = catalogue_services.course_save(
                    actor=clerk,
                    series=self.series[series],
                    category=category,
                    title=title,
                    description="镇职工之家公益课堂，面向本镇会员。",
                )
                town_courses.append((course, capacity))
        return city_courses, town_courses

    def events(self) -> None:
        city_clerk = self.clerks[self.city.pk]
        new_year = datetime.date(self.today.year, 1, 1)
        for kind, series, title, place, offset in self.text["events"]:
            day = new_year + offset * DAY
            starts = self.at(
                day, datetime.time(19, 0) if kind == EventKind.SHOW else datetime.time(9, 0)
            )
            catalogue_services.event_save(
                actor=city_clerk,
                kind=kind,
                title=f"{day.year}年{title}",
                place=place,
                starts_at=starts,
                ends_at=starts + 3 * HOUR,
                series=self.series[series],
            )

    # --- the term ---------------------------------------------------------------------------

    def workers(self) -> tuple[list[User], dict[int, list[User]]]:
        """Portal users taking classes, and for each town those who are members there."""
        rows = [row for row in self.b.roster if row[2]]
        unions = {o.code: o for o in self.orgs.values() if o.kind == OrgKind.GRASSROOTS}
        users: list[User] = []
        by_town: dict[int, list[User]] = {}
        for row in self.rng.sample(rows, min(WORKERS, len(rows))):
            user = account_services.worker_account_for_mobile(mobile=row[2])
            if user.person_id is None:
                continue
            users.append(user)
            union = unions.get(row[3])
            if union is not None and union.parent_id is not None:
                by_town.setdefault(union.parent_id, []).append(user)
        return users, by_town

    def term(
        self,
        city: list[Course],
        towns: list[tuple[Course, int]],
        everyone: list[User],
        by_town: dict[int, list[User]],
    ) -> None:
        monday = self.today - datetime.timedelta(days=self.today.weekday())
        first = monday - TERM_WEEKS_BEFORE * 7 * DAY
        weeks = TERM_WEEKS_BEFORE + TERM_WEEKS_AFTER
        for index, course in enumerate(city):
            mode, capacity = course.demo  # type: ignore[attr-defined]
            venue = self.venues[0] if course.category not in ("baking", "tea") else self.venues[2]
            for week in range(index % 4, weeks, 4):  # each city class once a month
                day = first + (week * 7 + 5 + index % 2) * DAY  # Saturday or Sunday
                starts = self.at(day, datetime.time(9, 30) if index % 3 else datetime.time(14, 0))
                self.plan(course, starts, capacity, mode, everyone, venue=venue)
        for course, capacity in towns:
            town = self.orgs[course.organization_id]
            members = by_town.get(town.pk) or everyone
            for week in range(weeks):
                if self.rng.random() < 0.6:
                    continue
                day = first + (week * 7 + self.rng.choice((1, 3))) * DAY  # Tuesday or Thursday
                starts = self.at(day, datetime.time(18, 30))
                self.plan(course, starts, capacity, BookingMode.FIRST_COME, members, audience=town)
        sweep_day = first
        while (moment := self.at(sweep_day, SWEEP_AT)) < self.now:
            self.later(moment, self.sweep)
            sweep_day += DAY
        while self.queue:
            moment, _order, step = heapq.heappop(self.queue)
            step(moment)

    def plan(
        self,
        course: Course,
        starts: datetime.datetime,
        capacity: int,
        mode: str,
        crowd: list[User],
        *,
        venue: Any = None,
        audience: Organization | None = None,
    ) -> None:
        lottery = mode == BookingMode.LOTTERY
        opens = starts - 7 * DAY
        closes = starts - (DAY if lottery else 2 * HOUR)
        # Two weeks ahead; a class later in the term is on the timetable already.
        published = min(starts - 14 * DAY, self.now - HOUR)
        clerk = self.clerks[course.organization_id]
        r = random.Random(self.rng.getrandbits(64))
        # Free public classes are "一票难求": demand runs from a full room to several times it.
        demand = min(len(crowd), int(capacity * r.uniform(0.7, 3.0 if lottery else 1.6)))

        def publish(at: datetime.datetime) -> None:
            session = sessions_services.session_publish(
                actor=clerk,
                course=course,
                starts_at=starts,
                ends_at=starts + 2 * HOUR,
                capacity=capacity,
                mode=mode,
                opens_at=opens,
                closes_at=closes,
                place="" if venue else f"{self.orgs[course.organization_id].name}职工之家活动室",
                venue=venue,
                audience=audience,
                at=at,
            )
            self.counts["sessions"] += 1
            window = (closes - opens).total_seconds()
            # The first hour takes most of a first-come crowd; sign-ups spread over the week.
            for worker in r.sample(crowd, demand):
                spread = r.random() ** (4 if not lottery else 1)
                moment = opens + datetime.timedelta(seconds=spread * window * 0.98)
                self.later(moment, functools.partial(self.book, worker, session))
            self.later(
                starts + 10 * datetime.timedelta(minutes=1), lambda at: self.door(session, at)
            )

        self.later(published, publish)

    def book(self, worker: User, session: ClassSession, at: datetime.datetime) -> None:
        r = self.rng
        try:
            booking = booking_services.booking_create(actor=worker, session=session, at=at)
        except ValidationError:
            self.counts["refused"] += 1  # the weekly limit or a no-show suspension
            return
        self.counts["bookings"] += 1
        self.accounts[booking.person_id] = worker
        if r.random() < P_CANCEL:
            moment = at + (session.starts_at - at) * r.uniform(0.2, 0.9)
            self.later(moment, lambda when: self.cancel(worker, booking, when))

    def cancel(self, worker: User, booking: Booking, at: datetime.datetime) -> None:
        booking.refresh_from_db()
        if booking.state in (BookingState.BOOKED, BookingState.WAITING, BookingState.ENTERED):
            try:
                booking_services.booking_cancel(actor=worker, booking=booking, at=at)
            except ValidationError:
                return  # a lottery sign-up after the close: the entrant list is frozen
            self.answer_offers(at)  # the seat may now be offered to the first in line

    def sweep(self, at: datetime.datetime) -> None:
        sweep_services.culture_sweep(now=at)
        self.answer_offers(at)  # lapsed offers passed on

    def answer_offers(self, at: datetime.datetime) -> None:
        """Each new offer is confirmed a few hours after its SMS, or left to lapse."""
        offers = Booking.unscoped.filter(state=BookingState.OFFERED, offered_until__gt=at)
        for booking in offers.exclude(pk__in=self.answered):
            self.answered.add(booking.pk)
            worker = self.accounts.get(booking.person_id)
            if worker is None or self.rng.random() >= P_CONFIRM:
                continue
            until = booking.offered_until or at
            moment = at + (until - at) * self.rng.uniform(0.05, 0.6)
            self.later(moment, functools.partial(self.confirm, worker, booking))

    def confirm(self, worker: User, booking: Booking, at: datetime.datetime) -> None:
        booking.refresh_from_db()
        if booking.state == BookingState.OFFERED:
            booking_services.offer_confirm(actor=worker, booking=booking, at=at)

    def door(self, session: ClassSession, at: datetime.datetime) -> None:
        clerk = self.clerks[session.organization_id]
        session.refresh_from_db()
        for booking in Booking.unscoped.filter(session=session, state=BookingState.BOOKED):
            if self.rng.random() < P_SHOW:
                attendance_services.booking_check_in(
                    actor=clerk,
                    session=session,
                    token=booking.token,
                    at=at + datetime.timedelta(seconds=self.rng.randint(-900, 1200)),
                )

    def run(self) -> None:
        city, towns = self.catalogue()
        self.events()
        everyone, by_town = self.workers()
        self.term(city, towns, everyone, by_town)
        self.today_lottery(city, everyone)
        self.menu()
        self.b.log(
            f"文化服务：{self.counts['sessions']} 节课程，{self.counts['bookings']} 次预约或报名"
            f"（{self.counts['refused']} 次因每周上限或缺席规则未成功）"
        )

    def today_lottery(self, city: list[Course], everyone: list[User]) -> None:
        """A lottery whose sign-up is open now, so its commitment is on show before the draw."""
        course = next(c for c in city if c.demo[0] == BookingMode.LOTTERY)  # type: ignore[attr-defined]
        starts = self.at(self.today + 4 * DAY, datetime.time(14, 0))
        session = sessions_services.session_publish(
            actor=self.clerks[course.organization_id],
            course=course,
            starts_at=starts,
            ends_at=starts + 2 * HOUR,
            capacity=40,
            mode=BookingMode.LOTTERY,
            opens_at=self.now - 2 * DAY,
            closes_at=self.now + 2 * DAY,
            venue=self.venues[0],
        )
        for worker in everyone[:60]:
            try:
                booking_services.booking_create(actor=worker, session=session)
            except ValidationError:
                continue

    # --- the menu service 菜单式服务 -----------------------------------------------------------

    def menu(self) -> None:
        """The city's menu for this year and next ("ten shows, a hundred films, a thousand
        books a year"), ordered by towns and grassroots unions, decided by the city's reviewer,
        and what was due by today delivered."""
        slug = self.b.data["city"]["slug"]
        admin, reviewer = self.b.staff[f"{slug}-admin"], self.b.staff[f"{slug}-reviewer"]
        units = [
            (org, clerk)
            for org_id, clerk in sorted(self.clerks.items())
            if (org := self.orgs.get(org_id)) is not None and org.parent_id is not None
        ]
        r = random.Random(self.rng.getrandbits(64))
        orders = 0
        for year in (self.today.year, self.today.year + 1):
            menu = menu_services.menu_create(
                actor=admin, year=year, title=f"{year}年职工文化服务菜单"
            )
            items = [
                menu_services.menu_item_save(
                    actor=admin,
                    menu=menu,
                    kind=kind,
                    title=title,
                    description=description,
                    unit=unit,
                    quota=quota,
                    per_unit_quota=per_unit,
                )
                for kind, title, description, unit, quota, per_unit in self.text["menu"]
            ]
            menu_services.menu_publish(actor=admin, menu=menu)
            first = max(self.today, datetime.date(year, 1, 1))
            last = datetime.date(year, 12, 31)
            for org, clerk in r.sample(
                units, min(len(units), 40 if year > self.today.year else 25)
            ):
                item = r.choice(items)
                wanted = first + (last - first) * r.random()
                if year == self.today.year and r.random() < 0.4:
                    wanted = self.today  # tonight's film, today's books: delivered below
                try:
                    order = menu_services.menu_order_create(
                        actor=clerk,
                        item=item,
                        quantity=r.randint(1, max(1, item.per_unit_quota // 3)),
                        wanted_on=wanted,
                        note=f"{org.name}职工文化活动",
                    )
                except ValidationError:
                    continue  # the item or the unit's share is used up
                orders += 1
                chance = r.random()
                if chance < 0.15:
                    menu_services.menu_order_decide(
                        actor=reviewer,
                        order=order,
                        approve=False,
                        reason="本季度该项目已排满，请改选其他项目或下季度再点。",
                    )
                elif chance < 0.75:
                    menu_services.menu_order_decide(actor=reviewer, order=order, approve=True)
                    if wanted <= self.today:
                        menu_services.menu_order_deliver(
                            actor=admin,
                            order=order,
                            delivered_on=self.today,
                            delivery_note="已按时送达，现场反响良好。",
                            audience=r.randint(40, 400),
                        )
        self.b.log(f"菜单式服务：{orders} 份点单")


def run(builder: DemoBuilder) -> None:
    """The module's demo step: a term of classes, events, a lottery open today, the menu."""
    Culture(builder).run()
