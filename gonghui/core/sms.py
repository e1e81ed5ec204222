"""Pluggable SMS sending, in the manner of Django's e-mail backends.

``GONGHUI_SMS_BACKEND`` names the class. The default writes each message to the server log,
which is how a developer reads a sign-in code; a federation plugs in its SMS gateway's client.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from gonghui.core.crypto import mask_mobile

logger = logging.getLogger("gonghui.sms")


class SmsBackend(Protocol):
    def send(self, mobile: str, text: str) -> None: ...


class LogBackend:
    def send(self, mobile: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_mobile(mobile), text)


class FileBackend:
    """Appends each message as one JSON line (time, masked number, text) to the file
    ``GONGHUI_SMS_FILE`` names: for test rigs whose messages are sent by several processes
    (the fault suite counts what gunicorn and the Celery workers sent). Like the log backend
    it keeps sign-in codes in clear, so it is no gateway for a federation."""

    def __init__(self) -> None:
        path = settings.GONGHUI_SMS_FILE
        if not path:
            raise ImproperlyConfigured("Set GONGHUI_SMS_FILE to the file the FileBackend writes.")
        self.path = path

    def send(self, mobile: str, text: str) -> None:
        line = {"at": timezone.now().isoformat(), "to": mask_mobile(mobile), "text": text}
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        # One write to a descriptor opened for appending: lines written at once by several
        # processes never interleave.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


class MemoryBackend:
    """Keeps messages in ``MemoryBackend.outbox``; for tests."""

    outbox: list[tuple[str, str]] = []

    def send(self, mobile: str, text: str) -> None:
        MemoryBackend.outbox.append((mobile, text))


def backend_class(path: str | None = None) -> type[SmsBackend]:
    """The class ``GONGHUI_SMS_BACKEND`` names. Imported at start-up (``AccountsConfig.ready``),
    so a misspelt or missing gateway client stops the process with this message."""
    path = path or settings.GONGHUI_SMS_BACKEND
    try:
        found = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"GONGHUI_SMS_BACKEND={path!r} cannot be imported ({exc}). Set it to the dotted "
            "path of a class with a send(mobile, text) method."
        ) from exc
    if not isinstance(found, type) or not callable(getattr(found, "send", None)):
        raise ImproperlyConfigured(
            f"GONGHUI_SMS_BACKEND={path!r} is not a class with a send(mobile, text) method."
        )
    return found


def send_sms(mobile: str, text: str) -> None:
    backend: SmsBackend = backend_class()()
    backend.send(mobile, f"【{settings.GONGHUI_SMS_SIGNATURE}】{text}")


class NullBackend:
    """Sends nothing (bulk data loading, where nobody is waiting for a message)."""

    def send(self, mobile: str, text: str) -> None:
        return None
