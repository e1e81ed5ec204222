import base64
import json
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template

from gonghui.core import crypto


@pytest.fixture
def two_keys(monkeypatch):
    old = os.environ["GONGHUI_DATA_KEYS"]
    new = "2:" + base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("GONGHUI_DATA_KEYS", f"{new},{old}")
    crypto.keyring.cache_clear()
    yield old
    crypto.keyring.cache_clear()


def test_seal_round_trip_and_no_plaintext_in_token():
    token = crypto.seal("330402199001011234", purpose="person.id_number")
    assert b"330402" not in token
    assert crypto.unseal(token, purpose="person.id_number") == "330402199001011234"


def test_same_value_seals_differently_each_time():
    a = crypto.seal("13800138000", purpose="person.mobile")
    b = crypto.seal("13800138000", purpose="person.mobile")
    assert a != b


def test_token_copied_to_another_column_does_not_open():
    token = crypto.seal("13800138000", purpose="person.mobile")
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(token, purpose="person.id_number")


def test_tampered_token_is_refused():
    token = bytearray(crypto.seal("13800138000", purpose="person.mobile"))
    token[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.unseal(bytes(token), purpose="person.mobile")


def test_rotation_new_key_seals_old_key_still_opens(two_keys, monkeypatch):
    monkeypatch.setenv("GONGHUI_DATA_KEYS", two_keys)
    crypto.keyring.cache_clear()
    old_token = crypto.seal("x", purpose="p")
    monkeypatch.setenv(
        "GONGHUI_DATA_KEYS", "2:" + base64.b64encode(os.urandom(32)).decode() + "," + two_keys
    )
    crypto.keyring.cache_clear()
    new_token = crypto.seal("x", purpose="p")
    assert crypto.token_key_id(new_token) == 2
    assert crypto.unseal(old_token, purpose="p") == "x"


def test_bad_key_configuration_is_reported(monkeypatch):
    monkeypatch.setenv("GONGHUI_DATA_KEYS", "1:not-base64!!")
    crypto.keyring.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured):
            crypto.keyring()
    finally:
        monkeypatch.undo()
        crypto.keyring.cache_clear()


def test_blind_index_is_keyed_and_purpose_separated():
    a = crypto.blind_index("13800138000", purpose="person.mobile")
    assert a == crypto.blind_index("13800138000", purpose="person.mobile")
    assert a != crypto.blind_index("13800138000", purpose="otp")
    assert "13800138000" not in a


def test_sealed_value_shows_masked_everywhere_but_reveal():
    value = crypto.Sealed(
        purpose="person.id_number", masker=crypto.mask_id_number, plain="33040219900101123X"
    )
    assert str(value) == "330***********123X"
    assert "33040219900101123X" not in repr(value)
    rendered = Template("{{ v }}").render(Context({"v": value}))
    assert rendered == "330***********123X"
    assert json.dumps({"v": str(value)}) == '{"v": "330***********123X"}'
    assert value.reveal() == "33040219900101123X"


def test_masks():
    assert crypto.mask_mobile("13800138000") == "138****8000"
    assert crypto.mask_id_number("330402199001011234") == "330***********1234"


# --- sealed streams -----------------------------------------------------------------------


def _seal_stream(data: bytes, *, purpose: str = "test.stream", pieces: int = 7) -> bytes:
    sealer = crypto.StreamSealer(purpose=purpose)
    step = max(1, len(data) // pieces)
    out = b"".join(sealer.update(data[i : i + step]) for i in range(0, len(data), step))
    return out + sealer.finalize()


def _open_stream(token: bytes, *, purpose: str = "test.stream") -> bytes:
    import io

    return crypto.open_stream(io.BytesIO(token), purpose=purpose).read()


@pytest.mark.parametrize(
    "size",
    [0, 1, crypto.STREAM_SEGMENT - 1, crypto.STREAM_SEGMENT, crypto.STREAM_SEGMENT + 1, 200_000],
)
def test_stream_round_trip_at_segment_edges(size):
    data = os.urandom(size)
    token = _seal_stream(data)
    assert _open_stream(token) == data
    # Segments of fixed size: the ciphertext grows by a header and a tag per segment only.
    segments = size // crypto.STREAM_SEGMENT + 1
    assert len(token) == len(data) + 13 + 16 * segments


def test_stream_holds_no_plaintext_and_reads_line_by_line():
    import io

    lines = [f"张三,{330402199001010000 + i},13800138000\n".encode() for i in range(20_000)]
    token = _seal_stream(b"".join(lines))
    assert b"330402199001010" not in token and "张三".encode() not in token
    reader = crypto.open_stream(io.BytesIO(token), purpose="test.stream")
    assert list(reader) == lines


def test_stream_refuses_change_truncation_reordering_and_another_purpose():
    data = os.urandom(3 * crypto.STREAM_SEGMENT + 100)
    token = _seal_stream(data)
    segment = crypto.STREAM_SEGMENT + 16
    header, body = token[:13], token[13:]
    flipped = bytearray(token)
    flipped[13 + segment + 5] ^= 1
    swapped = header + body[segment : 2 * segment] + body[:segment] + body[2 * segment :]
    for bad in (
        bytes(flipped),
        token[: 13 + 3 * segment],  # the short last segment dropped
        token[: 13 + 2 * segment + 10],  # cut inside a segment
        swapped,
        token + b"\x00",
        b"PK\x03\x04 plain workbook",
    ):
        with pytest.raises(crypto.DecryptionError):
            _open_stream(bad)
    with pytest.raises(crypto.DecryptionError):
        _open_stream(token, purpose="other.stream")


def test_stream_sealed_under_an_old_key_still_opens(two_keys, monkeypatch):
    monkeypatch.setenv("GONGHUI_DATA_KEYS", two_keys)
    crypto.keyring.cache_clear()
    token = _seal_stream(b"old data" * 10_000)
    monkeypatch.setenv(
        "GONGHUI_DATA_KEYS", "2:" + base64.b64encode(os.urandom(32)).decode() + "," + two_keys
    )
    crypto.keyring.cache_clear()
    assert _open_stream(token) == b"old data" * 10_000
