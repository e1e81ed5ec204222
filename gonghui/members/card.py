"""The electronic member card's QR code: a signed, short-lived token, so a screenshot stops
working after a few minutes and nobody can forge a card by editing a number."""

from __future__ import annotations

import io

import segno
from django.core import signing

from gonghui.members.models import Membership

SALT = "gonghui.member-card"
MAX_AGE_SECONDS = 10 * 60


def card_token(membership: Membership) -> str:
    return signing.dumps({"m": membership.pk, "c": membership.card_number}, salt=SALT)


def card_token_read(token: str) -> tuple[int, str] | None:
    """``(membership id, card number)`` of a valid, unexpired token, else ``None``."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    return int(data["m"]), str(data["c"])


def qr_svg(text: str) -> str:
    """``text`` as a QR code in a standalone SVG document: served as ``image/svg+xml`` for an
    ``<img>`` (which needs the ``xmlns``) and embedded as it is in HTML (where the namespace
    does no harm). Black modules on a white background with the four-module quiet zone of
    ISO/IEC 18004: on a transparent background many scanners find no code against a dark
    screen or card. Sized in pixels and with a ``viewBox``, so it also scales to any box."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="svg", scale=4, border=4, dark="#000", light="#fff", unit="px", xmldecl=False
    )
    return out.getvalue().decode()
