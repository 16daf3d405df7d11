"""Self-nomination: an eligible member stands once per contest during the window, with a
statement, an optional photo and a declaration; bad input gets a clear message and stores
nothing (issue 6, items 3 and 8)."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from nominations_arrange import (
    CLOSED,
    OFFICER,
    STATEMENT,
    as_user,
    at,
    election,
    member,
    nominate,
    png,
    token,
    verified_actions,
    with_account,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from governance.audit.models import AuditEvent
from governance.nominations.models import Nomination


async def _count(db: AsyncSession) -> int:
    return await db.scalar(select(func.count()).select_from(Nomination)) or 0


async def _standing_member(client: AsyncTestClient[Any], db: AsyncSession, **fields: Any) -> Any:
    person = await member(db, "M-1", "Grace Hopper", "Navy Trust", **fields)
    await as_user(client, await with_account(db, person))
    return person


async def test_an_eligible_member_nominates_themself_and_it_is_audited(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    contest = held.contests[0]
    assert f"/my/nominations/new/{contest.id}" in (await client.get("/my/nominations")).text
    form = await client.get(f"/my/nominations/new/{contest.id}")
    assert f'hx-post="/my/nominations/word-count/{contest.id}"' in form.text
    response = await nominate(client, contest.id)
    assert response.status_code == 303
    nomination = await db.scalar(select(Nomination))
    assert nomination is not None and nomination.statement == STATEMENT
    assert response.headers["location"] == f"/my/nominations/{nomination.id}"
    assert (
        "Your nomination for National seats"
        in (await client.get(response.headers["location"])).text
    )
    mine = await client.get("/my/nominations")
    assert "Waiting for supporters" in mine.text and "0 of 1 proposers" in mine.text
    event = await db.scalar(select(AuditEvent).where(AuditEvent.action == "nomination.submitted"))
    assert event is not None and event.chain == f"election:{held.id}"
    assert "statement_sha256" in event.payload and STATEMENT not in str(event.payload)
    assert await verified_actions(db, held.id) == ["nomination.submitted"]


async def test_an_ineligible_member_is_told_which_rule_they_fail_and_nothing_is_stored(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(
        db, contests=[{"name": "London seat", "seats": 1, "stand_rule": 'region = "London"'}]
    )
    await _standing_member(client, db, region="North West")
    contest = held.contests[0]
    page = await client.get(f"/my/nominations/new/{contest.id}")
    assert "You cannot stand in this contest" in page.text
    assert "your region is &#34;North West&#34;" in page.text or "North West" in page.text
    refused = await nominate(client, contest.id)
    assert refused.status_code == 403
    assert "who may stand" in refused.text and "North West" in refused.text
    assert await _count(db) == 0


async def test_a_lapsed_member_may_not_stand_even_under_an_empty_rule(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db, status="lapsed")
    refused = await nominate(client, held.contests[0].id)
    assert refused.status_code == 403 and "lapsed" in refused.text
    assert await _count(db) == 0


async def test_a_late_nomination_is_refused_and_stores_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    csrf = await token(client)
    at(CLOSED)
    late = await client.post(
        f"/my/nominations/new/{held.contests[0].id}",
        data={"statement": STATEMENT, "declaration": "on", "_csrf_token": csrf},
        files={"photo": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )
    assert late.status_code == 409 and "Nominations are not open" in late.text
    assert await _count(db) == 0


async def test_a_second_nomination_for_the_same_contest_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    assert (await nominate(client, held.contests[0].id)).status_code == 303
    again = await nominate(client, held.contests[0].id, statement="A second try.")
    assert again.status_code == 409 and "already nominated yourself" in again.text
    assert await _count(db) == 1


async def test_forged_contest_ids_are_not_found_and_store_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    draft = await election(db, announced=False)
    await _standing_member(client, db)
    for contest_id in (draft.contests[0].id, 999_999):
        assert (await client.get(f"/my/nominations/new/{contest_id}")).status_code == 404
        assert (await nominate_forged(client, contest_id)).status_code == 404
    assert await _count(db) == 0


async def nominate_forged(client: AsyncTestClient[Any], contest_id: int) -> Any:
    return await client.post(
        f"/my/nominations/new/{contest_id}",
        data={"statement": STATEMENT, "declaration": "on", "_csrf_token": await token(client)},
        files={"photo": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )


async def test_someone_elses_nomination_cannot_be_seen_edited_or_withdrawn(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    await nominate(client, held.contests[0].id)
    nomination = await db.scalar(select(Nomination))
    assert nomination is not None
    other = await member(db, "M-2", "Alan Turing")
    await as_user(client, await with_account(db, other))
    assert (await client.get(f"/my/nominations/{nomination.id}")).status_code == 404
    csrf = await token(client)
    withdraw = await client.post(
        f"/my/nominations/{nomination.id}/withdraw",
        data={"_csrf_token": csrf},
        follow_redirects=False,
    )
    assert withdraw.status_code == 404
    await db.refresh(nomination)
    assert nomination.state == "submitted"


async def test_a_statement_over_the_word_limit_is_refused_with_the_count(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db, statement_word_limit=5)
    await _standing_member(client, db)
    refused = await nominate(client, held.contests[0].id, statement="one two three four five six")
    assert refused.status_code == 422
    assert "6 words; the limit is 5" in refused.text and 'aria-invalid="true"' in refused.text
    assert await _count(db) == 0


async def test_the_declaration_must_be_ticked(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    refused = await nominate(client, held.contests[0].id, declaration=False)
    assert refused.status_code == 422 and "willing to serve" in refused.text
    assert await _count(db) == 0


async def test_the_live_word_count_is_a_fragment(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db, statement_word_limit=3)
    await _standing_member(client, db)
    csrf = await token(client)
    fragment = await client.post(
        f"/my/nominations/word-count/{held.contests[0].id}",
        data={"statement": "**four** little words here"},
        headers={"hx-request": "true", "x-csrftoken": csrf},
    )
    assert fragment.status_code == 200
    assert fragment.text.strip().startswith('<p id="word-count"')
    assert "4 of 3 words" in fragment.text and "over the limit" in fragment.text
    assert "<html" not in fragment.text


async def test_script_in_a_statement_is_stored_verbatim_and_shown_inert(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    hostile = 'Vote for me <script>alert("x")</script> <img src=x onerror="alert(1)">'
    assert (await nominate(client, held.contests[0].id, statement=hostile)).status_code == 303
    nomination = await db.scalar(select(Nomination))
    assert nomination is not None and nomination.statement == hostile
    edit_page = await client.get(f"/my/nominations/{nomination.id}/edit")
    assert "<script>alert" not in edit_page.text and "&lt;script&gt;" in edit_page.text


async def test_a_photo_is_reencoded_and_served_privately_until_published(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    original = png()
    assert (await nominate(client, held.contests[0].id, photo=original)).status_code == 303
    nomination = await db.scalar(select(Nomination))
    assert nomination is not None
    served = await client.get(f"/nominations/{nomination.id}/photo")
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content != original and served.content.startswith(b"\xff\xd8")
    assert served.headers["cache-control"] == "private, no-cache"
    again = await client.get(
        f"/nominations/{nomination.id}/photo", headers={"if-none-match": served.headers["etag"]}
    )
    assert again.status_code == 304
    edit_page = await client.get(f"/my/nominations/{nomination.id}/edit")
    assert f'src="/nominations/{nomination.id}/photo"' in edit_page.text
    client.cookies.clear()
    assert (await client.get(f"/nominations/{nomination.id}/photo")).status_code == 404


async def test_a_file_that_is_not_an_image_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    refused = await nominate(client, held.contests[0].id, photo=b"%PDF-1.7 not a picture")
    assert refused.status_code == 422 and "JPEG, PNG or WebP" in refused.text
    assert await _count(db) == 0


async def test_an_oversized_photo_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    refused = await nominate(client, held.contests[0].id, photo=b"\x89PNG" + b"\0" * 6_000_000)
    assert refused.status_code == 422 and "larger than 5 MB" in refused.text
    assert await _count(db) == 0


async def test_a_post_without_a_csrf_token_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    await client.get("/my/nominations")  # the CSRF cookie is set; the form field is missing
    forged = await client.post(
        f"/my/nominations/new/{held.contests[0].id}",
        data={"statement": STATEMENT, "declaration": "on"},
        files={"photo": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "Reload the page" in forged.text
    assert await _count(db) == 0


async def test_accounts_that_are_not_members_cannot_nominate(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await as_user(client, OFFICER)  # the election's returning officer, who is not a member
    assert (await client.get(f"/my/nominations/new/{held.contests[0].id}")).status_code == 403
    client.cookies.clear()
    anonymous = await client.get(
        f"/my/nominations/new/{held.contests[0].id}", follow_redirects=False
    )
    assert anonymous.status_code in (302, 303, 307)
    assert await _count(db) == 0


async def test_a_nomination_is_edited_and_withdrawn_until_the_close(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    held = await election(db)
    await _standing_member(client, db)
    await nominate(client, held.contests[0].id)
    nomination = await db.scalar(select(Nomination))
    assert nomination is not None
    edit = f"/my/nominations/{nomination.id}/edit"
    csrf = await token(client)
    fields = {"statement": "Better words.", "declaration": "on", "_csrf_token": csrf}
    empty = {"photo": ("", b"", "application/octet-stream")}
    saved = await client.post(edit, data=fields, files=empty, follow_redirects=False)
    assert saved.status_code == 303
    await db.refresh(nomination)
    assert nomination.statement == "Better words."
    at(CLOSED)
    late = await client.post(edit, data=fields, files=empty, follow_redirects=False)
    assert late.status_code == 409
    late_withdrawal = await client.post(
        f"/my/nominations/{nomination.id}/withdraw",
        data={"_csrf_token": csrf},
        follow_redirects=False,
    )
    assert late_withdrawal.status_code == 409
    at(CLOSED - (CLOSED - held.nominations_open_at) / 2)
    withdrawn = await client.post(
        f"/my/nominations/{nomination.id}/withdraw",
        data={"_csrf_token": csrf},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303
    await db.refresh(nomination)
    assert nomination.state == "withdrawn"
    actions = await verified_actions(db, held.id)
    assert actions == ["nomination.submitted", "nomination.edited", "nomination.withdrawn"]
