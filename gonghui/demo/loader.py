"""Builds a demo city through the same services a federation uses (see ``load_demo``).

The tree is set up as data loading (``actor=None``); everything after it is done by the demo
staff accounts in their roles: town clerks register enterprises and apply to found unions,
town reviewers approve, the city administrator imports the member roll, workers apply to join
and transfer, reviewers rate workers' homes, and a year of cases passes through the service
centres (``casework``). So the demo's history reads like a real one.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.module_loading import import_string

from gonghui.accounts import services as account_services
from gonghui.accounts.models import User
from gonghui.core import imports, modules
from gonghui.core.models import ImportStatus
from gonghui.core.permissions import Role
from gonghui.demo import DATA_DIR, people
from gonghui.members import services as member_services
from gonghui.members.models import LeaveReason, Membership, MembershipStatus
from gonghui.organizations import services as org_services
from gonghui.organizations.models import (
    Enterprise,
    GrassrootsKind,
    Organization,
    OrgKind,
    ServiceTier,
    ServiceType,
)
from gonghui.unionbuilding import services as building_services
from gonghui.unionbuilding.models import HomeStandardItem, MechanismType

ROLES = [Role.ADMIN, Role.CLERK, Role.REVIEWER, Role.LEADER]
WORDS = (
    "恒达 华瑞 金盛 永兴 嘉禾 宏远 新力 天成 东方 瑞丰 鑫源 博雅 安泰 利民 佳美 盛达 汇通 聚力 "
    "万隆 富华 联创 明珠 海川 丰泽 科达 锦程 长兴 德润 晨光 远航 卓越 蓝天 绿源"
).split()
TRADES = {
    "C": ["机械", "纺织", "电子", "服饰", "五金", "塑业", "皮革", "化纤", "木业", "食品", "包装"],
    "F": ["商贸"],
    "G": ["物流"],
    "E": ["建设"],
    "H": ["酒店"],
    "I": ["信息科技"],
}
INDUSTRY_WEIGHTS = {"C": 70, "F": 8, "G": 7, "E": 6, "H": 5, "I": 4}
MEMBER_TARGET = 21_000


@dataclass
class Town:
    org: Organization
    district: Organization
    slug: str
    enterprises: list[Enterprise] = field(default_factory=list)
    unions: list[Organization] = field(default_factory=list)


class DemoBuilder:
    def __init__(
        self,
        data: dict[str, Any],
        *,
        seed: int = 2018,
        members: int = MEMBER_TARGET,
        cases: int | None = None,
        log: Callable[[str], None],
    ):
        self.data = data
        self.rng = random.Random(seed)
        self.member_target = members
        self.case_target = cases
        self.log = log
        self.password_hash = make_password(data["password"])
        self.staff: dict[str, User] = {}
        self.towns: dict[str, Town] = {}
        # Public institutions (schools, hospitals) with their system's union: (data, system, union)
        self.institutions: list[tuple[dict[str, Any], Organization, Organization]] = []
        self.codes = people.Unique()
        # Enterprise names are unique (as registration makes them), and so are the names of
        # their unions under each town.
        self.enterprise_names = people.Unique()
        self.mobiles = people.Unique()
        self.ids = people.Unique()
        # The imported members' rows (name, ID number, mobile, union code, ...), for casework.
        self.roster: list[list[str]] = []
        self.today = timezone.localdate()

    # --- helpers ------------------------------------------------------------------------------

    def _accounts(self, org: Organization, slug: str) -> None:
        for role in ROLES:
            username = f"{slug}-{role}"
            self.staff[username] = account_services.staff_create(
                actor=None,
                organization=org,
                username=username,
                full_name=f"{org.short_name or org.name}{Role(role).label}",
                roles=[role],
                password_hash=self.password_hash,
            )

    def _enterprise_name(self, town: str, industry: str) -> str:
        place = town.removesuffix("街道").removesuffix("镇")
        return self.enterprise_names.take(
            iter(
                lambda: (
                    f"嘉兴{place}{self.rng.choice(WORDS)}{self.rng.choice(TRADES[industry])}有限公司"
                ),
                None,
            )
        )

    def _day_between(self, first: datetime.date, last: datetime.date) -> datetime.date:
        return datetime.date.fromordinal(self.rng.randint(first.toordinal(), last.toordinal()))

    def _founding_day(self, first_year: int, *, last: datetime.date | None = None) -> datetime.date:
        """When a union that existed before the platform was founded: at least a year ago."""
        last = last or self.today - datetime.timedelta(days=365)
        return self._day_between(datetime.date(first_year, 1, 1), last)

    def _industry(self) -> str:
        return self.rng.choices(list(INDUSTRY_WEIGHTS), weights=list(INDUSTRY_WEIGHTS.values()))[0]

    def _credit(self, region: str, kind: str = "91") -> str:
        return self.codes.take(
            iter(lambda: people.credit_code(self.rng, region=region, kind=kind), None)
        )

    # --- the tree -----------------------------------------------------------------------------

    def tree(self) -> None:
        city = self.data["city"]
        self.city = org_services.organization_create(
            actor=None,
            parent=None,
            name=city["name"],
            short_name=city["short_name"],
            kind=OrgKind.CITY,
            code=city["code"],
            division_code=city["division_code"],
            address=city["address"],
            phone=city["phone"],
        )
        self._accounts(self.city, city["slug"])
        for d in self.data["districts"]:
            district = org_services.organization_create(
                actor=None,
                parent=self.city,
                name=d["name"],
                short_name=d["short_name"],
                kind=OrgKind.DISTRICT,
                code=d["division_code"],
                division_code=d["division_code"],
            )
            self._accounts(district, d["slug"])
            streets = towns = 0
            for town_name, slug in d["towns"]:
                if town_name.endswith("街道"):
                    streets += 1
                    code = f"{d['division_code']}{streets:03d}"
                else:
                    towns += 1
                    code = f"{d['division_code']}{100 + towns:03d}"
                org = org_services.organization_create(
                    actor=None,
                    parent=district,
                    name=f"{town_name}总工会",
                    short_name=town_name,
                    kind=OrgKind.TOWN,
                    code=code,
                    division_code=code,
                )
                self._accounts(org, slug)
                self.towns[town_name] = Town(org, district, slug)
        for system in self.data["systems"]:
            org = org_services.organization_create(
                actor=None,
                parent=self.city,
                name=system["name"],
                kind=OrgKind.SYSTEM,
                code=f"SYS-{system['slug'].upper()}",
            )
            self._accounts(org, system["slug"])
            for unit in system["units"]:
                union = org_services.organization_create(
                    actor=None,
                    parent=org,
                    name=f"{unit['name']}工会",
                    kind=OrgKind.GRASSROOTS,
                    grassroots_kind=GrassrootsKind.INSTITUTION,
                    established_on=datetime.date.fromisoformat(unit["founded"]),
                )
                self.institutions.append((unit, org, union))
        self.log(f"组织：{Organization.unscoped.count()} 个，工作人员账号：{len(self.staff)} 个")

    # --- enterprises and founding -------------------------------------------------------------

    def _register(
        self, town: Town, *, name: str, industry: str, employees: int, address: str = ""
    ) -> Enterprise:
        region = town.district.division_code
        enterprise = org_services.enterprise_create(
            actor=self.staff[f"{town.slug}-clerk"],
            name=name,
            credit_code=self._credit(region),
            industry=industry,
            employee_count=employees,
            area=town.org,
            address=address or f"{town.district.short_name}{town.org.short_name}",
        )
        town.enterprises.append(enterprise)
        return enterprise

    def _existing(
        self,
        town: Town,
        enterprises: list[Enterprise],
        *,
        name: str,
        founded: datetime.date,
        kind: str = GrassrootsKind.ENTERPRISE,
    ) -> Organization:
        """A union founded before the federation went online: the town's administrator enters
        it from the union roll with its founding date, covering its enterprises. (A founding
        through the platform, ``_found``, is dated the day it is approved: today.)"""
        admin = self.staff[f"{town.slug}-admin"]
        union = org_services.organization_create(
            actor=admin,
            parent=town.org,
            name=name,
            kind=OrgKind.GRASSROOTS,
            grassroots_kind=kind,
            chair_name=people.name(self.rng),
            established_on=founded,
        )
        org_services.enterprises_assign_union(
            actor=admin,
            union=union,
            enterprises=enterprises,
            reason="平台上线前已建会，按工会名册录入",
        )
        town.unions.append(union)
        return union

    def _found(
        self,
        town: Town,
        enterprises: list[Enterprise],
        *,
        name: str,
        kind: str = GrassrootsKind.ENTERPRISE,
        decide: bool | None = True,
    ) -> Organization | None:
        """A founding applied for through the platform today, approved, refused or pending."""
        application = building_services.founding_apply(
            actor=self.staff[f"{town.slug}-clerk"],
            parent=town.org,
            proposed_name=name,
            grassroots_kind=kind,
            enterprises=enterprises,
            chair_name=people.name(self.rng),
            initial_members=max(3, sum(e.employee_count for e in enterprises) // 2),
            planned_on=self.today,
            note="职工自愿申请成立工会，已召开筹备会。",
        )
        if decide is None:
            return None
        application = building_services.founding_decide(
            actor=self.staff[f"{town.slug}-reviewer"],
            application=application,
            approve=decide,
            note="" if decide else "筹备材料不全，请补充会员名单和选举办法后重新申请。",
        )
        if application.union is not None:
            town.unions.append(application.union)
        return application.union

    def enterprises(self) -> None:
        """Most unions existed before the platform: entered with their founding dates
        (``_existing``). A few towns have a founding under way through the platform today,
        approved, refused or pending (``_found``)."""
        rng = self.rng
        for item in self.data["named_enterprises"]:
            town = self.towns[item["town"]]
            self.enterprise_names.seen.add(item["name"])
            enterprise = self._register(
                town,
                name=item["name"],
                industry=item["industry"],
                employees=item["employees"],
                address=item["address"],
            )
            # Before 2016: the listed demo workers joined in May 2016.
            union = self._existing(
                town,
                [enterprise],
                name=f"{item['name']}工会",
                founded=self._founding_day(2003, last=datetime.date(2015, 12, 31)),
            )
            self._accounts(union, item["slug"])
        for item in self.data["building_unions"] + self.data["area_unions"]:
            town = self.towns[item["town"]]
            kind = (
                GrassrootsKind.BUILDING
                if item in self.data["building_unions"]
                else GrassrootsKind.AREA
            )
            members = [
                self._register(
                    town,
                    name=self._enterprise_name(item["town"], "I" if kind == "building" else "F"),
                    industry="I" if kind == "building" else "F",
                    employees=rng.randint(8, 40),
                )
                for _ in range(item["enterprises"])
            ]
            union = self._existing(
                town, members, name=item["name"], kind=kind, founded=self._founding_day(2012)
            )
            self._accounts(union, item["slug"])
        # The public institutions are their system unions' employers (area: the system, so
        # the system's figures set its members against its own staff).
        admin = self.staff[f"{self.data['city']['slug']}-admin"]
        for unit, system, union in self.institutions:
            org_services.enterprise_create(
                actor=admin,
                name=unit["name"],
                credit_code=self._credit(self.data["city"]["division_code"], kind="12"),
                industry=unit["industry"],
                employee_count=unit["employees"],
                area=system,
                address=unit["address"],
                union=union,
            )
        targets = self.data["town_targets"]
        for town_name, town in self.towns.items():
            target = targets.get(town_name, {})
            unions = target.get("grassroots", rng.randint(5, 10))
            joint = 0 if target else rng.choice([0, 0, 1])
            for _ in range(unions - joint):
                industry = self._industry()
                enterprise = self._register(
                    town,
                    name=self._enterprise_name(town_name, industry),
                    industry=industry,
                    employees=int(rng.lognormvariate(3.2, 0.5)) + 5,
                )
                self._existing(
                    town,
                    [enterprise],
                    name=f"{enterprise.name}工会",
                    founded=self._founding_day(2008),
                )
            for _ in range(joint):
                small = [
                    self._register(
                        town,
                        name=self._enterprise_name(town_name, "C"),
                        industry="C",
                        employees=rng.randint(6, 20),
                    )
                    for _ in range(rng.randint(3, 5))
                ]
                self._existing(
                    town,
                    small,
                    name=f"{town_name}小微企业联合工会",
                    kind=GrassrootsKind.JOINT,
                    founded=self._founding_day(2010),
                )
            # Enterprises not yet unionised; some have a founding under way, and in a few
            # towns one was approved today (not in the towns whose figures the source gives).
            outcomes: list[bool | None] = [None, None, False] + ([] if target else [True])
            for index in range(rng.randint(1, 4) if not target else 6):
                industry = self._industry()
                enterprise = self._register(
                    town,
                    name=self._enterprise_name(town_name, industry),
                    industry=industry,
                    employees=int(rng.lognormvariate(3.0, 0.5)) + 5,
                )
                if index == 0 and rng.random() < 0.35:
                    self._found(
                        town,
                        [enterprise],
                        name=f"{enterprise.name}工会",
                        decide=rng.choice(outcomes),
                    )
        self.log(
            f"企业：{Enterprise.unscoped.count()} 家，基层工会："
            f"{Organization.unscoped.filter(kind=OrgKind.GRASSROOTS).count()} 个"
        )

    # --- the service network --------------------------------------------------------------------

    def places(self) -> None:
        types = list(ServiceType.objects.all())
        weekdays = [(day, datetime.time(8, 30), datetime.time(17, 0)) for day in range(1, 6)]
        saturday = [(6, datetime.time(9, 0), datetime.time(12, 0))]
        admin = self.staff[f"{self.data['city']['slug']}-admin"]
        # Every station and point has a number to call (the city's area code, made-up lines).
        area_code = self.data["city"]["phone"].split("-")[0]
        lines = iter(range(83_100_001, 83_200_000))
        for d in self.data["districts"]:
            district = Organization.unscoped.get(code=d["division_code"])
            org_services.service_place_save(
                actor=admin,
                place=None,
                organization=district,
                tier=ServiceTier.CENTRE,
                name=f"{d['short_name']}职工服务中心",
                address=f"{d['short_name']}人民路 1 号",
                phone="12351",
                service_types=types,
                staff=[self.staff[f"{d['slug']}-clerk"]],
                opening=weekdays + saturday,
            )
        for town_name, town in self.towns.items():
            org_services.service_place_save(
                actor=admin,
                place=None,
                organization=town.org,
                tier=ServiceTier.STATION,
                name=f"{town_name}职工服务站",
                address=f"{town_name}便民服务中心二楼",
                phone=f"{area_code}-{next(lines)}",
                service_types=self.rng.sample(types, self.rng.randint(4, 6)),
                staff=[self.staff[f"{town.slug}-clerk"]],
                opening=weekdays,
            )
        for item in self.data["named_enterprises"]:
            union = Organization.unscoped.get(name=f"{item['name']}工会")
            org_services.service_place_save(
                actor=admin,
                place=None,
                organization=union,
                tier=ServiceTier.POINT,
                name=f"{item['name'].removesuffix('有限公司')}职工服务点",
                address=item["address"],
                phone=f"{area_code}-{next(lines)}",
                service_types=self.rng.sample(types, 3),
                staff=[self.staff[f"{item['slug']}-clerk"]],
                opening=weekdays,
            )

    # --- members ----------------------------------------------------------------------------------

    def _person_row(self, union: Organization, region: str, employer: str) -> list[str]:
        rng = self.rng
        birth = people.birth_date(rng)
        # Never before the union was founded (nor before the roll's records begin).
        earliest = max(
            datetime.date(birth.year + 18, 1, 1),
            datetime.date(2008, 1, 1),
            union.established_on or self.today,
        )
        joined = self._day_between(min(earliest, self.today), self.today)
        number = self.ids.take(
            iter(lambda: people.id_number(rng, region=region, birth=birth), None)
        )
        mobile = self.mobiles.take(people.mobiles(rng)) if rng.random() < 0.9 else ""
        household = (
            "农村户籍" if region not in people.LOCAL_REGIONS or rng.random() < 0.3 else "城镇户籍"
        )
        name = people.name(rng, sex=people.sex_of(number))
        return [name, number, mobile, union.code, joined.isoformat(), household, ""]

    def members(self) -> None:
        rng = self.rng
        unions = list(
            Organization.unscoped.filter(kind=OrgKind.GRASSROOTS).prefetch_related(
                "covered_enterprises"
            )
        )
        employees = {
            u.pk: sum(e.employee_count for e in u.covered_enterprises.all()) for u in unions
        }
        total = sum(employees.values()) or 1
        scale = self.member_target / total
        # The roll is written in memory and handed to the import pipeline, which seals it as it
        # stores it: the demo's people are never on disk in plaintext. (Earlier versions left
        # the roll in var/demo/members.csv; remove it.)
        (Path(settings.VAR_DIR) / "demo" / "members.csv").unlink(missing_ok=True)
        roll = io.StringIO()
        demo_unions = {w["union"] for w in self.data["demo_workers"] if w["union"]}
        # Most workers of a district's unions were born in that county; the rest came from
        # the provinces that send Jiaxing its migrant workers.
        district_regions = {
            str(d.pk): d.division_code for d in Organization.unscoped.filter(kind=OrgKind.DISTRICT)
        }
        writer = csv.writer(roll)
        writer.writerow(["姓名", "身份证号", "手机号", "工会编码", "入会日期", "户籍类型", "学历"])
        for worker in self.data["demo_workers"]:
            if worker["union"]:
                union = next(u for u in unions if u.name == worker["union"])
                birth = datetime.datetime.strptime(worker["birth"], "%Y%m%d").date()  # noqa: DTZ007
                number = people.id_number(
                    rng, region=worker["region"], birth=birth, sex=worker["sex"]
                )
                self.ids.seen.add(number)
                self.mobiles.seen.add(worker["mobile"])
                writer.writerow(
                    [worker["name"], number, worker["mobile"], union.code, "2016-05-01", "", ""]
                )
        for union in unions:
            # Never more members than the union's enterprises employ (入会率 at most 100%).
            count = employees[union.pk]
            n = min(max(2, round(count * scale * rng.uniform(0.85, 1.05))), count)
            if union.name in demo_unions:
                n -= 1
            local = district_regions.get(
                union.path.strip("/").split("/")[1], people.LOCAL_REGIONS[0]
            )
            for _ in range(n):
                region = local if rng.random() < 0.6 else rng.choice(people.MIGRANT_REGIONS)
                row = self._person_row(union, region, union.name)
                self.roster.append(row)
                writer.writerow(row)
        admin = self.staff[f"{self.data['city']['slug']}-admin"]
        upload = SimpleUploadedFile(
            "会员名册（演示）.csv", roll.getvalue().encode(), content_type="text/csv"
        )
        del roll
        job = imports.import_job_create(actor=admin, kind="members", upload=upload)
        imports.run_check(job, admin)
        if job.status != ImportStatus.CHECKED:
            raise RuntimeError(f"demo members did not check: {job.errors[:5]}")
        imports.run_commit(job, admin)
        if job.status != ImportStatus.DONE:
            raise RuntimeError(f"demo members did not import: {job.message} {job.errors[:5]}")
        self.log(f"会员：{Membership.unscoped.filter(status=MembershipStatus.ACTIVE).count()} 人")

    # --- requests: joining, transfers, leaving ------------------------------------------------

    def _worker(
        self, name: str, mobile: str, region: str, birth: datetime.date, sex: str | None = None
    ) -> User:
        user = account_services.worker_account_for_mobile(mobile=mobile)
        number = self.ids.take(
            iter(lambda: people.id_number(self.rng, region=region, birth=birth, sex=sex), None)
        )
        account_services.worker_register(actor=user, mobile=mobile, name=name, id_number=number)
        user.refresh_from_db()
        return user

    def requests(self) -> None:
        rng = self.rng
        unions = list(Organization.unscoped.filter(kind=OrgKind.GRASSROOTS, depth=3))
        for worker in self.data["demo_workers"]:
            if worker["union"] is None:
                birth = datetime.datetime.strptime(worker["birth"], "%Y%m%d").date()  # noqa: DTZ007
                self._worker(
                    worker["name"], worker["mobile"], worker["region"], birth, worker["sex"]
                )
        # Joins and transfers go to unions with room: members never outnumber the employees of
        # the union's enterprises.
        room = self._room(unions)
        for index in range(45):
            union = rng.choice([u for u in unions if room[u.pk] > 0])
            town_slug = self._town_slug(union)
            sex = rng.choice("MF")
            user = self._worker(
                people.name(rng, sex=sex),
                self.mobiles.take(people.mobiles(rng)),
                rng.choice(people.MIGRANT_REGIONS + people.LOCAL_REGIONS),
                people.birth_date(rng, oldest=1975, youngest=2004),
                sex,
            )
            employer = union.name.removesuffix("工会")
            if user.person is None:
                raise RuntimeError("demo worker did not register")
            application = member_services.join_apply(
                actor=user, person=user.person, union=union, employer_name=employer
            )
            if index < 20:
                continue  # waiting for the union's decision
            clerk = self.staff.get(f"{town_slug}-clerk")
            room[union.pk] -= index >= 25
            member_services.join_decide(
                actor=clerk,
                application=application,
                approve=index >= 25,
                note=""
                if index >= 25
                else "经核实，申请人目前不在本单位工作，请向现工作单位工会申请。",
            )
        # Drawn with the seeded generator (the same demo on every run), and never one of the
        # listed demo workers, who keep the union the sign-in page shows.
        demo_mobiles = [member_services.mobile_hash(w["mobile"]) for w in self.data["demo_workers"]]
        candidates = list(
            Membership.unscoped.filter(status=MembershipStatus.ACTIVE, union__depth=3)
            .exclude(person__mobile_hash__in=demo_mobiles)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        chosen = rng.sample(candidates, min(140, len(candidates)))
        found = Membership.unscoped.select_related("union", "person").in_bulk(chosen)
        active = [found[pk] for pk in chosen]
        for index, membership in enumerate(active[:25]):
            target = rng.choice(
                [u for u in unions if u.pk != membership.union_id and room[u.pk] > 0]
            )
            if index < 17:  # accepted below
                room[target.pk] -= 1
                room[membership.union_id] += 1
            transfer = member_services.transfer_request(
                actor=self.staff[f"{self._town_slug(membership.union)}-clerk"],
                membership=membership,
                to_union=target,
                reason="工作调动，已与新单位签订劳动合同。",
            )
            if index < 17:
                # The receiving town's reviewer: within one town, its clerk filed the
                # request and may not decide it too (maker-checker).
                member_services.transfer_decide(
                    actor=self.staff[f"{self._town_slug(target)}-reviewer"],
                    transfer=transfer,
                    accept=True,
                )
        for membership in active[40:140]:
            member_services.membership_end(
                actor=self.staff[f"{self._town_slug(membership.union)}-clerk"],
                membership=membership,
                reason=rng.choice(
                    [LeaveReason.RETIRED, LeaveReason.JOB_ENDED, LeaveReason.VOLUNTARY]
                ),
                ended_on=max(
                    membership.joined_on,
                    self.today - datetime.timedelta(days=rng.randint(0, 300)),
                ),
            )

    def _room(self, unions: list[Organization]) -> dict[int, int]:
        """Employees of each union's enterprises not (yet) members."""
        employed = dict(
            Enterprise.unscoped.filter(union__in=unions)
            .values("union")
            .annotate(n=Sum("employee_count"))
            .values_list("union", "n")
        )
        members = dict(
            Membership.unscoped.filter(union__in=unions, status=MembershipStatus.ACTIVE)
            .values("union")
            .annotate(n=Count("id"))
            .values_list("union", "n")
        )
        return {u.pk: (employed.get(u.pk) or 0) - members.get(u.pk, 0) for u in unions}

    def _town_slug(self, union: Organization) -> str:
        town_id = int(union.path.strip("/").split("/")[2])
        return next(t.slug for t in self.towns.values() if t.org.pk == town_id)

    # --- 三建联动: mechanisms, homes, brand projects ----------------------------------------------

    def building(self) -> None:
        rng = self.rng
        types = list(MechanismType.objects.all())
        items = list(HomeStandardItem.objects.all())
        odds = {
            "congress": 0.85,
            "open_affairs": 0.8,
            "collective_contract": 0.7,
            "dues": 0.9,
            "meetings": 0.75,
        }
        targets = self.data["town_targets"]
        for town_name, town in self.towns.items():
            clerk, reviewer = self.staff[f"{town.slug}-clerk"], self.staff[f"{town.slug}-reviewer"]
            homes = targets.get(town_name, {}).get("homes")
            order = list(town.unions)
            rng.shuffle(order)
            for index, union in enumerate(order):
                founded = union.established_on or self.today
                if (self.today - founded).days < 365:
                    # Founded this year (today, through the platform): no mechanisms on
                    # record yet, no home to assess.
                    continue
                for t in types:
                    if rng.random() < odds.get(t.code, 0.8):
                        established = self._day_between(
                            max(founded, self.today - datetime.timedelta(days=2500)),
                            self.today - datetime.timedelta(days=30),
                        )
                        held = None
                        if t.cycle_months:
                            held = self.today - datetime.timedelta(
                                days=rng.randint(1, t.cycle_months * 30)
                            )
                            held = max(held, established)
                        building_services.mechanism_save(
                            actor=clerk,
                            union=union,
                            type=t,
                            established_on=established,
                            last_held_on=held,
                        )
                rated = index < homes if homes is not None else rng.random() < 0.55
                if not rated and rng.random() < 0.15:
                    self._assess(clerk, None, union, items, low=True)
                    continue
                if rated:
                    self._assess(clerk, reviewer, union, items)
        for project in self.data["brand_projects"]:
            town = self.towns[project["town"]]
            entry = building_services.brand_register(
                actor=self.staff[f"{town.slug}-clerk"],
                organization=town.org,
                year=self.today.year,
                title=project["title"],
                description=project["description"],
            )
            if project["score"] is not None:
                building_services.brand_score(
                    actor=self.staff[f"{self._district_slug(town)}-reviewer"],
                    project=entry,
                    score=Decimal(project["score"]),
                    note="特色鲜明，职工参与度高。",
                )

    def _district_slug(self, town: Town) -> str:
        return next(
            d["slug"] for d in self.data["districts"] if d["division_code"] == town.district.code
        )

    def _assess(
        self,
        clerk: User,
        reviewer: User | None,
        union: Organization,
        items: list[Any],
        low: bool = False,
    ) -> None:
        rng = self.rng
        share = rng.uniform(0.5, 0.68) if low else rng.uniform(0.72, 0.99)
        scores = {
            item.pk: (
                Decimal(round(item.max_score * min(1.0, share * rng.uniform(0.93, 1.07)) * 2) / 2),
                "",
            )
            for item in items
        }
        assessment = building_services.home_assess(
            actor=clerk,
            union=union,
            assessed_on=self.today - datetime.timedelta(days=rng.randint(5, 200)),
            scores=scores,
            note="现场查看活动阵地，查阅台账，随机访谈职工。",
        )
        if reviewer is not None and assessment.rating is not None:
            building_services.home_decide(actor=reviewer, assessment=assessment, approve=True)
        elif reviewer is not None:
            building_services.home_decide(
                actor=reviewer,
                assessment=assessment,
                approve=False,
                note="未达到合格标准，请整改后重新申报。",
            )

    def run(self) -> None:
        """Every module's demo step (``modules.demo_steps``), in dependency order; the steps
        of the foundation are this builder's own methods (``gonghui.demo.module``)."""
        for step in modules.demo_steps():
            started = time.monotonic()
            import_string(step.run)(self)
            self.log(f"（{step.key}: {time.monotonic() - started:.1f} 秒）")


# The foundation's demo steps (``gonghui.demo.module``).


def tree(builder: DemoBuilder) -> None:
    builder.tree()


def enterprises(builder: DemoBuilder) -> None:
    builder.enterprises()


def places(builder: DemoBuilder) -> None:
    builder.places()


def members(builder: DemoBuilder) -> None:
    builder.members()


def requests(builder: DemoBuilder) -> None:
    builder.requests()


def building(builder: DemoBuilder) -> None:
    builder.building()


def load(
    city: str = "jiaxing",
    *,
    seed: int = 2018,
    members: int = MEMBER_TARGET,
    cases: int | None = None,
    log: Callable[[str], None] = print,
) -> None:
    data = json.loads((DATA_DIR / f"{city}.json").read_text(encoding="utf-8"))
    DemoBuilder(data, seed=seed, members=members, cases=cases, log=log).run()
