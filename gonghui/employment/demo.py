"""The demo city's work and training, generated through the services (AST-5, 样本四).

2017, as the source gives it: the city's unions (with the labour departments) held 45
春风行动 special job fairs that served 23,098 people, organised skills training for 3,700
and entrepreneurship training for 260; after the pig farms closed, 新丰镇's union ran 36
training sessions (forklift, e-commerce, infant care) and 158 former pig farmers found work
that year, 陈明根 among them at 亚一达 for 3,200 yuan a month. The figures
(``employment.*``) count these records. Trained people are counted per completed course
(人次): in a small demo city a member may complete more than one.

Also today: a course open for enrolment in each district (the portal shows them), one fair,
and a few placements whose three-month follow-up is due.
"""

from __future__ import annotations

import datetime
import itertools
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from gonghui.employment import services
from gonghui.employment.models import Course, CourseType, JobFair, PlacementSource
from gonghui.members import services as member_services
from gonghui.members.models import Membership, MembershipStatus, Person
from gonghui.members.services import PersonInput
from gonghui.organizations.models import Enterprise, Organization

YEAR = 2017
FAIRS = 45
SERVED = 23_098
SKILLS_TRAINED = 3_700
ENTREPRENEURSHIP_TRAINED = 260
XINFENG = "新丰镇"
XINFENG_PLACED = 158
XINFENG_COURSES = (("forklift", "叉车"), ("ecommerce", "电子商务"), ("infant_care", "育婴师"))
XINFENG_SESSIONS_EACH = 12  # 3 × 12 = 36 sessions
YAYIDA = "嘉兴市亚一达特种钢铸造有限公司"
CHEN = "陈明根"
OTHER_SKILLS = ("electrician", "welding", "housekeeping", "cooking", "forklift", "ecommerce")
POSTS = (
    ("普工", "3200", "4500"),
    ("叉车工", "4000", "5500"),
    ("电商客服", "3500", "5000"),
    ("育婴员", "4500", "7000"),
    ("质检员", "3800", "5200"),
    ("电工", "4500", "6500"),
    ("仓管员", "3500", "4800"),
)


def _staff(builder: Any, org: Organization) -> Any:
    slug = _slug(builder, org)
    return builder.staff[f"{slug}-clerk"]


def _slug(builder: Any, org: Organization) -> str:
    if org.pk == builder.city.pk:
        return str(builder.data["city"]["slug"])
    for town in builder.towns.values():
        if town.org.pk == org.pk:
            return str(town.slug)
    for district in builder.data["districts"]:
        if org.name == district["name"]:
            return str(district["slug"])
    raise LookupError(org.name)


class Pool:
    """Members of a subtree to draw trainees from, those drawn least often first."""

    def __init__(self, org: Organization, rng: Any) -> None:
        ids = list(
            Membership.unscoped.filter(
                status=MembershipStatus.ACTIVE, union__path__startswith=org.path
            ).values_list("person_id", flat=True)
        )
        rng.shuffle(ids)
        self.ids = ids
        self.used: Counter[int] = Counter()

    def take(self, n: int, exclude: set[int] | None = None) -> list[int]:
        exclude = exclude or set()
        ranked = sorted((i for i in self.ids if i not in exclude), key=lambda i: self.used[i])
        chosen = ranked[:n]
        self.used.update(chosen)
        return chosen


def _people(ids: list[int]) -> list[Person]:
    by_id = Person.unscoped.in_bulk(ids)
    return [by_id[i] for i in ids]


def _course(
    builder: Any,
    *,
    org: Organization,
    code: str,
    title: str,
    starts_on: datetime.date,
    sessions: int,
    people: list[Person],
    completers: int,
    place: str,
    close: bool = True,
) -> Course:
    """A course run from start to end: enrolled, every session held with its roll call
    (completers attend all, the others one), then closed by the attendance rule."""
    clerk = _staff(builder, org)
    course_type = CourseType.objects.get(code=code)
    ends_on = starts_on + datetime.timedelta(days=2 * (sessions - 1))
    course = services.course_create(
        actor=clerk,
        organization=org,
        course_type=course_type,
        title=title,
        place=place,
        capacity=len(people) + builder.rng.randint(0, 5),
        starts_on=starts_on,
        ends_on=ends_on,
        enrol_until=starts_on,
        pass_percent=80,
        description=f"{course_type.name}理论与实操，结业考核合格颁发结业证书。",
    )
    enrolments = services.enrolment_create_many(actor=clerk, course=course, people=people)
    keen, others = enrolments[:completers], enrolments[completers:]
    for index in range(sessions):
        session = services.session_add(
            actor=clerk,
            course=course,
            held_on=starts_on + datetime.timedelta(days=2 * index),
            topic=f"第{index + 1}课 {course_type.name}" + ("实操" if index % 2 else "理论"),
        )
        present = keen + (others if index == 0 else [])
        services.attendance_record(actor=clerk, session=session, present=present)
    if close:
        services.course_close(actor=clerk, course=course, on=ends_on)
    return course


def _split(total: int, parts: int, rng: Any, low: int, high: int) -> list[int]:
    """``parts`` numbers between about ``low`` and ``high`` that add up to ``total``."""
    sizes = [rng.randint(low, high) for _ in range(parts)]
    scale = total / sum(sizes)
    sizes = [max(1, round(s * scale)) for s in sizes]
    sizes[-1] += total - sum(sizes)
    if sizes[-1] < 1:
        raise ValueError("split: the parts overshoot the total")
    return sizes


# --- 新丰镇: retraining after the pig farms closed ---------------------------------------------


def _xinfeng_people(builder: Any, town: Any, needed: int) -> list[int]:
    """The town's members to train and place: those on the roll, and, where the town has
    fewer, former pig farmers who joined the union of the enterprise that took them on."""
    ids = list(
        Membership.unscoped.filter(
            status=MembershipStatus.ACTIVE, union__path__startswith=town.org.path
        )
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )
    chen = Membership.unscoped.filter(
        status=MembershipStatus.ACTIVE, person__name=CHEN, union__name=f"{YAYIDA}工会"
    ).values_list("person_id", flat=True)
    ordered = list(chen) + [i for i in ids if i not in set(chen)]
    if len(ordered) >= needed:
        return ordered[:needed]
    unions = list(
        Organization.unscoped.filter(
            path__startswith=town.org.path,
            kind="grassroots",
            established_on__lte=datetime.date(YEAR, 6, 1),
        ).order_by("pk")
    )
    room = builder._room(unions)
    clerk = _staff(builder, town.org)
    rng = builder.rng
    slots = itertools.cycle([u for u in unions if room[u.pk] > 0])
    while len(ordered) < needed:
        union = next(slots)
        if room[union.pk] <= 0:
            if not any(room[u.pk] > 0 for u in unions):
                break
            continue
        room[union.pk] -= 1
        sex = rng.choice("MF")
        number = builder.ids.take(_id_numbers(rng, sex))
        membership = member_services.member_add(
            actor=clerk,
            union=union,
            data=PersonInput(name=_name(rng, sex), id_number=number, household="rural"),
            joined_on=datetime.date(YEAR, 6, 1),
        )
        ordered.append(membership.person_id)
    return ordered


def _name(rng: Any, sex: str) -> str:
    from gonghui.demo import people

    return people.name(rng, sex=sex)


def _id_numbers(rng: Any, sex: str) -> Iterator[str]:
    from gonghui.demo import people

    while True:
        birth = people.birth_date(rng, oldest=1963, youngest=1985)
        yield people.id_number(rng, region="330402", birth=birth, sex=sex)


def _xinfeng(builder: Any) -> int:
    town = builder.towns[XINFENG]
    rng = builder.rng
    sizes = (64, 60, 62)
    completers = (60, 56, 58)  # 174 completed, 158 of them placed
    people_ids = _xinfeng_people(builder, town, sum(sizes))
    people = _people(people_ids)
    courses = []
    start = 0
    for (code, name), size, done, month in zip(
        XINFENG_COURSES, sizes, completers, (3, 4, 5), strict=True
    ):
        group = people[start : start + size]
        start += size
        courses.append(
            (
                _course(
                    builder,
                    org=town.org,
                    code=code,
                    title=f"{YEAR}年新丰镇生猪退养户转产转业培训（{name}）",
                    starts_on=datetime.date(YEAR, month, 6),
                    sessions=XINFENG_SESSIONS_EACH,
                    people=group,
                    completers=done,
                    place="新丰镇成人文化技术学校",
                ),
                group[:done],
            )
        )
    enterprises = list(
        Enterprise.unscoped.filter(area=town.org, is_active=True).order_by("-employee_count")[:8]
    )
    yayida = next((e for e in enterprises if e.name == YAYIDA), enterprises[0])
    clerk = _staff(builder, town.org)
    placed = 0
    for course, completed in courses:
        for person in completed:
            if placed == XINFENG_PLACED:
                break
            chen = person.name == CHEN and placed == 0
            enterprise = yayida if chen else rng.choice(enterprises)
            starts_on = course.ends_on + datetime.timedelta(days=rng.randint(7, 60))
            placement = services.placement_create(
                actor=clerk,
                organization=town.org,
                person=person,
                enterprise=enterprise,
                post="铸造工"
                if chen
                else rng.choice(["普工", "叉车工", "电商客服", "育婴员", "仓管员"]),
                monthly_wage=Decimal("3200.00") if chen else Decimal(rng.randrange(3000, 4600, 50)),
                starts_on=starts_on,
                source=PlacementSource.COURSE,
                course=course,
                note="生猪退养户转产就业，缴纳社保" if chen else "生猪退养户转产就业",
            )
            _follow_up(builder, clerk, placement, keep=1.0 if chen else 0.9)
            placed += 1
    return placed


def _follow_up(builder: Any, clerk: Any, placement: Any, *, keep: float) -> None:
    due = placement.follow_up_due_on
    if due > builder.today:
        return
    still = builder.rng.random() < keep
    services.placement_follow_up(
        actor=clerk,
        placement=placement,
        followed_up_on=min(
            due + datetime.timedelta(days=builder.rng.randint(0, 10)), builder.today
        ),
        still_employed=still,
        note="电话回访，工作稳定" if still else "已离职，登记再就业意向",
    )


# --- the rest of the city: skills and entrepreneurship training ------------------------------


def _short(org: Organization) -> str:
    return str(org.short_name or org.name)


def _districts(builder: Any) -> list[Organization]:
    return list(Organization.unscoped.filter(kind="district").order_by("pk"))


def _training(builder: Any, skills_done_already: int) -> None:
    rng = builder.rng
    districts = _districts(builder)
    pools = {d.pk: Pool(d, rng) for d in districts}
    remaining = SKILLS_TRAINED - skills_done_already
    count = max(1, round(remaining / 60))
    sizes = _split(remaining, count, rng, 50, 70)
    for index, done in enumerate(sizes):
        district = districts[index % len(districts)]
        pool = pools[district.pk]
        failed = rng.randint(0, 4)
        people = _people(pool.take(done + failed))
        if len(people) < done + failed:
            raise RuntimeError(f"{district.name}: too few members to train")
        code = OTHER_SKILLS[index % len(OTHER_SKILLS)]
        month = 3 + index % 9
        _course(
            builder,
            org=district,
            code=code,
            title=f"{YEAR}年{_short(district)}职工转岗技能培训班（第{index // 7 + 1}期）",
            starts_on=datetime.date(YEAR, month, 1 + rng.randint(0, 20)),
            sessions=rng.randint(3, 4),
            people=people,
            completers=done,
            place=f"{district.short_name or district.name}职工学校",
        )
    city = builder.city
    city_pool = Pool(city, rng)
    for index, done in enumerate(_split(ENTREPRENEURSHIP_TRAINED, 5, rng, 48, 56)):
        people = _people(city_pool.take(done + 2))
        _course(
            builder,
            org=city,
            code="entrepreneurship",
            title=f"{YEAR}年嘉兴市职工创业培训班（SYB 第{index + 1}期）",
            starts_on=datetime.date(YEAR, 4 + index, 10),
            sessions=4,
            people=people,
            completers=done,
            place="嘉兴市职工服务中心",
        )


# --- 春风行动 job fairs ----------------------------------------------------------------------


def _fairs(builder: Any) -> None:
    rng = builder.rng
    districts = _districts(builder)
    organisers = [builder.city, *districts]
    served = _split(SERVED, FAIRS, rng, 300, 700)
    pools = {d.pk: Pool(d, rng) for d in districts}
    for index in range(FAIRS):
        org = organisers[index % len(organisers)]
        clerk = _staff(builder, org)
        day = datetime.date(YEAR, 2, 6) + datetime.timedelta(days=index * 2)
        fair = services.fair_create(
            actor=clerk,
            organization=org,
            title=f"{YEAR}年春风行动{_short(org)}专场招聘会（第{index // len(organisers) + 1}场）",
            campaign="春风行动",
            held_on=day,
            place=f"{org.short_name or org.name}人力资源市场",
            served_count=served[index],
        )
        nearby = list(
            Enterprise.unscoped.filter(area__path__startswith=org.path, is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        chosen = rng.sample(nearby, min(len(nearby), rng.randint(4, 8)))
        enterprises = list(Enterprise.unscoped.filter(pk__in=chosen).order_by("pk"))
        for enterprise in enterprises:
            employer = services.fair_employer_add(actor=clerk, fair=fair, enterprise=enterprise)
            for title, low, high in rng.sample(POSTS, rng.randint(1, 2)):
                services.fair_post_add(
                    actor=clerk,
                    employer=employer,
                    title=title,
                    count=rng.randint(2, 30),
                    wage_min=low,
                    wage_max=high,
                )
        if org.pk == builder.city.pk or not enterprises:
            continue
        # A few job seekers registered by name, some placed through the fair.
        for person in _people(pools[org.pk].take(rng.randint(3, 6))):
            services.fair_visitor_add(actor=clerk, fair=fair, person=person)
            if rng.random() < 0.6:
                enterprise = rng.choice(enterprises)
                placement = services.placement_create(
                    actor=clerk,
                    organization=org,
                    person=person,
                    enterprise=enterprise,
                    post=rng.choice(POSTS)[0],
                    monthly_wage=Decimal(rng.randrange(3200, 6000, 100)),
                    starts_on=day + datetime.timedelta(days=rng.randint(5, 30)),
                    source=PlacementSource.FAIR,
                    fair=fair,
                )
                _follow_up(builder, clerk, placement, keep=0.85)


# --- today -----------------------------------------------------------------------------------


def _today(builder: Any) -> None:
    """What a visitor sees now: a course open for enrolment in each district, and placements
    of the last months, some due for their follow-up."""
    rng = builder.rng
    today = builder.today
    for index, district in enumerate(_districts(builder)):
        clerk = _staff(builder, district)
        services.course_create(
            actor=clerk,
            organization=district,
            course_type=CourseType.objects.get(code=OTHER_SKILLS[index % len(OTHER_SKILLS)]),
            title=f"{today.year}年{district.short_name or district.name}职工技能提升培训班",
            place=f"{district.short_name or district.name}职工学校",
            capacity=40,
            starts_on=today + datetime.timedelta(days=21),
            ends_on=today + datetime.timedelta(days=35),
            enrol_until=today + datetime.timedelta(days=14),
            open_to_all=index == 0,
        )
        pool = Pool(district, rng)
        for person in _people(pool.take(3)):
            enterprise = (
                Enterprise.unscoped.filter(area__path__startswith=district.path, is_active=True)
                .order_by("pk")
                .first()
            )
            services.placement_create(
                actor=clerk,
                organization=district,
                person=person,
                enterprise=enterprise,
                employer_name="" if enterprise else "嘉兴某企业",
                post=rng.choice(POSTS)[0],
                monthly_wage=Decimal(rng.randrange(3500, 6500, 100)),
                starts_on=today - datetime.timedelta(days=rng.randint(20, 150)),
            )


def run(builder: Any) -> None:
    placed = _xinfeng(builder)
    skills_done = _completed_skills()
    _training(builder, skills_done)
    _fairs(builder)
    _today(builder)
    fairs = JobFair.unscoped.filter(held_on__year=YEAR)
    builder.log(
        f"就业培训：{YEAR}年招聘会 {fairs.count()} 场，服务 "
        f"{fairs.aggregate(n=Sum('served_count'))['n']} 人；新丰镇安置 {placed} 人；"
        f"培训班 {Course.unscoped.filter(starts_on__year=YEAR).count()} 个"
    )


def _completed_skills() -> int:
    from gonghui.employment.models import Enrolment, EnrolmentStatus, TrainingKind

    return Enrolment.unscoped.filter(
        status=EnrolmentStatus.COMPLETED,
        course__course_type__kind=TrainingKind.SKILLS,
        completed_on__year=YEAR,
    ).aggregate(n=Count("id"))["n"]
