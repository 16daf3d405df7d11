"""Password hashing with argon2id (RFC 9106), through argon2-cffi."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from governance.i18n import _

# RFC 9106 §4 second recommended option (64 MiB, t=3, p=4): argon2-cffi's default profile.
PRODUCTION_HASHER = PasswordHasher(type=Type.ID)
MIN_PASSWORD_LENGTH = 12

# A fixed hash to verify against when no account matches, so that a wrong email and a wrong
# password take the same time and do not reveal which addresses have accounts. Made eagerly with
# the hasher in use: verifying costs what the hash's own parameters say, and a first sign-in
# that had to make it would stand out.
_DUMMY_PASSWORD = "not a real password, only for timing"  # noqa: S105 - hashed, never used
_hasher = PRODUCTION_HASHER
_dummy_hash = _hasher.hash(_DUMMY_PASSWORD)


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash with other parameters from now on: the tests use argon2id at its cheapest, since
    the production profile costs a large fraction of a second a hash and they make many accounts."""
    global _hasher, _dummy_hash
    _hasher, _dummy_hash = hasher, hasher.hash(_DUMMY_PASSWORD)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        _hasher.verify(password_hash or _dummy_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash was made with parameters weaker than today's (rehash on login)."""
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, in words a person can act on; None if it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(count)d characters.") % {"count": MIN_PASSWORD_LENGTH}
    if len(password) > 1024:
        return _("Use at most 1,024 characters.")
    return None
