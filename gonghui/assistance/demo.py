"""The demo city's five helps in 2017 (AST-2, AST-3), as the source tells it (样本四):

    2017年，全市共救助困难职工家庭2704户，发放慰问金共计548万余元；全市开展“爱心透析”专项
    救助医疗救助活动，共救助77人，金额达34.65万元；全市“金秋助学”活动中，经过多方筹措资金
    156.12万余元，共发放救助款151万余元，资助困难职工和困难农民工子女479人。

Everything goes through the services, as staff would do it. The funds of the six sources:
each district's 困难职工帮扶资金 (allocated by its finance bureau and its federation), the city's
心连心帮困救助基金 (the charity federation 嘉兴市慈善总会 has co-funded it every year since 2013,
beside the city federation), 金秋助学基金 (social partners' pledges), 企业自帮 money for work,
individuals' gifts for start-ups and the union systems' own pool. The rounds of 2017:

- 春节送温暖 (助困): the town clerks turn the hardship roll into applications (proposals), record
  each family's bank account; the town's reviewer approves (a few refused after a home check),
  the district's approves finally; paid by district in January, three lines the bank bounced
  paid again in February;
- 爱心透析 (助医): dialysis patients who are members, 4,500 yuan each, one applying herself in the
  portal, the rest entered by the town clerks; reviewed by the district, then the city;
- 金秋助学 (助学): children admitted in 2017 of families on the roll and of migrant workers, by
  level (2,000 / 3,000 / 4,000 yuan); one father applies in the portal; a few refused;
- 助业 and 助创: small rounds for families on the roll (a job-seeking grant, a start-up grant).

The households helped are the 2017 送温暖 families (every other help of a family on the roll
goes to one of them), so the figures page's "帮扶困难职工家庭" is exactly the number of
those approved, and "批准帮扶金额" the sum of every approved amount, all paid in 2017. The
families are filed on the hardship roll in 2016 through its services (the worker, a home visit,
the town's approval): lean files, since each passes through four services.

``Targets`` holds the numbers; its default is the source's. The demo city loads them with
``GONGHUI_DEMO_FULL=1``; by default (``make run``) it loads ``DEFAULT_SHARE`` of each, which
keeps the demo within its five minutes (the test runs a small one too).
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gonghui.accounts import services as account_services
from gonghui.assistance import rules, selectors, services
from gonghui.assistance.models import Application, HelpKind, Round
from gonghui.assistance.services import Declared
from gonghui.demo import people
from gonghui.funds import selectors as funds_selectors
from gonghui.funds import services as funds_services
from gonghui.funds.models import Fund, IncomeKind, ItemStatus
from gonghui.hardship import services as hardship_services
from gonghui.hardship.models import LIVE_STATUSES as FILE_LIVE
from gonghui.hardship.models import Household, HouseholdStatus
from gonghui.members.models import Membership, MembershipStatus

if TYPE_CHECKING:
    from gonghui.demo.loader import DemoBuilder

YEAR = 2017
SPRING_AMOUNT = Decimal("1200.00")
DIALYSIS_AMOUNT = Decimal("4500.00")
WORK_AMOUNT = Decimal("2000.00")
START_AMOUNT = Decimal("10000.00")
STUDY_AMOUNTS = {"secondary_vocational": "2000.00", "college": "3000.00", "bachelor": "4000.00"}
BANKS = ("中国农业银行嘉兴分行", "嘉兴银行", "中国工商银行嘉兴分行", "浙江嘉兴农村商业银行")
SCHOOLS = {
    "secondary_vocational": ("嘉兴市建筑工业学校", "嘉兴技师学院", "平湖市职业中等专业学校"),
    "college": ("嘉兴职业技术学院", "浙江工商职业技术学院", "浙江机电职业技术学院"),
    "bachelor": ("嘉兴学院", "浙江工业大学", "浙江理工大学", "浙江师范大学"),
}
CAUSES = ("illness", "illness", "disability", "education", "unemployment", "accident")
DEMO_FATHER = "13957300001"  # 陈明根: his family on the roll, his daughter admitted in 2017
DEMO_PATIENT = "13957300002"  # 陆燕群: applies for 爱心透析 herself
REFUSALS = (
    "经入户核实，配偶已重新就业，家庭人均收入已超过困难标准。",
    "该户已于上月领取所在企业发放的春节慰问金，本批次不再重复发放。",
    "经核实，申请人已调离本单位，请到新单位所在工会申请。",
)
STUDY_REFUSAL = "录取通知书显示为普通高中，不属于本次金秋助学资助范围。"
BANK_FAILURE = "账户已冻结，银行退回"
PDF = b"%PDF-1.4 demo admission letter"


@dataclass(frozen=True)
class Targets:
    """The 2017 figures the records reproduce (the default: the source's)."""

    households: int = 2704  # 救助困难职工家庭（户）: the 送温暖 families approved
    refused_spring: int = 12  # refused at the town after a home check (not helped)
    dialysis: int = 77  # 爱心透析: 77 × 4,500 = 346,500
    # 金秋助学: 479 children, 1,515,000 yuan (72 × 2,000 + 257 × 3,000 + 150 × 4,000)
    study_levels: tuple[tuple[str, int], ...] = (
        ("secondary_vocational", 72),
        ("college", 257),
        ("bachelor", 150),
    )
    study_migrant: int = 79  # of them, migrant workers' children (no hardship file)
    study_refused: int = 4
    study_raised: Decimal = Decimal("1561236.80")  # 筹措资金 156.12 万余元
    work: int = 40  # 助业: 40 × 2,000
    start: int = 30  # 助创: 30 × 10,000
    bank_failures: int = 3

    @property
    def study_children(self) -> int:
        return sum(n for _level, n in self.study_levels)

    @property
    def study_paid(self) -> Decimal:
        return sum(
            (Decimal(STUDY_AMOUNTS[level]) * n for level, n in self.study_levels), Decimal(0)
        )

    @property
    def paid(self) -> Decimal:
        """Every approved (and paid) amount of the year: 5,486,300 yuan by default."""
        return (
            SPRING_AMOUNT * self.households
            + DIALYSIS_AMOUNT * self.dialysis
            + self.study_paid
            + WORK_AMOUNT * self.work
            + START_AMOUNT * self.start
        )

    def scaled(self, share: float) -> Targets:
        """A smaller demo city (a test's few hundred members): the same shape, fewer of each,
        so the figures are the source's only in the full city."""

        def n(value: int, least: int) -> int:
            return max(least, round(value * share))

        made = Targets(
            households=n(self.households, 24),
            refused_spring=n(self.refused_spring, 2),
            dialysis=n(self.dialysis, 3),
            study_levels=tuple((level, n(count, 1)) for level, count in self.study_levels),
            study_migrant=n(self.study_migrant, 2),
            study_refused=n(self.study_refused, 1),
            work=n(self.work, 2),
            start=n(self.start, 2),
            bank_failures=1,
        )
        raised = (made.study_paid * Decimal("1.031")).quantize(Decimal("0.01"))
        return dataclasses.replace(made, study_raised=raised)


# The full 2017 (2,704 households, most of them filed on the spot through the hardship
# services) takes about eight minutes of a core: too long for ``make run``, which must serve
# within five. By default the demo city gets the same rounds at this share of the source's
# numbers; ``GONGHUI_DEMO_FULL=1`` loads the source's own 2017, whose figures the figures page
# then shows.
DEFAULT_SHARE = 0.05


def run(builder: DemoBuilder) -> None:
    from gonghui.demo.loader import MEMBER_TARGET

    targets = Targets()
    share = builder.member_target / MEMBER_TARGET
    if os.environ.get("GONGHUI_DEMO_FULL") != "1":
        share = min(share, DEFAULT_SHARE)
    if share < 1:
        targets = targets.scaled(share)
    AssistanceDemo(builder, targets).run()


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@dataclass
class Area:
    """A town (or street) with its district and the staff who work its files."""

    org: Any
    district: Any
    unions: list[Any]
    clerk: Any
    reviewer: Any


@dataclass
class Family:
    household: Household
    person: Any
    area: Area


@dataclass
class Staff:
    clerk: Any
    reviewer: Any
    admin: Any


@dataclass
class Made:
    """What the step made, for its log line."""

    funds: list[Fund] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)
    filed: int = 0


class AssistanceDemo:
    def __init__(self, builder: DemoBuilder, targets: Targets) -> None:
        self.b = builder
        self.t = targets
        self.rng = builder.rng
        self.made = Made()
        data = builder.data
        self.city = builder.city
        self.city_staff = self._staff(data["city"]["slug"])
        slugs = {d["name"]: d["slug"] for d in data["districts"]}
        self.district_staff: dict[int, Staff] = {}
        self.areas: list[Area] = []
        for town in builder.towns.values():
            if town.district.pk not in self.district_staff:
                self.district_staff[town.district.pk] = self._staff(slugs[town.district.name])
            if town.unions:
                self.areas.append(
                    Area(
                        town.org,
                        town.district,
                        list(town.unions),
                        builder.staff[f"{town.slug}-clerk"],
                        builder.staff[f"{town.slug}-reviewer"],
                    )
                )
        self.area_of = {u.pk: a for a in self.areas for u in a.unions}
        self.cards = people.Unique()

    def _staff(self, slug: str) -> Staff:
        s = self.b.staff
        return Staff(s[f"{slug}-clerk"], s[f"{slug}-reviewer"], s[f"{slug}-admin"])

    # --- helpers ------------------------------------------------------------------------------

    def _card(self) -> str:
        return self.cards.take(
            iter(lambda: "6228" + "".join(str(self.rng.randint(0, 9)) for _ in range(15)), None)
        )

    def _day(self, first: datetime.date, last: datetime.date) -> datetime.date:
        return datetime.date.fromordinal(self.rng.randint(first.toordinal(), last.toordinal()))

    def _worker(self, mobile: str) -> Any:
        """A listed demo worker's account, if the demo has them (and they are members)."""
        user = account_services.worker_account_for_mobile(mobile=mobile)
        if user.person_id is None:
            return None
        member = Membership.unscoped.filter(
            person_id=user.person_id, status=MembershipStatus.ACTIVE, union_id__in=self.area_of
        ).exists()
        return user if member else None

    # --- the step -----------------------------------------------------------------------------

    def run(self) -> None:
        if not self.areas:
            self.b.log("五助帮扶：演示城市没有镇（街道）基层工会，跳过")
            return
        on_roll = set(
            Household.unscoped.filter(status__in=FILE_LIVE).values_list("person_id", flat=True)
        )
        # The two listed workers, when the demo has them and no file of theirs is in the way
        # (a file of the patient's would be one more household helped).
        father = self._worker(DEMO_FATHER)
        if father is not None and father.person_id in on_roll:
            father = None
        patient = self._worker(DEMO_PATIENT)
        if patient is not None and patient.person_id in on_roll:
            patient = None
        skip = {u.person_id for u in (father, patient) if u is not None}
        families = self._roll(self.t.households + self.t.refused_spring, father, skip)
        self.rng.shuffle(families)
        refused = families[: self.t.refused_spring]
        helped = families[self.t.refused_spring :]
        if father is not None:  # keep 陈明根's family among the helped
            mine = next(f for f in families if f.person.pk == father.person_id)
            if mine in refused:
                refused[refused.index(mine)] = helped[-1]
                helped[-1] = mine
        funds = self._funds()
        self._spring(helped, refused, funds["budget"])
        # The other helps of families on the roll go to 送温暖 families (distinct slices).
        others = [f for f in helped if father is None or f.person.pk != father.person_id]
        rolled = self.t.study_children - self.t.study_migrant
        dialysis_n = self.t.dialysis - (1 if patient is not None else 0)
        cut = itertools.accumulate((dialysis_n, self.t.work, self.t.start, rolled))
        a, b, c, d = cut
        self._dialysis(others[:a], patient, funds["charity"])
        self._work(others[a:b], funds["enterprise"])
        self._start(others[b:c], funds["individual"])
        study_families = others[c:d]
        if father is not None:
            study_families = [
                *study_families[:-1],
                next(f for f in helped if f.person.pk == father.person_id),
            ]
        self._study(study_families, father, funds["partner"], skip)
        self.b.log(
            f"五助帮扶：{YEAR} 年 {len(self.made.rounds)} 个批次，新建档 {self.made.filed} 户，"
            f"帮扶家庭 {self.t.households} 户，发放 {self.t.paid:,.2f} 元；"
            f"{len(self.made.funds)} 个基金"
        )

    # --- the hardship roll --------------------------------------------------------------------

    def _roll(self, count: int, father: Any, skip: set[int]) -> list[Family]:
        """``count`` families on the roll before 2017: those already filed in 2016 (the
        virtual-job families), then members of each town's unions in turn, filed now through
        the hardship services, dated in 2016."""
        opens = datetime.date(YEAR, 1, 1)
        room = count - (1 if father is not None else 0)  # the demo father's family is filed
        found = [
            Family(h, h.person, self.area_of[h.union_id])
            for h in Household.unscoped.filter(
                status=HouseholdStatus.ACTIVE, filed_on__lt=opens, union_id__in=list(self.area_of)
            )
            .select_related("person")
            .order_by("pk")
            if h.person_id not in skip
        ][:room]
        taken = {f.person.pk for f in found} | skip
        on_roll = set(
            Household.unscoped.filter(status__in=FILE_LIVE).values_list("person_id", flat=True)
        )
        pools: dict[int, list[Any]] = defaultdict(list)
        for membership in (
            Membership.unscoped.filter(
                status=MembershipStatus.ACTIVE, union_id__in=list(self.area_of)
            )
            .select_related("person", "union")
            .order_by("pk")
        ):
            if membership.person_id not in taken and membership.person_id not in on_roll:
                pools[membership.union_id].append(membership)
        if father is not None and len(found) < count:
            first = Membership.unscoped.select_related("person", "union").get(
                person_id=father.person_id, status=MembershipStatus.ACTIVE
            )
            found.append(self._file(first))
        queues: list[Iterator[Any]] = []
        for area in self.areas:
            members = [m for u in area.unions for m in pools.get(u.pk, [])]
            self.rng.shuffle(members)
            queues.append(iter(members))
        while len(found) < count and queues:
            for queue in list(queues):
                drawn = next(queue, None)
                if drawn is None:
                    queues.remove(queue)
                elif len(found) < count:
                    found.append(self._file(drawn))
        if len(found) < count:
            raise RuntimeError(f"only {len(found)} members to file, {count} needed")
        return found

    def _file(self, membership: Any) -> Family:
        area = self.area_of[membership.union_id]
        person = membership.person
        rng = self.rng
        household = hardship_services.household_file(
            actor=area.clerk,
            union=membership.union,
            name=person.name,
            id_number=person.id_number.reveal(),
            address=f"{area.org.short_name}{rng.choice(('新村', '幸福里', '南苑'))}"
            f"{rng.randint(1, 120)}幢{rng.randint(101, 602)}室",
            causes=[rng.choice(CAUSES)],
            yearly_income=str(rng.randint(4_000, 14_000)),
            work_capacity=rng.choice(("full", "full", "partial")),
        )
        filed = self._day(datetime.date(YEAR - 1, 3, 1), datetime.date(YEAR - 1, 12, 20))
        hardship_services.visit_record(
            actor=area.clerk,
            household=household,
            data=hardship_services.VisitInput(
                filed - datetime.timedelta(days=rng.randint(2, 15)),
                "镇总工会帮扶中心工作人员、企业工会主席",
                "入户查看，家庭收入低、负担重，与申报情况一致。",
            ),
        )
        filing = hardship_services.household_submit(actor=area.clerk, household=household)
        hardship_services.household_decide(
            actor=area.reviewer, filing=filing, approve=True, on=filed
        )
        household.refresh_from_db()
        self.made.filed += 1
        return Family(household, person, area)

    # --- the funds ------------------------------------------------------------------------------

    def _funds(self) -> dict[str, Any]:
        """The funds of the six sources, and what came into them before 2017's payments."""
        kinds = {k.code: k for k in funds_selectors.source_kind_list()}
        city, clerk = self.city, self.city_staff.clerk
        made: dict[str, Any] = {"budget": []}
        for staff in self.district_staff.values():
            district = staff.clerk.organization
            made["budget"].append(
                self._fund(
                    staff.clerk,
                    district,
                    f"{district.short_name or district.name}困难职工帮扶资金",
                    kinds["budget"],
                    "财政专项和工会经费安排的困难职工帮扶资金，用于春节送温暖等",
                )
            )
        charity = self._fund(
            clerk,
            city,
            "心连心帮困救助基金",
            kinds["charity"],
            "“心连心”帮困救助行动：自2013年起由嘉兴市慈善总会与市总工会共同出资",
        )
        for year in range(2013, YEAR + 1):
            on = datetime.date(year, 2, 20)
            for donor, kind, amount in (
                ("嘉兴市慈善总会", IncomeKind.DONATION, 150_000 + 10_000 * (year - 2013)),
                ("嘉兴市总工会", IncomeKind.ALLOCATION, 100_000 + 10_000 * (year - 2013)),
            ):
                self._income(
                    clerk,
                    charity,
                    donor,
                    Decimal(amount),
                    on,
                    kind=kind,
                    purpose="心连心帮困救助行动共同出资",
                )
        made["charity"] = charity
        made["partner"] = self._fund(
            clerk,
            city,
            "金秋助学基金",
            kinds["partner"],
            "社会各界结对资助困难职工和农民工子女上学",
        )
        made["enterprise"] = self._fund(
            clerk,
            city,
            "企业自帮就业帮扶资金",
            kinds["enterprise"],
            "企业出资，帮助困难职工家庭成员就业",
        )
        made["individual"] = self._fund(
            clerk, city, "爱心人士创业扶持资金", kinds["individual"], "个人捐助，扶持困难职工创业"
        )
        system = self._fund(
            clerk, city, "系统内帮扶资金", kinds["system"], "市级机关和各系统工会内部互助帮扶"
        )
        for n, name in enumerate(self._system_names(), 1):
            self._income(
                clerk, system, name, Decimal(30_000 + 5_000 * n), datetime.date(YEAR, 11, 10 + n)
            )
        return made

    def _system_names(self) -> list[str]:
        return [s["name"] for s in self.b.data["systems"]][:4] or ["嘉兴市教育工会"]

    def _fund(self, actor: Any, org: Any, name: str, kind: Any, purpose: str) -> Fund:
        fund = funds_services.fund_create(
            actor=actor, organization=org, name=name, source_kind=kind, purpose=purpose
        )
        self.made.funds.append(fund)
        return fund

    def _income(
        self,
        actor: Any,
        fund: Fund,
        donor: str,
        amount: Decimal,
        on: datetime.date,
        *,
        kind: str = IncomeKind.DONATION,
        purpose: str = "",
    ) -> None:
        number = sum(1 for _ in fund.incomes.all()) + 1
        funds_services.income_record(
            actor=actor,
            fund=fund,
            donor=donor,
            amount=amount,
            received_on=on,
            receipt_number=f"{on.year}-{fund.pk:03d}-{number:04d}",
            kind=kind,
            purpose=purpose,
        )

    # --- rounds -----------------------------------------------------------------------------

    def _round(
        self,
        *,
        kind: str,
        programme: str,
        name: str,
        window: tuple[datetime.date, datetime.date],
        tiers: tuple[str, ...],
        rule: Any,
        table: Any,
        funds: list[Fund],
        once_per_household: bool = False,
    ) -> Round:
        clerk = self.city_staff.clerk
        found = services.programme_create(
            actor=clerk, organization=self.city, kind=kind, name=programme
        )
        made = services.round_save(
            actor=clerk,
            programme=found,
            name=name,
            year=YEAR,
            opens_on=window[0],
            closes_on=window[1],
            tiers=tiers,
            rules_data=rule,
            amounts=table,
            funds=funds,
            once_per_household=once_per_household,
        )
        self.made.rounds.append(made)
        return made

    def _approve(self, round: Round, staff: list[Any], on: datetime.date) -> None:
        """Each reviewer approves, in bulk, what waits at their organisation."""
        for reviewer in staff:
            waiting = list(selectors.application_list(actor=reviewer, round=round, mine=True))
            for start in range(0, len(waiting), services.MAX_BULK):
                result = services.application_bulk_approve(
                    actor=reviewer,
                    applications=waiting[start : start + services.MAX_BULK],
                    at=_at(on, 15),
                )
                if result.problems:
                    raise RuntimeError(f"{round.name}: {result.problems[0][1]}")

    def _pay(
        self,
        round: Round,
        staff: Staff,
        fund: Fund,
        *,
        decided: datetime.date,
        paid: datetime.date,
        failures: int = 0,
        again: tuple[datetime.date, datetime.date] | None = None,
    ) -> None:
        """The fund's organisation pays what the round approved: its reviewer makes the batch,
        its administrator approves it, its clerk records the bank's result (``failures`` lines
        bounced, paid again in a later batch)."""
        ids = Application.unscoped.filter(round=round, status="approved").values("pk")
        items = list(
            funds_selectors.payable_list(actor=staff.reviewer, fund=fund).filter(
                source_kind=services.SOURCE_KIND, source_id__in=ids
            )
        )
        if not items:
            return
        needed = sum((i.amount for i in items), Decimal(0))
        if fund.balance < needed:
            raise RuntimeError(f"{fund.name}: {fund.balance} < {needed}")
        title = f"{round.name}（{fund.organization.short_name or fund.organization.name}）"
        batch = funds_services.batch_create(
            actor=staff.reviewer, organization=fund.organization, title=title[:100], items=items
        )
        batch = funds_services.batch_decide(
            actor=staff.admin, batch=batch, approve=True, at=_at(decided, 16)
        )
        lines = list(funds_selectors.line_list(actor=staff.clerk, batch=batch))
        failed = {line.pk for line in self.rng.sample(lines, min(failures, len(lines)))}
        funds_services.batch_results_record(
            actor=staff.clerk,
            batch=batch,
            results=[
                funds_services.LineResult(line.pk, line.pk not in failed, BANK_FAILURE)
                for line in lines
            ],
            paid_on=paid,
        )
        if failed and again is not None:
            back = list(
                funds_selectors.payable_list(
                    actor=staff.reviewer, status=ItemStatus.PENDING, fund=fund
                ).filter(source_kind=services.SOURCE_KIND, source_id__in=ids)
            )
            batch = funds_services.batch_create(
                actor=staff.reviewer,
                organization=fund.organization,
                title=f"{title[:80]}（补发）",
                items=back,
            )
            batch = funds_services.batch_decide(
                actor=staff.admin,
                batch=batch,
                approve=True,
                note="账户已解冻，重新发放",
                at=_at(again[0], 16),
            )
            funds_services.batch_results_record(
                actor=staff.clerk,
                batch=batch,
                results=[
                    funds_services.LineResult(line.pk, True)
                    for line in funds_selectors.line_list(actor=staff.clerk, batch=batch)
                ],
                paid_on=again[1],
            )

    # --- 春节送温暖 (助困) -----------------------------------------------------------------------

    def _spring(self, helped: list[Family], refused: list[Family], budget: list[Fund]) -> None:
        _label, rule, _table = rules.TEMPLATES["spring"]
        round = self._round(
            kind=HelpKind.HARDSHIP,
            programme="春节送温暖",
            name=f"{YEAR} 春节送温暖",
            window=(datetime.date(YEAR, 1, 3), datetime.date(YEAR, 1, 13)),
            tiers=("town", "district"),
            rule=rule,
            table={"fixed": str(SPRING_AMOUNT)},
            funds=budget,
            once_per_household=True,
        )
        # Each district's money arrives first (its finance bureau and its federation).
        per_district: dict[int, int] = defaultdict(int)
        for family in helped:
            per_district[family.area.district.pk] += 1
        for fund in budget:
            need = SPRING_AMOUNT * per_district.get(fund.organization_id, 0)
            staff = self.district_staff[fund.organization_id]
            name = fund.organization.short_name or fund.organization.name
            share = (need * Decimal("0.6")).quantize(Decimal("1000"))
            self._income(
                staff.clerk,
                fund,
                f"{name}财政局",
                max(share, Decimal("50000")),
                datetime.date(YEAR, 1, 4),
                kind=IncomeKind.ALLOCATION,
                purpose="困难职工春节送温暖专项资金",
            )
            self._income(
                staff.clerk,
                fund,
                f"{name}总工会",
                max(need - share + Decimal("30000"), Decimal("30000")),
                datetime.date(YEAR, 1, 4),
                kind=IncomeKind.ALLOCATION,
                purpose="工会经费安排的帮扶资金",
            )
        # The town clerks enter the roll's families (proposals) and their bank accounts.
        by_area: dict[int, list[Family]] = defaultdict(list)
        for family in [*helped, *refused]:
            by_area[family.area.org.pk].append(family)
        areas = {a.org.pk: a for a in self.areas}
        for org_id, families in by_area.items():
            area = areas[org_id]
            services.applications_from_proposals(
                actor=area.clerk,
                round=round,
                organization=area.org,
                household_ids=[f.household.pk for f in families],
                at=_at(datetime.date(YEAR, 1, 4), 9),
            )
        refused_ids = {f.household.pk for f in refused}
        for application in Application.unscoped.filter(round=round).order_by("pk"):
            if application.household_id in refused_ids:
                continue
            area = self.area_of[application.union_id]
            services.application_bank_set(
                actor=area.clerk,
                application=application,
                account_holder=application.beneficiary_name,
                bank_name=self.rng.choice(BANKS),
                bank_card=self._card(),
            )
        for n, application in enumerate(
            Application.unscoped.filter(round=round, household_id__in=refused_ids).order_by("pk")
        ):
            services.application_decide(
                actor=self.area_of[application.union_id].reviewer,
                application=application,
                approve=False,
                reason=REFUSALS[n % len(REFUSALS)],
                at=_at(datetime.date(YEAR, 1, 9), 11),
            )
        self._approve(round, [a.reviewer for a in self.areas], datetime.date(YEAR, 1, 10))
        self._approve(
            round,
            [s.reviewer for s in self.district_staff.values()],
            datetime.date(YEAR, 1, 16),
        )
        for n, fund in enumerate(budget):
            self._pay(
                round,
                self.district_staff[fund.organization_id],
                fund,
                decided=datetime.date(YEAR, 1, 18),
                paid=datetime.date(YEAR, 1, 20),
                failures=self.t.bank_failures if n == 0 else 0,
                again=(datetime.date(YEAR, 2, 10), datetime.date(YEAR, 2, 15)),
            )

    # --- 爱心透析 (助医) -------------------------------------------------------------------------

    def _dialysis(self, families: list[Family], patient: Any, charity: Fund) -> None:
        _label, rule, _table = rules.TEMPLATES["dialysis"]
        round = self._round(
            kind=HelpKind.MEDICAL,
            programme="爱心透析",
            name=f"爱心透析 {YEAR}",
            window=(datetime.date(YEAR, 3, 1), datetime.date(YEAR, 4, 30)),
            tiers=("district", "city"),
            rule=rule,
            table={"fixed": str(DIALYSIS_AMOUNT)},
            funds=[charity],
        )
        declared = Declared(condition="dialysis", note="尿毒症，每周血液透析三次")
        if patient is not None:
            services.application_create(
                actor=patient,
                round=round,
                person=patient.person,
                declared=Declared(
                    beneficiary_name=patient.person.name,
                    condition="dialysis",
                    note="尿毒症，在嘉兴市第一医院每周透析三次，自费部分负担很重",
                ),
                account_holder=patient.person.name,
                bank_name=BANKS[0],
                bank_card=self._card(),
                at=_at(datetime.date(YEAR, 3, 6), 20),
            )
        for family in families:
            self._counter(
                round, family, declared, datetime.date(YEAR, 3, 2), datetime.date(YEAR, 4, 28)
            )
        self._approve(
            round,
            [s.reviewer for s in self.district_staff.values()],
            datetime.date(YEAR, 5, 10),
        )
        self._approve(round, [self.city_staff.reviewer], datetime.date(YEAR, 5, 20))
        self._pay(
            round,
            self.city_staff,
            charity,
            decided=datetime.date(YEAR, 5, 25),
            paid=datetime.date(YEAR, 5, 31),
        )

    def _counter(
        self,
        round: Round,
        family: Family,
        declared: Declared,
        first: datetime.date,
        last: datetime.date,
        *,
        person: Any = None,
        clerk: Any = None,
    ) -> Application:
        """A town clerk enters an application for a worker, with the bank account."""
        who = person or family.person
        name = declared.beneficiary_name or who.name
        return services.application_create(
            actor=clerk or family.area.clerk,
            round=round,
            person=who,
            declared=dataclasses.replace(declared, beneficiary_name=name),
            account_holder=who.name,
            bank_name=self.rng.choice(BANKS),
            bank_card=self._card(),
            at=_at(self._day(first, last), 9 + self.rng.randint(0, 7)),
        )

    # --- 助业 and 助创 -------------------------------------------------------------------------

    def _small(
        self,
        families: list[Family],
        fund: Fund,
        *,
        kind: str,
        programme: str,
        name: str,
        amount: Decimal,
        months: tuple[int, int],
        note: str,
    ) -> None:
        rule = {
            "all": [
                {
                    "fact": "household.status",
                    "op": "eq",
                    "value": "active",
                    "reason": "须为在册困难职工家庭",
                }
            ]
        }
        first, last = datetime.date(YEAR, months[0], 1), datetime.date(YEAR, months[1], 28)
        round = self._round(
            kind=kind,
            programme=programme,
            name=name,
            window=(first, last),
            tiers=("town", "district"),
            rule=rule,
            table={"fixed": str(amount)},
            funds=[fund],
        )
        # What the donors gave before the round opened: enough for it, and a little over.
        total = amount * len(families) + Decimal("20000")
        for n, donor in enumerate(self._donors(kind)):
            share = (total / 3).quantize(Decimal("100")) if n < 2 else total
            total -= share
            self._income(
                self.city_staff.clerk, fund, donor, share, first - datetime.timedelta(days=10 + n)
            )
        for family in families:
            self._counter(
                round, family, Declared(note=note), first, last - datetime.timedelta(days=10)
            )
        decided = last + datetime.timedelta(days=5)
        self._approve(round, [a.reviewer for a in self.areas], decided)
        self._approve(
            round,
            [s.reviewer for s in self.district_staff.values()],
            decided + datetime.timedelta(days=3),
        )
        self._pay(
            round,
            self.city_staff,
            fund,
            decided=decided + datetime.timedelta(days=6),
            paid=decided + datetime.timedelta(days=9),
        )

    def _donors(self, kind: str) -> tuple[str, str, str]:
        if kind == HelpKind.WORK:
            return ("桐昆集团股份有限公司", "浙江雅莹集团有限公司", "嘉兴敏惠汽车零部件有限公司")
        return ("沈建华（个人）", "周美芳（个人）", "嘉兴市爱心人士（匿名）")

    def _work(self, families: list[Family], fund: Fund) -> None:
        self._small(
            families,
            fund,
            kind=HelpKind.WORK,
            programme="困难职工家庭就业帮扶",
            name=f"{YEAR} 困难职工家庭就业帮扶",
            amount=WORK_AMOUNT,
            months=(4, 6),
            note="子女毕业待业，申请求职和技能培训补助",
        )

    def _start(self, families: list[Family], fund: Fund) -> None:
        self._small(
            families,
            fund,
            kind=HelpKind.ENTERPRISE,
            programme="困难职工创业扶持",
            name=f"{YEAR} 困难职工创业扶持",
            amount=START_AMOUNT,
            months=(5, 9),
            note="参加创业培训后自主开店，申请创业扶持资金",
        )

    # --- 金秋助学 (助学) ------------------------------------------------------------------------

    def _study(self, families: list[Family], father: Any, partner: Fund, skip: set[int]) -> None:
        _label, rule, _table = rules.TEMPLATES["autumn_study"]
        round = self._round(
            kind=HelpKind.STUDY,
            programme="金秋助学",
            name=f"{YEAR} 金秋助学",
            window=(datetime.date(YEAR, 7, 10), datetime.date(YEAR, 8, 31)),
            tiers=("town", "district"),
            rule=rule,
            table={"by": "child.education_level", "amounts": STUDY_AMOUNTS},
            funds=[partner],
        )
        self._study_money(partner)
        levels = [level for level, n in self.t.study_levels for _ in range(n)]
        self.rng.shuffle(levels)
        migrants = self._migrants(self.t.study_migrant + self.t.study_refused, skip, families)
        window = (datetime.date(YEAR, 7, 12), datetime.date(YEAR, 8, 30))
        for family, level in zip(families, levels, strict=False):
            if father is not None and family.person.pk == father.person_id:
                self._portal_study(round, father, level)
                continue
            self._counter(round, family, self._child(level), *window)
        for (membership, area), level in zip(migrants, levels[len(families) :], strict=False):
            self._counter(
                round,
                Family(None, membership.person, area),  # type: ignore[arg-type]
                self._child(level),
                *window,
            )
        refused = migrants[self.t.study_migrant :]
        for membership, area in refused:
            made = self._counter(
                round,
                Family(None, membership.person, area),  # type: ignore[arg-type]
                self._child("secondary_vocational"),
                *window,
            )
            services.application_decide(
                actor=area.reviewer,
                application=made,
                approve=False,
                reason=STUDY_REFUSAL,
                at=_at(datetime.date(YEAR, 9, 4), 14),
            )
        self._approve(round, [a.reviewer for a in self.areas], datetime.date(YEAR, 9, 5))
        self._approve(
            round,
            [s.reviewer for s in self.district_staff.values()],
            datetime.date(YEAR, 9, 12),
        )
        self._pay(
            round,
            self.city_staff,
            partner,
            decided=datetime.date(YEAR, 9, 15),
            paid=datetime.date(YEAR, 9, 20),
        )

    def _child(self, level: str) -> Declared:
        return Declared(
            beneficiary="child",
            beneficiary_name=people.name(self.rng),
            school=self.rng.choice(SCHOOLS[level]),
            education_level=level,
            admission_year=YEAR,
        )

    def _portal_study(self, round: Round, father: Any, level: str) -> None:
        services.application_create(
            actor=father,
            round=round,
            person=father.person,
            declared=Declared(
                beneficiary="child",
                beneficiary_name="陈晓燕",
                school=SCHOOLS[level][0],
                education_level=level,
                admission_year=YEAR,
                note="女儿今年考上大学，家里生猪退养后收入减少，申请金秋助学",
            ),
            account_holder=father.person.name,
            bank_name=BANKS[0],
            bank_card=self._card(),
            documents=[SimpleUploadedFile("录取通知书.pdf", PDF, content_type="application/pdf")],
            at=_at(datetime.date(YEAR, 7, 25), 21),
        )

    def _migrants(
        self, count: int, skip: set[int], families: list[Family]
    ) -> list[tuple[Any, Area]]:
        """Members with a rural household registration (农民工) and no file on the roll."""
        on_roll = set(
            Household.unscoped.filter(status__in=FILE_LIVE).values_list("person_id", flat=True)
        )
        found = [
            (m, self.area_of[m.union_id])
            for m in Membership.unscoped.filter(
                status=MembershipStatus.ACTIVE,
                union_id__in=list(self.area_of),
                person__household="rural",
            )
            .select_related("person", "union")
            .order_by("pk")
            if m.person_id not in on_roll and m.person_id not in skip
        ]
        self.rng.shuffle(found)
        if len(found) < count:
            raise RuntimeError(f"only {len(found)} migrant members, {count} needed")
        return found[:count]

    def _study_money(self, partner: Fund) -> None:
        """Pledges of the social partners, summing to the raised total exactly."""
        donors = [
            "嘉兴市慈善总会",
            "桐昆集团股份有限公司",
            "浙江雅莹集团有限公司",
            "中国农业银行嘉兴分行",
            "嘉兴银行",
            "嘉兴市民营企业家协会",
            "浙江嘉兴农村商业银行",
            "嘉兴敏惠汽车零部件有限公司",
        ]
        rest = self.t.study_raised
        for n, donor in enumerate(donors):
            last = n == len(donors) - 1
            amount = rest if last else (self.t.study_raised / len(donors)).quantize(Decimal("1000"))
            rest -= amount
            self._income(
                self.city_staff.clerk,
                partner,
                donor,
                amount,
                datetime.date(YEAR, 7, 1) + datetime.timedelta(days=4 * n),
                purpose="金秋助学结对资助",
            )
