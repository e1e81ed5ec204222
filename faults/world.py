"""The suite's small city, made in its own database through the services: a city federation
with a clerk, four grassroots unions, a member roll imported through the import pipeline, a
worker account with an API token for each member (written in bulk, as ``bench/flash.py``
writes its crowd), and the class sessions the scenarios book.

Everything here runs in the suite's own process, with Django set up on the run's database
(``setup``); the servers read the same database."""

from __future__ import annotations

import csv
import datetime
import os
import random
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CITY_CODE = "FT"
UNIONS = 4
CLERK = "ft-clerk"
WORKER_PREFIX = "ft-w-"
COURSE_PREFIX = "故障演练课"


def setup(env: dict[str, str]) -> None:
    """Django in this process, on the run's database and Redis, with its secrets."""
    os.environ.update(env)
    import django

    django.setup()


def prepare_database(static: bool) -> None:
    """Migrations, and the static files production settings serve (pages link them through
    the manifest, so a page would fail without it)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    call_command("migrate", verbosity=0)
    if static:
        # Hashed and listed in the manifest as production's storage does, but not compressed:
        # WhiteNoise's gzip and Brotli copies of 50 MB of ECharts take over a minute on a busy
        # machine, and nothing here fetches a static file; the servers read the same manifest.
        plain = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        with override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": plain}}):
            call_command("collectstatic", interactive=False, verbosity=0)


@dataclass
class Worker:
    user_id: int
    person_id: int
    key: str  # the bearer token


@dataclass
class City:
    clerk_id: int
    union_codes: list[str]
    workers: list[Worker]
    clerk_cookie: str  # a signed-in console session

    def clerk(self) -> Any:
        from gonghui.accounts.models import User

        return User.objects.select_related("organization").get(pk=self.clerk_id)


class Roll:
    """Member rolls as a union sends them, every person new to the run (ID numbers and
    mobiles unique across all the rolls of one run), everyone with a mobile."""

    def __init__(self, codes: list[str], seed: int = 11) -> None:
        from gonghui.demo import people

        self.people = people
        self.rng = random.Random(seed)
        self.ids = people.Unique()
        self.mobiles = people.Unique()
        self.codes = codes

    def write(self, path: Path, rows: int) -> Path:
        from gonghui.core import validators

        people, rng = self.people, self.rng
        regions = people.LOCAL_REGIONS + people.MIGRANT_REGIONS
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(
                ["姓名", "身份证号", "手机号", "工会编码", "入会日期", "户籍类型", "学历"]
            )
            for _ in range(rows):
                number = self.ids.take(
                    people.id_number(
                        rng,
                        region=rng.choice(regions),
                        birth=people.birth_date(rng, oldest=1966, youngest=2004),
                    )
                    for _ in iter(int, 1)
                )
                birth = validators.id_number_birth_date(number)
                joined = datetime.date(2010 + rng.randint(0, 14), rng.randint(1, 12), 1)
                joined = max(joined, datetime.date(birth.year + 17, 1, 1))
                writer.writerow(
                    [
                        people.name(rng),
                        number,
                        self.mobiles.take(people.mobiles(rng)),
                        rng.choice(self.codes),
                        joined.isoformat(),
                        rng.choice(["城镇户籍", "农村户籍"]),
                        "",
                    ]
                )
        return path

    def fresh_mobile(self) -> str:
        return self.mobiles.take(self.people.mobiles(self.rng))


def import_create(actor: Any, path: Path) -> Any:
    """An import job for the roll at ``path``, uploaded through the service."""
    from django.core.files import File

    from gonghui.core import imports

    with path.open("rb") as fh:
        return imports.import_job_create(
            actor=actor, kind="members", upload=File(fh, name=path.name)
        )


def build(root: Path, *, workers: int) -> tuple[City, Roll]:
    """The city, its roll of ``workers`` members (imported), and their worker accounts."""
    from django.contrib.auth.hashers import make_password

    from gonghui.accounts import services as account_services
    from gonghui.core import imports
    from gonghui.organizations import services as org_services
    from gonghui.organizations.models import OrgKind

    city = org_services.organization_create(
        actor=None, parent=None, name="故障演练市总工会", kind=OrgKind.CITY, code=CITY_CODE
    )
    district = org_services.organization_create(
        actor=None, parent=city, name="演练区总工会", kind=OrgKind.DISTRICT, code="FTD"
    )
    town = org_services.organization_create(
        actor=None, parent=district, name="演练镇总工会", kind=OrgKind.TOWN, code="FTT"
    )
    codes = []
    for u in range(UNIONS):
        code = f"FTU{u:02d}"
        org_services.organization_create(
            actor=None,
            parent=town,
            name=f"演练企业{u:02d}工会",
            kind=OrgKind.GRASSROOTS,
            grassroots_kind="enterprise",
            code=code,
        )
        codes.append(code)
    clerk = account_services.staff_create(
        actor=None,
        organization=city,
        username=CLERK,
        full_name="演练经办",
        roles=["clerk"],
        password_hash=make_password(secrets.token_urlsafe(16)),
    )
    clerk = type(clerk).objects.select_related("organization").get(pk=clerk.pk)
    roll = Roll(codes)
    job = import_create(clerk, roll.write(root / "roll.csv", workers))
    imports.run_check(job, clerk)
    imports.run_commit(job, clerk)
    if job.status != "done":
        raise RuntimeError(f"the city's roll did not import: {job.status} {job.message}")
    return (
        City(
            clerk_id=clerk.pk,
            union_codes=codes,
            workers=_worker_accounts(job.pk),
            clerk_cookie=_session_cookie(clerk),
        ),
        roll,
    )


def _worker_accounts(job_id: int) -> list[Worker]:
    """A worker account with a fresh API token for every person the import ``job_id``
    registered (bulk, hashed as ``accounts.services.api_token_issue`` hashes them)."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from gonghui.accounts.models import (
        AccountKind,
        ApiToken,
        PrivacyConsent,
        SignInChannel,
        User,
    )
    from gonghui.accounts.services import _token_hash
    from gonghui.members.models import Person

    with transaction.atomic():
        persons = list(
            Person.unscoped.filter(source_import_id=job_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        password = make_password(None)  # unusable: these workers only hold tokens
        users = User.objects.bulk_create(
            [
                User(
                    username=f"{WORKER_PREFIX}{person_id}",
                    kind=AccountKind.WORKER,
                    person_id=person_id,
                    password=password,
                )
                for person_id in persons
            ],
            batch_size=1000,
        )
        now = timezone.now()
        keys = ["gh_" + secrets.token_urlsafe(32) for _ in users]
        ApiToken.objects.bulk_create(
            [
                ApiToken(
                    user_id=user.pk,
                    key_hash=_token_hash(key),
                    prefix=key[:8],
                    name="faults",
                    expires_at=now + datetime.timedelta(days=1),
                    last_used_at=now,
                )
                for user, key in zip(users, keys, strict=True)
            ],
            batch_size=1000,
        )
        # Each worker has read the privacy notice and agreed, as at a first sign-in (the
        # worker API refuses everything else until then).
        PrivacyConsent.objects.bulk_create(
            [
                PrivacyConsent(
                    user_id=user.pk,
                    version=settings.GONGHUI_PRIVACY_NOTICE_VERSION,
                    channel=SignInChannel.API,
                    given_at=now,
                )
                for user in users
            ],
            batch_size=1000,
        )
    return [
        Worker(user_id=user.pk, person_id=person_id, key=key)
        for user, person_id, key in zip(users, persons, keys, strict=True)
    ]


def _session_cookie(user: Any) -> str:
    """The cookie of a console session signed in as ``user``, as the login view leaves it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def publish_session(city: City, *, name: str, seats: int, week: int) -> Any:
    """A first-come session open for booking from now, starting in ``week`` weeks (each
    scenario its own week: the weekly limit counts a worker's bookings per week)."""
    from django.utils import timezone

    from gonghui.culture.models import Series
    from gonghui.culture.services import catalogue
    from gonghui.culture.services import sessions as sessions_services

    clerk = city.clerk()
    course = catalogue.course_save(
        actor=clerk,
        series=Series.objects.order_by("pk")[0],
        category="instrument",
        title=f"{COURSE_PREFIX}（{name}）",
    )
    now = timezone.now()
    starts_at = now + datetime.timedelta(days=3 + 7 * week)
    return sessions_services.session_publish(
        actor=clerk,
        course=course,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        capacity=seats,
        mode="first_come",
        opens_at=now - datetime.timedelta(minutes=1),
        closes_at=starts_at - datetime.timedelta(hours=1),
        place="演练市职工文化宫",
    )
