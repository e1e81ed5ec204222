"""The electronic member card's QR code: a signed, short-lived token, so a screenshot stops
working after a few minutes and nobody can forge a card by editing a number."""

from __future__ import annotations

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
    return segno.make(text, error="m").svg_inline(scale=4, border=2)
