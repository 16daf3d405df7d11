"""The "Enter your voting code" page and the personal link (issue 11, item 2)."""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from integration.voting_arrange import CLOSE, DURING, at
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from voting_codes_arrange import code_of, enter, open_poll, without_token

from governance.app import create_app
from governance.config import Settings
from governance.voting import codes, credentials
from governance.voting.models import CodeAttempt
from governance.voting.voters import PASS_LIFETIME, VOTING_COOKIE, read_pass


async def test_a_right_code_sets_the_voting_pass_and_goes_to_the_ballot(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, members = await open_poll(db, settings)
    typed = code_of(settings, held.id, members[0]).lower().replace("-", " ")
    answer = await enter(client, typed)
    assert answer.status_code == 303 and answer.headers["location"] == "/vote"
    cookie = answer.headers["set-cookie"]
    assert VOTING_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert f"Max-Age={int(PASS_LIFETIME.total_seconds())}" in cookie
    voter = read_pass(settings.secret_key, client.cookies[VOTING_COOKIE], DURING)
    assert voter is not None
    assert (voter.member_id, voter.election_id, voter.generation) == (members[0], held.id, 1)


async def test_the_pass_cookie_is_secure_when_the_site_is_served_over_https(
    db: AsyncSession, settings: Settings
) -> None:
    secure = dataclasses.replace(settings, base_url="https://vote.example.org")
    held, members = await open_poll(db, secure)
    async with AsyncTestClient(app=create_app(secure), base_url="https://testserver.local") as c:
        answer = await enter(c, code_of(secure, held.id, members[0]))
    assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]


async def test_every_wrong_code_gets_the_same_answer(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, members = await open_poll(db, settings)
    replaced = code_of(settings, held.id, members[1])
    await credentials.reissue(db, settings, held, members[1], actor="test")
    # Another body's election, whose poll has closed.
    at(CLOSE - (CLOSE - DURING) / 2)
    other, others = await open_poll(db, settings, prefix="OTH")
    other.voting_close_at = DURING + (CLOSE - DURING) / 4
    await db.commit()
    closed = code_of(settings, other.id, others[0])
    at(DURING + (CLOSE - DURING) / 2)
    random = codes.grouped("".join(secrets.choice(codes.ALPHABET) for _ in range(20)))
    answers = [await enter(client, code) for code in (random, replaced, closed, "not a code")]
    assert {answer.status_code for answer in answers} == {422}
    assert len({without_token(answer) for answer in answers}) == 1
    assert "That voting code does not work" in answers[0].text
    assert VOTING_COOKIE not in client.cookies
    # The right code of the open poll still works beside them.
    assert (await enter(client, code_of(settings, held.id, members[0]))).status_code == 303


async def test_the_code_page_says_when_a_poll_closed(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, members = await open_poll(db, settings)
    at(CLOSE)
    page = await client.get("/vote/code")
    assert "Voting in Policy Advisory Group 2027 closed at 17:00 on 3 March 2027." in page.text
    refused = await enter(client, code_of(settings, held.id, members[0]))
    assert refused.status_code == 422


async def test_wrong_codes_are_limited_per_address_with_retry_after(
    db: AsyncSession, settings: Settings
) -> None:
    limited = dataclasses.replace(settings, code_failures_per_address=3)
    held, members = await open_poll(db, limited)
    async with AsyncTestClient(app=create_app(limited), base_url="http://testserver.local") as c:
        for _ in range(3):
            assert (await enter(c, "0000-0000-0000-0000-0000")).status_code == 422
        refused = await enter(c, "0000-0000-0000-0000-0000")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "900"
        # While limited, even the right code waits: the limit is checked before the code.
        assert (await enter(c, code_of(limited, held.id, members[0]))).status_code == 429
        at(DURING + 2 * (CLOSE - DURING) / 3)
        assert (await enter(c, code_of(limited, held.id, members[0]))).status_code == 303


async def test_a_right_code_does_not_count_against_the_limit(
    db: AsyncSession, settings: Settings
) -> None:
    limited = dataclasses.replace(settings, code_failures_per_address=2)
    held, members = await open_poll(db, limited, electors=5)
    async with AsyncTestClient(app=create_app(limited), base_url="http://testserver.local") as c:
        for member in members:
            assert (await enter(c, code_of(limited, held.id, member))).status_code == 303
    assert int(await db.scalar(select(func.count()).select_from(CodeAttempt)) or 0) == 0


async def test_the_link_trades_the_code_for_a_pass_and_leaves_it_out_of_the_url(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, members = await open_poll(db, settings)
    code = code_of(settings, held.id, members[0])
    for _ in range(2):  # a mail scanner's visit first: nothing is used up
        client.cookies.clear()
        answer = await client.get(f"/vote/link/{code}", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/vote"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert VOTING_COOKIE in client.cookies


async def test_a_wrong_link_gets_the_code_page_without_a_referrer(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    await open_poll(db, settings)
    answer = await client.get("/vote/link/0000-0000-0000-0000-0000")
    assert answer.status_code == 422
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert "That voting code does not work" in answer.text
    other = await client.get("/vote/code")
    assert other.headers["referrer-policy"] == "same-origin", "only the link page is stricter"


async def test_a_reissued_code_replaces_the_old_one(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, members = await open_poll(db, settings)
    old = code_of(settings, held.id, members[0])
    await credentials.reissue(db, settings, held, members[0], actor="test")
    assert (await enter(client, old)).status_code == 422
    answer = await enter(client, code_of(settings, held.id, members[0], generation=2))
    assert answer.status_code == 303
    voter = read_pass(settings.secret_key, client.cookies[VOTING_COOKIE], DURING)
    assert voter is not None and voter.generation == 2
