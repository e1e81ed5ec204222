"""The culture programme's figures (the module registry's; the dashboard reads them): what an
organisation's subtree held and who came, per year."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gonghui.culture.models import Booking, BookingState, ClassSession, SessionState


def sessions_held_in(actor: Any, org: Any, year: int) -> QuerySet[ClassSession]:
    """Class sessions of the subtree of ``org`` that started in ``year`` and were not
    cancelled."""
    return ClassSession.objects.visible_to(actor).filter(
        organization__path__startswith=org.path,
        starts_at__year=year,
        state=SessionState.SCHEDULED,
    )


def attendances_in(actor: Any, org: Any, year: int) -> QuerySet[Booking]:
    """Workers checked in at a class of the subtree of ``org`` in ``year`` (人次)."""
    return Booking.objects.visible_to(actor).filter(
        organization__path__startswith=org.path,
        session__starts_at__year=year,
        state=BookingState.ATTENDED,
    )
