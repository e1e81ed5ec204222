"""API for training courses, job fairs and placements (staff), and the worker's training
(``/api/me/training``), with the same services as the pages."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from gonghui.core.api import (
    Count,
    Date,
    Id,
    Money,
    OneOf,
    Pages,
    Search,
    Text,
    Year,
    staff_actor,
    worker_actor,
)
from gonghui.employment import selectors, services
from gonghui.employment.models import (
    Course,
    CourseSession,
    Enrolment,
    FairEmployer,
    FairPost,
    JobFair,
    Placement,
    PlacementSource,
    TrainingKind,
)
from gonghui.members import selectors as member_selectors
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["就业培训"])
worker_router = Router(tags=["职工：技能培训"])


class TrainingCourseOut(Schema):
    id: int
    organization_id: int
    course_type: str
    kind: str
    title: str
    place: str
    capacity: int
    enrolled: int
    starts_on: datetime.date
    ends_on: datetime.date
    enrol_until: datetime.date
    pass_percent: int
    open_to_all: bool
    cancelled: bool

    @staticmethod
    def resolve_course_type(obj: Any) -> str:
        return str(obj.course_type.code)

    @staticmethod
    def resolve_kind(obj: Any) -> str:
        return str(obj.course_type.kind)

    @staticmethod
    def resolve_enrolled(obj: Any) -> int:
        return int(getattr(obj, "enrolled", 0) or 0)


class TrainingCourseIn(Schema):
    organization_id: Id
    course_type: Annotated[str, Text(30)]
    title: Annotated[str, Text.of(Course, "title")]
    place: Annotated[str, Text.of(Course, "place")]
    capacity: Annotated[int, Field(ge=1, le=services.MAX_CAPACITY)]
    starts_on: Date
    ends_on: Date
    enrol_until: Date
    pass_percent: Annotated[int, Field(ge=1, le=100)] = 80
    open_to_all: bool = False
    description: Annotated[str, Text.of(Course, "description")] = ""


class TrainingSessionIn(Schema):
    held_on: Date
    topic: Annotated[str, Text.of(CourseSession, "topic")]


class TrainingSessionOut(Schema):
    id: int
    course_id: int
    held_on: datetime.date
    topic: str


class TrainingEnrolIn(Schema):
    person_id: Id


class TrainingEnrolmentOut(Schema):
    id: int
    course_id: int
    person_id: int
    person_name: str
    status: str
    completed_on: datetime.date | None
    completion_note: str

    @staticmethod
    def resolve_person_name(obj: Any) -> str:
        return str(obj.person.name)


class TrainingAttendanceIn(Schema):
    enrolment_ids: Annotated[list[Id], Field(max_length=services.MAX_CAPACITY)]


class TrainingAttendanceOut(Schema):
    present: int


class TrainingCloseOut(Schema):
    completed: int
    not_completed: int


class TrainingCompletionIn(Schema):
    completed: bool
    note: Annotated[str, Text.of(Enrolment, "completion_note")]


class JobFairIn(Schema):
    organization_id: Id
    title: Annotated[str, Text.of(JobFair, "title")]
    campaign: Annotated[str, Text.of(JobFair, "campaign")] = ""
    held_on: Date
    place: Annotated[str, Text.of(JobFair, "place")]
    served_count: Count = 0
    note: Annotated[str, Text.of(JobFair, "note")] = ""


class JobFairPostOut(Schema):
    id: int
    title: str
    count: int
    wage_min: Decimal
    wage_max: Decimal


class JobFairEmployerOut(Schema):
    id: int
    name: str
    enterprise_id: int | None
    posts: list[JobFairPostOut]

    @staticmethod
    def resolve_posts(obj: Any) -> list[Any]:
        return list(obj.posts.all())


class JobFairOut(Schema):
    id: int
    organization_id: int
    title: str
    campaign: str
    held_on: datetime.date
    place: str
    served_count: int
    note: str


class JobFairDetailOut(JobFairOut):
    employers: list[JobFairEmployerOut]
    visitor_count: int

    @staticmethod
    def resolve_employers(obj: Any) -> list[Any]:
        return list(FairEmployer.unscoped.filter(fair=obj).prefetch_related("posts")[:500])

    @staticmethod
    def resolve_visitor_count(obj: Any) -> int:
        return int(obj.visitors.count())


class JobFairEmployerIn(Schema):
    name: Annotated[str, Text.of(FairEmployer, "name")] = ""
    enterprise_id: Id | None = None


class JobFairPostIn(Schema):
    employer_id: Id
    title: Annotated[str, Text.of(FairPost, "title")]
    count: Annotated[int, Field(ge=1, le=100_000)]
    wage_min: Money
    wage_max: Money


class JobFairVisitorIn(Schema):
    person_id: Id


class JobFairServedIn(Schema):
    served_count: Count


class PlacementIn(Schema):
    organization_id: Id
    person_id: Id
    employer_name: Annotated[str, Text.of(Placement, "employer_name")] = ""
    enterprise_id: Id | None = None
    post: Annotated[str, Text.of(Placement, "post")]
    monthly_wage: Money
    starts_on: Date
    source: Annotated[str, OneOf(PlacementSource)] = PlacementSource.OTHER
    fair_id: Id | None = None
    course_id: Id | None = None
    note: Annotated[str, Text.of(Placement, "note")] = ""


class PlacementOut(Schema):
    id: int
    organization_id: int
    person_id: int
    person_name: str
    enterprise_id: int | None
    employer_name: str
    post: str
    monthly_wage: Decimal
    starts_on: datetime.date
    source: str
    fair_id: int | None
    course_id: int | None
    note: str
    follow_up_due_on: datetime.date
    followed_up_on: datetime.date | None
    still_employed: bool | None
    follow_up_note: str

    @staticmethod
    def resolve_person_name(obj: Any) -> str:
        return str(obj.person.name)


class PlacementFollowUpIn(Schema):
    followed_up_on: Date
    still_employed: bool
    note: Annotated[str, Text.of(Placement, "follow_up_note")] = ""


# --- courses ---------------------------------------------------------------------------------


@router.get("/courses", response=list[TrainingCourseOut], summary="培训班")
@paginate(Pages, page_size=50)
def list_courses(
    request: HttpRequest,
    q: Search = "",
    kind: Annotated[str, OneOf(TrainingKind, blank=True)] = "",
    year: Year | None = None,
) -> Any:
    return selectors.course_list(actor=staff_actor(request), q=q, kind=kind, year=year)


@router.post("/courses", response={201: TrainingCourseOut}, summary="建立培训班")
def create_course(request: HttpRequest, payload: TrainingCourseIn) -> Any:
    actor = staff_actor(request)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    kind = selectors.course_type_list().filter(code=payload.course_type).first()
    if kind is None:
        raise ValidationError({"course_type": ["培训项目不存在，请从培训项目中选择。"]})
    data = payload.dict(exclude={"organization_id", "course_type"})
    course = services.course_create(
        actor=actor, organization=organization, course_type=kind, **data
    )
    return selectors.course_get(actor=actor, id=course.pk)


@router.get("/courses/{training_id}", response=TrainingCourseOut, summary="培训班详情")
def get_course(request: HttpRequest, training_id: Id) -> Any:
    return selectors.course_get(actor=staff_actor(request), id=training_id)


@router.get(
    "/courses/{training_id}/sessions", response=list[TrainingSessionOut], summary="培训场次"
)
def list_sessions(request: HttpRequest, training_id: Id) -> Any:
    actor = staff_actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    return list(selectors.session_list(actor=actor, course=course)[:500])


@router.post(
    "/courses/{training_id}/sessions", response={201: TrainingSessionOut}, summary="登记培训场次"
)
def add_session(request: HttpRequest, training_id: Id, payload: TrainingSessionIn) -> Any:
    actor = staff_actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    return services.session_add(actor=actor, course=course, **payload.dict())


@router.get(
    "/courses/{training_id}/enrolments", response=list[TrainingEnrolmentOut], summary="培训班学员"
)
@paginate(Pages, page_size=100)
def list_enrolments(request: HttpRequest, training_id: Id) -> Any:
    actor = staff_actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    return selectors.enrolment_list(actor=actor, course=course)


@router.post(
    "/courses/{training_id}/enrolments", response={201: TrainingEnrolmentOut}, summary="学员报名"
)
def enrol(request: HttpRequest, training_id: Id, payload: TrainingEnrolIn) -> Any:
    actor = staff_actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    person = member_selectors.person_get(actor=actor, id=payload.person_id)
    return services.enrolment_create(actor=actor, course=course, person=person)


@router.post(
    "/courses/{training_id}/sessions/{training_session_id}/attendance",
    response=TrainingAttendanceOut,
    summary="登记一个场次的出勤（点名）",
)
def record_attendance(
    request: HttpRequest, training_id: Id, training_session_id: Id, payload: TrainingAttendanceIn
) -> Any:
    actor = staff_actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    session = selectors.session_get(actor=actor, course=course, id=training_session_id)
    chosen = selectors.enrolments_get(actor=actor, course=course, ids=payload.enrolment_ids)
    if len(chosen) != len(set(payload.enrolment_ids)):
        raise ValidationError({"enrolment_ids": ["有学员不在该培训班的名单上。"]})
    count = services.attendance_record(actor=actor, session=session, present=chosen)
    return {"present": count}


@router.post(
    "/courses/{training_id}/close", response=TrainingCloseOut, summary="培训班结业（按出勤率判定）"
)
def close_course(request: HttpRequest, training_id: Id) -> Any:
    actor = staff_actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    return services.course_close(actor=actor, course=course)


@router.post(
    "/courses/{training_id}/cancel", response=TrainingCourseOut, summary="取消培训班（无人报名时）"
)
def cancel_course(request: HttpRequest, training_id: Id) -> Any:
    actor = staff_actor(request)
    course = selectors.course_get(actor=actor, id=training_id)
    services.course_cancel(actor=actor, course=course)
    return selectors.course_get(actor=actor, id=training_id)


@router.post(
    "/enrolments/{enrolment_id}/withdraw", response=TrainingEnrolmentOut, summary="学员退出培训"
)
def withdraw(request: HttpRequest, enrolment_id: Id) -> Any:
    actor = staff_actor(request)
    enrolment = selectors.enrolment_get(actor=actor, id=enrolment_id)
    return services.enrolment_withdraw(actor=actor, enrolment=enrolment)


@router.post(
    "/enrolments/{enrolment_id}/completion",
    response=TrainingEnrolmentOut,
    summary="登记学员结业结果（须说明原因）",
)
def set_completion(request: HttpRequest, enrolment_id: Id, payload: TrainingCompletionIn) -> Any:
    actor = staff_actor(request)
    enrolment = selectors.enrolment_get(actor=actor, id=enrolment_id)
    return services.enrolment_complete(
        actor=actor, enrolment=enrolment, completed=payload.completed, note=payload.note
    )


# --- fairs -----------------------------------------------------------------------------------


@router.get("/fairs", response=list[JobFairOut], summary="招聘会")
@paginate(Pages, page_size=50)
def list_fairs(request: HttpRequest, q: Search = "", year: Year | None = None) -> Any:
    return selectors.fair_list(actor=staff_actor(request), q=q, year=year)


@router.post("/fairs", response={201: JobFairDetailOut}, summary="登记招聘会")
def create_fair(request: HttpRequest, payload: JobFairIn) -> Any:
    actor = staff_actor(request)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    data = payload.dict(exclude={"organization_id"})
    return services.fair_create(actor=actor, organization=organization, **data)


@router.get("/fairs/{fair_id}", response=JobFairDetailOut, summary="招聘会详情（参会单位、岗位）")
def get_fair(request: HttpRequest, fair_id: Id) -> Any:
    return selectors.fair_get(actor=staff_actor(request), id=fair_id)


@router.post(
    "/fairs/{fair_id}/employers", response={201: JobFairEmployerOut}, summary="登记参会单位"
)
def add_employer(request: HttpRequest, fair_id: Id, payload: JobFairEmployerIn) -> Any:
    actor = staff_actor(request)
    fair = selectors.fair_get(actor=actor, id=fair_id)
    enterprise = None
    if payload.enterprise_id is not None:
        enterprise = org_selectors.enterprise_get(actor=actor, id=payload.enterprise_id)
    return services.fair_employer_add(
        actor=actor, fair=fair, name=payload.name, enterprise=enterprise
    )


@router.post("/fairs/{fair_id}/posts", response={201: JobFairPostOut}, summary="登记招聘岗位")
def add_post(request: HttpRequest, fair_id: Id, payload: JobFairPostIn) -> Any:
    actor = staff_actor(request)
    fair = selectors.fair_get(actor=actor, id=fair_id)
    employer = selectors.fair_employer_get(actor=actor, fair=fair, id=payload.employer_id)
    data = payload.dict(exclude={"employer_id"})
    return services.fair_post_add(actor=actor, employer=employer, **data)


@router.post("/fairs/{fair_id}/visitors", response={201: JobFairDetailOut}, summary="登记求职者")
def add_visitor(request: HttpRequest, fair_id: Id, payload: JobFairVisitorIn) -> Any:
    actor = staff_actor(request)
    fair = selectors.fair_get(actor=actor, id=fair_id)
    person = member_selectors.person_get(actor=actor, id=payload.person_id)
    services.fair_visitor_add(actor=actor, fair=fair, person=person)
    return selectors.fair_get(actor=actor, id=fair_id)


@router.post("/fairs/{fair_id}/served", response=JobFairDetailOut, summary="登记服务人数")
def record_served(request: HttpRequest, fair_id: Id, payload: JobFairServedIn) -> Any:
    actor = staff_actor(request)
    fair = selectors.fair_get(actor=actor, id=fair_id)
    return services.fair_served_record(actor=actor, fair=fair, served_count=payload.served_count)


# --- placements ------------------------------------------------------------------------------


@router.get("/placements", response=list[PlacementOut], summary="就业安置")
@paginate(Pages, page_size=50)
def list_placements(
    request: HttpRequest,
    q: Search = "",
    source: Annotated[str, OneOf(PlacementSource, blank=True)] = "",
    due: bool = False,
) -> Any:
    return selectors.placement_list(actor=staff_actor(request), q=q, source=source, due=due)


@router.post("/placements", response={201: PlacementOut}, summary="登记就业安置")
def create_placement(request: HttpRequest, payload: PlacementIn) -> Any:
    actor = staff_actor(request)
    organization = org_selectors.organization_get(actor=actor, id=payload.organization_id)
    person = member_selectors.person_get(actor=actor, id=payload.person_id)
    enterprise = (
        org_selectors.enterprise_get(actor=actor, id=payload.enterprise_id)
        if payload.enterprise_id is not None
        else None
    )
    fair = selectors.fair_get(actor=actor, id=payload.fair_id) if payload.fair_id else None
    course = selectors.course_get(actor=actor, id=payload.course_id) if payload.course_id else None
    data = payload.dict(
        exclude={"organization_id", "person_id", "enterprise_id", "fair_id", "course_id"}
    )
    return services.placement_create(
        actor=actor,
        organization=organization,
        person=person,
        enterprise=enterprise,
        fair=fair,
        course=course,
        **data,
    )


@router.get("/placements/{placement_id}", response=PlacementOut, summary="就业安置详情")
def get_placement(request: HttpRequest, placement_id: Id) -> Any:
    return selectors.placement_get(actor=staff_actor(request), id=placement_id)


@router.post(
    "/placements/{placement_id}/follow-up",
    response=PlacementOut,
    summary="登记三个月回访（是否仍在岗）",
)
def follow_up(request: HttpRequest, placement_id: Id, payload: PlacementFollowUpIn) -> Any:
    actor = staff_actor(request)
    placement = selectors.placement_get(actor=actor, id=placement_id)
    return services.placement_follow_up(actor=actor, placement=placement, **payload.dict())


# --- the worker ------------------------------------------------------------------------------


class MyTrainingEnrolmentOut(TrainingEnrolmentOut):
    course: TrainingCourseOut
    attended: int

    @staticmethod
    def resolve_attended(obj: Any) -> int:
        return int(getattr(obj, "attended", 0) or 0)


@worker_router.get("/courses", response=list[TrainingCourseOut], summary="可以报名的培训班")
def open_courses(request: HttpRequest) -> Any:
    return selectors.courses_open(actor=worker_actor(request))


@worker_router.post(
    "/courses/{training_id}/enrol", response={201: MyTrainingEnrolmentOut}, summary="报名培训班"
)
def enrol_me(request: HttpRequest, training_id: Id) -> Any:
    user = worker_actor(request)
    course = next((c for c in selectors.courses_open(actor=user) if c.pk == training_id), None)
    if course is None:
        from gonghui.core.scoping import NotFound

        raise NotFound
    enrolment = services.enrolment_create(actor=user, course=course, person=user.person)
    return selectors.my_enrolment_get(actor=user, id=enrolment.pk)


@worker_router.get("/enrolments", response=list[MyTrainingEnrolmentOut], summary="我的培训")
@paginate(Pages, page_size=50)
def my_enrolments(request: HttpRequest) -> Any:
    return selectors.my_enrolments(actor=worker_actor(request))


@worker_router.post(
    "/enrolments/{enrolment_id}/withdraw", response=MyTrainingEnrolmentOut, summary="退出培训"
)
def withdraw_me(request: HttpRequest, enrolment_id: Id) -> Any:
    user = worker_actor(request)
    enrolment = selectors.my_enrolment_get(actor=user, id=enrolment_id)
    services.enrolment_withdraw(actor=user, enrolment=enrolment)
    return selectors.my_enrolment_get(actor=user, id=enrolment_id)
