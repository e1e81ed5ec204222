"""Checks on a loaded demo city: each is a query over the data and returns what is wrong (an
empty list when all is well), so the demo test and ``manage.py check_demo`` (on the full demo)
find the same mistakes. Each names a mistake a reviewer once found in the demo."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from gonghui.members.models import Person

_ID_LIKE = re.compile(rb"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_MOBILE_LIKE = re.compile(rb"(?<![0-9])1[0-9]{10}(?![0-9])")


def plaintext_people_files(root: Path | None = None) -> list[str]:
    """Files under ``root`` (default VAR_DIR, which holds the media too) holding a demo
    person's ID number or mobile in plaintext. The database holds them sealed; nothing else
    may hold them at all (issue 9: ``var/demo/members.csv`` kept 20,040 of each)."""
    root = Path(root or settings.VAR_DIR)
    numbers: set[bytes] = set()
    for person in Person.unscoped.only("id_number", "mobile").iterator(chunk_size=2000):
        numbers.add(person.id_number.reveal().encode())
        if person.mobile:
            numbers.add(person.mobile.reveal().encode())
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            # Whole megabytes at a time, overlapping by a number's length, so a number
            # across two reads is still seen.
            tail = b""
            while block := handle.read(1 << 20):
                data = tail + block
                hits = {m.upper() for m in _ID_LIKE.findall(data)} | set(_MOBILE_LIKE.findall(data))
                if hits & numbers:
                    found.append(str(path.relative_to(root)))
                    break
                tail = data[-18:]
    return found


CHECKS: dict[str, Callable[[], list[str]]] = {
    "plaintext_people_files": plaintext_people_files,
}


def run_all() -> dict[str, list[str]]:
    """Every check's findings, by name; all empty for a sound demo."""
    return {name: check() for name, check in CHECKS.items()}
