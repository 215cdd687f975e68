"""Passwords (argon2), invitation tokens (HMAC-derived, stored only as a hash) and CSRF tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()  # argon2id with the library's current parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # a malformed stored hash must read as "wrong password", not crash a login
        return False


# A constant hash to verify against when the e-mail is unknown, so timing does not reveal which exist.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def new_salt() -> str:
    return secrets.token_hex(16)


def invitation_token(secret_key: str, invitation_id: int, salt: str) -> str:
    """The token in an invitation link.

    It is derived from the server's secret instead of stored, so the link can be exported again at any
    time while the database holds only its hash: a copy of the database alone opens no response.
    """
    mac = hmac.new(secret_key.encode(), f"invitation:{invitation_id}:{salt}".encode(), hashlib.sha256)
    return f"{invitation_id}-{mac.hexdigest()[:40]}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
