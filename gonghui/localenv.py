"""Development secrets kept outside the repository.

On a developer's machine the first run writes ``var/local.env`` with a fresh Django secret key,
a data-encryption key and a blind-index key; later runs read it. Nothing here is ever committed.
In production (``GONGHUI_ENV=production``) the keys must come from the environment and a
missing one stops the process instead of being invented.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

GENERATED_KEYS = ("GONGHUI_SECRET_KEY", "GONGHUI_DATA_KEYS", "GONGHUI_INDEX_KEY")


def _new_values() -> dict[str, str]:
    return {
        "GONGHUI_SECRET_KEY": secrets.token_urlsafe(50),
        # "<key id>:<base64 of 32 random bytes>"; more keys may follow, comma-separated,
        # the first one encrypts and all of them decrypt (rotation).
        "GONGHUI_DATA_KEYS": "1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "GONGHUI_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def load(var_dir: Path, *, production: bool) -> None:
    """Put the local secrets into ``os.environ`` (the real environment always wins)."""
    path = var_dir / "local.env"
    if not production and not path.exists() and not all(k in os.environ for k in GENERATED_KEYS):
        var_dir.mkdir(parents=True, exist_ok=True)
        lines = ["# Generated on first run for this machine only. Never commit this file."]
        lines += [f"{k}={v}" for k, v in _new_values().items()]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    if path.exists():
        for key, value in read_env_file(path).items():
            os.environ.setdefault(key, value)
