"""The returning officer's review after the close, separation of duties, elected unopposed, and
publishing the candidate list in a fixed ballot order; the public list per contest."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from nominations_arrange import (
    CLOSED,
    OFFICER,
    as_user,
    at,
    chain_of,
    election,
    member,
    nominated,
    png,
    staff,
    verified_actions,
    with_account,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from support import post_form

from governance.elections.models import Election
from governance.nominations.candidates import alphabetical, drawn
from governance.nominations.models import Candidate, Nomination
from governance.notify.models import OutboxMessage
from governance.security.roles import Role


async def _field(db: AsyncSession, held: Election, names: list[str]) -> list[Nomination]:
    """One complete nomination per name in the first contest (a proposer and a seconder each)."""
    found = []
    for number, name in enumerate(names):
        person = await member(db, f"N-{number}", name, f"Trust {number}")
        helpers = [
            await member(db, f"P-{number}", f"Proposer {number}"),
            await member(db, f"S-{number}", f"Seconder {number}"),
        ]
        found.append(await nominated(db, held.contests[0], person, helpers))
    return found


def _base(held: Election) -> str:
    return f"/ro/elections/{held.id}/nominations"


async def _review(
    client: AsyncTestClient[Any],
    held: Election,
    nomination: Nomination,
    outcome: str,
    reason: str = "",
) -> Any:
    page = f"{_base(held)}/{nomination.id}"
    return await post_form(client, page, page, {"outcome": outcome, "reason": reason})


async def _ro(client: AsyncTestClient[Any]) -> None:
    """Sign in as the returning officer who runs the arranged elections."""
    await as_user(client, OFFICER)


async def test_review_waits_for_the_close_then_marks_and_mails_the_nominee(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    first, second = await _field(db, held, ["Grace Hopper", "Ada Lovelace"])
    await _ro(client)
    early = await _review(client, held, first, "valid")
    assert early.status_code == 409 and "after they close" in early.text
    at(CLOSED)
    board = await client.get(_base(held))
    assert board.status_code == 200 and "Grace Hopper" in board.text
    assert (await _review(client, held, first, "valid")).status_code == 303
    no_reason = await _review(client, held, second, "invalid")
    assert no_reason.status_code == 422 and "Give the reason" in no_reason.text
    assert (
        await _review(client, held, second, "invalid", "Not a member of a trust.")
    ).status_code == 303
    await db.refresh(second)
    assert second.review == "invalid" and second.review_reason == "Not a member of a trust."
    mails = list(
        await db.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "nomination_reviewed")
        )
    )
    assert sorted(m.subject for m in mails) == [
        "Your nomination is not valid",
        "Your nomination is valid",
    ]
    actions = await verified_actions(db, held.id)
    assert actions == ["nomination.reviewed_valid", "nomination.reviewed_invalid"]


async def test_an_incomplete_nomination_is_offered_invalid_with_the_reason_filled_in(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db, proposers_required=1, seconders_required=1)
    person = await member(db, "N-1", "Grace Hopper")
    lonely = await nominated(db, held.contests[0], person, [await member(db, "P-1", "Kay")])
    await _ro(client)
    at(CLOSED)
    page = await client.get(f"{_base(held)}/{lonely.id}")
    assert "1 of 1 proposers and 0 of 1 seconders" in page.text
    assert 'value="invalid" checked' in page.text
    refused = await _review(client, held, lonely, "valid")
    assert refused.status_code == 422 and "incomplete nomination cannot be valid" in refused.text
    await db.refresh(lonely)
    assert lonely.review == "pending"


async def test_a_returning_officer_never_reviews_their_own_or_a_supported_nomination(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    officer = await member(db, "RO-1", "Rosa Officer")
    email = await with_account(db, officer, Role.RETURNING_OFFICER)
    held = await election(db, officer=email)
    own = await nominated(db, held.contests[0], officer, [])
    candidate = await member(db, "N-2", "Ada Lovelace")
    supported = await nominated(db, held.contests[0], candidate, [officer])
    at(CLOSED)
    await as_user(client, email)
    for nomination, why in ((own, "You are the candidate"), (supported, "asked to support")):
        page = await client.get(f"{_base(held)}/{nomination.id}")
        assert why in page.text and "Record the decision" not in page.text
        refused = await _review(client, held, nomination, "invalid", "No.")
        assert refused.status_code == 403 and why in refused.text
        await db.refresh(nomination)
        assert nomination.review == "pending"
    actions = await verified_actions(db, held.id)
    assert actions == ["nomination.review_refused", "nomination.review_refused"]


async def test_an_officer_standing_in_a_contest_neither_declares_it_unopposed_nor_publishes(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    officer = await member(db, "RO-1", "Rosa Officer")
    email = await with_account(db, officer, Role.RETURNING_OFFICER)
    held = await election(db, officer=email)
    await nominated(db, held.contests[0], officer, [])
    at(CLOSED)
    await as_user(client, email)
    declare = f"{_base(held)}/contests/{held.contests[0].id}/unopposed"
    refused = await post_form(client, _base(held), declare, {})
    assert refused.status_code == 403 and "You are the candidate" in refused.text
    published = await post_form(client, _base(held), f"{_base(held)}/publish", {})
    assert published.status_code == 403
    await db.refresh(held)
    assert held.candidates_published_at is None and held.contests[0].elected_unopposed_at is None


async def test_scrutineers_read_the_review_but_change_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    (first,) = await _field(db, held, ["Grace Hopper"])
    at(CLOSED)
    await as_user(client, await staff(db, "scrutineer@example.org", Role.SCRUTINEER))
    page = await client.get(f"{_base(held)}/{first.id}")
    assert page.status_code == 200 and "Record the decision" not in page.text
    assert (await _review(client, held, first, "valid")).status_code == 403
    member_account = await member(db, "M-1", "Just A Member")
    await as_user(client, await with_account(db, member_account))
    assert (await client.get(_base(held))).status_code == 403


async def test_fewer_valid_candidates_than_seats_are_declared_elected_unopposed(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(
        db, contests=[{"name": "National", "seats": 2}, {"name": "Regional", "seats": 1}]
    )
    (only,) = await _field(db, held, ["Grace Hopper"])
    await _ro(client)
    at(CLOSED)
    declare = f"{_base(held)}/contests/{held.contests[0].id}/unopposed"
    pending = await post_form(client, _base(held), declare, {})
    assert pending.status_code == 409
    await _review(client, held, only, "valid")
    assert (await post_form(client, _base(held), declare, {})).status_code == 303
    empty = f"{_base(held)}/contests/{held.contests[1].id}/unopposed"
    assert (await post_form(client, _base(held), empty, {})).status_code == 409
    await db.refresh(held)
    contest = held.contests[0]
    await db.refresh(contest)
    assert contest.elected_unopposed_at == CLOSED and held.elected_unopposed_at is None
    public = await client.get(f"/elections/{held.id}/contests/{contest.id}/candidates")
    assert "elected unopposed" in public.text and "Grace Hopper" in public.text
    assert (await verified_actions(db, held.id))[-1] == "contest.elected_unopposed"


async def test_every_contest_unopposed_makes_the_election_elected_unopposed(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    (only,) = await _field(db, held, ["Grace Hopper"])
    await _ro(client)
    at(CLOSED)
    await _review(client, held, only, "valid")
    declare = f"{_base(held)}/contests/{held.contests[0].id}/unopposed"
    assert (await post_form(client, _base(held), declare, {})).status_code == 303
    await db.refresh(held)
    assert held.elected_unopposed_at == CLOSED
    assert (await verified_actions(db, held.id))[-2:] == [
        "contest.elected_unopposed",
        "election.elected_unopposed",
    ]


async def test_publishing_fixes_an_alphabetical_order_and_shows_the_public_list(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    names = ["Zoë Évans", "Grace Hopper", "Ada Lovelace", "Alan Turing"]
    field = await _field(db, held, names)
    field[1].statement = 'Hello <script>alert("x")</script> **world**'
    await db.commit()
    public = f"/elections/{held.id}/contests/{held.contests[0].id}/candidates"
    assert "has not been published yet" in (await client.get(public)).text
    await _ro(client)
    at(CLOSED)
    early = await post_form(client, _base(held), f"{_base(held)}/publish", {})
    assert early.status_code == 409 and "4 still to do" in early.text
    for nomination in field[:-1]:
        await _review(client, held, nomination, "valid")
    await _review(client, held, field[-1], "invalid", "Withdrew consent by letter.")
    assert (await post_form(client, _base(held), f"{_base(held)}/publish", {})).status_code == 303
    ordered = list(await db.scalars(select(Candidate.name).order_by(Candidate.ballot_position)))
    assert ordered == ["Zoë Évans", "Grace Hopper", "Ada Lovelace"]
    again = await post_form(client, _base(held), f"{_base(held)}/publish", {})
    assert again.status_code == 409, "the list is published once"
    client.cookies.clear()
    page = await client.get(public)
    assert page.text.index("Zoë Évans") < page.text.index("Grace Hopper") < page.text.index("Ada")
    assert "Alan Turing" not in page.text and "Trust 1" in page.text
    assert "<script>alert" not in page.text and "<strong>world</strong>" in page.text
    event = (await chain_of(db, held.id))[-1]
    assert event["action"] == "candidates.published" and event["payload"]["seed"] is None


async def test_a_random_order_is_drawn_from_a_seed_recorded_before_the_draw(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db, ballot_order="random")
    field = await _field(db, held, [f"Candidate {letter}" for letter in "ABCDEFGH"])
    await _ro(client)
    at(CLOSED)
    for nomination in field:
        await _review(client, held, nomination, "valid")
    assert (await post_form(client, _base(held), f"{_base(held)}/publish", {})).status_code == 303
    await db.refresh(held)
    exported = await chain_of(db, held.id)
    actions = [e["action"] for e in exported]
    assert actions[-2:] == ["candidates.seed_drawn", "candidates.published"]
    seed = exported[-2]["payload"]["seed"]
    assert held.ballot_seed == seed and len(seed) == 64
    stored = list(
        await db.scalars(select(Candidate.nomination_id).order_by(Candidate.ballot_position))
    )
    entries = [(n.id, f"Candidate {letter}") for n, letter in zip(field, "ABCDEFGH", strict=True)]
    assert stored == drawn(entries, seed, held.contests[0].id), "anyone can redo the draw"
    assert drawn(entries, "another seed", held.contests[0].id) != stored
    assert (await verified_actions(db, held.id))[-1] == "candidates.published"


def test_alphabetical_order_goes_by_surname_then_name_ignoring_accents_and_case() -> None:
    entries = [(1, "Zoë évans"), (2, "Adam Evans"), (3, "Ada Lovelace"), (4, "Émile Durand")]
    assert alphabetical(entries) == [4, 2, 1, 3]


def test_the_same_seed_always_gives_the_same_order() -> None:
    entries = [(n, f"Name {n}") for n in range(1, 40)]
    assert drawn(entries, "abc", 7) == drawn(list(reversed(entries)), "abc", 7)
    assert drawn(entries, "abc", 7) != drawn(entries, "abd", 7)


async def test_a_published_photo_is_public_and_cached(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    from governance.nominations.photo import process_photo

    held = await election(db)
    (only,) = await _field(db, held, ["Grace Hopper"])
    only.photo = process_photo(png()).data
    await db.commit()
    await _ro(client)
    at(CLOSED)
    await _review(client, held, only, "valid")
    await post_form(client, _base(held), f"{_base(held)}/publish", {})
    client.cookies.clear()
    page = await client.get(f"/elections/{held.id}/contests/{held.contests[0].id}/candidates")
    assert f'src="/nominations/{only.id}/photo"' in page.text
    photo = await client.get(f"/nominations/{only.id}/photo")
    assert photo.status_code == 200 and photo.headers["cache-control"].startswith("public")
