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
``decide``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core.locks import LockSpace, lock_one
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


def _authorize(actor: Any, step: Step, request: Any) -> Any:
    """The step's organisation when the actor may decide it. ``NotFound`` outside the
    scope, ``PermissionDenied`` for a role without the permission or the wrong level."""
    org = step.organization(request)
    if step.reach is Reach.OWN:
        if not getattr(actor, "scope_path", None) or not request_visible(actor, request):
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
) -> Any:
    """Decide the next step of ``request``: one transaction, under the request's lock.

    Returns the locked request as saved. Raises ``NotFound`` / ``PermissionDenied`` for an
    actor who may not decide it, ``ValidationError`` (at ``flow.note_field``) when it is no
    longer pending, a refusal has no reason, or the flow's ``check`` finds a problem."""
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
    now = timezone.now()
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
