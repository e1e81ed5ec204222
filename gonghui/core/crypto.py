"""Personal data at rest: authenticated encryption, blind indexes and masking.

* Values are sealed with AES-256-GCM. The stored token is
  ``version (1 byte) | key id (1 byte) | nonce (12 bytes) | ciphertext+tag``; the *purpose*
  (for example ``"person.id_number"``) is bound as associated data, so a token copied into
  another column does not decrypt.
* Keys come from ``GONGHUI_DATA_KEYS`` as ``id:base64,id:base64``. The first key seals; every
  listed key opens, which is how keys are rotated (see docs/adr/0002).
* Equality look-ups and deduplication use a keyed hash of the normalised value
  (``blind_index``: BLAKE2b in keyed mode), with its own key ``GONGHUI_INDEX_KEY``, never the
  plaintext.
* ``Sealed`` is what model code sees: printing, rendering or serialising it gives the masked
  form; the plaintext comes only from ``reveal()``, which services call after logging access.
* Files too large to hold in memory (an import's upload and its stage) are sealed as a stream
  of AES-GCM segments (``StreamSealer``, ``StreamOpener``), so memory stays at one segment
  however large the file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

TOKEN_VERSION = 1
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A token could not be opened with any configured key."""


@dataclass(frozen=True)
class Keyring:
    sealing_id: int
    keys: dict[int, AESGCM]
    index_key: bytes


def _decode_key(text: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} is not valid base64") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name} must be 32 bytes (base64 of 32 random bytes)")
    return raw


@cache
def keyring() -> Keyring:
    spec = os.environ.get("GONGHUI_DATA_KEYS", "")
    index = os.environ.get("GONGHUI_INDEX_KEY", "")
    if not spec or not index:
        raise ImproperlyConfigured("Set GONGHUI_DATA_KEYS and GONGHUI_INDEX_KEY.")
    keys: dict[int, AESGCM] = {}
    order: list[int] = []
    for item in spec.split(","):
        key_id_text, _, material = item.strip().partition(":")
        key_id = int(key_id_text)
        if not 0 < key_id < 256 or key_id in keys:
            raise ImproperlyConfigured("GONGHUI_DATA_KEYS: key ids are distinct numbers 1-255")
        keys[key_id] = AESGCM(_decode_key(material, f"GONGHUI_DATA_KEYS[{key_id}]"))
        order.append(key_id)
    return Keyring(order[0], keys, _decode_key(index, "GONGHUI_INDEX_KEY"))


def seal(plaintext: str, *, purpose: str) -> bytes:
    return seal_bytes(plaintext.encode(), purpose=purpose)


def unseal(token: bytes, *, purpose: str) -> str:
    return unseal_bytes(token, purpose=purpose).decode()


def seal_bytes(data: bytes, *, purpose: str) -> bytes:
    """AES-GCM with ``purpose`` bound in as associated data; for values and for the contents
    of uploaded files that carry personal data (case materials)."""
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    body = ring.keys[ring.sealing_id].encrypt(nonce, data, purpose.encode())
    return bytes((TOKEN_VERSION, ring.sealing_id)) + nonce + body


def unseal_bytes(token: bytes, *, purpose: str) -> bytes:
    token = bytes(token)
    if len(token) < 2 + NONCE_BYTES or token[0] != TOKEN_VERSION:
        raise DecryptionError("unknown token format")
    key = keyring().keys.get(token[1])
    if key is None:
        raise DecryptionError(f"no key with id {token[1]}")
    nonce, body = token[2 : 2 + NONCE_BYTES], token[2 + NONCE_BYTES :]
    try:
        return key.decrypt(nonce, body, purpose.encode())
    except InvalidTag as exc:
        raise DecryptionError("token does not authenticate") from exc


def token_key_id(token: bytes) -> int:
    return bytes(token)[1]


@cache
def _index_key(purpose: str) -> bytes:
    """One key per purpose, derived from the index key, so equal values in different columns
    never share a hash."""
    return hashlib.blake2b(purpose.encode(), key=keyring().index_key, digest_size=32).digest()


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed hash (BLAKE2b in keyed mode, 128 bits) for equality look-ups and uniqueness;
    ``value`` must already be normalised. BLAKE2b's keyed mode is a PRF like HMAC-SHA256 and
    about three times faster, which counts in an import of a million rows."""
    return hashlib.blake2b(value.encode(), key=_index_key(purpose), digest_size=16).hexdigest()


# --- streams ------------------------------------------------------------------------------

STREAM_MAGIC = b"GHS1"
STREAM_SEGMENT = 64 * 1024  # plaintext bytes per segment: the memory a stream needs
_STREAM_PREFIX = 7  # random bytes of each segment's nonce; then a 4-byte counter, a last flag
_STREAM_HEADER = len(STREAM_MAGIC) + 2 + _STREAM_PREFIX
_TAG = 16


def _segment_nonce(prefix: bytes, counter: int, *, last: bool) -> bytes:
    if counter >= 1 << 32:
        raise ValueError("stream too long")
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class StreamSealer:
    """Seals a stream of bytes piece by piece (the STREAM construction of online authenticated
    encryption, as in age and Tink): ``header | segment | segment | ... | last segment``.

    Each segment is AES-GCM over at most ``STREAM_SEGMENT`` bytes with the nonce
    ``random prefix | counter | last flag`` and the purpose and header as associated data, so
    segments cannot be reordered, dropped, cut short or moved to another file or purpose
    without ``StreamOpener`` noticing. Every segment but the last holds exactly
    ``STREAM_SEGMENT`` bytes; the last holds fewer (possibly none), which is how the opener
    knows it is the last. Write ``update()``'s and then ``finalize()``'s output, in order."""

    def __init__(self, *, purpose: str) -> None:
        ring = keyring()
        self._key = ring.keys[ring.sealing_id]
        self._prefix = os.urandom(_STREAM_PREFIX)
        self.header = STREAM_MAGIC + bytes((TOKEN_VERSION, ring.sealing_id)) + self._prefix
        self._aad = purpose.encode() + b"\x00" + self.header
        self._buffer = bytearray()
        self._counter = 0
        self._started = False
        self._finished = False

    def _segment(self, data: bytes, *, last: bool) -> bytes:
        nonce = _segment_nonce(self._prefix, self._counter, last=last)
        self._counter += 1
        return self._key.encrypt(nonce, data, self._aad)

    def update(self, data: bytes) -> bytes:
        """Ciphertext to write for ``data`` (the header first): only whole segments, the rest
        waits in a buffer of less than one segment."""
        if self._finished:
            raise ValueError("stream already finalized")
        out = []
        if not self._started:
            out.append(self.header)
            self._started = True
        self._buffer += data
        # A full segment is written only when more data follows it: the last segment is the
        # short one (possibly empty).
        while len(self._buffer) > STREAM_SEGMENT:
            out.append(self._segment(bytes(self._buffer[:STREAM_SEGMENT]), last=False))
            del self._buffer[:STREAM_SEGMENT]
        return b"".join(out)

    def finalize(self) -> bytes:
        out = [] if self._started else [self.header]
        self._started = True
        if len(self._buffer) == STREAM_SEGMENT:
            out.append(self._segment(bytes(self._buffer), last=False))
            self._buffer.clear()
        out.append(self._segment(bytes(self._buffer), last=True))
        self._buffer.clear()
        self._finished = True
        return b"".join(out)


class StreamOpener(io.RawIOBase):
    """Reads the plaintext of a stream sealed by ``StreamSealer`` from the binary file
    ``source``, one segment at a time; raises ``DecryptionError`` on a wrong key or purpose,
    and on any change, reordering or truncation. Wrap it in ``io.BufferedReader`` (see
    ``open_stream``) for ``readline`` and small reads."""

    def __init__(self, source: BinaryIO, *, purpose: str) -> None:
        super().__init__()
        self._source = source
        header = source.read(_STREAM_HEADER)
        if len(header) != _STREAM_HEADER or not header.startswith(STREAM_MAGIC):
            raise DecryptionError("not a sealed stream")
        if header[len(STREAM_MAGIC)] != TOKEN_VERSION:
            raise DecryptionError("unknown stream version")
        key_id = header[len(STREAM_MAGIC) + 1]
        key = keyring().keys.get(key_id)
        if key is None:
            raise DecryptionError(f"no key with id {key_id}")
        self._key = key
        self._prefix = header[len(STREAM_MAGIC) + 2 :]
        self._aad = purpose.encode() + b"\x00" + header
        self._counter = 0
        self._plain = b""
        self._offset = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_segment(self) -> None:
        body = self._source.read(STREAM_SEGMENT + _TAG)
        last = len(body) < STREAM_SEGMENT + _TAG
        nonce = _segment_nonce(self._prefix, self._counter, last=last)
        self._counter += 1
        try:
            self._plain = self._key.decrypt(nonce, body, self._aad)
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("stream does not authenticate") from exc
        self._offset = 0
        self._done = last

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._plain):
            if self._done:
                return 0
            self._next_segment()
        view = memoryview(buffer).cast("B")
        n = min(len(view), len(self._plain) - self._offset)
        view[:n] = self._plain[self._offset : self._offset + n]
        self._offset += n
        return n


def open_stream(source: BinaryIO, *, purpose: str) -> io.BufferedReader:
    """A buffered reader of the plaintext of the sealed stream in ``source``."""
    return io.BufferedReader(StreamOpener(source, purpose=purpose), buffer_size=STREAM_SEGMENT)


# --- masking ------------------------------------------------------------------------------


def mask_middle(value: str, *, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def mask_id_number(value: str) -> str:
    """``330***********123X``: region's first three digits and the last four stay visible."""
    return mask_middle(value, keep_start=3, keep_end=4)


def mask_mobile(value: str) -> str:
    """``138****5678``."""
    return mask_middle(value, keep_start=3, keep_end=4)


def mask_credit_code(value: str) -> str:
    """``9133************7X``: the registering authority, type and province stay visible, and
    the last two characters (enough to tell one's own code from another)."""
    return mask_middle(value, keep_start=4, keep_end=2)


def mask_name(value: str, *, keep_last: bool = False) -> str:
    """``张*`` / ``张**``: the first character stays visible. ``keep_last`` also shows the last
    of a name of three or more (``张*明``): enough for a venue to match a face, so only for a
    card shown in person, never for a published list."""
    if len(value) <= 1:
        return value
    if keep_last and len(value) > 2:
        return value[0] + "*" * (len(value) - 2) + value[-1]
    return value[0] + "*" * (len(value) - 1)


def mask_all(value: str) -> str:
    return "******" if value else ""


class Sealed:
    """An encrypted value as model code sees it: masked unless explicitly revealed.

    ``str()``, template rendering, ``repr()`` and JSON all give the masked form. Only
    ``reveal()`` returns the plaintext; call it through a service that logs the access, or
    for a machine use (sending an SMS) that never reaches a screen.
    """

    __slots__ = ("_masker", "_plain", "_purpose", "_token")

    def __init__(
        self,
        *,
        purpose: str,
        masker: Callable[[str], str],
        token: bytes | None = None,
        plain: str | None = None,
    ) -> None:
        if token is None and plain is None:
            raise ValueError("Sealed needs a token or a plaintext")
        self._purpose = purpose
        self._masker = masker
        self._token = bytes(token) if token is not None else None
        self._plain = plain

    @property
    def token(self) -> bytes:
        if self._token is None:
            self._token = seal(self._plain or "", purpose=self._purpose)
        return self._token

    def reveal(self) -> str:
        if self._plain is None:
            self._plain = unseal(self._token or b"", purpose=self._purpose)
        return self._plain

    def masked(self) -> str:
        return self._masker(self.reveal())

    def __str__(self) -> str:
        return self.masked()

    def __html__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"<Sealed {self._purpose} {self.masked()}>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sealed):
            return self._purpose == other._purpose and self.reveal() == other.reveal()
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._purpose, self.reveal()))

    def __bool__(self) -> bool:
        return True
