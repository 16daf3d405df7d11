"""Supporters: the nominee finds members on the register and asks them; each confirms or declines
in the app, and the rules are checked when they confirm, each refusal naming its rule."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from nominations_arrange import (
    CLOSED,
    answer,
    as_user,
    ask,
    at,
    election,
    member,
    nominate,
    verified_actions,
    with_account,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance.elections.models import Election
from governance.members.models import Member
from governance.nominations.models import Nomination, Support
from governance.notify.models import OutboxMessage


async def _nominee(
    client: AsyncTestClient[Any],
    db: AsyncSession,
    held: Election,
    number: str = "N-1",
    name: str = "Grace Hopper",
    organisation: str = "Navy Trust",
) -> Nomination:
    person = await member(db, number, name, organisation)
    await as_user(client, await with_account(db, person))
    assert (await nominate(client, held.contests[0].id)).status_code == 303
    found = await db.scalar(select(Nomination).where(Nomination.member_id == person.id))
    assert found is not None
    return found


async def _asked(
    client: AsyncTestClient[Any],
    db: AsyncSession,
    nomination: Nomination,
    supporter: Member,
    role: str = "proposer",
) -> Support:
    assert (await ask(client, nomination.id, supporter.id, role)).status_code == 303
    found = await db.scalar(
        select(Support).where(
            Support.member_id == supporter.id, Support.nomination_id == nomination.id
        )
    )
    assert found is not None
    return found


async def _supports(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(Support)) or 0


async def test_the_register_is_searched_by_name_or_number_with_and_without_htmx(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await member(db, "PAG-0042", "Katherine Johnson", "Langley Trust")
    await member(db, "PAG-0043", "Dorothy Vaughan", "Langley Trust", status="lapsed")
    nomination = await _nominee(client, db, held)
    page = f"/my/nominations/{nomination.id}"
    plain = await client.get(page, params={"q": "kather"})
    assert plain.status_code == 200 and "Katherine Johnson" in plain.text and "<html" in plain.text
    fragment = await client.get(page, params={"q": "pag-0042"}, headers={"hx-request": "true"})
    assert "Katherine Johnson" in fragment.text and "<html" not in fragment.text
    lapsed = await client.get(page, params={"q": "Dorothy"}, headers={"hx-request": "true"})
    assert "Dorothy" in lapsed.text and "No active member matches" in lapsed.text
    assert (
        "Grace Hopper"
        not in (await client.get(page, params={"q": "grace"})).text.split("search-results")[-1]
    ), "the nominee is not offered as their own supporter"


async def test_a_supporter_is_emailed_confirms_and_the_nominee_sees_it_live(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    supporter = await member(db, "S-1", "Katherine Johnson", "Langley Trust")
    email = await with_account(db, supporter)
    nomination = await _nominee(client, db, held)
    support = await _asked(client, db, nomination, supporter)
    mail = await db.scalar(
        select(OutboxMessage).where(OutboxMessage.template == "nomination_support_requested")
    )
    assert mail is not None and mail.recipient == supporter.email
    assert "Grace Hopper" in mail.subject and "/my/nominations" in mail.text_body
    block = await client.get(
        f"/my/nominations/{nomination.id}/supporters", headers={"hx-request": "true"}
    )
    assert "Asked, not answered yet" in block.text and 'hx-trigger="every 4s"' in block.text
    await as_user(client, email)
    asked = await client.get("/my/nominations")
    assert "Confirm support for Grace Hopper" in asked.text
    assert (await answer(client, support.id, "confirm")).status_code == 303
    await db.refresh(support)
    assert support.state == "confirmed"
    again = await answer(client, support.id, "decline")
    assert again.status_code == 409 and "already answered" in again.text
    actions = await verified_actions(db, held.id)
    assert actions == ["nomination.submitted", "support.requested", "support.confirmed"]


async def test_declining_is_recorded_and_counts_for_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    supporter = await member(db, "S-1", "Katherine Johnson")
    email = await with_account(db, supporter)
    nomination = await _nominee(client, db, held)
    support = await _asked(client, db, nomination, supporter, "seconder")
    await as_user(client, email)
    assert (await answer(client, support.id, "decline")).status_code == 303
    await db.refresh(support)
    assert support.state == "declined"
    assert (await verified_actions(db, held.id))[-1] == "support.declined"


async def test_a_member_who_declined_can_be_asked_again(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    supporter = await member(db, "S-1", "Katherine Johnson")
    email = await with_account(db, supporter)
    nomination = await _nominee(client, db, held)
    support = await _asked(client, db, nomination, supporter, "seconder")
    await as_user(client, email)
    await answer(client, support.id, "decline")
    nominee = await db.scalar(select(Member).where(Member.id == nomination.member_id))
    assert nominee is not None
    await as_user(client, nominee.email)
    assert (await ask(client, nomination.id, supporter.id, "proposer")).status_code == 303
    await db.refresh(support)
    assert (support.state, support.role, support.responded_at) == ("requested", "proposer", None)
    again = await ask(client, nomination.id, supporter.id, "proposer")
    assert again.status_code == 409, "a pending request is not asked twice"


async def test_a_supporter_must_be_an_eligible_voter_in_the_contest(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(
        db, contests=[{"name": "London seat", "seats": 1, "vote_rule": 'region = "London"'}]
    )
    outsider = await member(db, "S-1", "Katherine Johnson", region="Wales")
    email = await with_account(db, outsider)
    nomination = await _nominee(client, db, held)
    support = await _asked(client, db, nomination, outsider)
    await as_user(client, email)
    refused = await answer(client, support.id, "confirm")
    assert refused.status_code == 403
    assert "eligible to vote in this contest" in refused.text and "Wales" in refused.text
    await db.refresh(support)
    assert support.state == "requested"


async def test_a_nominee_cannot_be_their_own_supporter(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    nomination = await _nominee(client, db, held)
    refused = await ask(client, nomination.id, nomination.member_id, "proposer")
    assert refused.status_code == 422 and "not the nominee" in refused.text
    assert await _supports(db) == 0


async def test_supporters_from_the_nominees_organisation_are_refused_when_the_rule_is_on(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db, supporters_other_organisation=True)
    colleague = await member(db, "S-1", "Katherine Johnson", "navy  trust")
    email = await with_account(db, colleague)
    nomination = await _nominee(client, db, held)
    support = await _asked(client, db, nomination, colleague)
    await as_user(client, email)
    refused = await answer(client, support.id, "confirm")
    assert refused.status_code == 403 and "supporters from another organisation" in refused.text


async def test_supporters_must_come_from_different_organisations_when_the_rule_is_on(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db, supporters_distinct_organisations=True)
    first = await member(db, "S-1", "Katherine Johnson", "Langley Trust")
    second = await member(db, "S-2", "Mary Jackson", "Langley Trust")
    emails = [await with_account(db, first), await with_account(db, second)]
    nomination = await _nominee(client, db, held)
    supports = [
        await _asked(client, db, nomination, first, "proposer"),
        await _asked(client, db, nomination, second, "seconder"),
    ]
    await as_user(client, emails[0])
    assert (await answer(client, supports[0].id, "confirm")).status_code == 303
    await as_user(client, emails[1])
    refused = await answer(client, supports[1].id, "confirm")
    assert refused.status_code == 403
    assert "supporters from different organisations" in refused.text


async def test_a_member_supporting_too_many_is_refused_and_nothing_changes(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db, max_supports_per_member=1)
    keen = await member(db, "S-1", "Katherine Johnson", "Langley Trust")
    email = await with_account(db, keen)
    first = await _nominee(client, db, held, "N-1", "Grace Hopper")
    one = await _asked(client, db, first, keen)
    second = await _nominee(client, db, held, "N-2", "Ada Lovelace", "Analytical Trust")
    two = await _asked(client, db, second, keen)
    await as_user(client, email)
    assert (await answer(client, one.id, "confirm")).status_code == 303
    refused = await answer(client, two.id, "confirm")
    assert refused.status_code == 403
    assert "support limit" in refused.text and "at most 1" in refused.text
    await db.refresh(two)
    assert two.state == "requested"
    assert "support.confirmed" in (actions := await verified_actions(db, held.id))
    assert actions.count("support.confirmed") == 1


async def test_forged_member_and_support_ids_store_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    nomination = await _nominee(client, db, held)
    assert (await ask(client, nomination.id, 987_654, "proposer")).status_code == 404
    stranger = await member(db, "S-9", "Mary Jackson")
    assert (await ask(client, 987_654, stranger.id, "proposer")).status_code == 404
    assert await _supports(db) == 0
    support = await _asked(client, db, nomination, stranger)
    # The nominee may not answer on the supporter's behalf.
    assert (await answer(client, support.id, "confirm")).status_code == 404
    await db.refresh(support)
    assert support.state == "requested"


async def test_only_as_many_supporters_as_the_election_asks_for(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db, proposers_required=1, seconders_required=0)
    first = await member(db, "S-1", "Katherine Johnson")
    second = await member(db, "S-2", "Mary Jackson")
    nomination = await _nominee(client, db, held)
    await _asked(client, db, nomination, first)
    refused = await ask(client, nomination.id, second.id, "proposer")
    assert refused.status_code == 422 and "asks for 1 proposer" in refused.text
    assert await _supports(db) == 1


async def test_a_nomination_is_complete_only_with_enough_confirmations_before_the_close(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db, proposers_required=1, seconders_required=1)
    proposer = await member(db, "S-1", "Katherine Johnson")
    seconder = await member(db, "S-2", "Mary Jackson")
    emails = [await with_account(db, proposer), await with_account(db, seconder)]
    nomination = await _nominee(client, db, held)
    asked = [
        await _asked(client, db, nomination, proposer, "proposer"),
        await _asked(client, db, nomination, seconder, "seconder"),
    ]
    await as_user(client, emails[0])
    await answer(client, asked[0].id, "confirm")
    at(CLOSED)
    await as_user(client, emails[1])
    late = await answer(client, asked[1].id, "confirm")
    assert late.status_code == 409
    assert "Not answered; nominations have closed" in (await client.get("/my/nominations")).text
    await db.refresh(asked[1])
    assert asked[1].state == "requested"
