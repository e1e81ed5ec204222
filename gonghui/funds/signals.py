"""What funds tells the modules whose amounts it pays, without knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that records the bank's result, after the items are marked
# paid. ``sources``: the ``(source_kind, source_id)`` of every item paid; ``paid_at``: when.
# A module whose records show their payment (a claim turns 已赔付) updates them here, so the
# worker sees it at once rather than at the module's next periodic run.
items_paid = Signal()
