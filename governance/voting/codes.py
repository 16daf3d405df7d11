"""Voting codes: 100 random-looking bits an elector can type, never stored in clear.

A code is 20 characters of Crockford's base32 (5 bits each: 100 bits), shown as five groups of
four, ``7KQ2-M9XD-…``. Typing is forgiving, as phones auto-capitalise and people read codes out
(VOTING-AND-RESULTS-NOTES: Belenios #278): case, spaces and hyphens are ignored, and Crockford's
look-alikes are read as the digits they resemble (I and L as 1, O as 0).

The code is derived, not drawn: HMAC-SHA-256 under the server's secret key of (election, member,
generation). So it need not be stored anywhere, not even in the outbox: mail carries a
placeholder that the sender fills in at send time (``governance.notify.fillers``), and the
database holds only ``keyed_hash(secret, "voting-code", code)`` in ``Credential.code_hash``. A
stolen database yields no code; the secret key yields every code, but it already yields every
voting pass and session, so it was the crown jewel before. Reissuing raises the generation,
which gives a new, unrelated code.
"""

from __future__ import annotations

import hashlib
import hmac

from governance.config import Settings
from governance.notify import fillers
from governance.security import tokens

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
LENGTH = 20  # 20 x 5 bits = 100 bits (issue 11: at least 100)
GROUP = 4
HASH_PURPOSE = "voting-code"
_DERIVE_PURPOSE = b"voting-code-derivation"
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_IGNORED = str.maketrans("", "", " -\t\u00a0")
CODE_FILLER = "voting-code"
LINK_FILLER = "voting-link"
LINK_PATH = "/vote/link/"


def derive(secret_key: str, election_id: int, member_id: int, generation: int) -> str:
    """The code of an elector's credential of this generation, ungrouped."""
    message = _DERIVE_PURPOSE + f"\x00{election_id}:{member_id}:{generation}".encode()
    digest = hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).digest()
    bits = int.from_bytes(digest[:13], "big") >> (13 * 8 - LENGTH * 5)
    return "".join(ALPHABET[(bits >> (5 * (LENGTH - 1 - i))) & 31] for i in range(LENGTH))


def grouped(code: str) -> str:
    """``ABCDEFGH…`` as ``ABCD-EFGH-…`` for reading and typing."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str | None:
    """The code as issued, from what a person typed; None when it cannot be a code."""
    code = typed.upper().translate(_IGNORED).translate(_LOOK_ALIKES)
    if len(code) != LENGTH or any(character not in ALPHABET for character in code):
        return None
    return code


def code_hash(secret_key: str, typed: str) -> str:
    """The keyed hash looked up for what was typed. Computed for every attempt, a code or not,
    so a wrong answer takes the same time whatever was wrong with it."""
    return tokens.keyed_hash(secret_key, HASH_PURPOSE, normalise(typed) or typed[:64])


def placeholder_argument(election_id: int, member_id: int, generation: int) -> str:
    return f"{election_id}.{member_id}.{generation}"


def code_placeholder(election_id: int, member_id: int, generation: int) -> str:
    argument = placeholder_argument(election_id, member_id, generation)
    return fillers.placeholder(CODE_FILLER, argument)


def link_placeholder(election_id: int, member_id: int, generation: int) -> str:
    argument = placeholder_argument(election_id, member_id, generation)
    return fillers.placeholder(LINK_FILLER, argument)


def _derived(settings: Settings, argument: str) -> str:
    election_id, member_id, generation = (int(part) for part in argument.split("."))
    return derive(settings.secret_key, election_id, member_id, generation)


def _fill_code(settings: Settings, argument: str) -> str:
    return grouped(_derived(settings, argument))


def _fill_link(settings: Settings, argument: str) -> str:
    return f"{settings.base_url}{LINK_PATH}{grouped(_derived(settings, argument))}"


def register_fillers() -> None:
    """Called at start-up by every process that sends mail (the app and ``outbox work``)."""
    fillers.register(CODE_FILLER, _fill_code)
    fillers.register(LINK_FILLER, _fill_link)
