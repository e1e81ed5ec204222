"""Checking an uploaded file before it is sealed and stored: its type by name *and* by its
first bytes, and its size read without trusting the client's figure. Casework materials and
hardship visit photos use it; the file is then sealed with ``core.crypto.seal_bytes``."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

# Extension → (content type, the file's possible first bytes).
PDF = {".pdf": ("application/pdf", (b"%PDF-",))}
IMAGES = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


def upload_name(upload: UploadedFile) -> str:
    """The file's own name, without any folder a browser sent with it."""
    return (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]


def check_upload(
    upload: UploadedFile,
    *,
    types: Mapping[str, tuple[str, tuple[bytes, ...]]],
    max_bytes: int,
    field: str,
    type_message: str,
    size_message: str,
    content_message: str,
) -> tuple[str, bytes]:
    """The content type and the bytes of ``upload``, or a ``ValidationError`` at ``field``:
    an extension not in ``types``, more than ``max_bytes``, or contents that do not start
    the way the extension says (a renamed executable, an HTML page called ``.jpg``)."""
    name = upload_name(upload)
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in types:
        raise ValidationError({field: [type_message]})
    if (upload.size or 0) > max_bytes:
        raise ValidationError({field: [size_message]})
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError({field: [size_message]})
    content_type, magics = types[extension]
    if not data.startswith(magics):
        raise ValidationError({field: [content_message]})
    return content_type, data
