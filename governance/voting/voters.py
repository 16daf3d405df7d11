"""Who is voting: a signed-in member, or an elector who came in with a voting code.

DESIGN "Voting and results": two ways in, one vote. A member with an account is known by their
session; an elector who typed (or followed a link carrying) a voting code is given a short
voting pass instead: a signed cookie naming the member, the election and the code's generation.
The pass costs no database read to trust (``security.tokens.sign``), so the ballot pages stay on
the hot path's budget; revocation still holds, because the cast checks the code's generation
inside its transaction (a reissued code makes older passes useless) and a pass lasts minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from governance import clock
from governance.security import tokens
from governance.web.dependencies import AppSettings, Visitor

VOTING_COOKIE = "governance_vote"
PASS_PURPOSE = "voting-pass"  # noqa: S105 - a purpose label, not a secret
PASS_LIFETIME = timedelta(minutes=30)  # long enough to read 120 statements; short if left open


@dataclass(frozen=True, slots=True)
class Voter:
    """The elector a ballot page or a cast is for.

    ``election_id`` and ``generation`` are set when the voter came in with a code: the pass is
    good for that election only, and only while that code is the elector's current one. A
    signed-in member (both None) may vote in every election whose roll they are on.
    """

    member_id: int
    election_id: int | None = None
    generation: int | None = None

    @property
    def by_code(self) -> bool:
        return self.election_id is not None

    def may_vote_in(self, election_id: int) -> bool:
        return self.election_id is None or self.election_id == election_id


MaybeVoter = NamedDependency[Voter | None]
"""Who is voting on a ballot page, or None, injected by name: ``voter`` (``provide_voter``)."""


def issue_pass(secret_key: str, voter: Voter, now: datetime) -> str:
    """A voting pass for an elector who proved a code; the cookie's value."""
    if voter.election_id is None or voter.generation is None:
        raise ValueError("a voting pass is for an elector who came in with a code")
    expires = int((now + PASS_LIFETIME).timestamp())
    payload = f"{voter.member_id}:{voter.election_id}:{voter.generation}:{expires}"
    return tokens.sign(secret_key, PASS_PURPOSE, payload)


def read_pass(secret_key: str, token: str, now: datetime) -> Voter | None:
    """The voter a pass names, or None when it is forged, altered, malformed or expired."""
    payload = tokens.verified(secret_key, PASS_PURPOSE, token)
    if payload is None:
        return None
    try:
        member_id, election_id, generation, expires = (int(part) for part in payload.split(":"))
    except ValueError:
        return None
    if now.timestamp() >= expires:
        return None
    return Voter(member_id, election_id, generation)


def provide_voter(
    request: Request[Any, Any, Any], settings: AppSettings, visitor: Visitor
) -> Voter | None:
    """Who is voting, for a ballot page (a Litestar dependency, injected as ``voter``).

    A signed-in account linked to a member votes as that member; otherwise a valid voting pass
    in the ``VOTING_COOKIE`` cookie names the elector; otherwise nobody is voting. No database
    read either way: the session was checked by the authentication middleware, the pass by its
    signature.
    """
    if visitor is not None and visitor.member_id is not None:
        return Voter(visitor.member_id)
    token = request.cookies.get(VOTING_COOKIE)
    if not token:
        return None
    return read_pass(settings.secret_key, token, clock.now())
