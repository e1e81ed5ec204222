"""Every console URL and every API operation, as an actor from a sibling branch of the union
tree (must be "not found") and as an actor in scope (must succeed).

Routes are collected from the URL resolver and the OpenAPI schema, so a new route fails here
until this file knows how to exercise it: that is the point (ORG-2).
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from html import unescape
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from gonghui.accounts.services import api_token_issue
from gonghui.api import api
from gonghui.core import imports
from gonghui.core.services import Subject, personal_data_log
from gonghui.members import card
from gonghui.members import services as member_services
from gonghui.organizations import services as org_services
from gonghui.organizations.models import OrgKind, ServiceType
from gonghui.testing.factories import new_credit_code, new_id_number, new_mobile
from gonghui.testing.sheets import csv_upload
from gonghui.testing.world import World, build_world
from gonghui.unionbuilding import services as building_services
from gonghui.unionbuilding.models import HomeStandardItem, MechanismType

COUNTER_ID_NUMBER = new_id_number()
SENTINEL_MEMBER = "乙方会员甲"
SENTINEL_CASE = "乙方求助事项"
SENTINEL_COURSE = "乙方古筝课"
SENTINEL_MENU_ITEM = "乙方送戏下乡"
SENTINEL_FUND = "乙方金秋助学基金"
SENTINEL_ROUND = "乙方金秋助学批次"
SENTINEL_HOUSEHOLD = "乙方困难职工"
SENTINEL_TRAINING = "乙方叉车培训班"
SENTINEL_FAIR = "乙方春风行动招聘会"
SENTINEL_POST = "乙方保洁协管岗"
SENTINEL_PERIOD = "乙方互助保障期"
SENTINELS = (
    "B号机械有限公司",
    SENTINEL_MEMBER,
    "B镇职工服务站",
    SENTINEL_CASE,
    SENTINEL_COURSE,
    SENTINEL_MENU_ITEM,
    SENTINEL_FUND,
    SENTINEL_ROUND,
    SENTINEL_HOUSEHOLD,
    SENTINEL_TRAINING,
    SENTINEL_FAIR,
    SENTINEL_POST,
    SENTINEL_PERIOD,
)

# Routes whose answer is deliberately the same for everyone, and why.
PUBLIC_BY_DESIGN = {
    # The directory of grassroots unions a worker may apply to join or transfer into: names
    # and codes of unions are public information, needed across branches.
    "portal:union_search": "union directory for joining",
    # A member card's QR code is checked by whoever scans it; the signed token is the key.
    "portal:card_verify": "signed card token",
    # The counselling timetable is public to workers: any worker may book a free slot.
    "portal:slot_book": "open counselling timetable",
    # The class catalogue and its published lottery records are public to workers; who may
    # book is the service's rule (the session's audience), not the page's scope.
    "portal:culture_session": "public class catalogue",
    "portal:culture_book": "public class catalogue",
    "portal:culture_draw_json": "published lottery record",
    # A calendar feed's secret address is its key (calendar apps cannot sign in).
    "portal:culture_ical": "secret feed address",
    # A round's public transparency page: counts and sums per district, no personal data,
    # for donors to see where the money went.
    "portal:assistance_transparency": "public figures of a round",
    # An income's acknowledgement carries a QR code anyone may scan; the random token is the
    # key, and the page shows the receipt's number, amount, date and organisation only.
    "portal:income_verify": "random receipt token",
}
# Mutual-aid claims (maclaims): the routes only POST answers.
MUTUALAID_CLAIMS_POST_ONLY = {"console:mutualaid_adjudicate", "console:mutualaid_claim_diagnosis"}
POST_ONLY = {
    "console:member_reveal",
    "console:member_lookup",
    "console:import_start",
    "console:import_retry",
    "console:import_cancel",
    "console:case_act",
    "console:case_bulk_assign",
    "console:case_material_upload",
    "console:culture_session_act",
    "console:menu_publish",
    "console:menu_order_act",
    "console:enterprise_contact_deactivate",
    "console:batch_results",
    "console:assistance_bulk_approve",
    "console:assistance_snapshot",
    "console:household_submit",
    "console:household_reveal",
    "console:hardship_member_reveal",
    "console:hardship_member_remove",
    "console:training_close",
    "console:training_cancel",
    "console:training_withdraw",
    "console:mutualaid_period_copy",
    "console:mutualaid_period_publish",
    "console:mutualaid_period_close",
    *MUTUALAID_CLAIMS_POST_ONLY,
}
# Who succeeds in scope, where it is not the district administrator: an import is checked
# and confirmed by the person who uploaded it; counselling notes are the counsellor's alone.
OWNERS = {
    "console:import_start": ("town_b", "clerk"),
    "console:import_retry": ("town_b", "clerk"),
    "console:import_cancel": ("town_b", "clerk"),
    "console:counselling_slot": ("district_b", "clerk"),
}
POST_DATA: dict[str, Any] = {
    "console:member_reveal": {"reason": "verify"},
    "console:import_start": {},
    "console:import_retry": {},
    "console:import_cancel": {},
    "console:case_act": {"note": "跟进"},
    "console:case_material_upload": lambda ids: {
        "file": SimpleUploadedFile("证明.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    },
    "console:case_bulk_assign": lambda ids: {
        "case": [ids["district_case_id"]],
        "assignee": ids["district_b_clerk"],
    },
    "console:batch_results": lambda ids: {"outcome": "paid", "lines": [ids["line_id"]]},
    "console:assistance_bulk_approve": lambda ids: {"applications": [ids["application_id"]]},
    "console:assistance_snapshot": {"step": "0", "reason": "verify"},
    "console:household_submit": {},
    "console:household_reveal": {"reason": "verify"},
    "console:hardship_member_reveal": {"reason": "verify"},
    "console:hardship_member_remove": {},
    "console:mutualaid_adjudicate": lambda ids: {"period": ids["ma_claims_period_id"]},
    "console:mutualaid_claim_diagnosis": {"reason": "verify"},
}
# Routes without URL parameters whose posted body names another branch's records.
CONSOLE_BODY_NAMES_ANOTHER_BRANCH = {
    "console:case_bulk_assign",
    "console:assistance_bulk_approve",
    "console:mutualaid_adjudicate",
}


AREAS = {"console", "portal", "enterprise"}


def _walk(patterns: list[Any], namespace: str = "", prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            found += _walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name and namespace in AREAS:
            found.append((f"{namespace}:{entry.name}", entry.pattern))
    return found


ROUTES = sorted({name: pattern for name, pattern in _walk(get_resolver().url_patterns)}.items())
CONSOLE = [(n, p) for n, p in ROUTES if n.startswith("console:")]
PORTAL = [(n, p) for n, p in ROUTES if n.startswith("portal:")]
ENTERPRISE = [(n, p) for n, p in ROUTES if n.startswith("enterprise:")]
OPERATIONS = sorted(
    (method.upper(), path)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method in methods
)


@dataclass
class Matrix:
    world: World
    ids: dict[str, Any]
    worker_a: Any
    worker_b: Any
    # Enterprise contacts: of branch B's enterprise (who placed ``enterprise_order_id``) and
    # of branch A's.
    contact_b: Any
    contact_a: Any


def _build() -> Matrix:
    w = build_world()
    b_clerk, b_reviewer = w.staff("town_b", "clerk"), w.staff("town_b", "reviewer")
    w.orgs["town_b2"] = org_services.organization_create(
        actor=None, parent=w.district_b, name="B2镇总工会", kind=OrgKind.TOWN, code="TOWN_B2"
    )
    membership = w.member("union_b", name=SENTINEL_MEMBER)
    worker_b = w.worker("union_b")
    worker_a = w.worker("union_a")
    join = member_services.join_apply(
        actor=(joiner := w.worker()), person=joiner.person, union=w.union_b, employer_name="B号"
    )
    worker_join = member_services.join_apply(
        actor=(lonely := w.worker()), person=lonely.person, union=w.union_b2, employer_name="B2"
    )
    transfer = member_services.transfer_request(
        actor=b_clerk, membership=membership, to_union=w.union_b2, reason="工作调动"
    )
    worker_b_membership = worker_b.person.memberships.get(status="active")
    worker_transfer = member_services.transfer_request(
        actor=worker_b, membership=worker_b_membership, to_union=w.union_b2, reason="换工作"
    )
    loose = org_services.enterprise_create(
        actor=b_clerk,
        name="B3号未建会公司",
        credit_code=new_credit_code(),
        industry="C",
        employee_count=20,
        area=w.town_b,
    )
    spare = org_services.enterprise_create(
        actor=b_clerk,
        name="B4号未建会公司",
        credit_code=new_credit_code(),
        industry="C",
        employee_count=20,
        area=w.town_b,
    )
    founding = building_services.founding_apply(
        actor=b_clerk,
        parent=w.town_b,
        proposed_name="B3号未建会公司工会",
        grassroots_kind="enterprise",
        enterprises=[loose],
        chair_name="李",
        initial_members=5,
        planned_on=datetime.date(2024, 1, 1),
    )
    congress = MechanismType.objects.get(code="congress")
    building_services.mechanism_save(
        actor=b_clerk,
        union=w.union_b,
        type=congress,
        established_on=datetime.date(2020, 1, 1),
        evidence=SimpleUploadedFile("决议.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )
    home = building_services.home_assess(
        actor=b_clerk,
        union=w.union_b,
        assessed_on=datetime.date(2024, 5, 1),
        scores={i.pk: (Decimal(i.max_score), "") for i in HomeStandardItem.objects.all()},
    )
    brand = building_services.brand_register(
        actor=b_clerk,
        organization=w.town_b,
        year=datetime.date.today().year,  # noqa: DTZ011
        title="B镇品牌",
        description="B",
    )
    place = org_services.service_place_save(
        actor=b_clerk,
        place=None,
        organization=w.town_b,
        tier="station",
        name="B镇职工服务站",
        address="B镇",
        service_types=ServiceType.objects.all()[:2],
    )
    job = imports.import_job_create(actor=b_clerk, kind="members", upload=csv_upload([]))
    cases = _casework(w, worker_b)
    culture = _culture(w, worker_b)
    menu = _menu(w)
    funds = _funds(w)
    assistance = _assistance(w, worker_b)
    hardship = _hardship(w)
    employment = _employment(w, worker_b, membership.person)
    virtual_jobs = _virtualjobs(w, funds["fund_id"])
    mutualaid_periods = _mutualaid_periods(w)
    mutualaid = _mutualaid(w, membership)
    mutualaid_claims = _mutualaid_claims(w, lonely, membership.person)
    contact_b, contact_a = w.contact("enterprise_b"), w.contact("enterprise_a")
    menu["enterprise_order_id"] = _enterprise_order(
        contact_b, menu["item_id"], menu["menu_wanted_on"]
    )
    personal_data_log(
        actor=b_clerk,
        subjects=[Subject.of(membership.person)],
        fields=["mobile"],
        reason="contact",
    )
    ids = {
        "org_id": w.union_b.pk,
        "enterprise_id": w.enterprises["enterprise_b"].pk,
        "place_id": place.pk,
        "membership_id": membership.pk,
        "field": "id_number",
        "join_id": join.pk,
        "transfer_id": transfer.pk,
        "founding_id": founding.pk,
        "type_id": congress.pk,
        "assessment_id": home.pk,
        "brand_id": brand.pk,
        "user_id": b_clerk.pk,
        "job_id": job.pk,
        "kind": "members",
        "token": card.card_token(membership),
        "worker_join_id": worker_join.pk,
        "worker_transfer_id": worker_transfer.pk,
        "spare_enterprise": spare.pk,
        "free_membership_id": w.member("union_b").pk,
        "member_id_number": membership.person.id_number.reveal(),
        "b_reviewer": b_reviewer,
        "contact_id": contact_b.pk,
        **cases,
        **culture,
        **menu,
        **funds,
        **assistance,
        **hardship,
        **employment,
        **virtual_jobs,
        **mutualaid_periods,
        **mutualaid,
        **mutualaid_claims,
    }
    worker_b.lonely = lonely  # type: ignore[attr-defined]
    return Matrix(w, ids, worker_a, worker_b, contact_b, contact_a)


def _casework(w: World, worker: Any) -> dict[str, Any]:
    """Branch B's casework: a mediation case with an agreement and a material (at union_b),
    an accepted legal-aid case with a lawyer (at town_b), a case escalated to district_b,
    a resolved case, a lawyer, and a counselling slot booked by the worker."""
    from django.utils import timezone

    from gonghui.casework.services import cases as cases_services
    from gonghui.casework.services import counselling as counselling_services
    from gonghui.casework.services import legal_aid as legal_aid_services
    from gonghui.casework.services import materials as materials_services
    from gonghui.casework.services import mediation as mediation_services

    def kind(code: str) -> ServiceType:
        return ServiceType.objects.get(code=code)

    def open_(code: str) -> Any:
        return cases_services.case_open(
            actor=worker,
            person=worker.person,
            service_type=kind(code),
            title=SENTINEL_CASE,
            description="说明",
        )

    union_clerk, town_clerk = w.staff("union_b", "clerk"), w.staff("town_b", "clerk")
    district_admin, district_clerk = w.staff("district_b", "admin"), w.staff("district_b", "clerk")
    mediation_case = open_("mediation")
    mediation = mediation_services.mediation_open(
        actor=union_clerk,
        case=mediation_case,
        applicant="甲",
        respondent="乙",
        claims="加班费",
        mediator="王",
    )
    mediation_services.mediation_session_add(
        actor=union_clerk,
        mediation=mediation,
        held_on=timezone.localdate(),
        place="调解室",
        attendees="双方",
        summary="协商",
    )
    mediation_services.mediation_conclude(
        actor=union_clerk, mediation=mediation, outcome="agreed", agreement="分期支付"
    )
    material = materials_services.case_material_add(
        actor=worker,
        case=mediation_case,
        upload=SimpleUploadedFile("合同.pdf", b"%PDF-1.4 c", content_type="application/pdf"),
    )
    lawyer = legal_aid_services.lawyer_save(
        actor=district_admin,
        lawyer=None,
        organization=w.district_b,
        name="B律师",
        firm="B所",
        licence_number="13304201810000009",
        phone="0573-1",
    )
    legal = cases_services.case_accept(actor=town_clerk, case=open_("legal_aid"))
    legal_aid_services.legal_aid_assign(actor=town_clerk, case=legal, lawyer=lawyer)
    escalated = cases_services.case_escalate(
        actor=union_clerk, case=open_("hardship"), reason="上报"
    )
    escalated = cases_services.case_escalate(actor=town_clerk, case=escalated, reason="上报")
    resolved = cases_services.case_accept(actor=union_clerk, case=open_("hardship"))
    resolved = cases_services.case_resolve(actor=union_clerk, case=resolved, resolution="已办")
    counselling_services.counsellor_register(
        actor=district_admin, user=district_clerk, name="B咨询师", qualification="二级"
    )
    slot = counselling_services.slot_publish(
        actor=district_clerk,
        starts_at=timezone.now() + datetime.timedelta(days=3),
        minutes=50,
        place="B中心",
    )
    counselling_services.slot_book(actor=worker, slot=slot, topic="压力")
    return {
        "case_id": mediation_case.pk,
        "material_id": material.pk,
        "action": "note",
        "accepted_case_id": legal.pk,
        "district_case_id": escalated.pk,
        "resolved_case_id": resolved.pk,
        "lawyer_id": lawyer.pk,
        "slot_id": slot.pk,
        "district_b_clerk": district_clerk.pk,
    }


def _culture(w: World, worker: Any) -> dict[str, Any]:
    """Branch B's classes (run by town_b): a lottery whose window has closed, with the worker
    signed up (``session_id``: draw, cancel); a first-come class under way with the worker
    booked (``checkin_session_id``); the worker's booking of a later class (``booking_id``)
    and a seat offered to them from a waiting list (``offered_booking_id``)."""
    from django.utils import timezone

    from gonghui.culture.models import BookingRules, ClassSession, Series
    from gonghui.culture.services import booking as booking_services
    from gonghui.culture.services import catalogue as catalogue_services
    from gonghui.culture.services import sessions as sessions_services

    clerk = w.staff("town_b", "clerk")
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    BookingRules.objects.filter(pk=BookingRules.current().pk).update(weekly_limit=10)
    course = catalogue_services.course_save(
        actor=clerk, series=Series.objects.first(), category="instrument", title=SENTINEL_COURSE
    )

    def session(mode: str = "first_come", capacity: int = 5) -> Any:
        return sessions_services.session_publish(
            actor=clerk,
            course=course,
            starts_at=now + 48 * hour,
            ends_at=now + 50 * hour,
            opens_at=now - hour,
            closes_at=now + 24 * hour,
            capacity=capacity,
            mode=mode,
            place="B镇文化站",
        )

    def shift(target: Any, **times: Any) -> None:
        ClassSession.unscoped.filter(pk=target.pk).update(**times)
        target.refresh_from_db()

    lottery = session("lottery")
    booking_services.booking_create(actor=worker, session=lottery)
    shift(lottery, opens_at=now - 3 * hour, closes_at=now - hour, starts_at=now + hour)
    under_way = session()
    door = booking_services.booking_create(actor=worker, session=under_way)
    later = session()
    booking = booking_services.booking_create(actor=worker, session=later)
    full = session(capacity=1)
    first = booking_services.booking_create(actor=(other := w.worker("union_b")), session=full)
    offered = booking_services.booking_create(actor=worker, session=full)
    booking_services.booking_cancel(actor=other, booking=first)
    shift(under_way, opens_at=now - 5 * hour, closes_at=now - 2 * hour, starts_at=now - hour)
    mentor = catalogue_services.mentor_save(actor=clerk, name="乙方导师", speciality="古筝")
    venue = catalogue_services.venue_save(
        actor=clerk, name="B镇文化站", kind="venue", address="B镇", capacity=50
    )
    event = catalogue_services.event_save(
        actor=clerk,
        kind="show",
        title="B镇汇演",
        place="B镇文化站",
        starts_at=now + 72 * hour,
        ends_at=now + 74 * hour,
    )
    return {
        "course_id": course.pk,
        "mentor_id": mentor.pk,
        "venue_id": venue.pk,
        "event_id": event.pk,
        "session_id": lottery.pk,
        "checkin_session_id": under_way.pk,
        "checkin_token": door.token,
        "booking_id": booking.pk,
        "offered_booking_id": offered.pk,
        "op": "cancel",
    }


def _menu(w: World) -> dict[str, Any]:
    """district_b's published menu (one item), an order by union_b waiting for a decision
    (``order_id``), one approved (``approved_order_id``) and one of district_b's own."""
    from django.utils import timezone

    from gonghui.culture.services import menu as menu_services

    admin, union_clerk = w.staff("district_b", "admin"), w.staff("union_b", "clerk")
    today = timezone.localdate()
    menu = menu_services.menu_create(actor=admin, year=today.year + 1, title="B区文化菜单")
    item = menu_services.menu_item_save(
        actor=admin,
        menu=menu,
        kind="performance",
        title=SENTINEL_MENU_ITEM,
        description="",
        unit="场",
        quota=50,
        per_unit_quota=10,
    )
    menu_services.menu_publish(actor=admin, menu=menu)
    wanted = datetime.date(today.year + 1, 6, 1)

    def order() -> Any:
        return menu_services.menu_order_create(
            actor=union_clerk, item=item, quantity=1, wanted_on=wanted
        )

    waiting, approved = order(), order()
    menu_services.menu_order_decide(actor=admin, order=approved, approve=True)
    own = menu_services.menu_order_create(actor=admin, item=item, quantity=1, wanted_on=wanted)
    return {
        "menu_id": menu.pk,
        "item_id": item.pk,
        "order_id": waiting.pk,
        "order_action": "approve",
        "approved_order_id": approved.pk,
        "own_order_id": own.pk,
        "menu_wanted_on": wanted.isoformat(),
    }


def _funds(w: World) -> dict[str, Any]:
    """district_b's fund with money in it; union_b's items: one pending (``free_item_id``),
    one in a batch waiting for approval (``pending_batch_id``) and one in an approved batch
    (``batch_id``, its line ``line_id`` waiting for the bank's result)."""
    from gonghui.funds import services as funds_services
    from gonghui.funds.models import SourceKind

    clerk, reviewer = w.staff("district_b", "clerk"), w.staff("district_b", "reviewer")
    fund = funds_services.fund_create(
        actor=clerk,
        organization=w.district_b,
        name=SENTINEL_FUND,
        source_kind=SourceKind.objects.get(code="charity"),
    )
    income = funds_services.income_record(
        actor=clerk,
        fund=fund,
        donor="嘉兴市慈善总会",
        amount="10000",
        received_on=datetime.date(2017, 9, 1),
        receipt_number="B-0001",
    )

    def item(source_id: int) -> Any:
        person = w.member("union_b").person
        return funds_services.payable_submit(
            actor=w.staff("town_b", "reviewer"),
            organization=w.union_b,
            fund=fund,
            person=person,
            account_holder=person.name,
            bank_name="农业银行",
            bank_card="6228480328123456789",
            amount="1000",
            source_kind="matrix.test",
            source_id=source_id,
            label="金秋助学",
        )

    free, waiting, approved = item(1), item(2), item(3)

    def batch(items: list[Any]) -> Any:
        return funds_services.batch_create(
            actor=reviewer, organization=w.district_b, title="B区第一批", items=items
        )

    pending_batch = batch([waiting])
    approved_batch = funds_services.batch_decide(
        actor=w.staff("district_b", "admin"), batch=batch([approved]), approve=True
    )
    return {
        "fund_id": fund.pk,
        "income_id": income.pk,
        "free_item_id": free.pk,
        "pending_batch_id": pending_batch.pk,
        "batch_id": approved_batch.pk,
        "line_id": approved_batch.lines.get().pk,
    }


def _assistance(w: World, worker: Any) -> dict[str, Any]:
    """district_b's programme with two open rounds (no conditions, 1,000 yuan each, reviewed
    by union → town → district): the worker's application with a document in the first
    (``application_id``), another worker's waiting for the district's decision
    (``district_application_id``), and a household on the roll not yet applied (a proposal,
    ``proposal_household_id``). ``open_round_id``: a round the worker has not applied to."""
    from django.utils import timezone

    from gonghui.assistance import services as assistance_services
    from gonghui.funds import services as funds_services
    from gonghui.funds.models import SourceKind
    from gonghui.hardship.models import Household, HouseholdStatus

    clerk = w.staff("district_b", "clerk")
    fund = funds_services.fund_create(
        actor=clerk,
        organization=w.district_b,
        name="乙方帮扶基金",
        source_kind=SourceKind.objects.get(code="charity"),
    )
    funds_services.income_record(
        actor=clerk,
        fund=fund,
        donor="嘉兴市慈善总会",
        amount="10000",
        received_on=datetime.date(2017, 9, 1),
        receipt_number="B-A-0001",
    )
    programme = assistance_services.programme_create(
        actor=clerk, organization=w.district_b, kind="study", name="乙方金秋助学"
    )
    today = timezone.localdate()

    def round_(name: str) -> Any:
        return assistance_services.round_save(
            actor=clerk,
            programme=programme,
            name=name,
            year=today.year,
            opens_on=today - datetime.timedelta(days=1),
            closes_on=today + datetime.timedelta(days=30),
            tiers=["grassroots", "town", "district"],
            rules_data={},
            amounts={"fixed": "1000.00"},
            funds=[fund],
        )

    first, second = round_(SENTINEL_ROUND), round_("乙方春节送温暖")

    def apply(user: Any) -> Any:
        return assistance_services.application_create(
            actor=user,
            round=first,
            person=user.person,
            declared=assistance_services.Declared(beneficiary_name=user.person.name),
            account_holder=user.person.name,
            bank_name="农业银行",
            bank_card="6228480328123456789",
            documents=[
                SimpleUploadedFile("证明.pdf", b"%PDF-1.4 z", content_type="application/pdf")
            ],
        )

    own = apply(worker)
    other = apply(w.worker("union_b"))
    for org in ("union_b", "town_b"):
        other = assistance_services.application_decide(
            actor=w.staff(org, "reviewer"), application=other, approve=True
        )
    person = w.member("union_b").person
    household = Household.unscoped.create(
        union=w.union_b,
        person=person,
        status=HouseholdStatus.ACTIVE,
        member_count=1,
        created_by=w.staff("union_b", "clerk"),
    )
    return {
        "programme_id": programme.pk,
        "round_id": first.pk,
        "open_round_id": second.pk,
        "application_id": own.pk,
        "worker_application_id": own.pk,
        "document_id": own.documents.get().pk,
        "district_application_id": other.pk,
        "proposal_household_id": household.pk,
    }


def _mutualaid_periods(w: World) -> dict[str, Any]:
    """district_b's mutual-aid fund and periods: an open one for 2016
    (``open_period_id``) and a draft for 2017 with its rules (``period_id``)."""
    from gonghui.mutualaid.demo import RULES
    from gonghui.mutualaid.services import periods as period_services
    from gonghui.mutualaid.tests import periods_helpers

    clerk = w.staff("district_b", "clerk")
    fund = periods_helpers.fund(w, "district_b", "乙方互助保障基金")
    open_ = period_services.period_create(
        actor=clerk,
        organization=w.district_b,
        settings=periods_helpers.settings(fund, 2016, name="乙方互助保障第一期"),
        rules_data=RULES,
    )
    period_services.period_publish(actor=clerk, period=open_)
    draft = period_services.period_create(
        actor=clerk,
        organization=w.district_b,
        settings=periods_helpers.settings(fund, 2017, name=SENTINEL_PERIOD),
        rules_data=RULES,
    )
    return {"period_id": draft.pk, "open_period_id": open_.pk, "mutualaid_fund_id": fund.pk}


def _mutualaid_claims(w: World, worker: Any, person: Any) -> dict[str, Any]:
    """district_b's mutual-aid period (with its fund) and, at union_b, the enrolled worker's
    claim with a document, drawn for review by the period's sample (``claim_id``,
    ``claim_document_id``, ``draw_id``); the sentinel member is enrolled too (a clerk claims
    for them through the API)."""
    from gonghui.mutualaid.services import claims as claim_services
    from gonghui.mutualaid.tests import claims_helpers as ma

    period = ma.period(
        w, organization=w.district_b, number=9, sample_percent=100, name="乙方互助期"
    )
    ma.enrol(w, worker.person, period)
    ma.enrol(w, person, period)
    claim = claim_services.claim_submit(
        actor=worker,
        person=worker.person,
        data=ma.claim_input(ma.invoice(code="SCOPE", number="0001")),
        documents=[ma.document()],
    )
    result = claim_services.claims_adjudicate(actor=w.staff("district_b", "admin"), period=period)
    return {
        "ma_claims_period_id": period.pk,
        "ma_person_id": person.pk,
        "claim_id": claim.pk,
        "worker_claim_id": claim.pk,
        "claim_document_id": claim.documents.get().pk,
        "draw_id": result.draws[0],
    }


def _mutualaid_claim_body(ids: dict[str, Any], number: str) -> dict[str, Any]:
    from gonghui.mutualaid.tests import claims_helpers as ma

    return {
        "category": "inpatient",
        "hospital": "B区人民医院",
        "admitted_on": ma.days(-20).isoformat(),
        "discharged_on": ma.days(-12).isoformat(),
        "diagnosis": "骨折",
        "invoices": [{"code": "SCOPE", "number": number, "total": "4000", "eligible": "2500"}],
        "account_holder": "乙方职工",
        "bank_name": "农业银行",
        "bank_card": "6228480328123456789",
    }


def _hardship(w: World) -> dict[str, Any]:
    """Branch B's hardship roll: the city's income lines; at union_b a household on the roll
    (``household_id``, with a child ``member_id``, a visit ``visit_id`` with a photo
    ``photo_id``), a draft (``draft_household_id``) and one that left
    (``left_household_id``); at town_b a submission waiting for district_b
    (``filing_id``)."""
    from django.utils import timezone

    from gonghui.hardship import services as hardship_services
    from gonghui.hardship.models import HardshipLevel
    from gonghui.hardship.tests.helpers import PNG

    today = timezone.localdate()
    for code, line in (("deep", "8000"), ("relative", "15000")):
        hardship_services.income_line_set(
            actor=w.staff("city", "admin"),
            organization=w.city,
            year=today.year,
            level=HardshipLevel.objects.get(code=code),
            line=line,
        )

    def filed(union: str, name: str = "乙方困难家庭") -> Any:
        return hardship_services.household_file(
            actor=w.staff(union, "clerk"),
            union=w.orgs[union],
            name=name,
            id_number=new_id_number(),
            address="B镇",
            causes=["illness"],
            yearly_income="5000",
        )

    def visited(household: Any, union: str) -> Any:
        return hardship_services.visit_record(
            actor=w.staff(union, "clerk"),
            household=household,
            data=hardship_services.VisitInput(
                today,
                "B镇工会",
                "属实",
                [SimpleUploadedFile("门口.png", PNG, content_type="image/png")],
            ),
        )

    def on_roll(name: str) -> Any:
        household = filed("union_b", name)
        visit = visited(household, "union_b")
        filing = hardship_services.household_submit(
            actor=w.staff("union_b", "clerk"), household=household
        )
        hardship_services.household_decide(
            actor=w.staff("town_b", "reviewer"), filing=filing, approve=True
        )
        return household, visit

    household, visit = on_roll(SENTINEL_HOUSEHOLD)
    child = hardship_services.member_add(
        actor=w.staff("union_b", "clerk"),
        household=household,
        data=hardship_services.MemberInput(
            name="乙方子女", relation="child", id_number=new_id_number(), yearly_income="0"
        ),
    )
    left, _visit = on_roll("乙方脱困职工")
    hardship_services.household_leave(
        actor=w.staff("union_b", "clerk"), household=left, left_on=today, reason="已就业"
    )
    waiting = filed("town_b", "乙方镇直职工")
    visited(waiting, "town_b")
    filing = hardship_services.household_submit(actor=w.staff("town_b", "clerk"), household=waiting)
    return {
        "household_id": household.pk,
        "member_id": child.pk,
        "visit_id": visit.pk,
        "photo_id": visit.photos.get().pk,
        "draft_household_id": filed("union_b", "乙方填报中职工").pk,
        "left_household_id": left.pk,
        "filing_id": filing.pk,
        "sealed": "address",
    }


def _employment(w: World, worker: Any, sentinel_person: Any) -> dict[str, Any]:
    """Branch B's work and training: town_b's 2017 course with a session and an enrolment
    (``training_id``), a course open for enrolment now (``open_training_id``) and another
    the worker is on (``worker_enrolment_id``); district_b's fair with an employer and a
    post; a placement of the sentinel member waiting for its follow-up; and a member on no
    course (``free_person_id``)."""
    from django.utils import timezone

    from gonghui.employment import services as employment_services
    from gonghui.employment.models import CourseType

    clerk, district_clerk = w.staff("town_b", "clerk"), w.staff("district_b", "clerk")
    forklift = CourseType.objects.get(code="forklift")
    start = datetime.date(2017, 3, 6)

    def course(title: str, starts_on: datetime.date, enrol_until: datetime.date) -> Any:
        return employment_services.course_create(
            actor=clerk,
            organization=w.town_b,
            course_type=forklift,
            title=title,
            place="B镇成人学校",
            capacity=10,
            starts_on=starts_on,
            ends_on=starts_on + datetime.timedelta(days=10),
            enrol_until=enrol_until,
        )

    past = course(SENTINEL_TRAINING, start, start)
    session = employment_services.session_add(
        actor=clerk, course=past, held_on=start, topic="叉车理论"
    )
    enrolment = employment_services.enrolment_create(
        actor=clerk, course=past, person=sentinel_person
    )
    soon = timezone.localdate() + datetime.timedelta(days=20)
    open_course = course("B镇电商培训班", soon, soon - datetime.timedelta(days=5))
    worker_course = course("B镇育婴师培训班", soon, soon - datetime.timedelta(days=5))
    mine = employment_services.enrolment_create(
        actor=worker, course=worker_course, person=worker.person
    )
    fair = employment_services.fair_create(
        actor=district_clerk,
        organization=w.district_b,
        title=SENTINEL_FAIR,
        campaign="春风行动",
        held_on=datetime.date(2017, 2, 10),
        place="B区人力资源市场",
        served_count=300,
    )
    employer = employment_services.fair_employer_add(
        actor=district_clerk, fair=fair, enterprise=w.enterprises["enterprise_b"]
    )
    employment_services.fair_post_add(
        actor=district_clerk,
        employer=employer,
        title="叉车工",
        count=5,
        wage_min=4000,
        wage_max=5500,
    )
    placement = employment_services.placement_create(
        actor=clerk,
        organization=w.town_b,
        person=sentinel_person,
        employer_name=SENTINEL_TRAINING + "合作企业",
        post="叉车工",
        monthly_wage="4200.00",
        starts_on=datetime.date(2017, 5, 2),
    )
    return {
        "training_id": past.pk,
        "training_session_id": session.pk,
        "enrolment_id": enrolment.pk,
        "open_training_id": open_course.pk,
        "worker_enrolment_id": mine.pk,
        "fair_id": fair.pk,
        "fair_employer_id": employer.pk,
        "placement_id": placement.pk,
        "free_person_id": w.member("union_b").person_id,
    }


def _virtualjobs(w: World, fund_id: int) -> dict[str, Any]:
    """Branch B's virtual jobs: a household of union_b on the roll with two members who lost
    working capacity; a post at town_b for one, adopted and paid for 2017-01 (``post_id``,
    ``run_id``), a suspended post (``vj_suspended_post_id``) and a member still without one
    (``vj_member_id``). The household is a fixture made directly on the roll."""
    from gonghui.funds.models import Fund
    from gonghui.hardship.models import Household, HouseholdMember
    from gonghui.virtualjobs import services as vj_services

    clerk = w.staff("district_b", "clerk")
    person = w.member("union_b").person
    household = Household.unscoped.create(
        union=w.union_b, person=person, status="active", created_by=clerk
    )

    def member(name: str) -> Any:
        return HouseholdMember.unscoped.create(
            household=household, name=name, relation="child", work_capacity="none"
        )

    fund = Fund.unscoped.get(pk=fund_id)

    def post(name: str) -> Any:
        made = vj_services.post_create(
            actor=clerk,
            organization=w.town_b,
            household=household,
            member=member(name),
            title=SENTINEL_POST,
            monthly_amount="300",
            start_month="2017-01",
            end_month="2017-12",
            account_holder=name,
            bank_name="农业银行",
            bank_card="6228480328123456789",
        )
        # Adopted by enterprise_b (its contact sees the post in the enterprise area).
        vj_services.post_adopt(
            actor=clerk, post=made, fund=fund, enterprise=w.enterprises["enterprise_b"]
        )
        return made

    paid, suspended = post("乙方成员甲"), post("乙方成员乙")
    run = vj_services.pay_run_create(actor=clerk, organization=w.town_b, month="2017-01")
    vj_services.post_suspend(actor=clerk, post=suspended, from_month="2017-02", reason="住院")
    spare = member("乙方成员丙")
    return {
        "post_id": paid.pk,
        "run_id": run.pk,
        "vj_suspended_post_id": suspended.pk,
        "vj_member_id": spare.pk,
        "vj_household_id": household.pk,
    }


def _mutualaid(w: World, sentinel: Any) -> dict[str, Any]:
    """The city's open mutual-aid period; branch B's sentinel member enrolled on union_b's
    bill, and another member of union_b not enrolled yet."""
    from django.utils import timezone

    from gonghui.funds import services as fund_services
    from gonghui.funds.models import SourceKind
    from gonghui.mutualaid.models import Period
    from gonghui.mutualaid.services import enrolment as enrolment_services

    today = timezone.localdate()
    admin = w.staff("city", "admin")
    kind, _ = SourceKind.objects.get_or_create(
        code="mutualaid", defaults={"name": "互助保障", "order": 9}
    )
    fund = fund_services.fund_create(
        actor=admin, organization=w.city, name="职工医疗互助保障基金", source_kind=kind
    )
    period = Period.objects.create(
        organization=w.city,
        number=1,
        name="第一期",
        starts_on=today + datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=394),
        enrol_opens_on=today - datetime.timedelta(days=10),
        enrol_closes_on=today + datetime.timedelta(days=20),
        fee=Decimal("36.00"),
        fund=fund,
        status="open",
        created_by=admin,
    )
    (bill,) = enrolment_services.enrol_people(
        actor=admin,
        period=period,
        enrollees=[[enrolment_services.Enrollee(sentinel.person_id, sentinel.union_id)]],
    )
    free = w.member("union_b")
    return {
        "ma_period_id": period.pk,
        "ma_bill_id": bill.pk,
        "ma_enrolment_id": bill.enrolments.get().pk,
        "ma_free_id_number": free.person.id_number.reveal(),
    }


def _enterprise_order(contact: Any, item_id: int, wanted_on: str) -> int:
    """An order placed by enterprise_b's contact on district_b's menu."""
    from gonghui.culture.models import MenuItem
    from gonghui.culture.services import menu as menu_services

    placed = menu_services.menu_order_create_for_enterprise(
        actor=contact,
        item=MenuItem.objects.get(pk=item_id),
        quantity=1,
        wanted_on=datetime.date.fromisoformat(wanted_on),
    )
    return placed.pk


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction that is rolled back at the end; each test
    runs in a savepoint inside it (the ``db`` fixture), so tests cannot disturb each other."""
    with django_db_blocker.unblock():
        block = transaction.atomic()
        block.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _console_call(client: Client, name: str, pattern: Any, ids: dict[str, Any]) -> Any:
    kwargs = {key: ids[key] for key in pattern.converters}
    url = reverse(name, kwargs=kwargs)
    if name in POST_ONLY:
        data = POST_DATA.get(name, {"key": ids["member_id_number"]})
        response = client.post(url, data(ids) if callable(data) else data)
    else:
        response = client.get(url)
    _close(response)
    return response


def _close(response: Any) -> None:
    """Close a file download (it holds its file open) without the end-of-request signal
    closing the test's database connection, as the test client itself arranges."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


# --- console --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "pattern"), CONSOLE, ids=[n for n, _ in CONSOLE])
def test_console_route_is_scoped(db, matrix, name, pattern):
    sibling = _client(matrix.world.staff("district_a", "admin"))
    owner = _client(matrix.world.staff(*OWNERS.get(name, ("district_b", "admin"))))
    unknown = set(pattern.converters) - set(matrix.ids)
    assert not unknown, f"{name}: teach the scope matrix the URL parameters {unknown}"
    if name in POST_ONLY:
        assert (
            sibling.get(
                reverse(name, kwargs={k: matrix.ids[k] for k in pattern.converters})
            ).status_code
            == 405
        )
    response = _console_call(sibling, name, pattern, matrix.ids)
    if (
        pattern.converters and name not in PUBLIC_BY_DESIGN and set(pattern.converters) != {"kind"}
    ) or name in CONSOLE_BODY_NAMES_ANOTHER_BRANCH:
        assert response.status_code == 404, (
            f"{name} answered {response.status_code} to another branch"
        )
    else:
        assert response.status_code == 200, name
        if name not in PUBLIC_BY_DESIGN and response.get("Content-Type", "").startswith(
            "text/html"
        ):
            page = response.content.decode()
            leaked = [s for s in SENTINELS if s in page]
            assert not leaked, f"{name} shows another branch's {leaked}"
    response = _console_call(owner, name, pattern, matrix.ids)
    assert response.status_code in {200, 204, 302}, f"{name}: {response.status_code}"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("console:member_list", {"org": "org_id"}),
        ("console:coverage", {"org": "org_id"}),
        ("console:member_list", {"employer": "enterprise_id"}),
        ("console:case_figures", {"org": "org_id"}),
        ("console:culture_calendar", {"organization": "org_id"}),
        ("console:menu_order_new", {"item": "item_id"}),
        ("console:batch_create", {"item": "free_item_id"}),
        ("console:fund_raised_paid", {"org": "org_id"}),
        ("console:vj_post_list", {"org": "org_id"}),
        ("console:vj_post_create", {"member": "vj_member_id"}),
        ("console:assistance_queue", {"round": "round_id"}),
        ("console:assistance_figures", {"org": "org_id"}),
        ("console:mutualaid_calculator", {"period": "period_id"}),
        ("console:mutualaid_figures", {"org": "org_id"}),
        ("console:mutualaid_figures", {"period": "ma_claims_period_id"}),
        ("console:mutualaid_claims", {"period": "ma_claims_period_id"}),
    ],
)
def test_query_parameters_naming_another_branch_are_not_found(db, matrix, name, params):
    query = {key: matrix.ids[value] for key, value in params.items()}
    sibling = _client(matrix.world.staff("district_a", "admin"))
    assert sibling.get(reverse(name), query).status_code == 404
    owner = _client(matrix.world.staff("district_b", "admin"))
    assert owner.get(reverse(name), query).status_code == 200


GET_CONSOLE = [(n, p) for n, p in CONSOLE if n not in POST_ONLY]
# An export is a link on its list's page with ``format=xlsx`` in its query, usually the
# page's own query (its filters) and that: found on the pages, so a new list's export is
# checked here as soon as its page offers it (``test_list_exports.py`` holds every list page
# to offering one).
EXPORT_LINK = re.compile(r'href="(\?[^"]*\bformat=xlsx\b[^"]*)"')
# Lists that default to pending requests: everything, so that the rows are there.
EVERYTHING = {"status": ""}
# Exports in whose owner's copy one of branch B's sentinels must appear (the export is not
# empty, so "no foreign rows" in the sibling's copy means something).
HOLD_A_SENTINEL = {
    "console:member_list",
    "console:enterprise_list",
    "console:place_list",
    "console:case_list",
    "console:culture_courses",
    "console:culture_sessions",
    "console:menu_detail",
    "console:menu_order_list",
    "console:training_list",
    "console:fair_list",
    "console:placement_list",
    "console:vj_post_list",
    "console:assistance_queue",
    "console:mutualaid_periods",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_links(response: Any) -> list[dict[str, str]]:
    """The queries of the export links on a page (none on anything but an HTML page)."""
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return []
    links = EXPORT_LINK.findall(response.content.decode())
    return [dict(parse_qsl(unescape(link)[1:], keep_blank_values=True)) for link in links]


def sheet_text(response: Any) -> str:
    from io import BytesIO

    from openpyxl import load_workbook

    assert response.status_code == 200 and response["Content-Type"] == XLSX
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return " ".join(str(c) for row in workbook.active.iter_rows(values_only=True) for c in row)


@pytest.mark.parametrize(("name", "pattern"), GET_CONSOLE, ids=[n for n, _ in GET_CONSOLE])
def test_every_list_exports_within_scope(db, matrix, name, pattern):
    url = reverse(name, kwargs={key: matrix.ids[key] for key in pattern.converters})
    owner = _client(matrix.world.staff(*OWNERS.get(name, ("district_b", "admin"))))
    sibling = _client(matrix.world.staff("district_a", "admin"))
    page = owner.get(url, EVERYTHING)
    _close(page)
    queries = export_links(page)
    if not queries:
        assert name not in HOLD_A_SENTINEL, f"{name} no longer offers its export"
        return  # not a list
    for query in queries:
        response = sibling.get(url, query)
        if pattern.converters and name not in PUBLIC_BY_DESIGN:
            assert response.status_code == 404, f"{name} exported another branch's record"
            _close(response)
        else:
            text = sheet_text(response)
            assert not [s for s in SENTINELS if s in text], f"{name} exports foreign rows"
        text = sheet_text(owner.get(url, query))
        if name in HOLD_A_SENTINEL:
            assert [s for s in SENTINELS if s in text], f"{name}: the owner's export is empty"


@pytest.mark.parametrize(("name", "pattern"), CONSOLE, ids=[n for n, _ in CONSOLE])
def test_console_route_is_not_found_for_an_enterprise_contact(db, matrix, name, pattern):
    """A contact has no organisation scope: every console page, its own enterprise's
    included, answers "not found"."""
    response = _console_call(_client(matrix.contact_b), name, pattern, matrix.ids)
    assert response.status_code == 404, f"{name} answered {response.status_code} to a contact"


# --- portal -----------------------------------------------------------------------------------

PORTAL_IDS = {
    "join_id": "worker_join_id",
    "transfer_id": "worker_transfer_id",
    "case_id": "case_id",
    "material_id": "material_id",
    "slot_id": "slot_id",
    "booking_id": "booking_id",
    "op": "op",
    "application_id": "worker_application_id",
    "round_id": "round_id",
    "training_id": "open_training_id",
    "enrolment_id": "worker_enrolment_id",
    "claim_id": "worker_claim_id",
}
PORTAL_POST = ("withdraw", "cancel", "confirm", "material_upload", "_act", "_rate", "_documents")


@pytest.mark.parametrize(("name", "pattern"), PORTAL, ids=[n for n, _ in PORTAL])
def test_portal_route_shows_a_worker_only_their_own(db, matrix, name, pattern):
    params = set(pattern.converters)
    if not params or name in PUBLIC_BY_DESIGN:
        return  # the worker's own pages (no ids) or public by design
    unknown = params - set(PORTAL_IDS)
    assert not unknown, f"{name}: teach the scope matrix the URL parameters {unknown}"
    kwargs = {key: matrix.ids[PORTAL_IDS[key]] for key in params}
    url = reverse(name, kwargs=kwargs)
    other = _client(matrix.worker_a)
    method = "post" if name.endswith(PORTAL_POST) else "get"
    assert getattr(other, method)(url).status_code == 404
    owns = ("transfer", "case", "slot", "culture", "assistance", "training")
    owner_user = matrix.worker_b if any(o in name for o in owns) else matrix.worker_b.lonely
    assert getattr(_client(owner_user), method)(url).status_code in {200, 302}


# Portal pages anyone may open, signed in or not (the lottery's checking script and the
# privacy notice are published).
PORTAL_OPEN = {
    "portal:login",
    "portal:send_code",
    "portal:logout",
    "portal:culture_draw_script",
    "portal:privacy",  # the privacy notice: anyone may read it
    "portal:assistance_transparency",  # a round's public figures
}


@pytest.mark.parametrize(("name", "pattern"), PORTAL, ids=[n for n, _ in PORTAL])
def test_portal_route_refuses_an_enterprise_contact(db, matrix, name, pattern):
    """A contact is sent from the workers' pages to the enterprise area (as staff are sent to
    their console), or meets "not found"; never a worker's page."""
    if name in PUBLIC_BY_DESIGN or name in PORTAL_OPEN:
        return
    kwargs = {key: matrix.ids[PORTAL_IDS[key]] for key in pattern.converters}
    url = reverse(name, kwargs=kwargs)
    method = "post" if name.endswith(PORTAL_POST) else "get"
    response = getattr(_client(matrix.contact_b), method)(url, follow=True)
    _close(response)
    final = response.redirect_chain[-1][0] if response.redirect_chain else url
    assert response.status_code in {404, 405} or final.startswith("/enterprise/"), (
        f"{name}: {response.status_code} at {final}"
    )


# --- enterprise area -------------------------------------------------------------------------

ENTERPRISE_IDS = {"order_id": "enterprise_order_id"}
# Sign-in pages: open to anyone; a signed-in contact is sent on to the area's home.
ENTERPRISE_OPEN = {"enterprise:login", "enterprise:send_code", "enterprise:logout"}


@pytest.mark.parametrize(("name", "pattern"), ENTERPRISE, ids=[n for n, _ in ENTERPRISE])
def test_enterprise_route_shows_a_contact_only_their_enterprise(db, matrix, name, pattern):
    if name in ENTERPRISE_OPEN:
        return
    unknown = set(pattern.converters) - set(ENTERPRISE_IDS)
    assert not unknown, f"{name}: teach the scope matrix the URL parameters {unknown}"
    url = reverse(name, kwargs={k: matrix.ids[ENTERPRISE_IDS[k]] for k in pattern.converters})
    other = _client(matrix.contact_a).get(url)
    if pattern.converters:
        assert other.status_code == 404, f"{name} answered {other.status_code} to another one"
    else:
        assert other.status_code == 200, name
        leaked = [s for s in SENTINELS if s in other.content.decode()]
        assert not leaked, f"{name} shows another enterprise's {leaked}"
    own = _client(matrix.contact_b).get(url)
    assert own.status_code == 200, f"{name}: {own.status_code}"
    # Each page shows the contact's own records: the home its enterprise, the order pages
    # the order placed for it.
    own_record = {
        "enterprise:home": SENTINELS[0],
        "enterprise:profile": "",
        "enterprise:vj_adoptions": SENTINEL_POST,
    }.get(name, SENTINEL_MENU_ITEM)
    assert own_record in own.content.decode(), name
    # Staff have a console and workers a portal: both are sent there.
    assert _client(matrix.world.staff("district_b", "admin")).get(url).status_code == 302
    assert _client(matrix.worker_b).get(url).status_code == 302


# --- API ----------------------------------------------------------------------------------------

AUTH_OPERATIONS = {
    "/api/auth/otp",
    "/api/auth/token",
    "/api/auth/token/password",
    "/api/auth/register",
    "/api/auth/logout",
}


def _payload(method: str, path: str, ids: dict[str, Any], world: World) -> dict[str, Any] | None:
    """A valid body for each write, so the request reaches the scope check."""
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/api/organizations/{org_id}/children"): {
            "name": "新基层工会",
            "kind": "grassroots",
            "grassroots_kind": "enterprise",
        },
        ("PATCH", "/api/organizations/{org_id}"): {"phone": "0573-1234567"},
        ("POST", "/api/organizations/{org_id}/move"): {
            "new_parent_id": world.orgs["town_b2"].pk,
            "reason": "区划调整",
        },
        ("POST", "/api/enterprises"): {
            "name": "新公司",
            "credit_code": new_credit_code(),
            "industry": "C",
            "employee_count": 5,
            "area_id": world.town_b.pk,
        },
        ("PATCH", "/api/enterprises/{enterprise_id}"): {"employee_count": 120},
        ("POST", "/api/members"): {
            "union_id": world.union_b.pk,
            "name": "新会员",
            "id_number": new_id_number(),
            "joined_on": "2024-01-01",
        },
        ("POST", "/api/members/lookup"): {"id_number": ids["member_id_number"]},
        ("POST", "/api/members/{membership_id}/reveal"): {"field": "id_number", "reason": "verify"},
        ("POST", "/api/members/{membership_id}/leave"): {
            "reason": "retired",
            "ended_on": datetime.date.today().isoformat(),  # noqa: DTZ011
        },
        ("POST", "/api/members/{membership_id}/transfer"): {
            "to_union_id": world.union_b2.pk,
            "reason": "调动",
        },
        ("POST", "/api/join-applications/{join_id}/decision"): {"approve": True},
        ("POST", "/api/transfers/{transfer_id}/decision"): {"approve": True},
        ("POST", "/api/foundings"): {
            "parent_id": world.town_b.pk,
            "proposed_name": "B4号工会",
            "grassroots_kind": "enterprise",
            "enterprise_ids": [ids["spare_enterprise"]],
            "chair_name": "王",
            "initial_members": 5,
            "planned_on": "2024-06-01",
        },
        ("POST", "/api/foundings/{founding_id}/decision"): {"approve": True},
        ("POST", "/api/homes/{assessment_id}/decision"): {"approve": True},
        ("POST", "/api/brands/{brand_id}/score"): {"score": "91.5"},
        ("POST", "/api/transfers/{transfer_id}/cancel"): {},
        ("POST", "/api/cases"): {
            "channel": "counter",
            "id_number": COUNTER_ID_NUMBER,
            "name": "窗口来访职工",
            "service_type": "hardship",
            "title": "求助",
            "description": "说明",
        },
        ("POST", "/api/cases/assign"): {
            "case_ids": [ids["district_case_id"]],
            "assignee_id": ids["district_b_clerk"],
        },
        ("POST", "/api/cases/{case_id}/accept"): {},
        ("POST", "/api/cases/{case_id}/refer"): {
            "to_org_id": world.orgs["town_b2"].pk,
            "reason": "用人单位在B2镇",
        },
        ("POST", "/api/cases/{case_id}/escalate"): {"reason": "需上级协调"},
        ("POST", "/api/cases/{case_id}/resolve"): {"resolution": "已办结"},
        ("POST", "/api/cases/{case_id}/reject"): {"reason": "不属于工会职责"},
        ("POST", "/api/cases/{case_id}/notes"): {"note": "电话回访"},
        ("POST", "/api/cases/{case_id}/visits"): {"reason": "来访"},
        ("POST", "/api/cases/{case_id}/legal-aid/outcome"): {"outcome": "advice"},
        ("POST", "/api/culture/sessions"): _session_body(ids),
        ("POST", "/api/culture/sessions/{session_id}/cancel"): {"reason": "场地检修"},
        ("POST", "/api/culture/sessions/{session_id}/draw"): {},
        ("POST", "/api/culture/sessions/{session_id}/check-in"): {"token": ids["checkin_token"]},
        ("POST", "/api/culture/sessions/{session_id}/bookings"): {},
        ("POST", "/api/culture/menu/orders"): {
            "item_id": ids["item_id"],
            "quantity": 1,
            "wanted_on": ids["menu_wanted_on"],
        },
        ("POST", "/api/enterprises/{enterprise_id}/contacts"): {
            "name": "新联系人",
            "mobile": new_mobile(),
        },
        ("POST", "/api/enterprises/{enterprise_id}/contacts/{contact_id}/deactivate"): {},
        ("POST", "/api/culture/menu/orders/{order_id}/cancel"): {},
        ("POST", "/api/culture/menu/orders/{order_id}/decide"): {"approve": True},
        ("POST", "/api/funds"): {
            "organization_id": world.district_b.pk,
            "name": "B区新基金",
            "source_kind": "enterprise",
        },
        ("POST", "/api/funds/{fund_id}/incomes"): {
            "donor": "B区某企业",
            "amount": "2000.50",
            "received_on": "2017-10-01",
            "receipt_number": "B-0002",
        },
        ("POST", "/api/payments/batches"): {
            "organization_id": world.district_b.pk,
            "title": "B区第二批",
            "item_ids": [ids["free_item_id"]],
        },
        ("POST", "/api/payments/batches/{batch_id}/decision"): {"approve": True},
        ("POST", "/api/payments/batches/{batch_id}/results"): {
            "results": [{"line_id": ids["line_id"], "paid": True}]
        },
        ("POST", "/api/payments/batches/{batch_id}/bank-file"): {},
        ("POST", "/api/assistance/programmes"): {
            "organization_id": world.district_b.pk,
            "kind": "medical",
            "name": "乙方爱心透析",
        },
        ("POST", "/api/assistance/programmes/{programme_id}/rounds"): _round_body(ids, "新批次"),
        ("PUT", "/api/assistance/rounds/{round_id}"): _round_body(ids, SENTINEL_ROUND),
        ("POST", "/api/assistance/applications"): {
            "round_id": ids["round_id"],
            "id_number": ids["member_id_number"],
            "beneficiary_name": SENTINEL_MEMBER,
        },
        ("POST", "/api/assistance/applications/{application_id}/decision"): {"approve": True},
        ("POST", "/api/assistance/applications/bulk-approve"): {
            "application_ids": [ids["application_id"]]
        },
        ("POST", "/api/assistance/rounds/{round_id}/proposals"): {
            "organization_id": world.town_b.pk,
            "household_ids": [ids["proposal_household_id"]],
        },
        ("POST", "/api/hardship/households"): {
            "union_id": world.union_b.pk,
            "name": "乙方新建档职工",
            "id_number": COUNTER_ID_NUMBER,
            "address": "B镇",
            "causes": ["illness"],
            "yearly_income": "5000.00",
        },
        ("PUT", "/api/hardship/households/{household_id}"): {
            "causes": ["illness", "education"],
            "cause_note": "子女上学",
        },
        ("POST", "/api/hardship/households/{household_id}/members"): {
            "name": "乙方配偶",
            "relation": "spouse",
            "id_number": new_id_number(),
            "yearly_income": "1200.00",
            "health": "良好",
        },
        ("PUT", "/api/hardship/households/{household_id}/members/{member_id}"): {
            "name": "乙方子女",
            "relation": "child",
            "in_school": "大学",
        },
        ("DELETE", "/api/hardship/households/{household_id}/members/{member_id}"): {},
        ("POST", "/api/hardship/households/{household_id}/visits"): {
            "visited_on": datetime.date.today().isoformat(),  # noqa: DTZ011
            "visitors": "B镇工会",
            "findings": "属实",
        },
        ("POST", "/api/hardship/households/{household_id}/visits/{visit_id}/photos"): {},
        ("POST", "/api/hardship/households/{household_id}/submit"): {},
        ("POST", "/api/hardship/filings/{filing_id}/decision"): {"approve": True},
        ("POST", "/api/hardship/households/{household_id}/review"): {
            "reviewed_on": datetime.date.today().isoformat(),  # noqa: DTZ011
            "note": "无变化",
        },
        ("POST", "/api/hardship/households/{household_id}/leave"): {
            "left_on": datetime.date.today().isoformat(),  # noqa: DTZ011
            "reason": "已就业",
        },
        ("POST", "/api/hardship/households/{household_id}/reenter"): {"note": "再次失业"},
        ("POST", "/api/hardship/households/{household_id}/reveal"): {
            "field": "address",
            "reason": "verify",
        },
        ("POST", "/api/hardship/income-lines"): {
            "organization_id": world.city.pk,
            "year": datetime.date.today().year,  # noqa: DTZ011
            "level": "relative",
            "line": "15500.00",
        },
        ("POST", "/api/employment/courses"): {
            "organization_id": world.town_b.pk,
            "course_type": "ecommerce",
            "title": "B镇电子商务培训班",
            "place": "B镇成人学校",
            "capacity": 30,
            "starts_on": "2017-04-01",
            "ends_on": "2017-04-20",
            "enrol_until": "2017-03-25",
        },
        ("POST", "/api/employment/courses/{training_id}/sessions"): {
            "held_on": "2017-03-10",
            "topic": "叉车实操",
        },
        ("POST", "/api/employment/courses/{training_id}/enrolments"): {
            "person_id": ids["free_person_id"]
        },
        (
            "POST",
            "/api/employment/courses/{training_id}/sessions/{training_session_id}/attendance",
        ): {"enrolment_ids": [ids["enrolment_id"]]},
        ("POST", "/api/employment/courses/{training_id}/close"): {},
        ("POST", "/api/employment/courses/{training_id}/cancel"): {},
        ("POST", "/api/employment/enrolments/{enrolment_id}/withdraw"): {},
        ("POST", "/api/employment/enrolments/{enrolment_id}/completion"): {
            "completed": True,
            "note": "补考合格",
        },
        ("POST", "/api/employment/fairs"): {
            "organization_id": world.district_b.pk,
            "title": "B区春风行动第二场",
            "held_on": "2017-03-01",
            "place": "B区人力资源市场",
        },
        ("POST", "/api/employment/fairs/{fair_id}/employers"): {"name": "B区某物流公司"},
        ("POST", "/api/employment/fairs/{fair_id}/posts"): {
            "employer_id": ids["fair_employer_id"],
            "title": "仓管员",
            "count": 3,
            "wage_min": "3500",
            "wage_max": "4800.50",
        },
        ("POST", "/api/employment/fairs/{fair_id}/visitors"): {"person_id": ids["free_person_id"]},
        ("POST", "/api/employment/fairs/{fair_id}/served"): {"served_count": 900},
        ("POST", "/api/employment/placements"): {
            "organization_id": world.town_b.pk,
            "person_id": ids["free_person_id"],
            "employer_name": "B区某物流公司",
            "post": "仓管员",
            "monthly_wage": "3800.00",
            "starts_on": "2017-06-01",
        },
        ("POST", "/api/employment/placements/{placement_id}/follow-up"): {
            "followed_up_on": "2017-08-10",
            "still_employed": True,
        },
        ("POST", "/api/virtual-jobs/posts"): {
            "organization_id": world.town_b.pk,
            "household_id": ids["vj_household_id"],
            "member_id": ids["vj_member_id"],
            "title": "保洁协管员",
            "monthly_amount": "300",
            "start_month": "2017-01",
            "end_month": "2017-12",
            "account_holder": "乙方成员丙",
            "bank_name": "农业银行",
            "bank_card": "6228480328123456789",
        },
        ("POST", "/api/virtual-jobs/posts/{post_id}/adopt"): {
            "fund_id": ids["fund_id"],
            "adopter_name": "B区某单位",
            "from_month": "2017-02",
        },
        ("POST", "/api/virtual-jobs/posts/{post_id}/suspend"): {
            "from_month": "2017-02",
            "reason": "住院",
        },
        ("POST", "/api/virtual-jobs/posts/{post_id}/resume"): {"from_month": "2017-04"},
        ("POST", "/api/virtual-jobs/posts/{post_id}/end"): {
            "last_month": "2017-03",
            "reason": "已就业",
        },
        ("POST", "/api/virtual-jobs/pay-runs"): {
            "organization_id": world.town_b.pk,
            "month": "2017-02",
        },
        ("POST", "/api/mutualaid/periods"): {
            **_period_body(ids, "乙方互助保障新一期", 2019),
            "organization_id": world.district_b.pk,
        },
        ("PUT", "/api/mutualaid/periods/{period_id}"): _period_body(ids, SENTINEL_PERIOD, 2017),
        ("PUT", "/api/mutualaid/periods/{period_id}/rules"): {"rules": _period_rules()},
        ("POST", "/api/mutualaid/periods/{period_id}/copy"): {},
        ("POST", "/api/mutualaid/periods/{period_id}/publish"): {},
        ("POST", "/api/mutualaid/periods/{period_id}/close"): {},
        ("POST", "/api/mutualaid/periods/{period_id}/calculate"): {
            "category": "inpatient",
            "amounts": ["3000.00", "9500"],
        },
        ("POST", "/api/mutualaid/enrolment/enrolments"): {
            "period_id": ids["ma_period_id"],
            "id_number": ids["ma_free_id_number"],
        },
        ("POST", "/api/mutualaid/enrolment/enrolments/{ma_enrolment_id}/refund"): {
            "left_on": datetime.date.today().isoformat(),  # noqa: DTZ011
            "reason": "离职",
        },
        ("POST", "/api/mutualaid/enrolment/bills/{ma_bill_id}/payments"): {
            "amount": "36.00",
            "paid_on": datetime.date.today().isoformat(),  # noqa: DTZ011
            "bank_reference": "YH0001",
        },
        ("POST", "/api/mutualaid/claims"): {
            **_mutualaid_claim_body(ids, "0002"),
            "person_id": ids["ma_person_id"],
            "channel": "union",
        },
        ("POST", "/api/mutualaid/claims/preview"): {
            **_mutualaid_claim_body(ids, "0003"),
            "person_id": ids["ma_person_id"],
        },
        ("POST", "/api/mutualaid/claims/adjudicate"): {"period_id": ids["ma_claims_period_id"]},
        ("POST", "/api/mutualaid/claims/{claim_id}/approve"): {},
        ("POST", "/api/mutualaid/claims/{claim_id}/refuse"): {"reason": "非住院费用"},
        ("POST", "/api/mutualaid/claims/{claim_id}/adjust"): {
            "eligible": "2000.00",
            "reason": "部分自费药品",
        },
        ("POST", "/api/mutualaid/claims/{claim_id}/diagnosis"): {"reason": "verify"},
        ("POST", "/api/mutualaid/claims/{claim_id}/documents"): {},  # multipart: ``_upload``
        ("POST", "/api/culture/menu/orders/{order_id}/deliver"): {
            "delivered_on": datetime.date.today().isoformat(),  # noqa: DTZ011
            "audience": 30,
        },
    }
    if method == "GET":
        return None
    key = (method, path)
    assert key in bodies, f"{method} {path}: give the scope matrix a valid body"
    return bodies[key]


def _round_body(ids: dict[str, Any], name: str) -> dict[str, Any]:
    today = datetime.date.today()  # noqa: DTZ011
    return {
        "name": name,
        "year": today.year,
        "opens_on": (today - datetime.timedelta(days=1)).isoformat(),
        "closes_on": (today + datetime.timedelta(days=30)).isoformat(),
        "tiers": ["grassroots", "town", "district"],
        "fund_ids": [ids["fund_id"]],
        "amounts": {"fixed": "800.00"},
    }


def _period_body(ids: dict[str, Any], name: str, year: int) -> dict[str, Any]:
    return {
        "name": name,
        "starts_on": f"{year}-01-01",
        "ends_on": f"{year}-12-31",
        "enrol_opens_on": f"{year - 1}-11-01",
        "enrol_closes_on": f"{year - 1}-12-31",
        "fee": "116.00",
        "fund_id": ids["mutualaid_fund_id"],
        "claims_close_on": f"{year + 1}-03-31",
    }


def _period_rules() -> dict[str, Any]:
    from gonghui.mutualaid.demo import RULES

    return RULES


def _session_body(ids: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    now = timezone.now()

    def later(hours: int) -> str:
        return (now + datetime.timedelta(hours=hours)).isoformat()

    return {
        "course_id": ids["course_id"],
        "starts_at": later(72),
        "ends_at": later(74),
        "opens_at": later(1),
        "closes_at": later(48),
        "capacity": 30,
        "mode": "lottery",
        "place": "B镇文化站",
    }


def _api(client: Client, method: str, url: str, token: str, body: dict[str, Any] | None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is None:
        return getattr(client, method.lower())(url, **headers)
    return getattr(client, method.lower())(
        url, json.dumps(body), content_type="application/json", **headers
    )


OWNER = ("district_b", "admin")


# The operations that take a file (multipart), by the end of their path.
UPLOADS = ("/photos", "/materials", "/documents")


def _upload(url: str, key: str) -> Any:
    """A multipart upload of one file (the operations that take a file): a photo of a home
    visit, a PDF for a case or for a mutual-aid claim (with its kind)."""
    from gonghui.hardship.tests.helpers import PNG

    if url.endswith("/photos"):
        data: dict[str, Any] = {
            "file": SimpleUploadedFile("门口.png", PNG, content_type="image/png")
        }
    else:
        data = {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4 a", content_type="application/pdf")}
        if url.endswith("/documents"):
            data["kind"] = "invoice"
    return Client().post(url, data, HTTP_AUTHORIZATION=f"Bearer {key}")


def _is_worker_path(path: str) -> bool:
    return path == "/api/me" or path.startswith("/api/me/")


STAFF_OPERATIONS = [
    op for op in OPERATIONS if not _is_worker_path(op[1]) and not op[1].startswith("/api/auth/")
]
WORKER_OPERATIONS = [op for op in OPERATIONS if _is_worker_path(op[1])]
# Writes without an id in the path whose body names another branch's organisation.
BODY_NAMES_ANOTHER_BRANCH = {
    ("POST", "/api/cases/assign"),
    ("POST", "/api/culture/sessions"),
    ("POST", "/api/culture/menu/orders"),
    ("POST", "/api/enterprises"),
    ("POST", "/api/foundings"),
    ("POST", "/api/members"),
    ("POST", "/api/funds"),
    ("POST", "/api/payments/batches"),
    ("POST", "/api/assistance/programmes"),
    ("POST", "/api/assistance/applications"),
    ("POST", "/api/assistance/applications/bulk-approve"),
    ("POST", "/api/hardship/households"),
    ("POST", "/api/hardship/income-lines"),
    ("POST", "/api/employment/courses"),
    ("POST", "/api/employment/fairs"),
    ("POST", "/api/employment/placements"),
    ("POST", "/api/virtual-jobs/posts"),
    ("POST", "/api/virtual-jobs/pay-runs"),
    ("POST", "/api/mutualaid/periods"),
    ("POST", "/api/mutualaid/enrolment/enrolments"),
    ("POST", "/api/mutualaid/claims"),
    ("POST", "/api/mutualaid/claims/preview"),
    ("POST", "/api/mutualaid/claims/adjudicate"),
}
# Who succeeds in scope, where it is not district_b's administrator: a city's income lines
# are set by the city federation's administrator.
API_OWNERS = {
    ("POST", "/api/hardship/income-lines"): ("city", "admin"),
    # The federation running the period records the fees it receives.
    ("POST", "/api/mutualaid/enrolment/bills/{ma_bill_id}/payments"): ("city", "admin"),
}


def staff_api_url(matrix: Matrix, path: str) -> tuple[str, list[str]]:
    """The URL of a staff operation on branch B's records, and its parameter names."""
    world, ids = matrix.world, matrix.ids
    params = {"org_id": world.union_b.pk, **{k: v for k, v in ids.items() if k != "org_id"}}
    if path.startswith("/api/members/{membership_id}/"):
        params["membership_id"] = ids["free_membership_id"]  # no transfer pending on it
    if path.startswith("/api/organizations/{org_id}") and not path.endswith("coverage"):
        params["org_id"] = world.union_b2.pk if path.endswith("/move") else world.town_b.pk
    if path.endswith(("/resolve", "/legal-aid/outcome")):
        params["case_id"] = ids["accepted_case_id"]  # these need an accepted case
    if path.endswith("/check-in"):
        params["session_id"] = ids["checkin_session_id"]  # a class under way
    if path.startswith("/api/culture/menu/orders/{order_id}/"):
        # The ordering unit withdraws its own order; only an approved one can be delivered.
        if path.endswith("/cancel"):
            params["order_id"] = ids["own_order_id"]
        if path.endswith("/deliver"):
            params["order_id"] = ids["approved_order_id"]
    if path == "/api/payments/batches/{batch_id}/decision":
        params["batch_id"] = ids["pending_batch_id"]  # a batch waiting for its approval
    if path == "/api/assistance/applications/{application_id}/decision":
        params["application_id"] = ids["district_application_id"]  # the district's step
    if path == "/api/virtual-jobs/posts/{post_id}/resume":
        params["post_id"] = ids["vj_suspended_post_id"]  # only a suspended post resumes
    if path == "/api/employment/courses/{training_id}/cancel":
        params["training_id"] = ids["open_training_id"]  # a course nobody is on
    if path == "/api/mutualaid/periods/{period_id}/close":
        params["period_id"] = ids["open_period_id"]  # only an open period is closed
    if path == "/api/payments/items/{item_id}":
        params["item_id"] = ids["free_item_id"]
    if path == "/api/hardship/households/{household_id}/submit":
        params["household_id"] = ids["draft_household_id"]  # a draft, ready to submit
    if path == "/api/hardship/households/{household_id}/reenter":
        params["household_id"] = ids["left_household_id"]  # one that left the roll
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    unknown = set(names) - set(params)
    assert not unknown, f"{path}: teach the scope matrix the parameters {unknown}"
    return path.format(**{n: params[n] for n in names}), names


@pytest.mark.parametrize(
    ("method", "path"), STAFF_OPERATIONS, ids=[f"{m} {p}" for m, p in STAFF_OPERATIONS]
)
def test_api_operation_is_scoped(db, matrix, method, path):
    world, ids = matrix.world, matrix.ids
    url, names = staff_api_url(matrix, path)
    body = _payload(method, path, ids, world)
    sibling_key, _ = api_token_issue(user=world.staff("district_a", "admin"))
    if path.endswith(UPLOADS):
        response = _upload(url, sibling_key)
    else:
        response = _api(Client(), method, url, sibling_key, body)
    if names or (method, path) in BODY_NAMES_ANOTHER_BRANCH:
        assert response.status_code == 404, (
            f"{method} {path}: {response.status_code} {response.content[:200]}"
        )
    else:
        assert response.status_code in {200, 201, 422}, f"{method} {path}: {response.status_code}"
        text = response.content.decode()
        if response.status_code < 300:
            assert not [s for s in SENTINELS if s in text], f"{method} {path} leaks"
    owner_key, _ = api_token_issue(user=world.staff(*API_OWNERS.get((method, path), OWNER)))
    if path.endswith(UPLOADS):
        response = _upload(url, owner_key)
    else:
        response = _api(Client(), method, url, owner_key, _payload(method, path, ids, world))
    if (method, path) in WORKERS_ONLY:
        assert response.status_code == 403, f"{method} {path}: {response.status_code}"
        return
    assert response.status_code < 300, (
        f"{method} {path}: {response.status_code} {response.content[:300]}"
    )


# Operations with a request body or a required query parameter.
TAKES_INPUT = {
    (method.upper(), path)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method, operation in methods.items()
    if operation.get("requestBody")
    or any(p.get("required") and p.get("in") == "query" for p in operation.get("parameters", []))
}
# Operations that need no account at all (``auth=None``).
PUBLIC_OPERATIONS = {
    (method.upper(), path)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method, operation in methods.items()
    if not operation.get("security")
}


@pytest.mark.parametrize(
    ("method", "path"), STAFF_OPERATIONS, ids=[f"{m} {p}" for m, p in STAFF_OPERATIONS]
)
def test_api_staff_operation_is_not_found_for_an_enterprise_contact(db, matrix, method, path):
    if (method, path) in PUBLIC_OPERATIONS:
        return
    url, _names = staff_api_url(matrix, path)
    key, _ = api_token_issue(user=matrix.contact_b)
    body = _payload(method, path, matrix.ids, matrix.world)
    if path.endswith(UPLOADS):
        response = _upload(url, key)
    else:
        response = _api(Client(), method, url, key, body)
    assert response.status_code == 404, f"{method} {path}: {response.status_code}"


@pytest.mark.parametrize(
    ("method", "path"), WORKER_OPERATIONS, ids=[f"{m} {p}" for m, p in WORKER_OPERATIONS]
)
def test_api_worker_operation_refuses_an_enterprise_contact(db, matrix, method, path):
    """The worker's operations refuse a contact as they refuse staff (403); a body the
    operation cannot read is refused first (422), for staff too."""
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    url = path.format(**{n: matrix.ids[n] for n in names})
    key, _ = api_token_issue(user=matrix.contact_b)
    body = WORKER_BODIES.get((method, path), {}) if method == "POST" else None
    response = _api(Client(), method, url, key, body)
    refusals = {403, 404, 422} if (method, path) in TAKES_INPUT else {403, 404}
    assert response.status_code in refusals, f"{method} {path}: {response.status_code}"


# Outside /api/me but for workers only: staff in scope are refused (403), not served.
WORKERS_ONLY = {("POST", "/api/culture/sessions/{session_id}/bookings")}
# A worker may book any free slot of the public counselling timetable.
WORKER_PUBLIC = {("POST", "/api/me/counselling/slots/{slot_id}/book")}
WORKER_BODIES = {
    ("POST", "/api/me/cases/{case_id}/confirm"): {"rating": 5},
    ("POST", "/api/me/mutualaid/claims"): _mutualaid_claim_body({}, "0004"),
    ("POST", "/api/me/mutualaid/claims/preview"): _mutualaid_claim_body({}, "0005"),
    ("POST", "/api/me/assistance/rounds/{round_id}/applications"): {
        "beneficiary_name": "乙方职工",
        "account_holder": "乙方职工",
        "bank_name": "农业银行",
        "bank_card": "6228480328123456789",
    },
}


@pytest.mark.parametrize(
    ("method", "path"), WORKER_OPERATIONS, ids=[f"{m} {p}" for m, p in WORKER_OPERATIONS]
)
def test_api_worker_operation_shows_only_their_own(db, matrix, method, path):
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    if not names or (method, path) in WORKER_PUBLIC:
        return  # the worker's own records, found through their account; or public by design
    ids = {
        "join_id": matrix.ids["worker_join_id"],
        "transfer_id": matrix.ids["worker_transfer_id"],
        "case_id": matrix.ids["case_id"],
        "slot_id": matrix.ids["slot_id"],
        "booking_id": matrix.ids["booking_id"],
        # The worker's application, and a round they have not applied to yet.
        "application_id": matrix.ids["worker_application_id"],
        "round_id": matrix.ids["open_round_id"],
        "training_id": matrix.ids["open_training_id"],
        "enrolment_id": matrix.ids["worker_enrolment_id"],
        "claim_id": matrix.ids["worker_claim_id"],
    }
    if path.endswith("/confirm"):
        ids["case_id"] = matrix.ids["resolved_case_id"]
    if path.endswith(("/bookings/{booking_id}/confirm", "/bookings/{booking_id}/decline")):
        ids["booking_id"] = matrix.ids["offered_booking_id"]  # a seat offered to them
    url = path.format(**{n: ids[n] for n in names})
    body = WORKER_BODIES.get((method, path), {}) if method == "POST" else None

    def call(user: Any) -> Any:
        key, _ = api_token_issue(user=user)
        if path.endswith(UPLOADS):
            return _upload(url, key)
        return _api(Client(), method, url, key, body)

    assert call(matrix.worker_a).status_code == 404
    owns = ("transfer", "case", "counselling", "bookings", "assistance", "training")
    owner = matrix.worker_b if any(o in path for o in owns) else matrix.worker_b.lonely
    response = call(owner)
    assert response.status_code in {200, 201}, f"{path}: {response.content[:300]}"


def test_every_api_operation_is_covered():
    covered = set(STAFF_OPERATIONS) | set(WORKER_OPERATIONS)
    rest = {op for op in OPERATIONS if op not in covered}
    assert {path for _, path in rest} <= AUTH_OPERATIONS
