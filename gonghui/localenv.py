"""Development secrets kept outside the repository.

On a developer's machine the first run writes ``var/local.env`` with a fresh Django secret key,
a data-encryption key and a blind-index key; later runs read it. Nothing here is ever committed.
In production (``GONGHUI_ENV=production``) the keys must come from the real environment: the
file is neither written nor read, even if one is lying in ``var/`` (a development key must never
quietly encrypt a federation's data), and a missing key stops the process instead of being
invented (see ``require_production_keys`` and docs/adr/0007).
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
    """Put the local secrets into ``os.environ`` (the real environment always wins). In
    production nothing is read or written: the keys come from the environment only."""
    if production:
        require_production_keys()
        return
    path = var_dir / "local.env"
    if not path.exists() and not all(k in os.environ for k in GENERATED_KEYS):
        var_dir.mkdir(parents=True, exist_ok=True)
        lines = ["# Generated on first run for this machine only. Never commit this file."]
        lines += [f"{k}={v}" for k, v in _new_values().items()]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    if path.exists():
        for key, value in read_env_file(path).items():
            os.environ.setdefault(key, value)


def require_production_keys() -> None:
    """Stop the process unless every key is in the real environment and well formed."""
    from django.core.exceptions import ImproperlyConfigured

    missing = [k for k in GENERATED_KEYS if not os.environ.get(k, "").strip()]
    if missing:
        raise ImproperlyConfigured(
            "GONGHUI_ENV=production needs "
            + ", ".join(missing)
            + " in the environment (var/local.env is for development and is not read in"
            " production)."
        )
    # Parse the data and index keys now, so a malformed key stops the start-up rather than
    # the first request that seals a personal datum.
    from gonghui.core.crypto import keyring

    keyring.cache_clear()
    try:
        keyring()
    except ValueError as exc:  # a key id that is not a number
        raise ImproperlyConfigured(f"GONGHUI_DATA_KEYS is malformed: {exc}") from None
