"""The limit on wrong voting codes holds under concurrent tries from several workers."""

from __future__ import annotations

import dataclasses

import pytest
from integration.voting_arrange import DURING, election, own_connections, race, register
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance.config import Settings
from governance.errors import TooManyAttempts
from governance.voting.code_entry import WrongCode, voter_for_code
from governance.voting.models import CodeAttempt
from governance.voting.opening import open_due_polls


async def test_concurrent_wrong_codes_cannot_exceed_the_limit(
    db: AsyncSession, settings: Settings
) -> None:
    limited = dataclasses.replace(settings, code_failures_per_address=4)
    await election(db)
    await register(db, 2)
    await open_due_polls(db, limited, DURING)
    async with own_connections(settings.database_url, 16) as sessions:
        outcomes = await race(
            sessions,
            [
                lambda s: voter_for_code(s, limited, "0000-0000-0000-0000-0000", "192.0.2.7")
                for _ in range(16)
            ],
        )
    wrong = [o for o in outcomes if isinstance(o, WrongCode)]
    limited_out = [o for o in outcomes if isinstance(o, TooManyAttempts)]
    assert len(wrong) + len(limited_out) == 16, outcomes
    assert len(wrong) <= 4, f"{len(wrong)} codes were checked past the limit of 4"
    stored = await db.scalar(select(func.count()).select_from(CodeAttempt))
    assert int(stored or 0) == len(wrong)


async def test_the_per_poll_ceiling_counts_every_address(
    db: AsyncSession, settings: Settings
) -> None:
    limited = dataclasses.replace(settings, code_failures_per_poll=3)
    await election(db)
    await register(db, 2)
    await open_due_polls(db, limited, DURING)
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        with pytest.raises(WrongCode):
            await voter_for_code(db, limited, "nonsense", address)
    with pytest.raises(TooManyAttempts):
        await voter_for_code(db, limited, "nonsense", "192.0.2.4")
