"""Passwords are kept as Argon2id hashes (argon2-cffi: memory-hard, maintained)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2-cffi's defaults: Argon2id, 64 MiB, 3 passes
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
