"""The voting sandbox: an election open for voting, with N electors, for trying the ballot and for
the casting benchmark (``governance demo voting --electors N --codes FILE``).

It builds, in the configured database, a body and an election whose voting window is open now:
an STV contest for 36 seats with 120 candidates (each with a short statement) and a block-vote
contest for 4 seats with 8 candidates, N electors on the register, and a returning officer. The
nominations stage is written as already done (valid nominations, a published candidate list in
alphabetical order), then the poll is opened the way the app opens it. It refuses a database
that holds any election it did not create, so it can never touch a real election.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance.accounts.service import NewAccount, create_user
from governance.audit.service import record_for_election
from governance.bodies.models import Body
from governance.config import Settings
from governance.elections.models import Contest, Election
from governance.errors import Conflict
from governance.members.models import Member
from governance.nominations.models import Candidate, Nomination, Review
from governance.security.roles import Role
from governance.voting import codes
from governance.voting.models import Credential
from governance.voting.opening import open_poll

SANDBOX_BODY = "Voting sandbox"
STV_SEATS, STV_CANDIDATES = 36, 120
BLOCK_SEATS, BLOCK_CANDIDATES = 4, 8
BATCH = 5_000  # members per INSERT: bounded memory and statement size on both databases
REGIONS = (
    "East Midlands", "East of England", "London", "North East", "North West",
    "South East", "South West", "West Midlands", "Yorkshire and the Humber",
)  # fmt: skip
SURNAMES = (
    "Adeyemi", "Brennan", "Chowdhury", "Davies", "Evans", "Fletcher", "Gallagher", "Hussain",
    "Iqbal", "Jones", "Kaur", "Lewis", "Morgan", "Nowak", "Okafor", "Patel", "Quinn", "Roberts",
    "Singh", "Thomas", "Usman", "Vaughan", "Williams", "Young",
)  # fmt: skip
GIVEN = (
    "Aisha", "Ben", "Catrin", "Dev", "Eleanor", "Femi", "Grace", "Hamid", "Isla", "Jamal",
    "Kirsty", "Leon", "Maryam", "Niall", "Olu", "Priya", "Rhys", "Sana", "Tom", "Zara",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sandbox:
    election_id: int
    contest_ids: tuple[int, int]
    electors: int


async def _refuse_unless_empty(session: AsyncSession) -> None:
    elections = await session.scalar(select(func.count()).select_from(Election)) or 0
    if elections:
        raise Conflict(
            "This database already holds elections; the voting sandbox is built only in an "
            "empty one, so that it can never touch a real election. Point "
            "GOVERNANCE_DATABASE_URL at a new database and run it again."
        )


def _number(index: int) -> str:
    return f"SBX{index:07d}"


def _member_rows(start: int, stop: int, now: datetime) -> list[dict[str, object]]:
    rows = []
    for index in range(start, stop):
        name = f"{GIVEN[index % len(GIVEN)]} {SURNAMES[(index // len(GIVEN)) % len(SURNAMES)]}"
        rows.append(
            {
                "membership_number": _number(index),
                "name": name,
                "email": f"elector{index}@sandbox.example.org",
                "organisation": f"Trust {index % 400 + 1}",
                "region": REGIONS[index % len(REGIONS)],
                "category": "",
                "status": "active",
                "attributes": {},
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


async def _add_members(session: AsyncSession, count: int, now: datetime) -> None:
    for start in range(0, count, BATCH):
        await session.execute(insert(Member), _member_rows(start, min(count, start + BATCH), now))


async def _election(session: AsyncSession, officer_id: int, now: datetime) -> Election:
    body = Body(name=SANDBOX_BODY, seats=STV_SEATS + BLOCK_SEATS, term_months=36, created_at=now)
    session.add(body)
    await session.flush()
    election = Election(
        body_id=body.id,
        title="Policy Advisory Group election (sandbox)",
        description="A sandbox election for trying the ballot; nothing here is real.",
        nominations_open_at=now - timedelta(days=30),
        nominations_close_at=now - timedelta(days=14),
        voting_open_at=now - timedelta(minutes=5),
        voting_close_at=now + timedelta(days=7),
        announced_at=now - timedelta(days=31),
        candidates_published_at=now - timedelta(days=10),
        returning_officer_id=officer_id,
        created_by=officer_id,
        created_at=now - timedelta(days=31),
    )
    session.add(election)
    await session.flush()
    return election


async def _contest(
    session: AsyncSession, election: Election, name: str, method: str, seats: int, position: int
) -> Contest:
    contest = Contest(
        election_id=election.id, position=position, name=name, seats=seats, method=method
    )
    session.add(contest)
    await session.flush()
    return contest


async def _stand(
    session: AsyncSession, contest: Contest, member_ids: list[int], now: datetime
) -> None:
    """Valid nominations and the published candidate list, in alphabetical order of name."""
    members = (await session.scalars(select(Member).where(Member.id.in_(member_ids)))).all()
    for position, member in enumerate(sorted(members, key=lambda m: (m.name, m.id)), start=1):
        nomination = Nomination(
            contest_id=contest.id,
            member_id=member.id,
            statement=f"I am {member.name} of {member.organisation}, {member.region}. "
            "I would bring the experience of a working trust to the group.",
            declaration_at=now - timedelta(days=20),
            submitted_at=now - timedelta(days=20),
            updated_at=now - timedelta(days=20),
            review=Review.VALID.value,
            reviewed_at=now - timedelta(days=12),
        )
        session.add(nomination)
        await session.flush()
        session.add(
            Candidate(
                contest_id=contest.id,
                nomination_id=nomination.id,
                member_id=member.id,
                ballot_position=position,
                name=member.name,
                organisation=member.organisation,
                published_at=now - timedelta(days=10),
            )
        )


async def build(session: AsyncSession, electors: int, now: datetime) -> Sandbox:
    """Build the sandbox and commit; the poll is opened by the caller (``open_poll``)."""
    await _refuse_unless_empty(session)
    officer = await create_user(
        session,
        NewAccount("officer@sandbox.example.org", "Sandbox Returning Officer", "sandbox-officer"),
        frozenset({Role.RETURNING_OFFICER}),
        actor="sandbox",
    )
    await _add_members(session, electors, now)
    ids = list((await session.scalars(select(Member.id).order_by(Member.id))).all())
    election = await _election(session, officer.id, now)
    stv = await _contest(session, election, "National seats", "stv-scottish", STV_SEATS, 1)
    block = await _contest(session, election, "Regional seats", "block", BLOCK_SEATS, 2)
    # Who stands is scenery, not security: a seeded draw gives the same sandbox every time.
    draw = random.Random(electors)  # noqa: S311
    chosen = draw.sample(ids, min(len(ids), STV_CANDIDATES + BLOCK_CANDIDATES))
    await _stand(session, stv, chosen[:STV_CANDIDATES], now)
    await _stand(session, block, chosen[STV_CANDIDATES:], now)
    await record_for_election(
        session,
        election.id,
        action="sandbox.created",
        actor="sandbox",
        payload={"electors": electors, "contests": [stv.id, block.id]},
    )
    await session.commit()
    return Sandbox(election.id, (stv.id, block.id), electors)


async def open_and_list_codes(
    session: AsyncSession, settings: Settings, sandbox: Sandbox, now: datetime
) -> list[tuple[str, str, str]]:
    """Open the poll the way the app does (rolls frozen, codes issued and mailed through the
    outbox), then each elector's (membership number, code, personal link), derived again from
    the key: the database holds no code."""
    election = await session.get(Election, sandbox.election_id)
    if election is None:
        raise Conflict("The sandbox election is missing.")
    await open_poll(session, settings, election, now)
    rows = await session.execute(
        select(Member.membership_number, Credential.member_id, Credential.generation)
        .join(Member, Member.id == Credential.member_id)
        .where(Credential.election_id == sandbox.election_id)
        .order_by(Member.membership_number)
    )
    listed = []
    for number, member_id, generation in rows:
        code = codes.derive(settings.secret_key, sandbox.election_id, member_id, generation)
        grouped = codes.grouped(code)
        listed.append((number, grouped, f"{settings.base_url}{codes.LINK_PATH}{code}"))
    return listed
