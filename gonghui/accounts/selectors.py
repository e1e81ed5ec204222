"""Reads of staff accounts and enterprise contacts, scoped to the actor's subtree."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from gonghui.accounts.models import AccountKind, PrivacyConsent, User
from gonghui.core.scoping import get_visible
from gonghui.organizations.models import Enterprise, Organization


def staff_list(
    *, actor: Any, organization: Organization | None = None, q: str = ""
) -> QuerySet[User]:
    qs = (
        User.scoped.visible_to(actor)
        .filter(kind=AccountKind.STAFF)
        .select_related("organization")
        .order_by("organization__path", "username")
    )
    if organization is not None:
        qs = qs.filter(organization=organization)
    if q:
        qs = qs.filter(full_name__contains=q) | qs.filter(username__icontains=q)
    return qs


def staff_get(*, actor: Any, id: int) -> User:
    return get_visible(
        User.scoped.visible_to(actor).filter(kind=AccountKind.STAFF).select_related("organization"),
        pk=id,
    )


def enterprise_contact_list(*, actor: Any, enterprise: Enterprise) -> QuerySet[User]:
    """The contacts of an enterprise the caller fetched through a scoped selector, active
    first; empty unless the actor's subtree covers the enterprise (``User.staff_scope``)."""
    return (
        User.scoped.visible_to(actor)
        .filter(kind=AccountKind.ENTERPRISE, enterprise=enterprise)
        .select_related("invited_by")
        .order_by("-is_active", "full_name", "pk")
    )


def enterprise_contact_get(*, actor: Any, enterprise: Enterprise, id: int) -> User:
    return get_visible(
        User.scoped.visible_to(actor)
        .filter(kind=AccountKind.ENTERPRISE, enterprise=enterprise)
        .select_related("enterprise", "enterprise__union", "enterprise__area"),
        pk=id,
    )


# --- the privacy notice --------------------------------------------------------------------


def privacy_notice_version() -> str:
    return str(settings.GONGHUI_PRIVACY_NOTICE_VERSION)


def privacy_notice_template(version: str | None = None) -> str:
    """The template holding the text of a version of the notice (the current one by default)."""
    return f"accounts/privacy/notice-{version or privacy_notice_version()}.html"


def consent_in_force(*, user: Any) -> PrivacyConsent | None:
    """The user's consent to the current notice, or None: never given, withdrawn, or given to
    an older version (a new version asks again)."""
    return (
        PrivacyConsent.objects.filter(
            user_id=user.pk, ended_at__isnull=True, version=privacy_notice_version()
        )
        .order_by("-given_at")
        .first()
    )


def consent_history(*, user: Any) -> QuerySet[PrivacyConsent]:
    """The user's own consents, newest first (their settings page and the API show them)."""
    return PrivacyConsent.objects.filter(user_id=user.pk).order_by("-given_at", "-pk")
