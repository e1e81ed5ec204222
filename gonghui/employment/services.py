"""Writes for training courses, job fairs and placements. One transaction each, the acting
user first; every problem is reported at its field and nothing is written when any is found.

Seats are the scarce thing here: enrolments lock the course row (``LockSpace.TRAINING_COURSE``)
before they count who is on it, so two enrolments at once cannot both take the last seat, and
closing a course (working out who completed it) cannot interleave with an enrolment or a roll
call.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from gonghui.core import notify
from gonghui.core.locks import LockSpace, lock_one
from gonghui.core.money import check_money
from gonghui.core.permissions import Perm
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.validators import clean_field, raise_errors
from gonghui.employment import notifications
from gonghui.employment.models import (
    Attendance,
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
    PlacementSource,
)
from gonghui.members.models import Membership, MembershipStatus, Person

Errors = dict[str, list[str]]
# Dates a record may carry: nothing before the platform's history, nothing absurdly late.
EARLIEST = datetime.date(2000, 1, 1)
MAX_CAPACITY = 10_000
MAX_COUNT = 100_000
# Outcomes of a course closed within this long are told to its people.
RECENT = datetime.timedelta(days=30)


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _date(value: Any, field: str, errors: Errors, *, label: str) -> datetime.date | None:
    if value is None or value == "":
        _add(errors, field, _("请填写%(l)s。") % {"l": label})
        return None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        _add(errors, field, _("%(l)s格式不正确，请按“2017-03-01”填写。") % {"l": label})
        return None
    if value < EARLIEST or value.year > 2099:
        _add(errors, field, _("%(l)s不在 2000 年至 2099 年之间，请核对。") % {"l": label})
        return None
    return value


def _count(value: Any, field: str, errors: Errors, *, low: int, high: int, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _add(errors, field, _("%(l)s应为整数。") % {"l": label})
        return 0
    number: int = value
    if not low <= number <= high:
        _add(
            errors,
            field,
            _("%(l)s应在 %(a)s 至 %(b)s 之间。") % {"l": label, "a": low, "b": high},
        )
        return 0
    return number


def _history(record: Any, actor: Any) -> None:
    record._history_user = actor if getattr(actor, "pk", None) else None


def _staff(actor: Any, org: Any) -> None:
    require_within(actor, org, Perm.EDIT_RECORDS)


def _person_visible(actor: Any, person: Person) -> None:
    """The person is on the actor's roll (a membership in the actor's subtree, or a request
    before it): "not found" otherwise, like any record outside the scope."""
    if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise NotFound


def _check_wage(value: Any, field: str, errors: Errors) -> Any:
    amount = check_money(value, field, errors, required=True)
    if amount is not None and amount <= 0:
        _add(errors, field, _("工资应大于 0 元。"))
        return None
    return amount


# --- courses ---------------------------------------------------------------------------------


def _course_fields(
    *,
    course_type: CourseType | None,
    title: str,
    place: str,
    capacity: Any,
    starts_on: Any,
    ends_on: Any,
    enrol_until: Any,
    pass_percent: Any,
    description: str,
    errors: Errors,
) -> dict[str, Any]:
    title = clean_field(Course, "title", title, errors, required=True)
    place = clean_field(Course, "place", place, errors, required=True)
    description = clean_field(Course, "description", description, errors)
    if course_type is None or not course_type.active:
        _add(errors, "course_type", _("请选择培训项目。"))
    capacity = _count(capacity, "capacity", errors, low=1, high=MAX_CAPACITY, label=_("名额"))
    pass_percent = _count(
        pass_percent, "pass_percent", errors, low=1, high=100, label=_("结业出勤率")
    )
    start = _date(starts_on, "starts_on", errors, label=_("开班日期"))
    end = _date(ends_on, "ends_on", errors, label=_("结业日期"))
    until = _date(enrol_until, "enrol_until", errors, label=_("报名截止日期"))
    if start and end and end < start:
        _add(errors, "ends_on", _("结业日期不能早于开班日期。"))
    if until and end and until > end:
        _add(errors, "enrol_until", _("报名截止日期不能晚于结业日期。"))
    return {
        "course_type": course_type,
        "title": title,
        "place": place,
        "capacity": capacity,
        "starts_on": start,
        "ends_on": end,
        "enrol_until": until,
        "pass_percent": pass_percent,
        "description": description,
    }


@transaction.atomic
def course_create(
    *,
    actor: Any,
    organization: Any,
    course_type: CourseType | None,
    title: str,
    place: str,
    capacity: Any,
    starts_on: Any,
    ends_on: Any,
    enrol_until: Any,
    pass_percent: Any = 80,
    open_to_all: bool = False,
    description: str = "",
) -> Course:
    _staff(actor, organization)
    errors: Errors = {}
    fields = _course_fields(
        course_type=course_type,
        title=title,
        place=place,
        capacity=capacity,
        starts_on=starts_on,
        ends_on=ends_on,
        enrol_until=enrol_until,
        pass_percent=pass_percent,
        description=description,
        errors=errors,
    )
    raise_errors(errors)
    course = Course(
        organization=organization, open_to_all=bool(open_to_all), created_by=actor, **fields
    )
    _history(course, actor)
    course.save()
    return course


@transaction.atomic
def course_cancel(*, actor: Any, course: Course) -> Course:
    _staff(actor, course.organization)
    locked = lock_one(LockSpace.TRAINING_COURSE, Course, course.pk)
    if locked.enrolments.exclude(status=EnrolmentStatus.WITHDRAWN).exists():
        raise ValidationError({"course": [_("已有学员报名，不能取消培训班；请先办理退出。")]})
    locked.cancelled = True
    _history(locked, actor)
    locked.save(update_fields=["cancelled"])
    return locked


@transaction.atomic
def session_add(*, actor: Any, course: Course, held_on: Any, topic: str) -> CourseSession:
    """A session of ``course``, on a day within the course's dates."""
    _staff(actor, course.organization)
    errors: Errors = {}
    topic = clean_field(CourseSession, "topic", topic, errors, required=True)
    day = _date(held_on, "held_on", errors, label=_("上课日期"))
    if day and not course.starts_on <= day <= course.ends_on:
        _add(
            errors,
            "held_on",
            _("上课日期应在培训班的开班日期 %(a)s 至结业日期 %(b)s 之间。")
            % {"a": course.starts_on, "b": course.ends_on},
        )
    raise_errors(errors)
    assert day is not None  # noqa: S101 (checked above)
    locked = lock_one(LockSpace.TRAINING_COURSE, Course, course.pk)
    if locked.cancelled or _closed(locked):
        raise ValidationError({"held_on": [_("培训班已结业或已取消，不能再增加场次。")]})
    session = CourseSession(course=locked, held_on=day, topic=topic, created_by=actor)
    _history(session, actor)
    session.save()
    return session


def _closed(course: Course) -> bool:
    return course.enrolments.filter(
        status__in=[EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED]
    ).exists()


# --- enrolment -------------------------------------------------------------------------------


def may_enrol(person: Person, course: Course) -> bool:
    """Who may enrol themselves in the portal: anyone for a course open to the whole city,
    otherwise a member (active membership) of a union in the organising union's subtree."""
    if course.open_to_all:
        return True
    return Membership.unscoped.filter(
        person=person,
        status=MembershipStatus.ACTIVE,
        union__path__startswith=course.organization.path,
    ).exists()


def _enrol(
    *, actor: Any, course: Course, people: Sequence[Person], by_staff: bool, today: datetime.date
) -> list[Enrolment]:
    locked = lock_one(LockSpace.TRAINING_COURSE, Course, course.pk)
    errors: Errors = {}
    if locked.cancelled:
        _add(errors, "course", _("该培训班已取消。"))
    elif _closed(locked):
        _add(errors, "course", _("该培训班已结业，不能再报名。"))
    elif not by_staff and today > locked.enrol_until:
        _add(errors, "course", _("报名已于 %(d)s 截止。") % {"d": locked.enrol_until})
    ids = [p.pk for p in people]
    if len(set(ids)) != len(ids):
        _add(errors, "person", _("名单中有重复的人员，请核对。"))
    already = set(
        Enrolment.unscoped.filter(course=locked, person_id__in=ids).values_list(
            "person__name", flat=True
        )
    )
    if already:
        _add(
            errors,
            "person",
            _("%(n)s 已报名该培训班，不能重复报名。") % {"n": "、".join(sorted(already))},
        )
    taken = Enrolment.unscoped.filter(course=locked).exclude(status=EnrolmentStatus.WITHDRAWN)
    left = locked.capacity - taken.count()
    if len(ids) > left:
        _add(
            errors,
            "person",
            _("名额已满：该培训班共 %(c)s 个名额，还剩 %(l)s 个，本次报名 %(n)s 人。")
            % {"c": locked.capacity, "l": max(left, 0), "n": len(ids)},
        )
    raise_errors(errors)
    rows = [
        Enrolment(course=locked, person=p, enrolled_by=actor if by_staff else None) for p in people
    ]
    try:
        with transaction.atomic():
            # One history row per enrolment, as a save would write.
            created: list[Enrolment] = bulk_create_with_history(
                rows, Enrolment, default_user=actor if getattr(actor, "pk", None) else None
            )
    except IntegrityError:
        raise ValidationError({"person": [_("该人员刚刚已报名该培训班。")]}) from None
    # Enrolling someone on a course already under way or over is record-keeping (a course
    # entered after the fact): there is nothing to tell them.
    if by_staff and locked.starts_on > today:
        text = _("您已报名%(o)s举办的“%(t)s”，%(d)s 开班，地点：%(p)s。") % {
            "o": locked.organization.name,
            "t": locked.title,
            "d": locked.starts_on,
            "p": locked.place,
        }
        notify.notify_many(
            kind=notifications.TRAINING,
            messages=[notify.Message(p.pk, text, "/m/training/") for p in people],
        )
    return created


@transaction.atomic
def enrolment_create(*, actor: Any, course: Course, person: Person) -> Enrolment:
    """Enrol ``person`` on ``course``: a clerk of the course's subtree for a person on their
    roll, or a worker for themselves (while enrolment is open and the course is open to them)."""
    today = timezone.localdate()
    if getattr(actor, "is_staff_account", False):
        _staff(actor, course.organization)
        _person_visible(actor, person)
        return _enrol(actor=actor, course=course, people=[person], by_staff=True, today=today)[0]
    if getattr(actor, "person_id", None) != person.pk or course.cancelled:
        raise NotFound
    if not may_enrol(person, course):
        raise ValidationError(
            {"course": [_("该培训班只接受%(o)s所属工会的会员报名。") % {"o": course.organization}]}
        )
    return _enrol(actor=actor, course=course, people=[person], by_staff=False, today=today)[0]


@transaction.atomic
def enrolment_create_many(
    *, actor: Any, course: Course, people: Sequence[Person]
) -> list[Enrolment]:
    """A clerk enrols a list of people at once (a town's sign-up sheet): all or none."""
    _staff(actor, course.organization)
    visible = set(
        Person.objects.visible_to(actor)
        .filter(pk__in=[p.pk for p in people])
        .values_list("pk", flat=True)
    )
    if len(visible) != len({p.pk for p in people}):
        raise NotFound
    return _enrol(
        actor=actor, course=course, people=people, by_staff=True, today=timezone.localdate()
    )


@transaction.atomic
def enrolment_withdraw(*, actor: Any, enrolment: Enrolment) -> Enrolment:
    """The worker (their own) or a clerk takes someone off a course before it is closed."""
    if getattr(actor, "is_staff_account", False):
        _staff(actor, enrolment.course.organization)
    elif getattr(actor, "person_id", None) != enrolment.person_id:
        raise NotFound
    lock_one(LockSpace.TRAINING_COURSE, Course, enrolment.course_id)
    current = Enrolment.unscoped.get(pk=enrolment.pk)
    if current.status != EnrolmentStatus.ENROLLED:
        raise ValidationError({"enrolment": [_("只有在学的报名可以退出。")]})
    current.status = EnrolmentStatus.WITHDRAWN
    _history(current, actor)
    current.save(update_fields=["status"])
    return current


@transaction.atomic
def attendance_record(*, actor: Any, session: CourseSession, present: Iterable[Enrolment]) -> int:
    """The roll call of one session: exactly the ``present`` enrolments attended (ticked
    again, the same list changes nothing; unticked, a mark is taken off). Returns how many
    attended. Only people enrolled on the session's course and still on it."""
    course = session.course
    _staff(actor, course.organization)
    locked = lock_one(LockSpace.TRAINING_COURSE, Course, course.pk)
    chosen = {e.pk for e in present}
    errors: Errors = {}
    if _closed(locked):
        _add(errors, "present", _("培训班已结业，出勤不能再修改。"))
    if session.held_on > timezone.localdate():
        _add(
            errors,
            "present",
            _("该场次（%(d)s）还没有上课，不能登记出勤。") % {"d": session.held_on},
        )
    valid = set(
        Enrolment.unscoped.filter(
            course=locked, pk__in=chosen, status=EnrolmentStatus.ENROLLED
        ).values_list("pk", flat=True)
    )
    if chosen - valid:
        _add(errors, "present", _("所选人员中有不在该培训班在学名单上的，请刷新后重新勾选。"))
    raise_errors(errors)
    Attendance.unscoped.filter(session=session).exclude(enrolment_id__in=chosen).delete()
    marked = set(Attendance.unscoped.filter(session=session).values_list("enrolment_id", flat=True))
    Attendance.objects.bulk_create(
        [
            Attendance(session=session, enrolment_id=pk, recorded_by=actor)
            for pk in sorted(chosen - marked)
        ]
    )
    return len(chosen)


def attended_share(enrolment: Enrolment, sessions: int) -> int:
    """Whole percent of the course's sessions attended."""
    if not sessions:
        return 0
    return enrolment.attendance.count() * 100 // sessions


@transaction.atomic
def course_close(*, actor: Any, course: Course, on: datetime.date | None = None) -> dict[str, int]:
    """Close the course: everyone still on it has completed it when their attendance reaches
    the course's rule (``pass_percent`` of its sessions), otherwise not. Worked out once;
    returns the counts. Those whose outcome the organiser set by hand keep it."""
    _staff(actor, course.organization)
    locked = lock_one(LockSpace.TRAINING_COURSE, Course, course.pk)
    day = on or timezone.localdate()
    sessions = locked.sessions.count()
    errors: Errors = {}
    if locked.cancelled:
        _add(errors, "course", _("该培训班已取消。"))
    if not sessions:
        _add(errors, "course", _("该培训班还没有登记任何场次，不能结业。"))
    elif locked.sessions.filter(held_on__gt=day).exists():
        _add(errors, "course", _("还有场次没有上课，不能结业。"))
    raise_errors(errors)
    open_ = list(
        Enrolment.unscoped.filter(course=locked, status=EnrolmentStatus.ENROLLED).annotate(
            attended=Count("attendance")
        )
    )
    done = [e for e in open_ if e.attended * 100 >= locked.pass_percent * sessions]
    failed = [e for e in open_ if e.attended * 100 < locked.pass_percent * sessions]
    for rows, status in (
        (done, EnrolmentStatus.COMPLETED),
        (failed, EnrolmentStatus.NOT_COMPLETED),
    ):
        for enrolment in rows:
            enrolment.status, enrolment.completed_on, enrolment.completed_by = status, day, actor
    if open_:
        for rows, status in (
            (done, EnrolmentStatus.COMPLETED),
            (failed, EnrolmentStatus.NOT_COMPLETED),
        ):
            Enrolment.unscoped.filter(pk__in=[e.pk for e in rows]).update(
                status=status, completed_on=day, completed_by=actor
            )
        # One history row per enrolment, as a save would write.
        Enrolment.history.bulk_history_create(
            open_, update=True, default_user=actor if getattr(actor, "pk", None) else None
        )
        if day >= timezone.localdate() - RECENT:
            # A course closed long after the fact (records entered later) tells nobody.
            _tell_outcome(locked, done, failed)
    return {"completed": len(done), "not_completed": len(failed)}


def _tell_outcome(course: Course, done: Sequence[Enrolment], failed: Sequence[Enrolment]) -> None:
    messages = [
        notify.Message(
            e.person_id, _("您已完成“%(t)s”培训，准予结业。") % {"t": course.title}, "/m/training/"
        )
        for e in done
    ] + [
        notify.Message(
            e.person_id,
            _("“%(t)s”培训已结束，您的出勤未达到结业要求。") % {"t": course.title},
            "/m/training/",
        )
        for e in failed
    ]
    notify.notify_many(kind=notifications.TRAINING, messages=messages)


@transaction.atomic
def enrolment_complete(
    *, actor: Any, enrolment: Enrolment, completed: bool, note: str, on: datetime.date | None = None
) -> Enrolment:
    """The organiser sets a person's outcome by hand (made up a missed class elsewhere, left
    for work before the end …): the reason is required and kept with the record."""
    _staff(actor, enrolment.course.organization)
    errors: Errors = {}
    note = clean_field(Enrolment, "completion_note", note, errors, required=True, key="note")
    raise_errors(errors)
    lock_one(LockSpace.TRAINING_COURSE, Course, enrolment.course_id)
    current = Enrolment.unscoped.select_related("course").get(pk=enrolment.pk)
    if current.status == EnrolmentStatus.WITHDRAWN:
        raise ValidationError({"note": [_("该学员已退出培训，不能登记结业。")]})
    current.status = EnrolmentStatus.COMPLETED if completed else EnrolmentStatus.NOT_COMPLETED
    current.completed_on = on or timezone.localdate()
    current.completion_note = note
    current.completed_by = actor
    _history(current, actor)
    current.save()
    return current


# --- job fairs -------------------------------------------------------------------------------


@transaction.atomic
def fair_create(
    *,
    actor: Any,
    organization: Any,
    title: str,
    held_on: Any,
    place: str,
    campaign: str = "",
    served_count: Any = 0,
    note: str = "",
) -> JobFair:
    _staff(actor, organization)
    errors: Errors = {}
    title = clean_field(JobFair, "title", title, errors, required=True)
    place = clean_field(JobFair, "place", place, errors, required=True)
    campaign = clean_field(JobFair, "campaign", campaign, errors)
    note = clean_field(JobFair, "note", note, errors)
    day = _date(held_on, "held_on", errors, label=_("举办日期"))
    served = _count(
        served_count, "served_count", errors, low=0, high=MAX_COUNT, label=_("服务人数")
    )
    raise_errors(errors)
    assert day is not None  # noqa: S101 (checked above)
    fair = JobFair(
        organization=organization,
        title=title,
        campaign=campaign,
        held_on=day,
        place=place,
        served_count=served,
        note=note,
        created_by=actor,
    )
    _history(fair, actor)
    fair.save()
    return fair


@transaction.atomic
def fair_served_record(*, actor: Any, fair: JobFair, served_count: Any) -> JobFair:
    """The number of people the fair served (提供免费服务人数), counted at the door: never
    fewer than the named people registered at it."""
    _staff(actor, fair.organization)
    errors: Errors = {}
    served = _count(
        served_count, "served_count", errors, low=0, high=MAX_COUNT, label=_("服务人数")
    )
    raise_errors(errors)
    locked = lock_one(LockSpace.JOB_FAIR, JobFair, fair.pk)
    named = locked.visitors.count()
    if served < named:
        raise ValidationError(
            {"served_count": [_("服务人数不能少于已登记姓名的求职者 %(n)s 人。") % {"n": named}]}
        )
    locked.served_count = served
    _history(locked, actor)
    locked.save(update_fields=["served_count"])
    return locked


@transaction.atomic
def fair_employer_add(
    *, actor: Any, fair: JobFair, name: str = "", enterprise: Any = None
) -> FairEmployer:
    """An employer present at the fair: an enterprise of the register (its name is taken)
    or one named here."""
    _staff(actor, fair.organization)
    errors: Errors = {}
    if enterprise is not None:
        name = enterprise.name
    name = clean_field(FairEmployer, "name", name, errors, required=True)
    if name and FairEmployer.unscoped.filter(fair=fair, name=name).exists():
        _add(errors, "name", _("“%(n)s”已在本场招聘会的参会单位中。") % {"n": name})
    raise_errors(errors)
    employer = FairEmployer(fair=fair, enterprise=enterprise, name=name)
    _history(employer, actor)
    try:
        with transaction.atomic():
            employer.save()
    except IntegrityError:
        raise ValidationError({"name": [_("该单位刚刚已被登记。")]}) from None
    return employer


@transaction.atomic
def fair_post_add(
    *, actor: Any, employer: FairEmployer, title: str, count: Any, wage_min: Any, wage_max: Any
) -> FairPost:
    _staff(actor, employer.fair.organization)
    errors: Errors = {}
    title = clean_field(FairPost, "title", title, errors, required=True)
    count = _count(count, "count", errors, low=1, high=MAX_COUNT, label=_("招聘人数"))
    low = _check_wage(wage_min, "wage_min", errors)
    high = _check_wage(wage_max, "wage_max", errors)
    if low is not None and high is not None and high < low:
        _add(errors, "wage_max", _("月薪上限不能低于下限。"))
    raise_errors(errors)
    post = FairPost(employer=employer, title=title, count=count, wage_min=low, wage_max=high)
    _history(post, actor)
    post.save()
    return post


@transaction.atomic
def fair_visitor_add(*, actor: Any, fair: JobFair, person: Person) -> FairVisitor:
    """A person on the roll served at the fair, by name. The fair's number served grows with
    them when it was lower."""
    _staff(actor, fair.organization)
    _person_visible(actor, person)
    locked = lock_one(LockSpace.JOB_FAIR, JobFair, fair.pk)
    if FairVisitor.unscoped.filter(fair=locked, person=person).exists():
        raise ValidationError({"person": [_("%(n)s 已在本场招聘会登记。") % {"n": person.name}]})
    visitor = FairVisitor.objects.create(fair=locked, person=person, recorded_by=actor)
    named = locked.visitors.count()
    if locked.served_count < named:
        locked.served_count = named
        _history(locked, actor)
        locked.save(update_fields=["served_count"])
    return visitor


# --- placements ------------------------------------------------------------------------------


@transaction.atomic
def placement_create(
    *,
    actor: Any,
    organization: Any,
    person: Person,
    post: str,
    monthly_wage: Any,
    starts_on: Any,
    employer_name: str = "",
    enterprise: Any = None,
    source: str = PlacementSource.OTHER,
    fair: JobFair | None = None,
    course: Course | None = None,
    note: str = "",
) -> Placement:
    """Record that ``person`` (on the actor's roll) started work: where, in which post, for
    what monthly wage, from when, and through what (a fair, a course, or other)."""
    _staff(actor, organization)
    _person_visible(actor, person)
    errors: Errors = {}
    if enterprise is not None:
        employer_name = enterprise.name
    employer_name = clean_field(Placement, "employer_name", employer_name, errors, required=True)
    post = clean_field(Placement, "post", post, errors, required=True)
    note = clean_field(Placement, "note", note, errors)
    wage = _check_wage(monthly_wage, "monthly_wage", errors)
    day = _date(starts_on, "starts_on", errors, label=_("上岗日期"))
    if day and day > timezone.localdate():
        _add(errors, "starts_on", _("上岗日期不能晚于今天；上岗后再登记。"))
    if source not in PlacementSource.values:
        _add(errors, "source", _("请选择就业渠道。"))
    if source == PlacementSource.FAIR:
        if fair is None:
            _add(errors, "fair", _("请选择招聘会。"))
        elif day and day < fair.held_on:
            _add(
                errors,
                "starts_on",
                _("上岗日期不能早于招聘会举办日期 %(d)s。") % {"d": fair.held_on},
            )
    if source == PlacementSource.COURSE:
        if course is None:
            _add(errors, "course", _("请选择培训班。"))
        elif day and day < course.starts_on:
            _add(
                errors,
                "starts_on",
                _("上岗日期不能早于培训班开班日期 %(d)s。") % {"d": course.starts_on},
            )
    raise_errors(errors)
    for record in (fair, course):
        if record is not None:
            # A fair or course of another branch is "not found", like any record there.
            require_within(actor, record.organization)
    assert day is not None  # noqa: S101 (checked above)
    placement = Placement(
        organization=organization,
        person=person,
        enterprise=enterprise,
        employer_name=employer_name,
        post=post,
        monthly_wage=wage,
        starts_on=day,
        source=source,
        fair=fair if source == PlacementSource.FAIR else None,
        course=course if source == PlacementSource.COURSE else None,
        note=note,
        created_by=actor,
    )
    _history(placement, actor)
    placement.save()
    return placement


@transaction.atomic
def placement_follow_up(
    *,
    actor: Any,
    placement: Placement,
    followed_up_on: Any,
    still_employed: bool | None,
    note: str = "",
) -> Placement:
    """The follow-up three months after the start: is the person still in work? Not before
    the day it falls due, not in the future, once."""
    _staff(actor, placement.organization)
    errors: Errors = {}
    note = clean_field(Placement, "follow_up_note", note, errors, key="note")
    day = _date(followed_up_on, "followed_up_on", errors, label=_("回访日期"))
    due = placement.follow_up_due_on
    if day and day < due:
        _add(
            errors,
            "followed_up_on",
            _("上岗满三个月（%(d)s）后才能回访，请到期后再登记。") % {"d": due},
        )
    elif day and day > timezone.localdate():
        _add(errors, "followed_up_on", _("回访日期不能晚于今天。"))
    if still_employed is None:
        _add(errors, "still_employed", _("请选择是否仍在岗。"))
    raise_errors(errors)
    locked = lock_one(LockSpace.PLACEMENT, Placement, placement.pk)
    if locked.followed_up_on is not None:
        raise ValidationError(
            {"followed_up_on": [_("该安置已于 %(d)s 回访过。") % {"d": locked.followed_up_on}]}
        )
    locked.followed_up_on = day
    locked.still_employed = still_employed
    locked.follow_up_note = note
    locked.followed_up_by = actor
    _history(locked, actor)
    locked.save(
        update_fields=["followed_up_on", "still_employed", "follow_up_note", "followed_up_by"]
    )
    return locked
