"""API for the member roll (staff) and the worker's own membership (``/api/me``)."""

# No ``from __future__ import annotations``: django-ninja resolves the annotations of a
# paginated handler in its own module, where the platform's input types are unknown.

import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from gonghui.core.api import (
    Date,
    Id,
    OneOf,
    Pages,
    Search,
    Text,
    staff_actor,
    worker_actor,
)
from gonghui.core.models import AccessReason, Decided
from gonghui.core.services import personal_data_reveal
from gonghui.core.web import client_ip
from gonghui.members import card, selectors, services
from gonghui.members.models import (
    Education,
    Household,
    JoinApplication,
    LeaveReason,
    Membership,
    Person,
    TransferRequest,
)
from gonghui.organizations import selectors as org_selectors

router = Router(tags=["会员（工作人员）"])
worker_router = Router(tags=["职工：本人"])


class PersonOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: datetime.date
    id_number: str
    mobile: str
    household: str
    education: str

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return obj.id_number.masked()

    @staticmethod
    def resolve_mobile(obj: Any) -> str:
        return obj.mobile.masked() if obj.mobile else ""


class MembershipOut(Schema):
    id: int
    person: PersonOut
    union_id: int
    union_name: str
    card_number: str
    joined_on: datetime.date
    status: str
    ended_on: datetime.date | None
    previous_id: int | None

    @staticmethod
    def resolve_union_name(obj: Any) -> str:
        return obj.union.name


class MemberIn(Schema):
    union_id: Id
    name: Annotated[str, Text.of(Person, "name")]
    id_number: Annotated[str, Text(30)]
    mobile: Annotated[str, Text(30)] = ""
    household: Annotated[str, OneOf(Household, blank=True)] = ""
    education: Annotated[str, OneOf(Education, blank=True)] = ""
    joined_on: Date
    employer_id: Id | None = None


class LookupIn(Schema):
    id_number: Annotated[str, Text(30)]


class RevealIn(Schema):
    field: Annotated[str, OneOf(["id_number", "mobile"])]
    reason: Annotated[str, OneOf(AccessReason)]
    reason_note: Annotated[str, Text(200)] = ""


class RevealOut(Schema):
    field: str
    value: str


class LeaveIn(Schema):
    reason: Annotated[str, OneOf(LeaveReason)]
    ended_on: Date
    note: Annotated[str, Text.of(Membership, "end_note")] = ""


class TransferIn(Schema):
    to_union_id: Id
    reason: Annotated[str, Text.of(TransferRequest, "reason")]


class DecisionIn(Schema):
    approve: bool
    note: Annotated[str, Text.of(Decided, "decision_note")] = ""


class JoinOut(Schema):
    id: int
    person_id: int
    person_name: str
    union_id: int
    union_name: str
    employer_name: str
    note: str
    status: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None
    decision_note: str
    membership_id: int | None

    @staticmethod
    def resolve_person_name(obj: Any) -> str:
        return obj.person.name

    @staticmethod
    def resolve_union_name(obj: Any) -> str:
        return obj.union.name


class TransferOut(Schema):
    id: int
    membership_id: int
    person_name: str
    from_union_id: int
    from_union_name: str
    to_union_id: int
    to_union_name: str
    initiator: str
    reason: str
    status: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None
    decision_note: str
    new_membership_id: int | None

    @staticmethod
    def resolve_person_name(obj: Any) -> str:
        return obj.membership.person.name

    @staticmethod
    def resolve_from_union_id(obj: Any) -> int:
        return int(obj.membership.union_id)

    @staticmethod
    def resolve_from_union_name(obj: Any) -> str:
        return obj.membership.union.name

    @staticmethod
    def resolve_to_union_name(obj: Any) -> str:
        return obj.to_union.name


class UnionOut(Schema):
    id: int
    name: str
    code: str
    parent_name: str

    @staticmethod
    def resolve_parent_name(obj: Any) -> str:
        return obj.parent.name if obj.parent else ""


# --- staff --------------------------------------------------------------------------------------


@router.get("/members", response=list[MembershipOut], summary="会员名册")
@paginate(Pages, page_size=50)
def list_members(
    request: HttpRequest, q: Search = "", org: Id | None = None, status: Search = "active"
) -> Any:
    actor = staff_actor(request)
    within = org_selectors.organization_get(actor=actor, id=org) if org else None
    return selectors.member_list(actor=actor, q=q, within=within, status=status)


@router.post("/members", response={201: MembershipOut}, summary="登记会员")
def add_member(request: HttpRequest, payload: MemberIn) -> Any:
    actor = staff_actor(request)
    union = org_selectors.organization_get(actor=actor, id=payload.union_id)
    employer = (
        org_selectors.enterprise_get(actor=actor, id=payload.employer_id)
        if payload.employer_id
        else None
    )
    membership = services.member_add(
        actor=actor,
        union=union,
        data=services.PersonInput(
            name=payload.name,
            id_number=payload.id_number,
            mobile=payload.mobile,
            household=payload.household,
            education=payload.education,
        ),
        joined_on=payload.joined_on,
        employer=employer,
    )
    return membership


@router.post("/members/lookup", response=list[MembershipOut], summary="按身份证号精确查找")
def lookup_member(request: HttpRequest, payload: LookupIn) -> Any:
    """Exact match through the keyed hash; the number is sent in the body, never in a URL."""
    return selectors.membership_lookup(actor=staff_actor(request), id_number=payload.id_number)


@router.get("/members/{membership_id}", response=MembershipOut, summary="会员详情")
def get_member(request: HttpRequest, membership_id: Id) -> Any:
    return selectors.membership_get(actor=staff_actor(request), id=membership_id)


@router.post(
    "/members/{membership_id}/reveal", response=RevealOut, summary="查看完整个人信息（记录日志）"
)
def reveal(request: HttpRequest, membership_id: Id, payload: RevealIn) -> dict[str, str]:
    actor = staff_actor(request)
    membership = selectors.membership_get(actor=actor, id=membership_id)
    if payload.field not in {"id_number", "mobile"}:
        raise ValidationError({"field": [_("只能查看身份证号或手机号。")]})
    if payload.reason not in AccessReason.values:
        raise ValidationError({"reason": [_("请选择查看原因。")]})
    value = getattr(membership.person, payload.field)
    plain = ""
    if value is not None:
        plain = personal_data_reveal(
            actor=actor,
            subject=membership.person,
            field=payload.field,
            value=value,
            reason=payload.reason,
            reason_note=payload.reason_note,
            ip_address=client_ip(request),
        )
    return {"field": payload.field, "value": plain}


@router.post("/members/{membership_id}/leave", response=MembershipOut, summary="办理退会")
def leave(request: HttpRequest, membership_id: Id, payload: LeaveIn) -> Any:
    actor = staff_actor(request)
    membership = selectors.membership_get(actor=actor, id=membership_id)
    return services.membership_end(actor=actor, membership=membership, **payload.dict())


@router.post(
    "/members/{membership_id}/transfer", response={201: TransferOut}, summary="原工会发起转接"
)
def start_transfer(request: HttpRequest, membership_id: Id, payload: TransferIn) -> Any:
    actor = staff_actor(request)
    membership = selectors.membership_get(actor=actor, id=membership_id)
    target = org_selectors.public_union_get(id=payload.to_union_id)
    return services.transfer_request(
        actor=actor, membership=membership, to_union=target, reason=payload.reason
    )


@router.get("/join-applications", response=list[JoinOut], summary="入会申请")
@paginate(Pages, page_size=50)
def list_joins(request: HttpRequest, status: Search = "pending") -> Any:
    return selectors.join_application_list(actor=staff_actor(request), status=status)


@router.get("/join-applications/{join_id}", response=JoinOut, summary="入会申请详情")
def get_join(request: HttpRequest, join_id: Id) -> Any:
    return selectors.join_application_get(actor=staff_actor(request), id=join_id)


@router.post("/join-applications/{join_id}/decision", response=JoinOut, summary="审批入会申请")
def decide_join(request: HttpRequest, join_id: Id, payload: DecisionIn) -> Any:
    actor = staff_actor(request)
    application = selectors.join_application_get(actor=actor, id=join_id)
    return services.join_decide(
        actor=actor, application=application, approve=payload.approve, note=payload.note
    )


@router.get("/transfers", response=list[TransferOut], summary="会员转接")
@paginate(Pages, page_size=50)
def list_transfers(request: HttpRequest, status: Search = "pending", direction: Search = "") -> Any:
    return selectors.transfer_list(actor=staff_actor(request), status=status, direction=direction)


@router.get("/transfers/{transfer_id}", response=TransferOut, summary="转接详情")
def get_transfer(request: HttpRequest, transfer_id: Id) -> Any:
    return selectors.transfer_get(actor=staff_actor(request), id=transfer_id)


@router.post("/transfers/{transfer_id}/decision", response=TransferOut, summary="转入工会审批")
def decide_transfer(request: HttpRequest, transfer_id: Id, payload: DecisionIn) -> Any:
    actor = staff_actor(request)
    transfer = selectors.transfer_get(actor=actor, id=transfer_id)
    return services.transfer_decide(
        actor=actor, transfer=transfer, accept=payload.approve, note=payload.note
    )


@router.post("/transfers/{transfer_id}/cancel", response=TransferOut, summary="撤回转接")
def cancel_transfer(request: HttpRequest, transfer_id: Id) -> Any:
    actor = staff_actor(request)
    transfer = selectors.transfer_get(actor=actor, id=transfer_id)
    return services.transfer_cancel(actor=actor, transfer=transfer)


# --- the worker's own -------------------------------------------------------------------------


class MeOut(Schema):
    person: PersonOut
    membership: MembershipOut | None


class CardOut(Schema):
    card_number: str
    name: str
    union_name: str
    joined_on: datetime.date
    verify_url: str
    expires_in_seconds: int


class JoinIn(Schema):
    union_id: Id
    employer_name: Annotated[str, Text.of(JoinApplication, "employer_name")]
    note: Annotated[str, Text.of(JoinApplication, "note")] = ""


class MyTransferIn(Schema):
    to_union_id: Id
    reason: Annotated[str, Text.of(TransferRequest, "reason")]


def _me(request: HttpRequest) -> tuple[Any, Any]:
    user = worker_actor(request)
    return user, selectors.person_get(actor=user, id=user.person_id)


@worker_router.get("", response=MeOut, summary="我的信息和会籍")
def me(request: HttpRequest) -> dict[str, Any]:
    _user, person = _me(request)
    return {"person": person, "membership": selectors.active_membership(person=person)}


@worker_router.get("/card", response={200: CardOut, 404: Any}, summary="电子会员卡")
def my_card(request: HttpRequest) -> Any:
    _user, person = _me(request)
    membership = selectors.active_membership(person=person)
    if membership is None:
        return Status(404, {"detail": _("您还不是工会会员。")})
    token = card.card_token(membership)
    return {
        "card_number": membership.card_number,
        "name": person.name,
        "union_name": membership.union.name,
        "joined_on": membership.joined_on,
        "verify_url": request.build_absolute_uri(reverse("portal:card_verify", args=[token])),
        "expires_in_seconds": card.MAX_AGE_SECONDS,
    }


@worker_router.get("/unions", response=list[UnionOut], summary="查找可加入的基层工会")
def find_unions(request: HttpRequest, q: Search) -> Any:
    worker_actor(request)
    return org_selectors.public_union_search(q=q)


@worker_router.post("/join-applications", response={201: JoinOut}, summary="申请入会")
def apply_to_join(request: HttpRequest, payload: JoinIn) -> Any:
    user, person = _me(request)
    union = org_selectors.public_union_get(id=payload.union_id)
    return services.join_apply(
        actor=user,
        person=person,
        union=union,
        employer_name=payload.employer_name,
        note=payload.note,
    )


@worker_router.get("/join-applications/{join_id}", response=JoinOut, summary="我的入会申请")
def my_join(request: HttpRequest, join_id: Id) -> Any:
    return selectors.join_application_get(actor=worker_actor(request), id=join_id)


@worker_router.post(
    "/join-applications/{join_id}/withdraw", response=JoinOut, summary="撤回入会申请"
)
def withdraw_join(request: HttpRequest, join_id: Id) -> Any:
    user = worker_actor(request)
    application = selectors.join_application_get(actor=user, id=join_id)
    return services.join_withdraw(actor=user, application=application)


@worker_router.post("/transfer-requests", response={201: TransferOut}, summary="申请会员转接")
def request_transfer(request: HttpRequest, payload: MyTransferIn) -> Any:
    user, person = _me(request)
    membership = selectors.active_membership(person=person)
    if membership is None:
        raise ValidationError({"to_union_id": [_("您还不是会员，请先申请入会。")]})
    target = org_selectors.public_union_get(id=payload.to_union_id)
    return services.transfer_request(
        actor=user, membership=membership, to_union=target, reason=payload.reason
    )


@worker_router.get("/transfer-requests/{transfer_id}", response=TransferOut, summary="我的转接申请")
def my_transfer(request: HttpRequest, transfer_id: Id) -> Any:
    return selectors.transfer_get(actor=worker_actor(request), id=transfer_id)


@worker_router.post(
    "/transfer-requests/{transfer_id}/cancel", response=TransferOut, summary="撤回转接申请"
)
def cancel_my_transfer(request: HttpRequest, transfer_id: Id) -> Any:
    user = worker_actor(request)
    transfer = selectors.transfer_get(actor=user, id=transfer_id)
    return services.transfer_cancel(actor=user, transfer=transfer)
