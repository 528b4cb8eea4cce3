"""Passphrase encryption of backup archives (the ``cryptography`` library; nothing here is
home-made cryptography, only the file layout).

The key is derived from the passphrase with scrypt (a fresh random salt per archive) and
the archive is sealed with AES-256-GCM in chunks of 1 MiB, so an archive of any size is
encrypted and checked without holding it in memory. Each chunk's nonce is a random
per-archive prefix, the chunk's number and a flag marking the last chunk, and every chunk
authenticates the header too: a wrong passphrase, a changed byte, chunks reordered, dropped
or appended, or a cut-off file all fail to decrypt (``DecryptionFailed``). Decryption
writes to a scratch file the caller throws away on failure.

Layout: ``MAGIC`` (16 bytes) · header length (4 bytes, big-endian) · header (JSON: format,
kdf parameters, salt, nonce prefix, chunk size) · chunks (each its ciphertext and 16-byte
tag; all but the last exactly ``chunk size + 16`` bytes).
"""

from __future__ import annotations

import base64
import json
import os
import struct
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"MESOCLINIC-ENC1\n"
CHUNK = 1 << 20
TAG = 16
# scrypt cost: 2**17 × 8 × 128 bytes = 128 MiB of memory, about half a second: slow enough
# to make guessing passphrases expensive, quick enough for a daily backup.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 17, 8, 1
MIN_PASSPHRASE = 12


class DecryptionFailed(Exception):
    """Wrong passphrase, or the encrypted archive was altered or cut off."""


class NotEncrypted(Exception):
    """The file does not start like an encrypted archive."""


def is_encrypted(path: Path) -> bool:
    """Whether ``path`` starts like an encrypted archive."""
    with path.open("rb") as source:
        return source.read(len(MAGIC)) == MAGIC


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def encrypt(source: IO[bytes], sink: IO[bytes], passphrase: str) -> None:
    """Encrypt all of ``source`` into ``sink`` with ``passphrase``."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValueError(f"the passphrase must be at least {MIN_PASSPHRASE} characters")
    salt, prefix = os.urandom(16), os.urandom(7)
    header = json.dumps(
        {
            "format": 1,
            "cipher": "AES-256-GCM",
            "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": base64.b64encode(salt).decode(),
            "nonce_prefix": base64.b64encode(prefix).decode(),
            "chunk": CHUNK,
        },
        sort_keys=True,
    ).encode()
    aead = AESGCM(_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
    sink.write(MAGIC + struct.pack(">I", len(header)) + header)
    associated = MAGIC + header
    index = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        sink.write(aead.encrypt(_nonce(prefix, index, last), chunk, associated))
        if last:
            return
        chunk, index = following, index + 1


def _header(source: IO[bytes]) -> tuple[bytes, dict[str, Any]]:
    if source.read(len(MAGIC)) != MAGIC:
        raise NotEncrypted("not an encrypted mesoclinic archive")
    try:
        (length,) = struct.unpack(">I", source.read(4))
        if length > 4096:
            raise ValueError("header too long")
        raw = source.read(length)
        header = json.loads(raw)
        if header.get("format") != 1 or header["kdf"]["name"] != "scrypt":
            raise ValueError("unknown encryption format")
    except (struct.error, ValueError, KeyError, TypeError) as error:
        raise DecryptionFailed(f"the encryption header is unreadable: {error}") from error
    return raw, header


def decrypt(source: IO[bytes], sink: IO[bytes], passphrase: str) -> None:
    """Decrypt ``source`` into ``sink``; raise :class:`DecryptionFailed` on a wrong
    passphrase or any alteration (``sink`` then holds a part: throw it away)."""
    raw, header = _header(source)
    try:
        kdf = header["kdf"]
        salt = base64.b64decode(header["salt"])
        prefix = base64.b64decode(header["nonce_prefix"])
        size = int(header["chunk"]) + TAG
        if len(prefix) != 7 or not 0 < size <= (64 << 20):
            raise ValueError("bad parameters")
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        if n > (1 << 20) or r > 32 or p > 16:
            raise ValueError("key-derivation cost out of range")
        aead = AESGCM(_key(passphrase, salt, n, r, p))
    except (ValueError, KeyError, TypeError) as error:
        raise DecryptionFailed(f"the encryption header is unreadable: {error}") from error
    associated = MAGIC + raw
    index = 0
    chunk = source.read(size)
    while True:
        following = source.read(size)
        last = not following
        try:
            sink.write(aead.decrypt(_nonce(prefix, index, last), chunk, associated))
        except InvalidTag:
            raise DecryptionFailed(
                "wrong passphrase, or the encrypted archive was altered or cut off"
            ) from None
        if last:
            return
        chunk, index = following, index + 1
