"""Reads for courses, fairs and placements, each scoped to the actor; the figures of the
programme per subtree and year; and what a person's pages show of their training and work."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from gonghui.core.scoping import get_visible
from gonghui.employment.models import (
    FOLLOW_UP_MONTHS,
    Course,
    CourseSession,
    CourseType,
    Enrolment,
    EnrolmentStatus,
    FairEmployer,
    FairPost,
    FairVisitor,
    JobFair,
    Placement,
    TrainingKind,
    months_after,
)

LIVE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED)


def course_type_list() -> QuerySet[CourseType]:
    return CourseType.objects.filter(active=True)


# --- courses ---------------------------------------------------------------------------------


def course_list(
    *, actor: Any, q: str = "", kind: str = "", year: int | None = None
) -> QuerySet[Course]:
    qs = (
        Course.objects.visible_to(actor)
        .select_related("organization", "course_type")
        .annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__status__in=LIVE), distinct=True),
            session_count=Count("sessions", distinct=True),
        )
    )
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(organization__name__contains=q))
    if kind:
        qs = qs.filter(course_type__kind=kind)
    if year:
        qs = qs.filter(starts_on__year=year)
    return qs.order_by("-starts_on", "-id")


def course_get(*, actor: Any, id: int) -> Course:
    return get_visible(course_list(actor=actor).select_related("created_by"), pk=id)


def session_list(*, actor: Any, course: Course) -> QuerySet[CourseSession]:
    return (
        CourseSession.objects.visible_to(actor)
        .filter(course=course)
        .annotate(present=Count("attendance"))
        .order_by("held_on", "id")
    )


def session_get(*, actor: Any, course: Course, id: int) -> CourseSession:
    return get_visible(session_list(actor=actor, course=course), pk=id)


def enrolment_list(*, actor: Any, course: Course, status: str = "") -> QuerySet[Enrolment]:
    qs = (
        Enrolment.objects.visible_to(actor)
        .filter(course=course)
        .select_related("person", "enrolled_by", "completed_by")
        .annotate(attended=Count("attendance"))
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("id")


def enrolment_get(*, actor: Any, id: int) -> Enrolment:
    return get_visible(
        Enrolment.objects.visible_to(actor).select_related("course", "course__organization"),
        pk=id,
    )


def enrolments_get(*, actor: Any, course: Course, ids: Sequence[int]) -> list[Enrolment]:
    return list(Enrolment.objects.visible_to(actor).filter(course=course, pk__in=list(ids)))


def present_ids(*, session: CourseSession) -> set[int]:
    return set(session.attendance.values_list("enrolment_id", flat=True))


# --- the worker's side -----------------------------------------------------------------------


def courses_open(*, actor: Any, today: datetime.date | None = None) -> list[Course]:
    """Courses a worker may enrol in now: not cancelled, enrolment open, seats left, open to
    the whole city or run within the subtree of a union the worker is a member of. Public by
    design (a course's title, dates and place); who may enrol is the service's rule."""
    from gonghui.members.models import Membership, MembershipStatus

    today = today or timezone.localdate()
    person_id = actor.person_id_or_none
    paths = list(
        Membership.unscoped.filter(person_id=person_id, status=MembershipStatus.ACTIVE)
        .select_related("union")
        .values_list("union__path", flat=True)
    )
    # A course is run within a member's union's subtree when its organisation lies on the
    # path from the city down to that union: one of the path's prefixes.
    above = {
        "/".join(path.split("/")[: i + 1]) + "/"
        for path in paths
        for i in range(1, len(path.strip("/").split("/")) + 1)
    }
    mine = Enrolment.unscoped.filter(person_id=person_id).values_list("course_id", flat=True)
    # Unscoped on purpose: the catalogue of open courses is public to workers (see above).
    candidates = (
        Course.unscoped.filter(cancelled=False, enrol_until__gte=today)
        .filter(Q(open_to_all=True) | Q(organization__path__in=above))
        .exclude(pk__in=mine)
        .select_related("organization", "course_type")
        .annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__status__in=LIVE), distinct=True)
        )
        .order_by("starts_on", "id")
    )
    return [course for course in candidates[:200] if course.enrolled < course.capacity]


def my_enrolments(*, actor: Any) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.visible_to(actor)
        .select_related("course", "course__organization", "course__course_type")
        .annotate(
            attended=Count("attendance"), session_count=Count("course__sessions", distinct=True)
        )
        .order_by("-enrolled_at", "-id")
    )


def my_enrolment_get(*, actor: Any, id: int) -> Enrolment:
    return get_visible(my_enrolments(actor=actor), pk=id)


def open_course_get(*, actor: Any, id: int) -> Course:
    """One course of the public catalogue (not cancelled)."""
    return get_visible(
        Course.unscoped.filter(cancelled=False).select_related("organization", "course_type"),
        pk=id,
    )


# --- fairs -----------------------------------------------------------------------------------


def fair_list(*, actor: Any, q: str = "", year: int | None = None) -> QuerySet[JobFair]:
    qs = (
        JobFair.objects.visible_to(actor)
        .select_related("organization")
        .annotate(
            employer_count=Count("employers", distinct=True),
            post_total=Sum("employers__posts__count"),
        )
    )
    if q:
        qs = qs.filter(Q(title__contains=q) | Q(campaign__contains=q) | Q(place__contains=q))
    if year:
        qs = qs.filter(held_on__year=year)
    return qs.order_by("-held_on", "-id")


def fair_get(*, actor: Any, id: int) -> JobFair:
    return get_visible(fair_list(actor=actor).select_related("created_by"), pk=id)


def fair_employers(*, actor: Any, fair: JobFair) -> QuerySet[FairEmployer]:
    return (
        FairEmployer.objects.visible_to(actor)
        .filter(fair=fair)
        .select_related("enterprise")
        .prefetch_related("posts")
        .order_by("id")
    )


def fair_employer_get(*, actor: Any, fair: JobFair, id: int) -> FairEmployer:
    return get_visible(fair_employers(actor=actor, fair=fair), pk=id)


def fair_posts(*, actor: Any, fair: JobFair) -> QuerySet[FairPost]:
    return (
        FairPost.objects.visible_to(actor)
        .filter(employer__fair=fair)
        .select_related("employer")
        .order_by("employer_id", "id")
    )


def fair_visitors(*, actor: Any, fair: JobFair) -> QuerySet[FairVisitor]:
    return (
        FairVisitor.objects.visible_to(actor)
        .filter(fair=fair)
        .select_related("person")
        .order_by("id")
    )


# --- placements ------------------------------------------------------------------------------


def placement_list(
    *, actor: Any, q: str = "", source: str = "", due: bool = False
) -> QuerySet[Placement]:
    qs = Placement.objects.visible_to(actor).select_related(
        "organization", "person", "fair", "course"
    )
    if q:
        qs = qs.filter(
            Q(person__name__contains=q) | Q(employer_name__contains=q) | Q(post__contains=q)
        )
    if source:
        qs = qs.filter(source=source)
    if due:
        qs = qs.filter(followed_up_on__isnull=True, starts_on__lte=due_start_before())
    return qs.order_by("-starts_on", "-id")


def placement_get(*, actor: Any, id: int) -> Placement:
    return get_visible(placement_list(actor=actor).select_related("created_by"), pk=id)


def due_start_before(today: datetime.date | None = None) -> datetime.date:
    """Placements that started on or before this day are due for their follow-up today."""
    today = today or timezone.localdate()
    day = months_after(today, -FOLLOW_UP_MONTHS)
    # months_after keeps the day in a shorter month at its end: 31 May − 3 months = 28/29 Feb,
    # and every start up to that day is three months old by 31 May.
    return day


def followups_due(actor: Any) -> int:
    """Placements in the actor's subtree whose three-month follow-up is due (home tile)."""
    return placement_list(actor=actor, due=True).count()


# --- figures (per subtree and year) ----------------------------------------------------------


def _completed(actor: Any, org: Any, year: int, kind: str) -> QuerySet[Enrolment]:
    return Enrolment.objects.visible_to(actor).filter(
        course__organization__path__startswith=org.path,
        course__course_type__kind=kind,
        status=EnrolmentStatus.COMPLETED,
        completed_on__year=year,
    )


def trained_in(actor: Any, org: Any, year: int) -> QuerySet[Enrolment]:
    """People who completed a skills course in ``year`` (组织参加职业技能培训)."""
    return _completed(actor, org, year, TrainingKind.SKILLS)


def entrepreneurship_trained_in(actor: Any, org: Any, year: int) -> QuerySet[Enrolment]:
    """People who completed entrepreneurship training in ``year`` (创业培训)."""
    return _completed(actor, org, year, TrainingKind.ENTREPRENEURSHIP)


def sessions_in(actor: Any, org: Any, year: int) -> QuerySet[CourseSession]:
    """Training sessions held in ``year`` (培训场次)."""
    return CourseSession.objects.visible_to(actor).filter(
        course__organization__path__startswith=org.path,
        course__cancelled=False,
        held_on__year=year,
    )


def fairs_in(actor: Any, org: Any, year: int) -> QuerySet[JobFair]:
    return JobFair.objects.visible_to(actor).filter(
        organization__path__startswith=org.path, held_on__year=year
    )


def served_in(actor: Any, org: Any, year: int) -> int:
    """People the year's fairs served (提供免费服务人数)."""
    total = fairs_in(actor, org, year).aggregate(total=Sum("served_count"))["total"]
    return int(total or 0)


def placed_in(actor: Any, org: Any, year: int) -> QuerySet[Placement]:
    return Placement.objects.visible_to(actor).filter(
        organization__path__startswith=org.path, starts_on__year=year
    )


# --- on a person's pages (core.modules.PersonPanel) -------------------------------------------


def person_placements(actor: Any, person_ids: Sequence[int]) -> list[Placement]:
    """The placements of these people the actor may see, newest first."""
    if not person_ids:
        return []
    return list(
        Placement.objects.visible_to(actor)
        .filter(person_id__in=list(person_ids))
        .select_related("person", "organization")
        .order_by("-starts_on", "-id")[:50]
    )


def person_training(actor: Any, person_ids: Sequence[int]) -> list[Enrolment]:
    if not person_ids:
        return []
    return list(
        Enrolment.objects.visible_to(actor)
        .filter(person_id__in=list(person_ids))
        .select_related("person", "course", "course__organization")
        .order_by("-enrolled_at", "-id")[:50]
    )
