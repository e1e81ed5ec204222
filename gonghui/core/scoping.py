"""The union tree is the tenancy: every read says whose it is.

A staff account acts on its organisation's subtree; a worker acts on their own records; an
enterprise contact acts for their own enterprise only (``enterprise_field``). Models
that hold business records use ``ScopedManager`` as ``objects``: reading through it without
``visible_to(actor)`` raises ``UnscopedQueryError`` at once, so a forgotten scope fails loudly
in the first test instead of leaking another branch's data (the role django-scopes plays in
pretix). Writes (``create``) pass through. Code that must read across scopes on purpose (a
duplicate check over the whole city, a background sweep that scopes by hand, a test) uses the
explicit ``Model.unscoped`` manager, which is easy to grep for. See docs/adr/0001.

A record outside the scope is "not found", exactly like a missing one: ``get_visible`` raises
``NotFound`` (an ``Http404``) in both cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404

if TYPE_CHECKING:
    from django.db.models.query import QuerySet

M = TypeVar("M", bound=models.Model)


class UnscopedQueryError(RuntimeError):
    """A scoped model was read without saying for whom."""


class NotFound(Http404):
    """The record does not exist, or the actor may not know that it does."""


class ScopedOrganization(Protocol):
    path: str


class Actor(Protocol):
    """What scoping needs from a user (``gonghui.accounts.models.User``)."""

    is_authenticated: bool

    @property
    def scope_path(self) -> str | None: ...

    @property
    def person_id_or_none(self) -> int | None: ...

    @property
    def enterprise_id_or_none(self) -> int | None: ...


def subtree_q(field: str, path: str) -> Q:
    """Rows whose organisation ``field`` lies in the subtree whose root has ``path``."""
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    return Q(**{lookup: path})


class ScopedModel(models.Model):
    """Declares how a model is scoped.

    ``scope_fields``: foreign keys to ``Organization`` (``""`` for the organisation itself);
    a staff actor sees a row when any of them lies in the actor's subtree.
    ``owner_field``: the foreign key to the ``Person`` a worker owns the row through, if any.
    ``enterprise_field``: the foreign key to the ``Enterprise`` an enterprise contact acts for
    the row through (``""`` for the enterprise itself); without one, contacts see nothing.
    Override ``staff_scope`` / ``owner_scope`` / ``enterprise_scope`` for anything richer.
    """

    scope_fields: ClassVar[tuple[str, ...]] = ()
    owner_field: ClassVar[str | None] = None
    enterprise_field: ClassVar[str | None] = None

    class Meta:
        abstract = True

    @classmethod
    def staff_scope(cls, path: str) -> Q:
        q = Q(pk__in=[])
        for field in cls.scope_fields:
            q |= subtree_q(field, path)
        return q

    @classmethod
    def owner_scope(cls, person_id: int) -> Q:
        if cls.owner_field is None:
            return Q(pk__in=[])
        return Q(**{f"{cls.owner_field}_id": person_id})

    @classmethod
    def enterprise_scope(cls, enterprise_id: int) -> Q:
        if cls.enterprise_field is None:
            return Q(pk__in=[])
        if cls.enterprise_field == "":
            return Q(pk=enterprise_id)
        return Q(**{f"{cls.enterprise_field}_id": enterprise_id})

    @classmethod
    def scope_q(cls, actor: Any) -> Q:
        if actor is None or not getattr(actor, "is_authenticated", False):
            return Q(pk__in=[])
        path = actor.scope_path
        if path:
            return cls.staff_scope(path)
        person_id = actor.person_id_or_none
        if person_id is not None:
            return cls.owner_scope(person_id)
        enterprise_id = getattr(actor, "enterprise_id_or_none", None)
        if enterprise_id is not None:
            return cls.enterprise_scope(enterprise_id)
        return Q(pk__in=[])


class ScopedManager(models.Manager[M]):
    """``Model.objects`` for scoped models: reads need ``visible_to(actor)``."""

    def get_queryset(self) -> QuerySet[M]:
        raise UnscopedQueryError(
            f"{self.model.__name__}.objects must be read through visible_to(actor); "
            f"use {self.model.__name__}.unscoped only where crossing scopes is the point."
        )

    def _all(self) -> QuerySet[M]:
        return super().get_queryset()

    def visible_to(self, actor: Any) -> QuerySet[M]:
        model: Any = self.model
        return self._all().filter(model.scope_q(actor))

    def create(self, **kwargs: Any) -> M:
        return self._all().create(**kwargs)

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[M]:
        return self._all().bulk_create(objs, *args, **kwargs)


def get_visible(queryset: QuerySet[M], **lookup: Any) -> M:
    """One row of an already-scoped queryset, or ``NotFound``."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFound from None


def require_within(actor: Any, org: ScopedOrganization, perm: Any = None) -> None:
    """Services receive objects that views fetched through selectors; this guards callers that
    did not. ``NotFound`` unless ``org`` lies in the actor's subtree; then, when ``perm`` is
    given, the role must allow it (``PermissionDenied``)."""
    path = getattr(actor, "scope_path", None)
    if not path or not org.path.startswith(path):
        raise NotFound
    if perm is not None:
        from gonghui.core.permissions import require

        require(actor, perm)
