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
