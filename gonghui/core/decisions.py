"""One decision workflow for every request an upper level approves or refuses.

A request (a join application, a transfer, a union founding, a workers' home assessment, a
menu order; later assistance applications, mutual-aid claims, competition sign-offs, factory
reviews) is decided in ordered steps, each named by the organisation level or role that
decides it (grassroots → town → district). The rules are the same for every kind, so they
live here and nowhere else:

- in order: a step is decided only once every step before it was approved;
- maker-checker: nobody decides a step of a request they entered, nor two steps of one
  request;
- scope: the decider is staff of the step's organisation (or above it, as the step says)
  with the step's permission; an actor outside the scope gets "not found";
- a refusal needs a reason, which the requester sees, and ends the request;
- every step is recorded (``DecisionStep``) with who, when, the outcome, the reason and a
  snapshot of what the decision relied on; the final approval runs the flow's ``apply``
  exactly once.

The app that owns a request kind declares its ``Flow`` (in its services module) and calls
``register``; ``flow_get`` finds a flow by name. Its public ``*_decide`` service calls
``decide``. A bulk approval calls ``decide_many``: the same rules and messages for each
request, in a handful of statements for the set (the flow's ``*_many`` hooks do for a list
what its single hooks do for one).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import bulk
from gonghui.core.locks import LockSpace, lock_one, lock_rows
from gonghui.core.models import DecisionStep
from gonghui.core.permissions import Perm, has_perm, require
from gonghui.core.scoping import NotFound, require_within
from gonghui.core.text import StrOrPromise
from gonghui.core.validators import clean_text, raise_errors


class Reach(StrEnum):
    """Who decides a step, relative to the step's organisation."""

    SUBTREE = "subtree"  # its staff, or staff of any organisation above it
    ABOVE = "above"  # staff strictly above it: nobody decides on their own organisation
    OWN = "own"  # staff of that very organisation only


@dataclass(frozen=True)
class Step:
    """One tier of a flow.

    ``organization`` finds the deciding organisation from the request (its union, that
    union's town ancestor, ...). ``denied`` is what an actor who may see the request but not
    decide this step is told (``OWN``: staff of another organisation; ``ABOVE``: staff of the
    organisation itself); a generic sentence when not given."""

    name: str
    label: StrOrPromise
    organization: Callable[[Any], Any]
    perm: Perm
    reach: Reach = Reach.SUBTREE
    denied: Callable[[Any], str] | None = None
    # ``decide_many``: the organisations of many requests at once (in their order), the
    # same ``organization`` gives one by one; called per request when not given.
    organization_many: Callable[[Sequence[Any]], list[Any]] | None = None


def _no_effect(actor: Any, request: Any, reason: str) -> None:
    return None


@dataclass(frozen=True)
class Flow:
    """How one kind of request is decided.

    ``maker`` returns the id of the user who entered the request (for a request a worker
    filed through the portal, the worker). The request's ``status_field`` moves from
    ``pending`` to ``approved`` or ``refused`` when the last step approves or any step
    refuses; then its ``decided_by`` (and ``decided_at`` where the model has it) and
    ``note_field`` hold the closing decision, for the pages and the API that read them.

    Hooks, all called inside ``decide``'s transaction with the request locked:
    ``lock`` locks and returns the request (and whatever it must lock with it, in the
    table's lock order, ``core.locks``); without it the request row alone is locked in the
    flow's ``lock_space``. The race that lock prevents: two deciders (or one double click)
    both read "pending, step k next" and both decide step k; under the lock the second
    waits, then reads the first one's step; ``check`` adds the kind's own problems to the error
    dict (an inactive membership, a closed union); ``apply`` carries out the final approval
    (creates the membership, the union, ...) and ``refuse`` a refusal (returns a quota);
    ``snapshot`` returns the JSON-able facts the decider relied on. ``apply`` is called as
    ``apply(actor, request, reason, **options)`` with the options ``decide`` was given (the
    code of a union being founded). ``apply`` and ``refuse`` set what they change on the
    request; ``decide`` saves it afterwards. A ``ValidationError`` they raise undoes the
    whole decision, the recorded step included."""

    name: str
    steps: tuple[Step, ...]
    maker: Callable[[Any], int | None]
    status_field: str
    pending: str
    approved: str
    refused: str
    closed_message: Callable[[Any], str]
    snapshot: Callable[[Any], dict[str, Any]]
    apply: Callable[..., None]
    refuse: Callable[[Any, Any, str], None] = _no_effect
    lock_space: LockSpace | None = None
    lock: Callable[[Any], Any] | None = None
    check: Callable[[Any, Any, bool, dict[str, list[str]]], None] | None = None
    note_field: str = "decision_note"
    # Where "no longer pending" is reported; ``note_field`` when empty.
    closed_field: str = ""
    # The message for a refusal without a reason; "required" when not given.
    reason_message: Callable[[], str] | None = None
    # Set-based twins of the hooks for ``decide_many``, each doing for a list what its
    # single hook does for one request (the tests compare them); the single hook is called
    # per request when one is not given. ``lock_many(ids)`` locks and returns the requests
    # in key order (those that exist), with what ``lock`` locks with each; ``check_many``
    # adds to ``errors[request.pk]``; ``snapshot_many`` returns the snapshots in order;
    # ``apply_many(actor, requests, reason, **options)`` returns the ``ValidationError`` of
    # each request it could not apply, and must have written nothing for those.
    lock_many: Callable[[list[int]], list[Any]] | None = None
    check_many: Callable[[Any, list[Any], bool, dict[int, dict[str, list[str]]]], None] | None = (
        None
    )
    snapshot_many: Callable[[list[Any]], list[dict[str, Any]]] | None = None
    apply_many: Callable[..., dict[int, ValidationError]] | None = None

    def is_pending(self, request: Any) -> bool:
        return bool(getattr(request, self.status_field) == self.pending)


def _lock(flow: Flow, request: Any) -> Any:
    if flow.lock is not None:
        return flow.lock(request)
    if flow.lock_space is None:
        raise ValueError(f"decision flow {flow.name!r} names neither lock nor lock_space")
    return lock_one(flow.lock_space, type(request), request.pk)


_FLOWS: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    """Make ``flow`` known by its name (once per process; a second flow of the same name
    is a programming error)."""
    known = _FLOWS.get(flow.name)
    if known is not None and known is not flow:
        raise ValueError(f"decision flow {flow.name!r} is already registered")
    if not flow.steps:
        raise ValueError(f"decision flow {flow.name!r} has no steps")
    _FLOWS[flow.name] = flow
    return flow


def flow_get(name: str) -> Flow:
    return _FLOWS[name]


def flows() -> list[Flow]:
    return sorted(_FLOWS.values(), key=lambda f: f.name)


def ancestor_of_kind(org: Any, kind: str) -> Any:
    """The organisation of ``kind`` above ``org`` (or ``org`` itself), for steps named by
    level: "the union's town", "its district"."""
    if org.kind == kind:
        return org
    return type(org)._default_manager.get(pk__in=org.ancestor_ids(), kind=kind)


def ancestors_of_kind(orgs: Sequence[Any], kind: str) -> list[Any]:
    """``ancestor_of_kind`` of each of ``orgs``, in their order, read in one query (for the
    ``organization_many`` of a step named by level)."""
    above = {pk for org in orgs if org.kind != kind for pk in org.ancestor_ids()}
    found = {}
    if above:
        model = type(orgs[0])
        found = {o.pk: o for o in model._default_manager.filter(pk__in=above, kind=kind)}
    result = []
    for org in orgs:
        matches = [found[pk] for pk in org.ancestor_ids() if pk in found]
        if org.kind == kind:
            result.append(org)
        elif len(matches) == 1:
            result.append(matches[0])
        else:  # none, or a tree gone wrong: fail as ``ancestor_of_kind`` fails
            result.append(ancestor_of_kind(org, kind))
    return result


# --- reading a request's steps -------------------------------------------------------------


def _type_of(request: Any) -> str:
    label: str = type(request)._meta.label_lower
    return label


def steps_of(request: Any) -> list[DecisionStep]:
    """The recorded steps of ``request``, in order. Callers have read the request through a
    scoped selector; ``core.selectors.decision_step_list`` is the scoped reader."""
    return list(
        DecisionStep.objects.filter(request_type=_type_of(request), object_id=request.pk)
        .select_related("decided_by", "organization")
        .order_by("index")
    )


def next_step(flow: Flow, request: Any, recorded: list[DecisionStep] | None = None) -> Step | None:
    """The step waiting for a decision, or None when the request is no longer pending."""
    if not flow.is_pending(request):
        return None
    done = len(steps_of(request) if recorded is None else recorded)
    return flow.steps[done] if done < len(flow.steps) else None


# --- who may decide ------------------------------------------------------------------------


def request_visible(actor: Any, request: Any) -> bool:
    """Whether the actor can see the request through its model's scope (staff of its
    subtree, or the worker who owns it)."""
    model: Any = type(request)
    return bool(model._default_manager.filter(model.scope_q(actor), pk=request.pk).exists())


def _authorize(
    actor: Any, step: Step, request: Any, *, org: Any = None, visible: bool | None = None
) -> Any:
    """The step's organisation when the actor may decide it. ``NotFound`` outside the
    scope, ``PermissionDenied`` for a role without the permission or the wrong level.
    ``decide_many`` passes the organisation and the request's visibility it read for many
    requests at once."""
    if org is None:
        org = step.organization(request)
    if step.reach is Reach.OWN:
        if visible is None:
            visible = bool(getattr(actor, "scope_path", None)) and request_visible(actor, request)
        if not getattr(actor, "scope_path", None) or not visible:
            raise NotFound
        if actor.organization_id != org.pk:
            raise PermissionDenied(_denied(step, org))
        require(actor, step.perm)
        return org
    require_within(actor, org, step.perm)
    if step.reach is Reach.ABOVE and org.path == actor.scope_path:
        raise PermissionDenied(_denied(step, org))
    return org


def _denied(step: Step, org: Any) -> str:
    if step.denied is not None:
        return step.denied(org)
    return _("此步骤由%(org)s审批，您可以查看进度。") % {"org": org.name}


def _maker_checker(flow: Flow, actor: Any, request: Any, recorded: list[DecisionStep]) -> None:
    if actor.pk == flow.maker(request):
        raise PermissionDenied(_("您是本申请的录入人，须由其他工作人员审批。"))
    if any(s.decided_by_id == actor.pk for s in recorded):
        raise PermissionDenied(_("您已审批过本申请的上一步，须由其他工作人员审批。"))


def may_decide(*, actor: Any, flow: Flow, request: Any) -> bool:
    """Whether the actor could decide the request's next step now (for pages to offer the
    form only to those who can use it). ``decide`` checks the same again under the lock."""
    recorded = steps_of(request)
    step = next_step(flow, request, recorded)
    if step is None or not has_perm(actor, step.perm):
        return False
    try:
        _authorize(actor, step, request)
        _maker_checker(flow, actor, request, recorded)
    except (NotFound, PermissionDenied):
        return False
    return True


# --- deciding ------------------------------------------------------------------------------


@transaction.atomic
def decide(
    *,
    actor: Any,
    flow: Flow,
    request: Any,
    approve: bool,
    reason: str = "",
    options: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> Any:
    """Decide the next step of ``request``: one transaction, under the request's lock.

    ``at``: when the decision was made, for one recorded after the fact (a federation
    entering the decisions of its paper files, the demo city's past years); now if not
    given, never later than now.

    Returns the locked request as saved. Raises ``NotFound`` / ``PermissionDenied`` for an
    actor who may not decide it, ``ValidationError`` (at ``flow.note_field``) when it is no
    longer pending, a refusal has no reason, or the flow's ``check`` finds a problem."""
    if at is not None and at > timezone.now():
        raise ValueError("a decision cannot be recorded in the future")
    # Lock first: the pending state, the recorded steps and what the hooks check are read
    # as they are now, so two deciders (or a double click) cannot both decide one step.
    request = _lock(flow, request)
    recorded = steps_of(request)
    pending = flow.is_pending(request)
    if pending and len(recorded) >= len(flow.steps):  # the last step closes the request
        raise RuntimeError(f"{flow.name} #{request.pk}: every step decided but still pending")
    # A closed request is checked against its last decided step, so a stranger still gets
    # "not found" and the decider's double click "already decided".
    step = flow.steps[len(recorded) if pending else max(len(recorded) - 1, 0)]
    org = _authorize(actor, step, request)
    if pending:
        _maker_checker(flow, actor, request, recorded)
    errors: dict[str, list[str]] = {}
    field_name = flow.note_field
    reason = clean_text(reason, field_name, errors, required=False, limit=300, multiline=True)
    if not pending:
        errors.setdefault(flow.closed_field or field_name, []).append(flow.closed_message(request))
    if not approve and not reason:
        message = flow.reason_message() if flow.reason_message else _("此项必填。")
        errors.setdefault(field_name, []).append(message)
    if pending and flow.check is not None:
        flow.check(actor, request, approve, errors)
    raise_errors(errors)
    index = len(recorded)
    now = at or timezone.now()
    try:
        with transaction.atomic():  # a savepoint: the constraint, not a half-written step
            DecisionStep.objects.create(
                request_type=_type_of(request),
                object_id=request.pk,
                flow=flow.name,
                index=index,
                step=step.name,
                organization=org,
                decided_by=actor,
                decided_at=now,
                approved=approve,
                reason=reason,
                snapshot=flow.snapshot(request),
            )
    except IntegrityError:
        # Only a caller that skipped ``flow.lock`` can get here: the step is taken.
        closed = {flow.closed_field or field_name: [flow.closed_message(request)]}
        raise ValidationError(closed) from None
    last = index == len(flow.steps) - 1
    if approve and not last:
        return request
    if approve:
        flow.apply(actor, request, reason, **(options or {}))
    else:
        flow.refuse(actor, request, reason)
    setattr(request, flow.status_field, flow.approved if approve else flow.refused)
    request.decided_by = actor
    if _has_field(type(request), "decided_at"):
        request.decided_at = now
    setattr(request, flow.note_field, reason)
    request._history_user = actor
    request.save()
    return request


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


# --- deciding many at once ------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One request of ``decide_many``: the request as saved, or the error the single
    ``decide`` would have raised for it (and then nothing was written for it)."""

    request: Any
    error: NotFound | PermissionDenied | ValidationError | None = None
    # The step recorded (its index in the flow) and its organisation, when decided.
    index: int | None = None
    organization: Any = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _lock_many(flow: Flow, model: type[models.Model], ids: list[int]) -> list[Any]:
    if flow.lock_many is not None:
        return flow.lock_many(ids)
    if flow.lock is None and flow.lock_space is not None:
        return lock_rows(flow.lock_space, model._base_manager.filter(pk__in=ids))
    found = []  # the flow's own lock, one request at a time, in key order
    for pk in ids:
        stub = model(pk=pk)
        try:
            found.append(_lock(flow, stub))
        except model.DoesNotExist:  # type: ignore[attr-defined]
            continue
    return found


def _deciders_of(model: type[models.Model], ids: list[int]) -> dict[int, list[int]]:
    """Who decided each recorded step of each request, in order: all ``decide`` reads of
    them (how many, and by whom)."""
    label: str = model._meta.label_lower
    found: dict[int, list[int]] = {pk: [] for pk in ids}
    rows = (
        DecisionStep.objects.filter(request_type=label, object_id__in=ids)
        .order_by("object_id", "index")
        .values_list("object_id", "decided_by_id")
    )
    for object_id, decided_by_id in rows:
        found[object_id].append(decided_by_id)
    return found


class _Recorded:
    """The recorded steps of a request as ``_maker_checker`` reads them (who decided)."""

    def __init__(self, decided_by_id: int) -> None:
        self.decided_by_id = decided_by_id


@transaction.atomic
def decide_many(
    *,
    actor: Any,
    flow: Flow,
    requests: Sequence[Any],
    approve: bool,
    reason: str = "",
    options: dict[str, Any] | None = None,
) -> list[Outcome]:
    """Decide the next step of each of ``requests`` (all of one model and flow) at once, as
    if ``decide`` were called for each in key order, each in its own savepoint: the same
    rules, checks and messages, a request that cannot be decided keeps its state and gets
    the error ``decide`` would raise. One transaction, and a handful of statements whatever
    the number: the requests locked in one statement (key order), their recorded steps read
    in one, the checks done in Python, the steps written in one bulk insert, the flow's
    set-based hooks (``Flow.*_many``) called once with the list, the closed requests saved in
    one ``UPDATE`` per distinct set of changes, with their history rows in one insert.

    Unlike ``save()``, the closing ``UPDATE`` sends no model signals (the caller bumps what
    it keeps counts of); a model with ``pre_save`` receivers is saved one by one. Should a
    constraint refuse the set (only a caller that skipped the locks, or something the
    hooks did not foresee), the writes are undone and each request is decided alone by
    ``decide``. Returns one ``Outcome`` per request, in key order."""
    if not requests:
        return []
    model: type[models.Model] = type(requests[0])
    given = {r.pk: r for r in requests}
    ids = sorted(given)
    # Lock first (key order): as ``decide`` does, so that the states, recorded steps and
    # what the checks read are as they are now.
    locked = {r.pk: r for r in _lock_many(flow, model, ids)}
    deciders = _deciders_of(model, list(locked))
    outcomes: dict[int, Outcome] = {
        pk: Outcome(given[pk], NotFound()) for pk in ids if pk not in locked
    }
    at: dict[int, tuple[bool, int]] = {}  # pending?, the index of the step checked
    for pk, request in locked.items():
        pending = flow.is_pending(request)
        done = len(deciders[pk])
        if pending and done >= len(flow.steps):
            raise RuntimeError(f"{flow.name} #{pk}: every step decided but still pending")
        at[pk] = (pending, done if pending else max(done - 1, 0))
    orgs: dict[int, Any] = {}
    for index, step in enumerate(flow.steps):
        group = [locked[pk] for pk in locked if at[pk][1] == index]
        if not group:
            continue
        if step.organization_many is not None:
            found = step.organization_many(group)
        else:
            found = [step.organization(request) for request in group]
        orgs.update({r.pk: org for r, org in zip(group, found, strict=True)})
    visible: set[int] = set()
    if getattr(actor, "scope_path", None) and any(
        flow.steps[at[pk][1]].reach is Reach.OWN for pk in locked
    ):
        visible = set(
            model._default_manager.filter(model.scope_q(actor), pk__in=list(locked)).values_list(  # type: ignore[attr-defined]
                "pk", flat=True
            )
        )
    field_name = flow.note_field
    errors_of: dict[int, dict[str, list[str]]] = {}
    cleaned = clean_text(reason, field_name, {}, required=False, limit=300, multiline=True)
    for pk, request in locked.items():
        pending, index = at[pk]
        step = flow.steps[index]
        try:
            _authorize(actor, step, request, org=orgs[pk], visible=pk in visible)
            if pending:
                recorded = [_Recorded(d) for d in deciders[pk]]
                _maker_checker(flow, actor, request, recorded)  # type: ignore[arg-type]
        except (NotFound, PermissionDenied) as exc:
            outcomes[pk] = Outcome(request, exc)
            continue
        errors: dict[str, list[str]] = {}
        clean_text(reason, field_name, errors, required=False, limit=300, multiline=True)
        if not pending:
            errors.setdefault(flow.closed_field or field_name, []).append(
                flow.closed_message(request)
            )
        if not approve and not cleaned:
            message = flow.reason_message() if flow.reason_message else _("此项必填。")
            errors.setdefault(field_name, []).append(message)
        errors_of[pk] = errors
    checked = [locked[pk] for pk in errors_of if at[pk][0]]
    if checked and flow.check is not None:
        if flow.check_many is not None:
            flow.check_many(actor, checked, approve, errors_of)
        else:
            for request in checked:
                flow.check(actor, request, approve, errors_of[request.pk])
    ready = []
    for pk, errors in errors_of.items():
        if errors:
            outcomes[pk] = Outcome(locked[pk], ValidationError(errors))
        else:
            ready.append(locked[pk])
    if ready:
        try:
            with transaction.atomic():  # a savepoint: undone whole if a constraint refuses
                outcomes.update(
                    _write_many(actor, flow, ready, at, orgs, approve, cleaned, options or {})
                )
        except IntegrityError:
            for request in ready:
                try:
                    with transaction.atomic():
                        saved = decide(
                            actor=actor,
                            flow=flow,
                            request=request,
                            approve=approve,
                            reason=reason,
                            options=options,
                        )
                except (NotFound, PermissionDenied, ValidationError) as exc:
                    outcomes[request.pk] = Outcome(request, exc)
                else:
                    index = at[request.pk][1]
                    outcomes[request.pk] = Outcome(
                        saved, index=index, organization=orgs[request.pk]
                    )
    return [outcomes[pk] for pk in ids]


def _each(
    hook: Callable[[Any], None], requests: list[Any], failed: dict[int, ValidationError]
) -> None:
    """A single hook per request, each in its own savepoint: a ``ValidationError`` undoes
    that request's decision alone, as it would undo ``decide``."""
    for request in requests:
        try:
            with transaction.atomic():
                hook(request)
        except ValidationError as exc:
            failed[request.pk] = exc


def _write_many(
    actor: Any,
    flow: Flow,
    ready: list[Any],
    at: dict[int, tuple[bool, int]],
    orgs: dict[int, Any],
    approve: bool,
    reason: str,
    options: dict[str, Any],
) -> dict[int, Outcome]:
    model: type[models.Model] = type(ready[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    before = {r.pk: [getattr(r, f.attname) for f in fields] for r in ready}
    # The snapshots are what the deciders saw: taken before any hook changes the request.
    if flow.snapshot_many is not None:
        snapshots = flow.snapshot_many(ready)
    else:
        snapshots = [flow.snapshot(request) for request in ready]
    snapshot_of = {r.pk: s for r, s in zip(ready, snapshots, strict=True)}
    last = len(flow.steps) - 1
    closing = [r for r in ready if not approve or at[r.pk][1] == last]
    failed: dict[int, ValidationError] = {}
    # The hooks run before the steps are written (``decide`` writes the step first): no hook
    # reads the steps, and a request a hook refuses then has nothing to undo.
    if approve and closing:
        if flow.apply_many is not None:
            failed = flow.apply_many(actor, closing, reason, **options)
        else:
            _each(lambda r: flow.apply(actor, r, reason, **options), closing, failed)
    elif closing:
        _each(lambda r: flow.refuse(actor, r, reason), closing, failed)
    by_pk = {r.pk: r for r in ready}
    outcomes = {pk: Outcome(by_pk[pk], exc) for pk, exc in failed.items()}
    written = [r for r in ready if r.pk not in failed]
    now = timezone.now()
    label = model._meta.label_lower
    bulk.insert_rows(
        DecisionStep,
        [
            "request_type",
            "object_id",
            "flow",
            "index",
            "step",
            "organization_id",
            "decided_by_id",
            "decided_at",
            "approved",
            "reason",
            "snapshot",
        ],
        [
            (
                label,
                r.pk,
                flow.name,
                at[r.pk][1],
                flow.steps[at[r.pk][1]].name,
                orgs[r.pk].pk,
                actor.pk,
                now,
                approve,
                reason,
                json.dumps(snapshot_of[r.pk], cls=DjangoJSONEncoder, ensure_ascii=False),
            )
            for r in written
        ],
    )
    closed = [r for r in closing if r.pk not in failed]
    has_decided_at = _has_field(model, "decided_at")
    for request in closed:
        setattr(request, flow.status_field, flow.approved if approve else flow.refused)
        request.decided_by = actor
        if has_decided_at:
            request.decided_at = now
        setattr(request, flow.note_field, reason)
        request._history_user = actor
    _save_many(model, closed, fields, before, actor, now)
    outcomes.update({r.pk: Outcome(r, index=at[r.pk][1], organization=orgs[r.pk]) for r in written})
    return outcomes


def _save_many(
    model: type[models.Model],
    rows: list[Any],
    fields: list[models.Field],
    before: dict[int, list[Any]],
    actor: Any,
    now: Any,
) -> None:
    """What ``save()`` of each row would store, in one ``UPDATE`` per distinct set of
    changed values (a bulk's rows mostly change alike), and their history rows at once."""
    if not rows:
        return
    if pre_save.has_listeners(model):  # a receiver must see each save: save them as usual
        for row in rows:
            row.save()
        return
    for field in fields:
        if getattr(field, "auto_now", False):
            for row in rows:
                setattr(row, field.attname, now)
    groups: dict[Any, tuple[dict[str, Any], list[int]]] = {}
    for row in rows:
        changes = {
            f.attname: new
            for f, old, new in zip(
                fields, before[row.pk], (getattr(row, f.attname) for f in fields), strict=True
            )
            if not (old is new or old == new)
        }
        try:
            key: Any = tuple(changes.items())
            hash(key)
        except TypeError:  # a JSON value: this row alone
            key = ("row", row.pk)
        groups.setdefault(key, (changes, []))[1].append(row.pk)
    for changes, pks in groups.values():
        if changes:
            model._base_manager.filter(pk__in=pks).update(**changes)
    if getattr(model._meta, "simple_history_manager_attribute", None) == "history":
        bulk.insert_history(model, rows, history_type="~", user_id=actor.pk, date=now)
