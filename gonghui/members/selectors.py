"""Reads of people and memberships, scoped to the actor."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from gonghui.core.scoping import get_visible
from gonghui.core.validators import digits, normalize_id_number, normalize_mobile
from gonghui.members.models import (
    JoinApplication,
    Membership,
    MembershipStatus,
    Person,
    RequestStatus,
    TransferRequest,
)
from gonghui.members.services import card_number_valid, id_number_hash, mobile_hash
from gonghui.organizations.models import Organization


def exact_key(q: str) -> tuple[str, str] | None:
    """Recognise a query that is an ID number, a mobile number or a card number, which are
    matched exactly (the first two through their keyed hashes), never by substring."""
    text = q.strip().upper()
    if len(text) == 18:
        try:
            return "id_number", id_number_hash(normalize_id_number(text))
        except ValidationError:
            return None
    if len(text) == 11 and digits(text):
        try:
            return "mobile", mobile_hash(normalize_mobile(text))
        except ValidationError:
            return None
    if len(text) >= 10 and text[:2].isalpha() and card_number_valid(text):
        return "card", text
    return None


def people_by_hashes(
    *, id_hashes: list[str], mobile_hashes: list[str]
) -> tuple[dict[str, tuple[int, str, str | None]], dict[str, int], dict[int, tuple[int, str]]]:
    """For an import's duplicate checks across the whole city (deliberately unscoped: an ID
    number is unique everywhere): people by ID hash → (id, name, mobile hash), owners of the
    mobile hashes, and the active membership (union id, name) of those people.

    On PostgreSQL each look-up is one statement with an array parameter (``= ANY``), which
    stays cheap for thousands of values; elsewhere the ORM's ``IN``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id_number_hash, id, name, mobile_hash FROM members_person "
                "WHERE id_number_hash = ANY(%s)",
                [id_hashes],
            )
            people = {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}
            cursor.execute(
                "SELECT mobile_hash, id FROM members_person WHERE mobile_hash = ANY(%s)",
                [mobile_hashes],
            )
            mobiles = {row[0]: row[1] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT m.person_id, m.union_id, o.name FROM members_membership m "
                "JOIN organizations_organization o ON o.id = m.union_id "
                "WHERE m.status = 'active' AND m.person_id = ANY(%s)",
                [[p[0] for p in people.values()]],
            )
            active = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
        return people, mobiles, active
    people = {
        digest: (pk, name, mobile)
        for digest, pk, name, mobile in Person.unscoped.filter(
            id_number_hash__in=id_hashes
        ).values_list("id_number_hash", "id", "name", "mobile_hash")
    }
    mobiles = dict(
        Person.unscoped.filter(mobile_hash__in=mobile_hashes).values_list("mobile_hash", "id")
    )
    active = {
        pid: (uid, uname)
        for pid, uid, uname in Membership.unscoped.filter(
            person_id__in=[p[0] for p in people.values()], status=MembershipStatus.ACTIVE
        ).values_list("person_id", "union_id", "union__name")
    }
    return people, mobiles, active


# The member list's sortable columns (a whitelist: a sort key never reaches ``order_by``
# unchecked). Each order ends with the id, so rows with equal keys keep one order, which keyset
# pagination needs (``core.pagination``). "-" in front of a key sorts descending.
MEMBER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("person__name", "id"),
    "union": ("union__name", "id"),
    "joined": ("joined_on", "id"),
    "status": ("status", "id"),
}
MEMBER_DEFAULT_ORDER = ("-id",)


def member_order(sort: str) -> tuple[str, ...]:
    """The ``order_by`` of a whitelisted sort key (``"name"``, ``"-joined"``); the newest
    registrations first for anything else."""
    descending = sort.startswith("-")
    fields = MEMBER_SORTS.get(sort.removeprefix("-"))
    if fields is None:
        return MEMBER_DEFAULT_ORDER
    return tuple(f"-{f}" for f in fields) if descending else fields


def member_list(
    *,
    actor: Any,
    q: str = "",
    within: Organization | None = None,
    status: str = MembershipStatus.ACTIVE,
    sex: str = "",
    household: str = "",
    key: str = "",
    joined_from: datetime.date | None = None,
    joined_to: datetime.date | None = None,
    employer: Any = None,
    sort: str = "",
) -> QuerySet[Membership]:
    """Members (one row per membership), in the order of ``sort`` (``member_order``). ``q``
    matches names (any part). ``within``: unions in that organisation's subtree (which the
    caller fetched through the actor's scope); ``joined_from`` / ``joined_to``: the joining
    day, both ends included. ``key`` is an exact ID number, mobile or card number; callers
    take it from a request body, never from a URL, so the number stays out of logs and
    browser history."""
    qs = Membership.objects.visible_to(actor).select_related("person", "union")
    if within is not None:
        qs = qs.filter(union__path__startswith=within.path)
    if status:
        qs = qs.filter(status=status)
    if sex:
        qs = qs.filter(person__sex=sex)
    if household:
        qs = qs.filter(person__household=household)
    if joined_from is not None:
        qs = qs.filter(joined_on__gte=joined_from)
    if joined_to is not None:
        qs = qs.filter(joined_on__lte=joined_to)
    if employer is not None:
        qs = qs.filter(person__employer=employer)
    if q.strip():
        qs = qs.filter(person__name__contains=q.strip())
    if key:
        exact = exact_key(key)
        if exact is None:
            return qs.none()
        field = {"id_number": "person__id_number_hash", "mobile": "person__mobile_hash"}
        qs = qs.filter(**{field.get(exact[0], "card_number"): exact[1]})
    return qs.order_by(*member_order(sort))


def membership_get(*, actor: Any, id: int) -> Membership:
    return get_visible(
        Membership.objects.visible_to(actor).select_related("person", "union", "previous"),
        pk=id,
    )


def person_visible(*, actor: Any, person_id: int) -> bool:
    """Whether the actor may see this person's record (their scope holds or held the
    membership, or has a pending request of theirs in front of it)."""
    return Person.objects.visible_to(actor).filter(pk=person_id).exists()


def person_known(*, actor: Any, person: Person) -> bool:
    """Whether the actor's branch already knows this person's registered name, so that
    comparing a typed name with it tells nothing new: the record is in the actor's scope, or
    the actor's subtree registered the person (at a counter, say) under the name they still
    have. Nothing here depends on what anyone typed, so it cannot be probed."""
    if person_visible(actor=actor, person_id=person.pk):
        return True
    path = getattr(actor, "scope_path", None)
    first = (
        Person.history.filter(id=person.pk)
        .order_by("history_id")
        .values_list("name", "history_user__organization__path")
        .first()
    )
    return bool(path and first and first[0] == person.name and (first[1] or "").startswith(path))


def person_get(*, actor: Any, id: int) -> Person:
    return get_visible(Person.objects.visible_to(actor).select_related("employer"), pk=id)


def membership_lookup(*, actor: Any, id_number: str) -> list[Membership]:
    """The memberships in the actor's scope of the person with this ID number, newest first:
    one indexed query (keyed hash → person → memberships), for counters and the API."""
    digest = id_number_hash(normalize_id_number(id_number))
    return list(
        Membership.objects.visible_to(actor)
        .filter(person__id_number_hash=digest)
        .select_related("person", "union")
        .only(*LOOKUP_FIELDS)
        .order_by("-id")
    )


# What a look-up shows; fewer columns to compile, fetch and decrypt on a path that must be fast.
LOOKUP_FIELDS = (
    "id",
    "union_id",
    "card_number",
    "joined_on",
    "status",
    "ended_on",
    "previous_id",
    "person__id",
    "person__name",
    "person__sex",
    "person__birth_date",
    "person__id_number",
    "person__mobile",
    "person__household",
    "person__education",
    "union__id",
    "union__name",
    "union__path",
)


def person_memberships(*, person: Person) -> QuerySet[Membership]:
    """The whole membership path of a person already shown to the actor: joining, transfers,
    leaving, across unions (a transfer's history is the point)."""
    return (
        Membership.unscoped.filter(person=person)
        .select_related("union", "previous")
        .order_by("-id")
    )


def active_membership(*, person: Person) -> Membership | None:
    return (
        Membership.unscoped.filter(person=person, status=MembershipStatus.ACTIVE)
        .select_related("union", "union__parent")
        .first()
    )


def user_is_member(user: Any) -> bool:
    """Whether a portal user holds an active membership: which of the join, transfer and
    card tiles their portal home shows. Asked once per request (kept on the user object)."""
    known = getattr(user, "_gonghui_is_member", None)
    if known is None:
        person_id = getattr(user, "person_id", None)
        known = person_id is not None and (
            Membership.unscoped.filter(person_id=person_id, status=MembershipStatus.ACTIVE).exists()
        )
        user._gonghui_is_member = known
    return bool(known)


def user_is_not_member(user: Any) -> bool:
    return not user_is_member(user)


def join_application_list(
    *, actor: Any, status: str = RequestStatus.PENDING, within: Organization | None = None
) -> QuerySet[JoinApplication]:
    qs = JoinApplication.objects.visible_to(actor).select_related("person", "union")
    if status:
        qs = qs.filter(status=status)
    if within is not None:
        qs = qs.filter(union__path__startswith=within.path)
    return qs.order_by("-created_at", "-id")


def join_application_get(*, actor: Any, id: int) -> JoinApplication:
    return get_visible(
        JoinApplication.objects.visible_to(actor).select_related(
            "person", "union", "decided_by", "membership"
        ),
        pk=id,
    )


def transfer_list(
    *, actor: Any, status: str = RequestStatus.PENDING, direction: str = ""
) -> QuerySet[TransferRequest]:
    """``direction``: ``"in"`` (into the actor's subtree), ``"out"`` or both."""
    qs = TransferRequest.objects.visible_to(actor).select_related(
        "membership__person", "membership__union", "to_union"
    )
    path = getattr(actor, "scope_path", None)
    if path and direction == "in":
        qs = qs.filter(to_union__path__startswith=path)
    elif path and direction == "out":
        qs = qs.filter(membership__union__path__startswith=path)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def transfer_get(*, actor: Any, id: int) -> TransferRequest:
    return get_visible(
        TransferRequest.objects.visible_to(actor).select_related(
            "membership__person", "membership__union", "to_union", "decided_by"
        ),
        pk=id,
    )


def pending_joins(actor: Any) -> int:
    return JoinApplication.objects.visible_to(actor).filter(status=RequestStatus.PENDING).count()


def pending_transfers_in(actor: Any) -> int:
    path = getattr(actor, "scope_path", None) or ""
    return (
        TransferRequest.objects.visible_to(actor)
        .filter(status=RequestStatus.PENDING, to_union__path__startswith=path)
        .count()
    )


def membership_by_card(*, id: int, card_number: str) -> Membership | None:
    """The membership a scanned member card names (its signed token carries both), for the
    public verification page: anyone may scan a card; the token, not a login, is the key."""
    return (
        Membership.unscoped.filter(pk=id, card_number=card_number)
        .select_related("person", "union")
        .first()
    )


def active_union_paths(*, person_id: int) -> list[str]:
    """The tree paths of the unions the person is an active member of: a member "within" a
    subtree is one whose union's path starts with the subtree root's (the same rule as
    ``active_member_within_sql``, for callers that check many subtrees at once)."""
    return list(
        Membership.unscoped.filter(person_id=person_id, status=MembershipStatus.ACTIVE).values_list(
            "union__path", flat=True
        )
    )


def active_member_within_sql(*, person: str, path: str) -> str:
    """An SQL condition, for callers that read in plain SQL on a hot path (a booking rush):
    the person (the SQL expression ``person``) holds an active membership in the subtree
    whose root has the path ``path`` (an SQL expression too, e.g. a named parameter). The
    members app owns how a membership is stored; callers only place the condition."""
    # Table names from the models; ``person`` and ``path`` are the caller's SQL, not input.
    memberships, organizations = Membership._meta.db_table, Organization._meta.db_table
    active = MembershipStatus.ACTIVE.value
    return (
        f"EXISTS (SELECT 1 FROM {memberships} m JOIN {organizations} u ON u.id = m.union_id"  # noqa: S608
        f" WHERE m.person_id = {person} AND m.status = '{active}'"
        f" AND u.path LIKE {path} || '%%')"
    )


# --- figures (the module registry's; the dashboard reads them) --------------------------------


def members_at_year_end(actor: Any, org: Any, year: int) -> QuerySet[Membership]:
    """Memberships in force on 31 December of ``year`` (today, for the current year) in the
    subtree of ``org``."""
    day = min(datetime.date(year, 12, 31), timezone.localdate())
    return (
        Membership.objects.visible_to(actor)
        .filter(union__path__startswith=org.path, joined_on__lte=day)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))
    )


def members_joined_in(actor: Any, org: Any, year: int) -> QuerySet[Membership]:
    """Memberships that began in ``year`` in the subtree of ``org`` (a transfer's new
    membership keeps its first joining day, so it counts in the year the worker joined)."""
    return Membership.objects.visible_to(actor).filter(
        union__path__startswith=org.path, joined_on__year=year
    )
