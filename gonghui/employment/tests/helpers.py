"""Shared set-up for the employment tests: a course of town_b with members to enrol, a fair,
a placement."""

from __future__ import annotations

import datetime
from typing import Any

from gonghui.employment import services
from gonghui.employment.models import Course, CourseType, JobFair, Placement

START = datetime.date(2017, 3, 6)


def course_type(code: str, name: str) -> CourseType:
    """A seeded course type (seeded again where a transactional test's flush emptied it)."""
    found, _ = CourseType.objects.get_or_create(code=code, defaults={"name": name})
    return found


def course(world: Any, org: str = "town_b", **overrides: Any) -> Course:
    data: dict[str, Any] = {
        "course_type": course_type("forklift", "叉车"),
        "title": "2017年转产转业培训（叉车）",
        "place": "B镇成人学校",
        "capacity": 3,
        "starts_on": START,
        "ends_on": START + datetime.timedelta(days=10),
        "enrol_until": START,
        "pass_percent": 80,
    }
    data.update(overrides)
    return services.course_create(
        actor=world.staff(org, "clerk"), organization=world.orgs[org], **data
    )


def people(world: Any, n: int, union: str = "union_b") -> list[Any]:
    return [world.member(union).person for _ in range(n)]


def fair(world: Any, org: str = "district_b", **overrides: Any) -> JobFair:
    data: dict[str, Any] = {
        "title": "2017年春风行动专场招聘会",
        "campaign": "春风行动",
        "held_on": datetime.date(2017, 2, 10),
        "place": "B区人力资源市场",
        "served_count": 500,
    }
    data.update(overrides)
    return services.fair_create(
        actor=world.staff(org, "clerk"), organization=world.orgs[org], **data
    )


def placement(world: Any, person: Any = None, org: str = "town_b", **overrides: Any) -> Placement:
    data: dict[str, Any] = {
        "employer_name": "嘉兴市亚一达特种钢铸造有限公司",
        "post": "铸造工",
        "monthly_wage": "3200.00",
        "starts_on": datetime.date(2017, 5, 2),
    }
    data.update(overrides)
    return services.placement_create(
        actor=world.staff(org, "clerk"),
        organization=world.orgs[org],
        person=person or world.member("union_b").person,
        **data,
    )
