"""Publishing the candidate list, which fixes the ballot order, and the public list per contest.

Ballot order is alphabetical (surname, then the whole name) or random. A random order is drawn
from a seed that is written to the audit chain before the draw: position follows SHA-256 of
``seed:contest id:nomination id``, so anyone holding the published seed can redo the draw.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from governance import clock
from governance.audit.service import record_for_election
from governance.elections import service as elections
from governance.elections.lifecycle import Action
from governance.elections.models import BallotOrder, Contest, Election
from governance.errors import Conflict, NotFound
from governance.i18n import N_, _
from governance.members.models import Member
from governance.nominations.models import Candidate, Nomination, NominationState, Review
from governance.nominations.review import Board, board, refuse_if_involved
from governance.nominations.service import require
from governance.nominations.statement import render_statement
from governance.security.roles import Account


@dataclass(frozen=True, slots=True)
class Listed:
    """One candidate as the public list shows them."""

    position: int
    name: str
    organisation: str
    statement: Markup
    nomination_id: int
    has_photo: bool


@dataclass(frozen=True, slots=True)
class Listing:
    election: Election
    contest: Contest
    candidates: list[Listed] | None  # None: not published yet
    unopposed: bool


def _folded(text: str) -> str:
    """Sort key text: accents and case set aside, so "Évans" files with "Evans"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def alphabetical(entries: list[tuple[int, str]]) -> list[int]:
    """Nomination ids in ballot order by surname (the last word of the name), then name."""

    def key(entry: tuple[int, str]) -> tuple[str, str, int]:
        nomination_id, name = entry
        words = name.split()
        return (_folded(words[-1] if words else ""), _folded(name), nomination_id)

    return [nomination_id for nomination_id, _name in sorted(entries, key=key)]


def drawn(entries: list[tuple[int, str]], seed: str, contest_id: int) -> list[int]:
    """Nomination ids in the order drawn by ``seed``: the same seed gives the same order."""

    def key(nomination_id: int) -> str:
        return hashlib.sha256(f"{seed}:{contest_id}:{nomination_id}".encode()).hexdigest()

    return sorted((nomination_id for nomination_id, _name in entries), key=key)


async def publish(session: AsyncSession, viewer: Account, election_id: int) -> Election:
    """Create the candidates of every contest in a fixed order; audited and committed."""
    found = await board(session, viewer, election_id, to_change=True)
    election = found.election
    require(
        election,
        Action.PUBLISH_CANDIDATES,
        N_("The candidate list can be published only after nominations close, once."),
    )
    refuse_if_involved(viewer, [e.nomination for c in found.contests for e in c.entries])
    if found.pending:
        raise Conflict(
            _("Review every nomination before publishing: %(count)d still to do.")
            % {"count": found.pending}
        )
    seed = None
    if election.ballot_order == BallotOrder.RANDOM.value:
        # Recorded before the draw (DESIGN invariant 8), so the order cannot be chosen by retrying.
        seed = secrets.token_hex(32)
        await record_for_election(
            session,
            election.id,
            action="candidates.seed_drawn",
            actor=viewer.email,
            subject=f"election:{election.id}",
            payload={"seed": seed},
        )
    now = clock.now()
    orders = _place_candidates(session, found, seed, now)
    election.candidates_published_at, election.ballot_seed = now, seed
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent publish got there first
        await session.rollback()
        raise Conflict(_("The candidate list has already been published.")) from error
    await record_for_election(
        session,
        election.id,
        action="candidates.published",
        actor=viewer.email,
        subject=f"election:{election.id}",
        payload={"ballot_order": election.ballot_order, "seed": seed, "order": orders},
    )
    await session.commit()
    return election


def _place_candidates(
    session: AsyncSession, found: Board, seed: str | None, now: datetime
) -> dict[str, list[dict[str, object]]]:
    """Add each contest's valid nominees as candidates in ballot order; the order, for the chain."""
    orders: dict[str, list[dict[str, object]]] = {}
    for contest in found.contests:
        valid = {
            e.nomination.id: e
            for e in contest.standing
            if e.nomination.review == Review.VALID.value
        }
        entries = [(i, e.nominee.name) for i, e in valid.items()]
        order = drawn(entries, seed, contest.contest.id) if seed else alphabetical(entries)
        orders[str(contest.contest.id)] = []
        for position, nomination_id in enumerate(order, start=1):
            nominee = valid[nomination_id].nominee
            session.add(
                Candidate(
                    contest_id=contest.contest.id,
                    nomination_id=nomination_id,
                    member_id=nominee.id,
                    ballot_position=position,
                    name=nominee.name,
                    organisation=nominee.organisation,
                    published_at=now,
                )
            )
            orders[str(contest.contest.id)].append(
                {"position": position, "nomination": nomination_id, "name": nominee.name}
            )
    return orders


@lru_cache(maxsize=4096)
def rendered(statement: str) -> Markup:
    # A published statement never changes, and rendering Markdown is the page's main cost.
    return Markup(render_statement(statement))  # noqa: S704 - render_statement sanitises (nh3)


async def listing(session: AsyncSession, election_id: int, contest_id: int) -> Listing:
    """The public candidate list of one contest in ballot order, once published. A contest
    elected unopposed before publication lists its valid candidates alphabetically."""
    election = await elections.get(session, election_id)
    contest = next((c for c in election.contests if c.id == contest_id), None)
    if contest is None or election.announced_at is None:
        raise NotFound(_("This election has no such contest."))
    unopposed = contest.elected_unopposed_at is not None
    if election.candidates_published_at is not None:
        rows = await session.execute(
            select(Candidate.ballot_position, Candidate.name, Candidate.organisation,
                   Nomination.statement, Candidate.nomination_id, Nomination.photo.is_not(None))
            .join(Nomination, Nomination.id == Candidate.nomination_id)
            .where(Candidate.contest_id == contest.id)
            .order_by(Candidate.ballot_position)
        )  # fmt: skip
        # Columns, not ORM objects, to keep a long list light (the note above Person, review.py).
        listed = [
            Listed(position, name, organisation, rendered(text), nomination_id, bool(photo))
            for position, name, organisation, text, nomination_id, photo in rows
        ]
        return Listing(election, contest, listed, unopposed)
    if unopposed:
        return Listing(election, contest, await _unopposed(session, contest), unopposed)
    return Listing(election, contest, None, unopposed)


async def _unopposed(session: AsyncSession, contest: Contest) -> list[Listed]:
    rows = list(
        await session.execute(
            select(Nomination.id, Member.name, Member.organisation, Nomination.statement)
            .join(Member, Member.id == Nomination.member_id)
            .where(
                Nomination.contest_id == contest.id,
                Nomination.review == Review.VALID.value,
                Nomination.state == NominationState.SUBMITTED.value,
            )
        )
    )
    order = alphabetical([(row[0], row[1]) for row in rows])
    by_id = {row[0]: row for row in rows}
    # No photo: photos become public with the published list, which this contest may not get.
    return [
        Listed(position, by_id[i][1], by_id[i][2], rendered(by_id[i][3]), i, False)
        for position, i in enumerate(order, start=1)
    ]
