"""Secrets and their digests: argon2 for passwords, SHA-256 for random session ids, CSRF tokens
and API tokens (they carry 256 random bits, so a fast digest is enough and lets a row be found
by it)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION

PREFIX = "acc"
"""How an API token starts, so a leaked one is recognised (by secret scanners too)."""
MAX_ID = 2**31 - 1
"""Row ids are 32-bit integers: a larger one names no token (and PostgreSQL would refuse it)."""

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _decoy() -> str:
    """A hash of nothing, with today's parameters: verifying against it makes an unknown
    username cost what a wrong password costs (and building it costs no hashing)."""

    def b64(n: int) -> str:
        return base64.b64encode(secrets.token_bytes(n)).decode().rstrip("=")

    h = _hasher
    return (
        f"$argon2id$v={ARGON2_VERSION}$m={h.memory_cost},t={h.time_cost},p={h.parallelism}"
        f"${b64(h.salt_len)}${b64(h.hash_len)}"
    )


@dataclass(frozen=True, slots=True)
class Checked:
    ok: bool
    rehashed: str | None = None
    """A new hash when the stored one was made with weaker parameters than today's."""


def check_password(stored: str | None, password: str) -> Checked:
    """Verify in constant work whether or not there is a stored hash (None: unknown user)."""
    try:
        _hasher.verify(stored if stored is not None else _decoy(), password)
    except (VerificationError, InvalidHashError):
        return Checked(False)
    if stored is None:
        return Checked(False)
    return Checked(True, _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def format_token(token_id: int, secret: str) -> str:
    return f"{PREFIX}_{token_id}_{secret}"


def parse_token(token: str) -> tuple[int, str] | None:
    """The row id and the secret of `acc_<id>_<secret>`; None when it is not shaped so."""
    prefix, _, rest = token.partition("_")
    number, _, secret = rest.partition("_")
    if prefix != PREFIX or not number.isascii() or not number.isdigit() or not secret:
        return None
    if len(number) > 10 or int(number) > MAX_ID or len(secret) > 128:
        return None
    return int(number), secret
