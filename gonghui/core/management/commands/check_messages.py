"""Fail when the English catalogue is behind the code: a message without an English
translation, a fuzzy one, or a message in the code that the catalogue does not have yet.

Run ``make messages`` after changing user-facing text, translate what it added, commit."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

# The real catalogue directory is ignored so that makemessages writes into the temporary one.
IGNORE = [
    ".venv",
    "node_modules",
    "var",
    "*/tests/*",
    "gonghui/testing/*",
    "bench/*",
    "gonghui/locale",
]
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def parse_po(path: Path) -> dict[str, dict[str, Any]]:
    """msgid → {"strs": [msgstr...], "fuzzy": bool}; enough of the format for this check."""
    entries: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] = {}
    field = ""

    def flush() -> None:
        if "msgid" in current and current["msgid"]:
            entries[current["msgid"]] = {
                "strs": current.get("strs", []),
                "fuzzy": current.get("fuzzy", False),
            }

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            flush()
            current, field = {}, ""
        elif line.startswith("#,") and "fuzzy" in line:
            current["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgid_plural ", "msgstr")):
            keyword = line.split(" ", 1)[0]
            text = "".join(_STRING.findall(line))
            if keyword == "msgid":
                field, current["msgid"] = "msgid", text
            elif keyword == "msgid_plural":
                field = "plural"
            else:
                field = "msgstr"
                current.setdefault("strs", []).append(text)
        elif line.startswith('"'):
            text = "".join(_STRING.findall(line))
            if field == "msgid":
                current["msgid"] += text
            elif field == "msgstr":
                current["strs"][-1] += text
    return entries


class Command(BaseCommand):
    help = "Check that the English message catalogue is complete and up to date."

    def handle(self, *args: Any, **options: Any) -> None:
        committed_path = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"
        committed = parse_po(committed_path)
        problems = [
            f"untranslated: {msgid!r}"
            for msgid, entry in committed.items()
            if not all(s.strip() for s in entry["strs"])
        ]
        problems += [f"fuzzy: {msgid!r}" for msgid, e in committed.items() if e["fuzzy"]]
        with tempfile.TemporaryDirectory() as tmp:
            locale = Path(tmp) / "locale"
            locale.mkdir()
            with override_settings(LOCALE_PATHS=[str(locale)]):
                call_command(
                    "makemessages",
                    locale=["en"],
                    ignore_patterns=IGNORE,
                    no_location=True,
                    verbosity=0,
                )
            fresh = parse_po(locale / "en" / "LC_MESSAGES" / "django.po")
        missing = sorted(set(fresh) - set(committed))
        problems += [f"not in the catalogue (run `make messages`): {m!r}" for m in missing]
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(f"English catalogue complete: {len(committed)} messages.")
