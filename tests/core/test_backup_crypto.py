"""The encrypted archive layout (``core.backup_crypto``): what decrypts and what must not."""

from __future__ import annotations

import io
import os
import struct

import pytest

from mesoclinic.core import backup_crypto
from mesoclinic.core.backup_crypto import DecryptionFailed, NotEncrypted, decrypt, encrypt

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def small_chunks_and_cheap_keys(monkeypatch):
    """Chunks of 64 bytes so a short text spans several; a cheap scrypt for speed (the
    header carries the cost, so decryption follows it)."""
    monkeypatch.setattr(backup_crypto, "CHUNK", 64)
    monkeypatch.setattr(backup_crypto, "SCRYPT_N", 1 << 10)


def _sealed(plain: bytes, passphrase: str = PASSPHRASE) -> bytes:
    sink = io.BytesIO()
    encrypt(io.BytesIO(plain), sink, passphrase)
    return sink.getvalue()


def _opened(sealed: bytes, passphrase: str = PASSPHRASE) -> bytes:
    sink = io.BytesIO()
    decrypt(io.BytesIO(sealed), sink, passphrase)
    return sink.getvalue()


def _split(sealed: bytes) -> tuple[bytes, list[bytes]]:
    """The header part and the chunks (each 64 + 16 bytes but the last)."""
    (length,) = struct.unpack(">I", sealed[16:20])
    head, body = sealed[: 20 + length], sealed[20 + length :]
    return head, [body[index : index + 80] for index in range(0, len(body), 80)]


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 640, 1000])
def test_what_is_encrypted_decrypts_to_the_same_bytes(size):
    plain = os.urandom(size)
    sealed = _sealed(plain)
    assert sealed.startswith(backup_crypto.MAGIC)
    assert plain == _opened(sealed)
    if size >= 16:
        assert plain[:16] not in sealed


def test_each_archive_has_its_own_salt_and_nonces():
    assert _sealed(b"same") != _sealed(b"same")


def test_a_wrong_passphrase_fails():
    with pytest.raises(DecryptionFailed, match="wrong passphrase"):
        _opened(_sealed(b"x" * 200), "not the passphrase at all")


@pytest.mark.parametrize("offset", [-1, -17, -100, 40])
def test_a_changed_byte_fails(offset):
    sealed = bytearray(_sealed(os.urandom(300)))
    sealed[offset] ^= 0x01
    with pytest.raises(DecryptionFailed):
        _opened(bytes(sealed))


def test_a_file_cut_at_a_chunk_boundary_fails():
    head, chunks = _split(_sealed(os.urandom(300)))
    with pytest.raises(DecryptionFailed):
        _opened(head + b"".join(chunks[:-1]))


def test_reordered_or_appended_chunks_fail():
    head, chunks = _split(_sealed(os.urandom(300)))
    with pytest.raises(DecryptionFailed):
        _opened(head + chunks[1] + chunks[0] + b"".join(chunks[2:]))
    with pytest.raises(DecryptionFailed):
        _opened(head + b"".join(chunks) + chunks[0])


def test_a_changed_header_fails():
    head, chunks = _split(_sealed(os.urandom(100)))
    changed = head.replace(b'"chunk": 64', b'"chunk": 65')
    assert changed != head
    with pytest.raises(DecryptionFailed):
        _opened(
            changed[:16] + struct.pack(">I", len(changed) - 20) + changed[20:] + b"".join(chunks)
        )


def test_a_plain_file_is_not_taken_for_an_encrypted_one():
    with pytest.raises(NotEncrypted):
        _opened(b"\x1f\x8b plain gzip")


def test_a_short_passphrase_is_refused():
    with pytest.raises(ValueError, match="at least 12 characters"):
        _sealed(b"x", "short")
