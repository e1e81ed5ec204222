"""The demo city's virtual jobs: Pinghu's 2017, as the source tells it (样本四): 95 posts
created for households that lost working capacity, adopted by enterprises across Pinghu's
towns and streets, paid monthly, 342,000 yuan in the year (95 × 300 yuan × 12 months).

Everything goes through the services, as staff would do it: the Pinghu federation's clerk
sets up the posts and records each adopter's committed money into the federation's fund,
runs each month's pay, its reviewer assembles the month's payment batch, its administrator
approves it, and the clerk records the bank's result (paid on the 25th of the month).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from gonghui.demo import people
from gonghui.funds import selectors as funds_selectors
from gonghui.funds import services as funds_services
from gonghui.hardship import services as hardship_services
from gonghui.hardship.models import Household, HouseholdMember
from gonghui.members.models import Membership, MembershipStatus
from gonghui.virtualjobs import services
from gonghui.virtualjobs.models import SOURCE_KIND, PayRunLine

if TYPE_CHECKING:
    from gonghui.demo.loader import DemoBuilder

YEAR = 2017
POSTS = 95
MONTHLY = Decimal("300.00")
TITLES = (
    "社区保洁协管员",
    "村务信息员",
    "社区治安巡逻员",
    "河道保洁员",
    "文化站管理员",
    "敬老院护理协管员",
)
RELATIONS = (("spouse", "partial"), ("spouse", "none"), ("parent", "none"), ("self", "partial"))
STREETS = ("当湖街道", "钟埭街道", "新埭镇", "新仓镇", "乍浦镇", "林埭镇", "独山港镇")
BANKS = ("平湖农商银行", "中国农业银行平湖支行", "中国工商银行平湖支行")


@dataclass
class Area:
    """A town or street of the district: its federation, its grassroots unions and the
    enterprises that may adopt its posts."""

    org: Any
    unions: list[Any]
    enterprises: list[Any]
    clerk: Any = None  # the town's staff who file its households and approve them
    reviewer: Any = None


def run(builder: DemoBuilder) -> None:
    district = next(
        (t.district for t in builder.towns.values() if t.district.short_name == "平湖市"), None
    )
    if district is None:
        builder.log("虚拟岗位：演示城市没有平湖市，跳过")
        return
    areas = [
        Area(
            t.org,
            t.unions,
            t.enterprises,
            builder.staff[f"{t.slug}-clerk"],
            builder.staff[f"{t.slug}-reviewer"],
        )
        for t in builder.towns.values()
        if t.district.pk == district.pk
    ]
    slug = next(
        s.removesuffix("-clerk")
        for s, user in builder.staff.items()
        if s.endswith("-clerk") and user.organization_id == district.pk
    )
    pinghu_2017(
        district=district,
        areas=areas,
        staff=lambda role: builder.staff[f"{slug}-{role}"],
        rng=builder.rng,
        log=builder.log,
    )


def _households(
    *, areas: list[Area], count: int, rng: random.Random
) -> list[tuple[Household, HouseholdMember]]:
    """Households that lost working capacity, filed on the hardship roll through its services
    as a town's staff would (the worker, the member who cannot work, a home visit, the town's
    approval), in 2016, so that their posts can start in January 2017."""
    chosen: list[tuple[Household, HouseholdMember]] = []
    unions = [(area, union) for area in areas for union in area.unions]
    rng.shuffle(unions)
    taken: set[int] = set()
    # Round the unions until enough households are filed (a union may file several).
    for area, union in unions * count:
        if len(chosen) == count:
            break
        membership = (
            Membership.unscoped.filter(union=union, status=MembershipStatus.ACTIVE)
            .exclude(person_id__in=taken)
            .exclude(person__hardship_files__status__in=["draft", "pending", "active"])
            .select_related("person")
            .order_by("id")
            .first()
        )
        if membership is None:
            continue
        taken.add(membership.person_id)
        person = membership.person
        relation, capacity = rng.choice(RELATIONS)
        household = hardship_services.household_file(
            actor=area.clerk,
            union=union,
            name=person.name,
            id_number=person.id_number.reveal(),
            address=f"平湖市{rng.choice(STREETS)}{rng.randint(1, 200)}号",
            causes=["disability" if capacity == "none" else "illness"],
            yearly_income=str(rng.randint(6_000, 14_000)),
            work_capacity=capacity if relation == "self" else "full",
        )
        member = next(m for m in household.members.all() if m.relation == "self")
        if relation != "self":
            member = hardship_services.member_add(
                actor=area.clerk,
                household=household,
                data=hardship_services.MemberInput(
                    name=people.name(rng),
                    relation=relation,
                    id_number=people.id_number(
                        rng, region="330482", birth=people.birth_date(rng, oldest=1940)
                    ),
                    yearly_income="0",
                    work_capacity=capacity,
                ),
            )
        filed_on = datetime.date(YEAR - 1, rng.randint(3, 11), rng.randint(1, 28))
        hardship_services.visit_record(
            actor=area.clerk,
            household=household,
            data=hardship_services.VisitInput(
                filed_on,
                "镇总工会帮扶中心工作人员",
                "家中有成员丧失劳动能力，无其他收入来源，情况属实。",
            ),
        )
        filing = hardship_services.household_submit(actor=area.clerk, household=household)
        hardship_services.household_decide(
            actor=area.reviewer, filing=filing, approve=True, on=filed_on
        )
        household.refresh_from_db()
        chosen.append((household, member))
    return chosen


def pinghu_2017(
    *,
    district: Any,
    areas: list[Area],
    staff: Callable[[str], Any],
    rng: random.Random,
    log: Callable[[str], None],
    posts: int = POSTS,
) -> None:
    clerk, reviewer, admin = staff("clerk"), staff("reviewer"), staff("admin")
    fund = funds_services.fund_create(
        actor=clerk,
        organization=district,
        name="平湖市虚拟岗位认领资金",
        source_kind=funds_selectors.source_kind_list().get(code="enterprise"),
        purpose="机关、企事业单位认领虚拟岗位的资金，按月发放岗位待遇",
    )
    households = _households(areas=[a for a in areas if a.unions], count=posts, rng=rng)
    area_of = {union.pk: area for area in areas for union in area.unions}
    everyone = [e for area in areas for e in area.enterprises]
    for number, (household, member) in enumerate(households, 1):
        area = area_of[household.union_id]
        post = services.post_create(
            actor=clerk,
            organization=area.org,
            household=household,
            member=member,
            title=rng.choice(TITLES),
            monthly_amount=MONTHLY,
            start_month=datetime.date(YEAR, 1, 1),
            end_month=datetime.date(YEAR, 12, 1),
            account_holder=member.name,
            bank_name=rng.choice(BANKS),
            bank_card="6228" + "".join(str(rng.randint(0, 9)) for _ in range(15)),
            duties="由认领单位安排力所能及的工作，按月发放岗位待遇",
        )
        enterprise = rng.choice(area.enterprises or everyone)
        services.post_adopt(
            actor=clerk,
            post=post,
            fund=fund,
            enterprise=enterprise,
            from_month=datetime.date(YEAR, 1, 1),
            commitment=services.Commitment(
                MONTHLY * 12, datetime.date(YEAR, 1, rng.randint(3, 20)), f"PHXN{YEAR}-{number:04d}"
            ),
        )
    for month in range(1, 13):
        first = datetime.date(YEAR, month, 1)
        run = services.pay_run_create(actor=clerk, organization=district, month=first)
        line_ids = list(PayRunLine.unscoped.filter(run=run).values_list("pk", flat=True))
        items = list(
            funds_selectors.payable_list(actor=reviewer).filter(
                source_kind=SOURCE_KIND, source_id__in=line_ids
            )
        )
        batch = funds_services.batch_create(
            actor=reviewer,
            organization=district,
            title=f"平湖市虚拟岗位待遇 {YEAR} 年 {month} 月",
            items=items,
        )
        batch = funds_services.batch_decide(actor=admin, batch=batch, approve=True)
        lines = funds_selectors.line_list(actor=clerk, batch=batch)
        funds_services.batch_results_record(
            actor=clerk,
            batch=batch,
            results=[funds_services.LineResult(line.pk, True) for line in lines],
            paid_on=datetime.date(YEAR, month, 25),
        )
    fund.refresh_from_db()
    total = PayRunLine.unscoped.filter(post__organization__path__startswith=district.path)
    log(
        f"虚拟岗位：平湖市 {len(households)} 个岗位，{YEAR} 年发放 "
        f"{sum(line.amount for line in total):,.2f} 元，基金余额 {fund.balance:,.2f} 元"
    )
