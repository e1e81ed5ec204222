"""A year of casework for the demo city, told through the casework services in the order it
happened (SVC).

Each case is a story: a generator that waits for its next moment on one shared clock, looks at
the case as it is then, and acts through a service as the person who would: the worker in the
portal, the clerk at the counter or on the hotline, the clerk of the organisation handling it.
The overdue sweep runs on the same clock, once a night at 20:00, so a case nobody accepted or
resolved in time rises to the upper tier by itself and is taken up there. (In production the
sweep runs every few minutes; the nightly run leaves a clerk the evening of the deadline day to
be late, and those late answers are what the on-time figures count.) The sweep stops three
nights before today, so the demo opens with a few overdue cases; the running server's own
sweep escalates them within minutes.

Services without an ``at`` (notes, assignments, mediation records, legal aid, withdrawals,
counselling bookings) stamp the present, so they are used only for cases still open today, at
the end (``today``), never to write into the past.
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from gonghui.accounts import services as account_services
from gonghui.accounts.models import User
from gonghui.casework.demo import today
from gonghui.casework.models import (
    OPEN_STATES,
    Case,
    CaseState,
    Channel,
    MediationOutcome,
)
from gonghui.casework.services import cases as cases_services
from gonghui.casework.services import sweep as sweep_services
from gonghui.core.permissions import Role
from gonghui.core.workdays import WorkCalendar
from gonghui.demo import DATA_DIR, people
from gonghui.organizations.models import Organization, OrgKind, ServicePlace, ServiceType

if TYPE_CHECKING:
    from gonghui.demo.loader import DemoBuilder

TEXTS = DATA_DIR / "casework.json"  # also read by ``demo.accounts``
DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
OPENING, CLOSING = datetime.time(9, 0), datetime.time(17, 0)
SWEEP_AT = datetime.time(20, 0)
HISTORY_DAYS = 365
QUIET_NIGHTS = 3  # the nightly sweep has not run for these last nights (see the docstring)

# The odds of an ordinary story; the demo's figures follow from them.
P_MISS = 0.025  # nobody acts before a deadline: the sweep moves the case up
P_MISS_RECENT = 0.25  # ... in the last days, so that some cases are overdue today
P_LATE = 0.07  # accepted or resolved in the evening after the deadline, before the sweep
P_REJECT = 0.03
P_REFER = 0.025
P_ESCALATE = 0.04
P_VISITS = 0.16  # the worker comes in (again) during the case
P_UNRATED = 0.2  # a worker with an account who never rates: the sweep closes the case
RATINGS = {5: 60, 4: 27, 3: 7, 2: 4, 1: 2}
CHANNELS: dict[str, dict[str, int]] = {
    "": {Channel.COUNTER: 48, Channel.HOTLINE: 27, Channel.PORTAL: 25},
    "mutual_aid": {Channel.COUNTER: 35, Channel.HOTLINE: 10, Channel.PORTAL: 55},
    "counselling": {Channel.COUNTER: 25, Channel.HOTLINE: 40, Channel.PORTAL: 35},
    "grassroots": {Channel.COUNTER: 60, Channel.HOTLINE: 35, Channel.PORTAL: 5},
}


@dataclass
class Plan:
    """A scripted story (the demo workers' own cases): no incidents, and it stops where told."""

    stop: str = ""  # "submitted", "accepted" or "resolved"; "" runs to the rating
    rating: int = 5
    comment: str = ""
    visits: int = 0
    resolve_days: float = 4.0
    mediation: str = ""  # an outcome recorded today (``today``)


@dataclass
class Spec:
    opened_at: datetime.datetime
    channel: str
    service_type: ServiceType
    texts: dict[str, Any]  # title, description, resolutions
    words: dict[str, Any]
    rng: random.Random
    opener: User | None = None  # staff at the counter or on the hotline
    worker: User | None = None  # the worker in the portal
    person: tuple[str, str, str] = ("", "", "")  # name, ID number, mobile (counter, hotline)
    place: ServicePlace | None = None
    plan: Plan | None = None


class History:
    def __init__(self, builder: DemoBuilder, *, cases: int) -> None:
        self.b = builder
        self.rng = builder.rng
        self.target = cases
        self.text: dict[str, Any] = json.loads(TEXTS.read_text(encoding="utf-8"))
        self.zone = timezone.get_current_timezone()
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.start = self.at(self.today - HISTORY_DAYS * DAY, OPENING)
        self.last_sweep = self.at(self.today - QUIET_NIGHTS * DAY, SWEEP_AT)
        self.calendar = WorkCalendar(self.today - (HISTORY_DAYS + 10) * DAY, self.today + 60 * DAY)
        self.clock = self.start
        self.swept_at = self.start  # the latest sweep run on the clock
        self.orgs = {o.pk: o for o in Organization.unscoped.all()}
        self.unions = {o.code: o for o in self.orgs.values() if o.kind == OrgKind.GRASSROOTS}
        self.types = {t.code: t for t in ServiceType.objects.all()}
        self.types_by_id = {t.pk: t for t in self.types.values()}
        self.places: dict[int, ServicePlace] = {}
        for place in ServicePlace.unscoped.filter(is_active=True).order_by("pk"):
            self.places.setdefault(place.organization_id, place)
        self.clerks: dict[int, User] = {}
        self.admins: dict[int, User] = {}
        for username, user in builder.staff.items():
            if user.organization_id is None:
                continue
            if username.endswith(f"-{Role.CLERK}"):
                self.clerks[user.organization_id] = user
            elif username.endswith(f"-{Role.ADMIN}"):
                self.admins[user.organization_id] = user
        self.towns_by_district: dict[int, list[Organization]] = defaultdict(list)
        self.enterprises: dict[int, list[str]] = {}
        for town in builder.towns.values():
            self.towns_by_district[town.district.pk].append(town.org)
            self.enterprises[town.org.pk] = [e.name for e in town.enterprises]
        self.accounts: dict[int, User] = {}  # person → worker account (who may rate)
        self.demo_people: set[int] = set()
        self.mediations: list[tuple[Case, Spec]] = []
        self.demo_workers: dict[str, User] = {}
        self.counsellors: list[tuple[User, str]] = []
        self.licences = people.Unique()
        self.stats: Counter[str] = Counter()

    # --- time -----------------------------------------------------------------------------------

    def at(self, day: datetime.date, time: datetime.time) -> datetime.datetime:
        return datetime.datetime.combine(day, time, tzinfo=self.zone)

    def local_day(self, moment: datetime.datetime) -> datetime.date:
        return timezone.localtime(moment, self.zone).date()

    def _office(
        self, lo: datetime.datetime, hi: datetime.datetime, r: random.Random
    ) -> datetime.datetime:
        """A moment in office hours of a working day between ``lo`` and ``hi``."""
        if hi <= lo:
            return lo + MINUTE
        spans = []
        day, last = self.local_day(lo), self.local_day(hi)
        while day <= last:
            if self.calendar.is_workday(day):
                a, z = max(lo, self.at(day, OPENING)), min(hi, self.at(day, CLOSING))
                if a < z:
                    spans.append((a, z))
            day += DAY
        if not spans:
            return lo + (hi - lo) * r.uniform(0.2, 0.8)
        a, z = r.choice(spans)
        return a + (z - a) * r.random()

    def _late(self, due: datetime.datetime, r: random.Random) -> datetime.datetime:
        """Overtime on the deadline day: after the deadline, before the night's sweep."""
        latest = self.at(self.local_day(due), SWEEP_AT) - 10 * MINUTE
        return max(due + MINUTE, min(due + r.uniform(15, 150) * MINUTE, latest))

    def _after_sweep(self, due: datetime.datetime) -> datetime.datetime:
        sweep = self.at(self.local_day(due), SWEEP_AT)
        return (sweep if sweep > due else sweep + DAY) + MINUTE

    def _waking(self, moment: datetime.datetime, r: random.Random) -> datetime.datetime:
        """``moment``, or the next morning when it falls in the night (workers rate by day)."""
        local = timezone.localtime(moment, self.zone)
        if 7 <= local.hour < 23:
            return moment
        day = local.date() + (DAY if local.hour >= 23 else datetime.timedelta())
        return self.at(day, datetime.time(7 + r.randint(0, 2), r.randint(0, 59)))

    def _p_miss(self, due: datetime.datetime) -> float:
        return P_MISS if due < self.last_sweep else P_MISS_RECENT

    def workday(self, day: datetime.date) -> datetime.date:
        """``day``, or the working day before it."""
        while not self.calendar.is_workday(day):
            day -= DAY
        return day

    def _ago(self, days: int, r: random.Random, hour: int = 10) -> datetime.datetime:
        day = self.workday(self.today - days * DAY)
        return self.at(day, datetime.time(hour, r.randint(0, 59)))

    # --- people and places ----------------------------------------------------------------------

    def clerk(self, org: Organization) -> User:
        """The clerk who acts for ``org``: its own, or the nearest above it (a town's clerk
        handles the cases of the grassroots unions that have no staff accounts)."""
        for pk in [org.pk, *reversed(org.ancestor_ids())]:
            if pk in self.clerks:
                return self.clerks[pk]
        raise RuntimeError(f"no clerk above {org}")

    def _home(self, union: Organization) -> tuple[Organization, Organization]:
        """The town (or system) of a grassroots union, and the district (or city) above."""
        ids = union.ancestor_ids()
        if len(ids) >= 3:
            return self.orgs[ids[2]], self.orgs[ids[1]]
        return self.orgs[ids[1]], self.orgs[ids[0]]

    def place(self, *orgs: Organization) -> ServicePlace:
        for org in orgs:
            if org.pk in self.places:
                return self.places[org.pk]
        return next(iter(self.places.values()))

    def _employer(self, r: random.Random, union: Organization | None, town: Organization) -> str:
        if union is not None and not union.name.endswith(("联合工会", "楼宇工会", "片区工会")):
            return union.name.removesuffix("工会")
        return r.choice(self.enterprises.get(town.pk) or [town.name.removesuffix("总工会")])

    def _portal_users(self, count: int) -> list[tuple[User, Organization]]:
        """Workers who signed in to the portal (accounts made as a sign-in makes them)."""
        rows = [row for row in self.b.roster if row[2]]
        users = []
        for row in self.rng.sample(rows, min(count, len(rows))):
            user = account_services.worker_account_for_mobile(mobile=row[2])
            if user.person_id is None:
                continue
            self.accounts[user.person_id] = user
            users.append((user, self.unions[row[3]]))
        return users

    def _new_person(self, r: random.Random) -> tuple[str, str, str]:
        region = r.choice(people.MIGRANT_REGIONS + people.LOCAL_REGIONS)
        birth = people.birth_date(r, oldest=1968, youngest=2003)
        number = self.b.ids.take(
            iter(lambda: people.id_number(r, region=region, birth=birth), None)
        )
        mobile = self.b.mobiles.take(people.mobiles(r)) if r.random() < 0.7 else ""
        return people.name(r, sex=people.sex_of(number)), number, mobile

    # --- texts ----------------------------------------------------------------------------------

    def _template(self, r: random.Random, code: str, month: int) -> dict[str, Any]:
        templates = [
            t for t in self.text["types"][code]["templates"] if month in t.get("months", [month])
        ]
        weights = [2 if month in t.get("boost", []) else 1 for t in templates]
        return dict(r.choices(templates, weights)[0])

    def _words(
        self,
        r: random.Random,
        code: str,
        opened: datetime.datetime,
        employer: str,
        town: Organization,
    ) -> dict[str, Any]:
        w = self.text["words"]
        months, wage = r.randint(2, 6), r.randrange(4200, 7800, 100)
        others = [e for e in self.enterprises.get(town.pk, []) if e != employer]
        words: dict[str, Any] = {
            "employer": employer,
            "employer2": r.choice(others) if others else employer,
            "union": f"{employer}工会",
            "job": r.choice(w["jobs"]),
            "months": months,
            "since": (opened.month - r.randint(1, 4) - 1) % 12 + 1,
            "wage": wage,
            "amount": months * wage,
            "n": r.randint(5, 40),
            "years": r.randint(2, 12),
            "cut": r.randrange(800, 2000, 100),
            "course": r.choice(w["courses"]),
            "age": r.randint(38, 55),
            "shop": r.choice(w["shops"]),
            "relation": r.choice(w["relations"]),
            "illness": r.choice(w["illnesses"]),
            "income": r.randrange(1100, 2100, 50),
            "school": r.choice(w["schools"]),
            "fees": r.randrange(6000, 14000, 500),
            "hospital": r.choice(w["hospitals"]),
            "grant": r.randrange(1000, 5001, 500),
            "sessions": r.randint(2, 5),
            "small": r.randrange(500, 3000, 100),
            "days": r.randint(4, 21),
            "total": 0,
        }
        if code == "legal_aid":
            words["amount"] = r.randrange(12000, 96000, 100)
        elif code == "mediation":
            words["amount"] = r.randrange(2500, 30000, 100)
        elif code == "hardship":
            words["amount"] = r.randrange(18000, 150000, 100)
        elif code == "mutual_aid":
            words["total"] = r.randrange(6000, 90000, 10)
            words["amount"] = round(words["total"] * r.uniform(0.25, 0.45))
            words["grant"] = round(words["amount"] * r.uniform(0.35, 0.6))
        return words

    # --- the cases ------------------------------------------------------------------------------

    def _specs(self) -> list[Spec]:
        rng = self.rng
        portal = self._portal_users(max(10, self.target // 7))
        days = [self.today - n * DAY for n in range(HISTORY_DAYS, -1, -1)]
        # More cases as the year goes on (the service becomes known), none at weekends at
        # the counters.
        growth = [0.6 + 0.6 * i / HISTORY_DAYS for i in range(len(days))]
        every_day = list(itertools.accumulate(growth))
        workdays = list(
            itertools.accumulate(
                g if self.calendar.is_workday(d) else 0.0 for g, d in zip(growth, days, strict=True)
            )
        )
        codes = list(self.text["types"])
        type_weights = [self.text["types"][c]["weight"] for c in codes]
        towns = list(self.b.towns.values())
        specs = []
        for _ in range(self.target):
            r = random.Random(rng.getrandbits(64))
            code = r.choices(codes, type_weights)[0]
            shares = CHANNELS.get(code, CHANNELS[""])
            channel = r.choices(list(shares), list(shares.values()))[0]
            spec_args: dict[str, Any] = {}
            union: Organization | None
            if channel == Channel.PORTAL:
                worker, union = r.choice(portal)
                town, district = self._home(union)
                spec_args.update(worker=worker, place=self.place(town, district))
            elif r.random() < 0.9:
                name, number, mobile, code_of_union = r.choice(self.b.roster)[:4]
                union = self.unions[code_of_union]
                town, district = self._home(union)
                spec_args["person"] = (name, number, mobile)
            else:
                union = None
                home = r.choice(towns)
                town, district = home.org, home.district
                spec_args["person"] = self._new_person(r)
            if channel == Channel.COUNTER:
                spec_args["opener"] = self.clerk(town if r.random() < 0.7 else district)
            elif channel == Channel.HOTLINE:
                spec_args["opener"] = self.clerk(
                    district if r.random() < 0.8 else self.orgs[self.b.city.pk]
                )
            while True:
                day = r.choices(
                    days, cum_weights=every_day if channel == Channel.PORTAL else workdays
                )[0]
                if channel == Channel.PORTAL:
                    minute = r.randint(7 * 60, 23 * 60 - 1)
                else:
                    minute = r.randint(9 * 60, 16 * 60 + 45)
                opened = self.at(day, datetime.time(minute // 60, minute % 60))
                if opened < self.now - 10 * MINUTE:
                    break
            employer = self._employer(r, union, town)
            specs.append(
                Spec(
                    opened_at=opened,
                    channel=channel,
                    service_type=self.types[code],
                    texts=self._template(r, code, opened.month),
                    words=self._words(r, code, opened, employer, town),
                    rng=r,
                    **spec_args,
                )
            )
        return specs + self._demo_specs() + self._mediation_specs()

    def _demo_specs(self) -> list[Spec]:
        """The listed demo workers' own cases, so that signing in as one shows a history."""
        workers: dict[str, User] = {}
        # The place near them, for when they are not (or no longer) members.
        places: dict[str, ServicePlace] = {}
        by_name = {o.name: o for o in self.unions.values()}
        for worker in self.b.data["demo_workers"]:
            user = account_services.worker_account_for_mobile(mobile=worker["mobile"])
            if user.person_id is not None:
                workers[worker["mobile"]] = user
                self.accounts[user.person_id] = user
                self.demo_people.add(user.person_id)
            if worker["union"] in by_name:
                places[worker["mobile"]] = self.place(*self._home(by_name[worker["union"]]))
        self.demo_workers = workers
        specs = []
        for entry in self.text["demo_cases"]:
            if entry["mobile"] not in workers:
                continue
            r = random.Random(self.rng.getrandbits(64))
            town = self.b.towns.get(entry.get("place_town", ""))
            place = self.places.get(town.org.pk) if town is not None else None
            specs.append(
                Spec(
                    opened_at=self._ago(entry["days_ago"], r, hour=entry["hour"]),
                    channel=Channel.PORTAL,
                    service_type=self.types[entry["type"]],
                    texts=entry,
                    words=entry.get("words", {}),
                    rng=r,
                    worker=workers[entry["mobile"]],
                    place=place or places.get(entry["mobile"]) or self.place(),
                    plan=Plan(**entry["plan"]),
                )
            )
        return specs

    def _mediation_specs(self) -> list[Spec]:
        """Mediations at the counters, concluded today: agreed (with an agreement to print),
        failed, and one still going."""
        specs = []
        for outcome in (MediationOutcome.AGREED, MediationOutcome.FAILED, "pending"):
            r = random.Random(self.rng.getrandbits(64))
            name, number, mobile, code = r.choice(self.b.roster)[:4]
            union = self.unions[code]
            town, _district = self._home(union)
            opened = self._ago(r.randint(10, 16), r)
            texts = dict(self.text["types"]["mediation"]["templates"][0])
            resolutions = texts["resolutions"]
            texts["resolutions"] = resolutions[:1] if outcome == "agreed" else resolutions[-1:]
            specs.append(
                Spec(
                    opened_at=opened,
                    channel=Channel.COUNTER,
                    service_type=self.types["mediation"],
                    texts=texts,
                    words=self._words(r, "mediation", opened, self._employer(r, union, town), town),
                    rng=r,
                    opener=self.clerk(town),
                    person=(name, number, mobile),
                    plan=Plan(stop="accepted", mediation=outcome),
                )
            )
        return specs

    def _open(self, spec: Spec) -> Case:
        title = spec.texts["title"].format_map(spec.words)
        description = spec.texts["description"].format_map(spec.words)
        if spec.channel == Channel.PORTAL:
            if spec.worker is None or spec.worker.person is None:
                raise RuntimeError("a portal case needs a registered worker")
            return cases_services.case_open(
                actor=spec.worker,
                person=spec.worker.person,
                service_type=spec.service_type,
                title=title,
                description=description,
                channel=Channel.PORTAL,
                place=spec.place,
                at=self.clock,
            )
        name, number, mobile = spec.person
        return cases_services.case_open_at_counter(
            actor=spec.opener,
            id_number=number,
            name=name,
            mobile=mobile,
            service_type=spec.service_type,
            title=title,
            description=description,
            channel=spec.channel,
            at=self.clock,
        )

    def _say(self, spec: Spec, key: str) -> list[str]:
        """The type's own lines for ``key`` (visits, escalations), else the general ones."""
        own: list[str] = self.text["types"][spec.service_type.code].get(key, [])
        return own or self.text[key]

    def resolution(self, spec: Spec, case: Case) -> str:
        text: str = spec.rng.choice(spec.texts["resolutions"])
        return text.format_map({**spec.words, "handler": case.handler.name})

    def _rating(self, r: random.Random) -> tuple[int, str]:
        rating = r.choices(list(RATINGS), list(RATINGS.values()))[0]
        return rating, r.choice(self.text["ratings"][str(rating)])

    def _current(self, case: Case, seen: datetime.datetime) -> Case:
        """``case`` as it is now, given that it was current at ``seen``: re-read only when a
        sweep since then may have moved or closed it."""
        fresh = self.swept_at <= seen
        if not fresh and case.state in OPEN_STATES:
            fresh = case.next_deadline >= self.swept_at
        elif not fresh and case.state == CaseState.RESOLVED and case.resolved_at is not None:
            days = self.types_by_id[case.service_type_id].auto_close_days
            fresh = case.resolved_at >= self.swept_at - days * DAY
        if not fresh:
            case = Case.unscoped.get(pk=case.pk)
        # The services read the organisations' paths; these are the same rows.
        case.handler, case.origin = self.orgs[case.handler_id], self.orgs[case.origin_id]
        return case

    def _story(self, spec: Spec) -> Iterator[datetime.datetime]:
        """One case from opening to rating; yields the moment of its next step. Before each
        yield, ``seen`` is when ``case`` was last known to be current."""
        r, plan = spec.rng, spec.plan
        ordinary = plan is None
        text = self.text
        yield spec.opened_at
        case = self._open(spec)
        if plan is not None and plan.stop == "submitted":
            return
        for rounds in range(1, 5):
            if case.state == CaseState.SUBMITTED:
                due = case.response_due
                if ordinary and rounds <= 2 and r.random() < self._p_miss(due):
                    if due >= self.last_sweep:
                        return  # overdue today
                    seen = self.clock
                    yield self._after_sweep(due)
                    case = self._current(case, seen)
                    continue
                late = ordinary and r.random() < P_LATE
                seen = self.clock
                yield self._late(due, r) if late else self._office(self.clock, due, r)
                case = self._current(case, seen)
                if case.state != CaseState.SUBMITTED:
                    continue
                clerk = self.clerk(case.handler)
                if ordinary and rounds == 1 and r.random() < P_REJECT:
                    reason = r.choice(text["rejections"])
                    cases_services.case_reject(actor=clerk, case=case, reason=reason, at=self.clock)
                    return
                siblings: list[Organization] = []
                if case.handler.kind == OrgKind.TOWN:
                    district = case.handler.ancestor_ids()[-1]
                    siblings = [
                        o for o in self.towns_by_district[district] if o.pk != case.handler_id
                    ]
                if ordinary and rounds == 1 and siblings and r.random() < P_REFER:
                    to = r.choice(siblings)
                    reason = r.choice(text["referrals"]).format(town=to.short_name)
                    case = cases_services.case_refer(
                        actor=clerk, case=case, to_org=to, reason=reason, at=self.clock
                    )
                    case.handler = self.orgs[case.handler_id]
                    continue
                case = cases_services.case_accept(actor=clerk, case=case, at=self.clock)
            elif case.state != CaseState.ACCEPTED:
                return
            due, accepted = case.resolution_due, self.clock
            if plan is not None:
                # A scripted step happens before today's end of the story.
                target = min(due, accepted + plan.resolve_days * DAY, self.now - HOUR)
            else:
                share = min(0.95, max(0.06, r.betavariate(1.4, 2.6)))
                target = accepted + (due - accepted) * share
            visits = plan.visits if plan else (r.choice((1, 1, 2)) if r.random() < P_VISITS else 0)
            for _ in range(visits):
                seen = self.clock
                yield self._office(self.clock, target, r)
                case = cases_services.case_visit_record(
                    actor=self.clerk(case.handler),
                    case=self._current(case, seen),
                    note=r.choice(self._say(spec, "visits")),
                    at=self.clock,
                )
                case = self._current(case, self.clock)
            if plan is not None and plan.stop == "accepted":
                if plan.mediation:
                    self.mediations.append((case, spec))
                return
            if (
                ordinary
                and rounds <= 2
                and case.handler.kind != OrgKind.CITY
                and r.random() < P_ESCALATE
            ):
                seen = self.clock
                yield self._office(self.clock, target, r)
                case = self._current(case, seen)
                if case.state in OPEN_STATES:
                    case = cases_services.case_escalate(
                        actor=self.clerk(case.handler),
                        case=case,
                        reason=r.choice(self._say(spec, "escalations")),
                        at=self.clock,
                    )
                    case = self._current(case, self.clock)
                continue
            if ordinary and rounds <= 2 and r.random() < self._p_miss(due):
                if due >= self.last_sweep:
                    return  # overdue today
                seen = self.clock
                yield self._after_sweep(due)
                case = self._current(case, seen)
                continue
            late = ordinary and r.random() < P_LATE
            seen = self.clock
            yield self._late(due, r) if late else self._office(self.clock, target, r)
            case = self._current(case, seen)
            if case.state != CaseState.ACCEPTED:
                continue
            case = cases_services.case_resolve(
                actor=self.clerk(case.handler),
                case=case,
                resolution=self.resolution(spec, case),
                at=self.clock,
            )
            break
        else:
            return
        if plan is not None and plan.stop == "resolved":
            return
        worker = self.accounts.get(case.person_id)
        if worker is None or (ordinary and r.random() < P_UNRATED):
            return  # the sweep closes it after the type's days
        seen = self.clock
        yield self._waking(self.clock + r.uniform(1, 100) * HOUR, r)
        case = self._current(case, seen)
        if case.state != CaseState.RESOLVED:
            return
        rating, comment = (plan.rating, plan.comment) if plan else self._rating(r)
        cases_services.case_confirm(
            actor=worker, case=case, rating=rating, comment=comment, at=self.clock
        )

    def _sweeps(self) -> Iterator[datetime.datetime]:
        """The overdue sweep on working days' nights (deadlines fall on working days; a case
        to close after a weekend waits for Monday night)."""
        day = self.start.date()
        while (at := self.at(day, SWEEP_AT)) <= self.last_sweep:
            if self.calendar.is_workday(day):
                yield at
                result = sweep_services.case_sweep(now=at)
                self.swept_at = at
                self.stats["auto-escalated"] += result.escalated
                self.stats["auto-closed"] += result.closed
            day += DAY

    def _play(self, stories: list[Iterator[datetime.datetime]]) -> None:
        """Run the stories on one clock, earliest step first, up to now: a step due later
        does not happen, and its case stays as it is today."""
        queue: list[tuple[datetime.datetime, int, Iterator[datetime.datetime]]] = []
        order = itertools.count()

        def advance(story: Iterator[datetime.datetime]) -> None:
            moment = next(story, None)
            if moment is not None and moment <= self.now:
                heapq.heappush(queue, (max(moment, self.clock), next(order), story))

        for story in stories:
            advance(story)
        while queue:
            self.clock, _order, story = heapq.heappop(queue)
            advance(story)

    # --- the whole ------------------------------------------------------------------------------

    def run(self) -> None:
        today.rosters(self)
        specs = self._specs()
        self._play([self._sweeps(), *(self._story(s) for s in specs)])
        today.today_work(self)
        open_count = Case.unscoped.filter(state__in=OPEN_STATES).count()
        self.b.log(
            f"服务事项：{Case.unscoped.count()} 件（办理中 {open_count}），超期自动上报 "
            f"{self.stats['auto-escalated']} 次，未评价自动关闭 {self.stats['auto-closed']} 件"
        )
