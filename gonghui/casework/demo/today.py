"""The casework that is not history: the rosters (legal-aid lawyers, counsellors), and what
happens today, with the services that stamp the present (mediation records, legal aid,
internal notes, assignments, withdrawals, counselling slots and bookings)."""

from __future__ import annotations

import datetime
import itertools
import random
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from gonghui.accounts import services as account_services
from gonghui.accounts.models import User
from gonghui.casework import selectors as case_selectors
from gonghui.casework.models import (
    OPEN_STATES,
    Case,
    CaseState,
    Channel,
    CounsellingSlot,
    LegalAidOutcome,
    MediationOutcome,
)
from gonghui.casework.services import cases as cases_services
from gonghui.casework.services import counselling as counselling_services
from gonghui.casework.services import legal_aid as legal_aid_services
from gonghui.casework.services import mediation as mediation_services
from gonghui.core.permissions import Role
from gonghui.demo import people
from gonghui.members import selectors as member_selectors
from gonghui.organizations.models import OrgKind

if TYPE_CHECKING:
    from gonghui.casework.demo.history import History

DAY = datetime.timedelta(days=1)


def _fresh(case: Case) -> Case:
    return Case.unscoped.select_related("handler", "origin", "person", "service_type").get(
        pk=case.pk
    )


# --- rosters --------------------------------------------------------------------------------


def _licence(r: random.Random) -> str:
    # 17 digits: category, province and city (3304), first year, kind, sex, serial.
    return f"13304{r.randint(2005, 2021)}1{r.randint(0, 1)}{r.randint(0, 999_999):06d}"


def rosters(h: History) -> None:
    """Legal-aid lawyers at the city and each district; counsellors with staff accounts."""
    r = h.rng
    city = h.orgs[h.b.city.pk]
    districts = sorted({t.district.pk for t in h.b.towns.values()})
    for org in [city, *(h.orgs[pk] for pk in districts)]:
        for _ in range(2 if org.pk == city.pk else 3):
            legal_aid_services.lawyer_save(
                actor=h.admins[org.pk],
                lawyer=None,
                organization=org,
                name=people.name(r),
                firm=f"浙江{r.choice(h.text['firms'])}律师事务所",
                licence_number=h.licences.take(iter(lambda: _licence(r), None)),
                phone=f"0573-8{r.randint(0, 9_999_999):07d}",
                specialties=r.choice(h.text["specialties"]),
            )
    for entry in h.text["counsellors"]:
        admin = h.b.staff[f"{entry['district']}-{Role.ADMIN}"]
        district = h.orgs[admin.organization_id or 0]
        user = account_services.staff_create(
            actor=admin,
            organization=district,
            username=entry["username"],
            full_name=entry["name"],
            roles=[Role.CLERK],
            password_hash=h.b.password_hash,
        )
        h.b.staff[entry["username"]] = user
        counselling_services.counsellor_register(
            actor=admin,
            user=user,
            name=entry["name"],
            qualification=entry["qualification"],
            introduction=entry["introduction"],
        )
        h.counsellors.append((user, entry["place"]))


# --- today ----------------------------------------------------------------------------------


def today_work(h: History) -> None:
    """What happens today, with the services that stamp the present."""
    r = h.rng
    _mediate(h, r)
    _legal_aid(h, r)
    open_cases = list(
        Case.unscoped.filter(state__in=OPEN_STATES)
        .select_related("handler", "origin", "person", "service_type")
        .order_by("pk")
    )
    for case in open_cases:
        if case.state == CaseState.ACCEPTED and r.random() < 0.4:
            cases_services.case_note(
                actor=h.clerk(case.handler),
                case=case,
                note=r.choice(h.text["notes"]),
                public=False,
            )
    withdrawn = 0
    for case in open_cases:
        worker = h.accounts.get(case.person_id)
        if (
            withdrawn < max(1, h.target // 600)
            and worker is not None
            and case.person_id not in h.demo_people
            and case.state == CaseState.SUBMITTED
            and case.channel == Channel.PORTAL
            and not case.is_overdue(h.now)
        ):
            cases_services.case_withdraw(
                actor=worker, case=case, reason=r.choice(h.text["withdrawals"])
            )
            case.state = CaseState.WITHDRAWN
            withdrawn += 1
    waiting: dict[int, list[Case]] = defaultdict(list)
    for case in open_cases:
        if case.state == CaseState.SUBMITTED and case.handler.kind == OrgKind.DISTRICT:
            waiting[case.handler_id].append(case)
    for handler_id, cases in sorted(waiting.items()):
        cases_services.case_assign(
            actor=h.admins[handler_id], cases=cases[:2], assignee=h.clerks[handler_id]
        )
    _counselling(h, r)


def _mediate(h: History, r: random.Random) -> None:
    texts = h.text["mediation"]
    for case, spec in h.mediations:
        case = _fresh(case)
        if case.state != CaseState.ACCEPTED:
            continue
        clerk = h.clerk(case.handler)
        outcome = spec.plan.mediation if spec.plan is not None else "pending"
        opened = h.local_day(case.created_at)
        sessions = [(3, texts["first_session"])]
        if outcome == MediationOutcome.FAILED:
            sessions = [(3, texts["failed_session"])]
        elif outcome == MediationOutcome.AGREED:
            sessions.append((8, texts["agreed_session"]))
        held = [max(opened, h.workday(min(h.today, opened + days * DAY))) for days, _ in sessions]
        words = {
            **spec.words,
            "name": case.person.name,
            "agent": people.name(r),
            "mediator": people.name(r),
            # A week after the agreement is signed, at the last session.
            "pay_by": f"{held[-1] + 7 * DAY:%Y年%m月%d日}",
        }
        mediation = mediation_services.mediation_open(
            actor=clerk,
            case=case,
            applicant=case.person.name,
            respondent=words["employer"],
            claims=case.description,
            mediator=words["mediator"],
        )
        for day, (_days, summary) in zip(held, sessions, strict=True):
            mediation_services.mediation_session_add(
                actor=clerk,
                mediation=mediation,
                held_on=day,
                place=f"{case.handler.name}调解室",
                attendees=texts["attendees"].format_map(words),
                summary=summary,
            )
        if outcome not in (MediationOutcome.AGREED, MediationOutcome.FAILED):
            continue
        mediation_services.mediation_conclude(
            actor=clerk,
            mediation=mediation,
            outcome=outcome,
            agreement=texts["agreement"].format_map(words)
            if outcome == MediationOutcome.AGREED
            else "",
        )
        cases_services.case_resolve(actor=clerk, case=case, resolution=h.resolution(spec, case))


def _legal_aid(h: History, r: random.Random) -> None:
    cases = (
        Case.unscoped.filter(state=CaseState.ACCEPTED, service_type__code="legal_aid")
        .select_related("handler", "origin", "person", "service_type")
        .order_by("pk")
    )
    outcomes = h.text["legal_aid_outcomes"]
    for index, case in enumerate(cases):
        clerk = h.clerk(case.handler)
        lawyers = list(case_selectors.lawyers_for_case(case=case))
        if not lawyers:
            continue
        legal_aid_services.legal_aid_assign(actor=clerk, case=case, lawyer=r.choice(lawyers))
        if index % 3:
            continue
        outcome, note = r.choice(outcomes)
        amount = None if outcome == LegalAidOutcome.ADVICE else r.randrange(8000, 60000, 100)
        legal_aid_services.legal_aid_record_outcome(
            actor=clerk,
            case=case,
            outcome=outcome,
            note=note,
            recovered_amount=Decimal(amount) if amount is not None else None,
        )
        cases_services.case_resolve(
            actor=clerk,
            case=case,
            resolution=f"{LegalAidOutcome(outcome).label}：{note}"
            + (f"挽回金额 {amount} 元。" if amount else ""),
        )


def _counselling(h: History, r: random.Random) -> None:
    """Two weeks of published slots; some booked by workers (a booking opens a case)."""
    slots: list[CounsellingSlot] = []
    for index, (user, place) in enumerate(h.counsellors):
        day = h.today + DAY
        while day <= h.today + 14 * DAY:
            times = []
            if day.weekday() in (1, 3) and h.calendar.is_workday(day):
                times = [datetime.time(14, 0), datetime.time(15, 30)]
            elif day.weekday() == 5 and index == 0:
                times = [datetime.time(9, 30)]
            for start in times:
                slots.append(
                    counselling_services.slot_publish(
                        actor=user, starts_at=h.at(day, start), minutes=60, place=place
                    )
                )
            day += DAY
    if not slots:
        return
    # Workers book; a booking opens a case routed through their union, so members only.
    others = [u for p, u in sorted(h.accounts.items()) if p not in h.demo_people]
    r.shuffle(others)
    bookers = [u for m, u in h.demo_workers.items() if m == "13957300003" and _is_member(u)]
    bookers += itertools.islice(filter(_is_member, others), max(1, len(slots) // 4))
    free = list(slots)
    for worker in bookers:
        if not free:
            break
        slot = free.pop(0 if worker is bookers[0] else r.randrange(len(free)))
        booked = counselling_services.slot_book(
            actor=worker, slot=slot, topic=r.choice(h.text["counselling_topics"])
        )
        if booked.case is not None and r.random() < 0.5:
            cases_services.case_accept(actor=slot.counsellor.user, case=booked.case)


def _is_member(user: User) -> bool:
    person = user.person
    return person is not None and member_selectors.active_membership(person=person) is not None
