"""The fault suite (``make faults``, issue 11 point 8): the platform on PostgreSQL and Redis
of its own, faults injected while it works, and the invariants that must hold after each."""
