"""The demo city's hardship roll (AST-1), filed through the services as the town staff would:
the city administrator sets the 2017 income lines; each town's clerk files households of
members on the roll (their grassroots unions), records the members and a home visit and
submits them; the town's reviewer approves (the level above the grassroots union). Most files
were reviewed within the last year; some were not (一年未更新), a few are above the line now
(应退出), some left the roll and one asks to re-enter; a handful wait for approval today.

The income lines are plausible figures for a prefecture-level city in Zhejiang in 2017, not
the source's (which gives none): the urban subsistence allowance (低保) was about 8,000 yuan a
person a year, so 深度困难 is a per-capita income at or under 8,000 yuan and 相对困难 at or
under 15,000 (under twice the allowance, as union rules for 相对困难 commonly put it).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.demo import people
from gonghui.hardship import services
from gonghui.hardship.models import HardshipLevel, Household, Relation

if TYPE_CHECKING:
    from gonghui.demo.loader import DemoBuilder

YEAR = 2017
LINES = {"deep": Decimal("8000"), "relative": Decimal("15000")}
# Households per member on the roll: about 210 in the full demo (21,000 members), kept small
# because each passes through six services.
PER_MEMBER = 0.01
MIN_HOUSEHOLDS = 12
CAUSES = (
    ("illness", 40),
    ("disability", 15),
    ("education", 20),
    ("unemployment", 10),
    ("accident", 6),
    ("disaster", 3),
    ("other", 6),
)
FINDINGS = (
    "家中{n}口人，{c}，住房为老旧平房，家具简陋，与申报情况一致。",
    "入户查看了病历和收入证明，{c}，家庭收入主要靠职工本人工资，情况属实。",
    "与邻居和村（社区）干部了解，{c}，无车辆、无经营性收入，情况属实。",
)
VISITORS = ("工会主席、经办人", "镇总工会经办人、企业工会主席", "镇总工会帮扶中心工作人员")
STREETS = ("人民路", "中山路", "解放路", "建设路", "新华村", "光明村", "幸福里", "南湖路")
HEALTH = ("尿毒症，每周透析三次", "脑梗后遗症，生活不能自理", "肢体残疾二级", "癌症术后化疗")
# A 1x1 PNG: a visit photo for the first households (enough to show the feature).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
PHOTOS = 20


def run(builder: DemoBuilder) -> None:
    HardshipDemo(builder).run()


class HardshipDemo:
    def __init__(self, builder: DemoBuilder) -> None:
        self.b = builder
        self.rng = builder.rng
        self.today = builder.today
        self.count = 0

    def run(self) -> None:
        admin = self.b.staff[f"{self.b.data['city']['slug']}-admin"]
        for code, line in LINES.items():
            services.income_line_set(
                actor=admin,
                organization=self.b.city,
                year=YEAR,
                level=HardshipLevel.objects.get(code=code),
                line=line,
            )
        by_union: dict[str, list[list[str]]] = {}
        for row in self.b.roster:
            by_union.setdefault(row[3], []).append(row)
        target = max(MIN_HOUSEHOLDS, round(len(self.b.roster) * PER_MEMBER))
        towns = [t for t in self.b.towns.values() if t.unions]
        if not towns:
            return
        rows = self._rows(towns, by_union, target)
        for town, union, row in rows:
            self._household(town, union, row)
        self.b.log(f"hardship: {self.count} households on the roll")

    def _rows(
        self, towns: list[Any], by_union: dict[str, list[list[str]]], target: int
    ) -> list[tuple[Any, Any, list[str]]]:
        """Members of each town's unions in turn, so every district has its share."""
        chosen: list[tuple[Any, Any, list[str]]] = []
        pools: list[Iterator[tuple[Any, Any, list[str]]]] = []
        for town in towns:
            rows = [(town, u, r) for u in town.unions for r in by_union.get(u.code, [])]
            self.rng.shuffle(rows)
            pools.append(iter(rows))
        while len(chosen) < target and pools:
            for source in list(pools):
                item = next(source, None)
                if item is None:
                    pools.remove(source)
                elif len(chosen) < target:
                    chosen.append(item)
        return chosen

    def _day(self, first: datetime.date, last: datetime.date) -> datetime.date:
        return datetime.date.fromordinal(self.rng.randint(first.toordinal(), last.toordinal()))

    def _household(self, town: Any, union: Any, row: list[str]) -> None:
        rng = self.rng
        clerk = self.b.staff[f"{town.slug}-clerk"]
        reviewer = self.b.staff[f"{town.slug}-reviewer"]
        n = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
        per_capita = rng.choice(
            [rng.randint(2_500, 8_000)] * 4 + [rng.randint(8_001, 14_500)] * 5 + [16_000]
        )
        income_total = per_capita * n
        worker_income = Decimal(rng.randint(income_total // 3, income_total)).quantize(
            Decimal("0.01")
        )
        causes = self._causes()
        sick = "illness" in causes or "disability" in causes
        household = services.household_file(
            actor=clerk,
            union=union,
            name=row[0],
            id_number=row[1],
            address=f"{town.org.short_name}{rng.choice(STREETS)}{rng.randint(1, 200)}号",
            causes=causes,
            yearly_income=str(worker_income),
            health=rng.choice(HEALTH) if sick and rng.random() < 0.5 else "",
            work_capacity="partial" if sick and rng.random() < 0.4 else "full",
        )
        rest = Decimal(income_total) - worker_income
        for index in range(n - 1):
            self._member(clerk, household, index, rest if index == n - 2 else Decimal(0), sick)
        filed = self._day(datetime.date(YEAR, 1, 5), datetime.date(YEAR, 11, 30))
        visited = filed - datetime.timedelta(days=rng.randint(3, 20))
        photos = []
        if self.count < PHOTOS:
            photos = [SimpleUploadedFile("入户照片.png", PNG, content_type="image/png")]
        services.visit_record(
            actor=clerk,
            household=household,
            data=services.VisitInput(
                visited_on=visited,
                visitors=rng.choice(VISITORS),
                findings=rng.choice(FINDINGS).format(n=n, c=self._cause_text(causes)),
                photos=photos,
            ),
        )
        self.count += 1
        if per_capita > LINES["relative"]:
            # Above the line at filing: it was under it then; its income rose since (应退出).
            self._filed(clerk, reviewer, household, filed, before_rise=True)
            return
        fate = rng.random()
        if fate < 0.04:
            return  # a draft the clerk is still filling in
        if fate < 0.08:
            services.household_submit(actor=clerk, household=household)  # waits for today
            return
        self._filed(clerk, reviewer, household, filed)
        if fate < 0.13:
            left = self._day(filed, self.today)
            services.household_leave(
                actor=clerk, household=household, left_on=left, reason="家庭收入已高于困难标准"
            )
            if fate < 0.135:
                services.household_reenter(actor=clerk, household=household, note="再次失业")
            return
        if fate < 0.85:
            reviewed = self._day(self.today - datetime.timedelta(days=330), self.today)
            services.household_review(
                actor=clerk, household=household, reviewed_on=reviewed, note="家庭情况无明显变化"
            )

    def _filed(
        self,
        clerk: Any,
        reviewer: Any,
        household: Household,
        on: datetime.date,
        *,
        before_rise: bool = False,
    ) -> None:
        me = next(m for m in household.members.all() if m.relation == Relation.SELF)
        raised = me.income()
        if before_rise:
            # At filing the worker earned less; the raise came afterwards.
            self._income(clerk, me, Decimal("0.00"))
        filing = services.household_submit(actor=clerk, household=household)
        services.household_decide(actor=reviewer, filing=filing, approve=True, on=on)
        if before_rise:
            self._income(clerk, me, raised)

    @staticmethod
    def _income(clerk: Any, member: Any, amount: Decimal) -> None:
        services.member_update(
            actor=clerk,
            member=member,
            data=services.MemberInput(
                name=member.name,
                relation=member.relation,
                id_number=None,
                yearly_income=str(amount),
                health=None,
                work_capacity=member.work_capacity,
                in_school=member.in_school,
            ),
        )

    def _member(
        self, clerk: Any, household: Household, index: int, income: Decimal, sick: bool
    ) -> None:
        rng = self.rng
        relation, oldest, youngest = (
            (Relation.SPOUSE, 1960, 1995)
            if index == 0
            else (Relation.CHILD, 2000, 2015)
            if index < 3
            else (Relation.PARENT, 1935, 1955)
        )
        birth = people.birth_date(rng, oldest=oldest, youngest=youngest)
        number = self.b.ids.take(
            iter(lambda: people.id_number(rng, region="330402", birth=birth), None)
        )
        age = self.today.year - birth.year
        school = ""
        if relation == Relation.CHILD and age <= 22:
            school = "小学" if age < 12 else "初中" if age < 15 else "高中" if age < 18 else "大学"
        services.member_add(
            actor=clerk,
            household=household,
            data=services.MemberInput(
                name=people.name(rng),
                relation=relation,
                id_number=number,
                yearly_income=str(income.quantize(Decimal("0.01"))),
                health=rng.choice(HEALTH) if sick and index == 0 and rng.random() < 0.5 else "",
                work_capacity="none" if relation == Relation.PARENT else "full",
                in_school=school,
            ),
        )

    def _causes(self) -> list[str]:
        codes = [c for c, _w in CAUSES]
        weights = [w for _c, w in CAUSES]
        first = self.rng.choices(codes, weights=weights)[0]
        if self.rng.random() < 0.3:
            return sorted({first, self.rng.choices(codes, weights=weights)[0]})
        return [first]

    @staticmethod
    def _cause_text(causes: list[str]) -> str:
        words = {
            "illness": "家人患病，医疗支出大",
            "disability": "家中有残疾人",
            "education": "子女在读，教育支出大",
            "unemployment": "配偶失业在家",
            "accident": "家人遭遇意外事故",
            "disaster": "住房受灾",
            "other": "家庭负担重",
        }
        return "，".join(words[c] for c in causes)
