"""Random tokens for one-time links and sessions, stored only as keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A URL-safe random token with 256 bits of entropy."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def keyed_hash(secret_key: str, purpose: str, token: str) -> str:
    """HMAC-SHA-256 of the token, bound to its purpose: a stolen database yields no usable link."""
    message = f"{purpose}\x00{token}".encode()
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret_key: str, purpose: str, payload: str) -> str:
    """``payload`` with its keyed hash appended: a value the server can trust without a lookup.

    For state that must cost no database read (a voting session): whoever holds the key can check
    it, nobody without it can forge or alter it. The payload is readable, so it must hold nothing
    secret. A purpose binds it to one use, as ``keyed_hash`` does for stored tokens.
    """
    return f"{payload}.{keyed_hash(secret_key, purpose, payload)}"


def verified(secret_key: str, purpose: str, token: str) -> str | None:
    """The payload of a token made by ``sign`` with the same key and purpose, else None."""
    payload, _, mac = token.rpartition(".")
    if not payload or not hmac.compare_digest(mac, keyed_hash(secret_key, purpose, payload)):
        return None
    return payload
