"""Every console and portal page of the demo city, as each demo role sees it: no server error,
no raw identifier of the code in a Chinese page, and no message the English catalogue lacks.

The demo is loaded once for the module (inside a transaction rolled back at the end), and
the whole walk is one test so that it runs on one worker. Routes come from the URL resolver:
a new page is visited without anyone remembering to add it; one whose URL parameters this file
cannot fill fails until ``SAMPLES`` learns them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from gonghui.accounts import services as account_services
from gonghui.accounts.models import User
from gonghui.assistance.models import Application, ApplicationDocument, Programme, Round
from gonghui.casework.models import Case, CaseMaterial, CounsellingSlot, Lawyer
from gonghui.core.crypto import blind_index
from gonghui.core.models import ImportJob
from gonghui.culture.models import (
    Booking,
    ClassSession,
    Course,
    CultureEvent,
    Mentor,
    Menu,
    MenuItem,
    MenuOrder,
    Venue,
)
from gonghui.employment.models import Course as TrainingCourse
from gonghui.employment.models import CourseSession as TrainingSession
from gonghui.employment.models import Enrolment, JobFair, Placement
from gonghui.funds.models import Fund, Income, PaymentBatch
from gonghui.hardship.models import Household, HouseholdMember, VisitPhoto
from gonghui.members.models import MOBILE_PURPOSE, JoinApplication, Membership, TransferRequest
from gonghui.mutualaid.models import Bill as MutualAidBill
from gonghui.mutualaid.models import Claim as MutualAidClaim
from gonghui.mutualaid.models import ClaimDocument
from gonghui.mutualaid.models import Enrolment as MutualAidEnrolment
from gonghui.mutualaid.models import Period as MutualAidPeriod
from gonghui.mutualaid.models import SampleDraw as MutualAidDraw
from gonghui.organizations.models import Enterprise, Organization, ServicePlace
from gonghui.tests.test_scope_matrix import CONSOLE, PORTAL, POST_ONLY
from gonghui.unionbuilding.models import (
    BrandProject,
    FoundingApplication,
    HomeAssessment,
    Mechanism,
    MechanismType,
)
from gonghui.virtualjobs.models import PayRun, Post

pytestmark = pytest.mark.django_db

# One account per role at every level, the counsellor, and workers in different situations.
STAFF = [
    *(f"jx-{role}" for role in ("admin", "clerk", "reviewer", "leader")),
    *(f"nanhu-{role}" for role in ("admin", "clerk", "reviewer", "leader")),
    *(f"fengqiao-{role}" for role in ("admin", "clerk", "reviewer", "leader")),
    *(f"minhui-{role}" for role in ("admin", "clerk", "reviewer", "leader")),
    "nanhu-counsellor",
]
WORKERS = ["13957300001", "13957300003", "13957300004"]
# GET on these changes something or needs a body: they are reached through their forms.
SKIP = {"portal:logout", "portal:send_code"}
# A route answers one of these to a role that may not use it or a record it cannot reach.
REFUSED = {302, 403, 404, 405}
# Words of the code that must never reach a person: snake_case names, Python's None (not
# English's "None registered yet"), unformatted placeholders and template syntax.
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_PHRASE = re.compile(r"\b[a-z]{2,}(?: [a-z]{2,})+\b")
CODE_WORDS = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\bNone\b(?!\s+[a-z])|%\([a-z_]+\)s|\{\{|\{%|\}\}")


@cache
def _choice_values() -> frozenset[str]:
    """The stored values of every choice field ("pending", "first_come", "members"...): shown
    on a Chinese page instead of their label, they are the code talking."""
    from django.apps import apps

    from gonghui.core import imports

    values = {
        str(value)
        for model in apps.get_models()
        for field in model._meta.fields
        if field.choices
        for value, _label in field.flatchoices
        if isinstance(value, str) and len(value) > 2 and value.isascii() and value.islower()
    }
    values |= {importer.kind for importer in imports.importers()}
    return frozenset(values)


def _first(model: Any, actor: Any, **lookup: Any) -> Any:
    manager = model.objects
    rows = manager.visible_to(actor) if hasattr(manager, "visible_to") else manager.all()
    return rows.filter(**lookup).order_by("pk").first()


def _ids(obj: Any, **names: str) -> dict[str, Any] | None:
    """URL kwargs from ``obj``'s attributes: ``_ids(m, case_id="case_id", material_id="pk")``."""
    if obj is None:
        return None
    return {kwarg: getattr(obj, attribute) for kwarg, attribute in names.items()}


def _one(model: Any, kwarg: str, **lookup: Any) -> Callable[[Any], dict[str, Any] | None]:
    return lambda actor: _ids(_first(model, actor, **lookup), **{kwarg: "pk"})


def _mechanism(actor: Any, evidence: bool) -> dict[str, Any] | None:
    lookup = {"evidence__gt": ""} if evidence else {}
    found = _first(Mechanism, actor, **lookup)
    return _ids(found, org_id="union_id", type_id="type_id")


def _grassroots(actor: Any) -> dict[str, Any] | None:
    return _ids(_first(Organization, actor, kind="grassroots"), org_id="pk")


def _menu_item(actor: Any) -> dict[str, Any] | None:
    menu = _first(Menu, actor)
    item = MenuItem.objects.filter(menu=menu).order_by("pk").first() if menu else None
    return _ids(item, menu_id="menu_id", item_id="pk")


def _case_with(actor: Any, **lookup: Any) -> Any:
    return _first(Case, actor, **lookup)


SAMPLES: dict[str, Callable[[Any], dict[str, Any] | None]] = {
    "brand_id": _one(BrandProject, "brand_id"),
    "case_id": _one(Case, "case_id"),
    "course_id": _one(Course, "course_id"),
    "enterprise_id": _one(Enterprise, "enterprise_id"),
    "event_id": _one(CultureEvent, "event_id"),
    "founding_id": _one(FoundingApplication, "founding_id"),
    "assessment_id": _one(HomeAssessment, "assessment_id"),
    "job_id": _one(ImportJob, "job_id"),
    "join_id": _one(JoinApplication, "join_id"),
    "lawyer_id": _one(Lawyer, "lawyer_id"),
    "membership_id": _one(Membership, "membership_id", status="active"),
    "mentor_id": _one(Mentor, "mentor_id"),
    "menu_id": _one(Menu, "menu_id"),
    "order_id": _one(MenuOrder, "order_id"),
    "org_id": _one(Organization, "org_id"),
    "place_id": _one(ServicePlace, "place_id"),
    "session_id": _one(ClassSession, "session_id"),
    "transfer_id": _one(TransferRequest, "transfer_id"),
    "user_id": lambda actor: _ids(
        User.scoped.visible_to(actor).filter(organization__isnull=False).order_by("pk").first(),
        user_id="pk",
    ),
    "venue_id": _one(Venue, "venue_id"),
    "kind": lambda actor: {"kind": "members"},
    "slot_id": lambda actor: _ids(
        CounsellingSlot.objects.filter(counsellor__user=actor).order_by("pk").first()
        or CounsellingSlot.objects.filter(person_id=actor.person_id).order_by("pk").first(),
        slot_id="pk",
    ),
    "booking_id": _one(Booking, "booking_id"),
    "fund_id": _one(Fund, "fund_id"),
    "batch_id": _one(PaymentBatch, "batch_id"),
    "household_id": _one(Household, "household_id"),
    "training_id": _one(TrainingCourse, "training_id"),
    "enrolment_id": _one(Enrolment, "enrolment_id"),
    "fair_id": _one(JobFair, "fair_id"),
    "placement_id": _one(Placement, "placement_id"),
    "income_id": _one(Income, "income_id"),
    "post_id": _one(Post, "post_id"),
    "run_id": _one(PayRun, "run_id"),
    "programme_id": _one(Programme, "programme_id"),
    "round_id": _one(Round, "round_id"),
    "application_id": _one(Application, "application_id"),
    "period_id": _one(MutualAidPeriod, "period_id"),
    "ma_bill_id": _one(MutualAidBill, "ma_bill_id"),
    "ma_enrolment_id": _one(MutualAidEnrolment, "ma_enrolment_id"),
    "claim_id": _one(MutualAidClaim, "claim_id"),
    "draw_id": _one(MutualAidDraw, "draw_id"),
}
# Routes whose parameters belong together.
ROUTE_SAMPLES: dict[str, Callable[[Any], dict[str, Any] | None]] = {
    "console:case_material": lambda actor: _ids(
        CaseMaterial.objects.filter(case__in=Case.objects.visible_to(actor)).order_by("pk").first(),
        case_id="case_id",
        material_id="pk",
    ),
    "portal:case_material": lambda actor: _ids(
        CaseMaterial.objects.filter(case__person_id=actor.person_id).order_by("pk").first(),
        case_id="case_id",
        material_id="pk",
    ),
    "console:assistance_document": lambda actor: _ids(
        ApplicationDocument.objects.filter(application__in=Application.objects.visible_to(actor))
        .order_by("pk")
        .first(),
        application_id="application_id",
        document_id="pk",
    ),
    "console:mutualaid_claim_document": lambda actor: _ids(
        ClaimDocument.objects.filter(claim__in=MutualAidClaim.objects.visible_to(actor))
        .order_by("pk")
        .first(),
        claim_id="claim_id",
        claim_document_id="pk",
    ),
    "console:mediation_agreement": lambda actor: _ids(
        _case_with(actor, mediation__outcome="agreed"), case_id="pk"
    ),
    "console:mechanism_edit": lambda actor: (
        _mechanism(actor, evidence=False)
        or (
            {**g, "type_id": MechanismType.objects.order_by("pk").first().pk}
            if (g := _grassroots(actor))
            else None
        )
    ),
    "console:mechanism_evidence": lambda actor: _mechanism(actor, evidence=True),
    "console:home_create": _grassroots,
    "console:hardship_member_edit": lambda actor: _ids(
        HouseholdMember.objects.visible_to(actor).order_by("pk").first(),
        household_id="household_id",
        member_id="pk",
    ),
    "console:visit_photo": lambda actor: _visit_photo(actor),
    "console:training_attendance": lambda actor: _ids(
        _first(TrainingSession, actor), training_id="course_id", training_session_id="pk"
    ),
    "console:menu_item_edit": _menu_item,
    "portal:card_verify": lambda actor: _card_token(actor),
    "portal:culture_ical": lambda actor: _feed_token(actor),
    "portal:income_verify": lambda actor: _ids(
        Income.unscoped.order_by("pk").first(), token="verify_token"
    ),
}


def _visit_photo(actor: Any) -> dict[str, Any] | None:
    photo = VisitPhoto.objects.visible_to(actor).select_related("visit").order_by("pk").first()
    if photo is None:
        return None
    return {"household_id": photo.visit.household_id, "photo_id": photo.pk}


def _card_token(actor: Any) -> dict[str, Any] | None:
    from gonghui.members import card

    membership = Membership.unscoped.filter(person_id=actor.person_id, status="active").first()
    return {"token": card.card_token(membership)} if membership else None


def _feed_token(actor: Any) -> dict[str, Any] | None:
    from gonghui.culture.services import catalogue as catalogue_services

    if actor.person_id is None:
        return None
    return {"token": catalogue_services.calendar_feed_token(actor=actor)}


def _kwargs(name: str, pattern: Any, actor: Any) -> dict[str, Any] | None:
    """The URL kwargs for ``actor``, from records in its reach; None when it has none."""
    if name in ROUTE_SAMPLES:
        return ROUTE_SAMPLES[name](actor)
    kwargs: dict[str, Any] = {}
    for converter in pattern.converters:
        if converter in ("action", "op", "order_action", "field"):
            return None  # actions are POSTed from their pages
        sample = SAMPLES[converter](actor)
        if sample is None:
            return None
        kwargs.update(sample)
    return kwargs


class _Text(HTMLParser):
    """The text a person reads: no tags, scripts, styles or attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        block = transaction.atomic()
        block.__enter__()
        try:
            call_command("load_demo", members=600, cases=120, verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


def _get(client: Client, url: str) -> Any:
    response = client.get(url)
    # A file download holds its file open; close it without the end-of-request signal closing
    # the test's database connection (see the scope matrix).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return response


def _accounts() -> list[tuple[str, Any]]:
    accounts = [(username, User.objects.get(username=username)) for username in STAFF]
    for mobile in WORKERS:
        digest = blind_index(mobile, purpose=MOBILE_PURPOSE)
        worker = User.objects.get(person__mobile_hash=digest)
        # Past the privacy notice (which the walk opens as a page of its own), so the walk
        # reaches the worker's pages rather than the notice each of them redirects to.
        account_services.privacy_consent_give(
            actor=worker, version=settings.GONGHUI_PRIVACY_NOTICE_VERSION, channel="portal"
        )
        accounts.append((mobile, worker))
    return accounts


def _walk(language: str) -> tuple[list[str], int]:
    # The locale middleware activates each request's language in this thread; give the
    # thread its language back so that later tests on this worker are not run in English.
    with translation.override(translation.get_language()):
        return _walk_pages(language)


def _walk_pages(language: str) -> tuple[list[str], int]:
    problems: list[str] = []
    visited = 0
    for label, user in _accounts():
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.cookies["django_language"] = language
        client.force_login(user)
        routes = CONSOLE if user.is_staff_account else PORTAL
        for name, pattern in routes:
            if name in POST_ONLY or name in SKIP:
                continue
            kwargs = _kwargs(name, pattern, user)
            if kwargs is None:
                continue
            url = reverse(name, kwargs=kwargs)
            response = _get(client, url)
            visited += 1
            where = f"{label} {url}"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
                continue
            if response.status_code not in REFUSED and response.status_code != 200:
                problems.append(f"{where}: unexpected {response.status_code}")
            if "text/html" not in response.get("Content-Type", ""):
                continue
            text = visible_text(response.content.decode())
            words = sorted(set(CODE_WORDS.findall(text)))
            if language != "en":
                # A stored choice instead of its label, or an English field name ("decided at").
                words += sorted(set(re.findall(r"\b[a-z]{3,}\b", text)) & _choice_values())
                words += sorted(set(ENGLISH_PHRASE.findall(text)))
            if words:
                problems.append(f"{where}: code words on the page {words[:8]}")
    return problems, visited


def test_every_page_of_the_demo_opens_for_every_role_in_chinese_and_english(demo, monkeypatch):
    """In Chinese: no server error and no word of the code on any page. In English: the same,
    and every message shown is in the English catalogue (messages built at run time escape
    ``makemessages``, so they are caught where they are shown). One test, so that the demo is
    loaded once, on one worker."""
    problems, visited = _walk("zh-hans")
    assert visited > 900, visited  # the walk really went through the pages
    assert problems == [], "\n".join(problems)

    catalogue = trans_real.translation("en")._catalog  # type: ignore[attr-defined]
    missing: set[str] = set()
    shown = translation._trans.gettext  # type: ignore[attr-defined]

    def gettext(message: str) -> str:
        if translation.get_language() == "en" and CHINESE.search(message or ""):
            if message not in catalogue:
                missing.add(message)
        return shown(message)

    monkeypatch.setattr(translation._trans, "gettext", gettext)  # type: ignore[attr-defined]
    problems, visited = _walk("en")
    assert visited > 900
    assert sorted(missing) == []
    assert problems == [], "\n".join(problems)
