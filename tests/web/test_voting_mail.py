"""The returning officer's view of the voting mail, resend, reissue and reminders (issue 11)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from integration.voting_arrange import CLOSE, DURING, at, own_connections, race
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from support import make_user, post_form, sign_in
from voting_codes_arrange import OFFICER, code_of, enter, open_poll

from governance.audit.models import AuditEvent, election_chain
from governance.config import Settings
from governance.elections.models import Election
from governance.notify.models import OutboxMessage, OutboxState
from governance.security.roles import Role
from governance.voting import reminders
from governance.voting.models import Credential, Participation, Reminder

ELECTORS = "/ro/elections/{id}/electors"
# tests/web/test_election_officer.py's OWNER_ONLY_VOTING, with what each step needs: checked
# here because they need an open poll. Path under the election, and the form each sends.
OWNER_ONLY_VOTING = {
    "resend a voting code": ("/electors/{member}/resend", {}),
    "reissue a voting code": ("/electors/{member}/reissue", {}),
    "send a reminder now": ("/reminders/send", {}),
    "schedule a reminder": ("/reminders/schedule", {"hours_before": "6"}),
    "cancel a reminder": ("/reminders/{reminder}/cancel", {}),
}
SECOND = "second@example.org"
SCRUTINEER = "scrutineer@example.org"


async def _as(client: AsyncTestClient[Any], email: str) -> None:
    client.cookies.clear()
    assert (await sign_in(client, email)).status_code == 303


async def _chain(db: AsyncSession, election_id: int) -> list[tuple[str, dict[str, Any]]]:
    rows = await db.execute(
        select(AuditEvent.action, AuditEvent.payload)
        .where(AuditEvent.chain == election_chain(election_id))
        .order_by(AuditEvent.id)
        .execution_options(populate_existing=True)
    )
    return [
        (action, payload if isinstance(payload, dict) else json.loads(payload))
        for action, payload in rows
    ]


async def _set_mail(db: AsyncSession, member_id: int, **values: Any) -> None:
    message_id = await db.scalar(
        select(Credential.message_id).where(Credential.member_id == member_id)
    )
    await db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    await db.commit()


async def test_the_officer_sees_each_elector_s_mail_queued_sent_or_refused_with_the_reason(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, members = await open_poll(db, settings)
    await _as(client, OFFICER)
    page = await client.get(ELECTORS.format(id=held.id))
    assert page.status_code == 200
    assert "<dt>Mail queued</dt><dd>3</dd>" in page.text
    await _set_mail(db, members[0], state=OutboxState.SENT.value, sent_at=DURING)
    await _set_mail(
        db,
        members[1],
        state=OutboxState.FAILED.value,
        last_error="550 5.1.1 mailbox unavailable",
    )
    page = await client.get(ELECTORS.format(id=held.id))
    assert "<dt>Mail sent</dt><dd>1</dd>" in page.text
    assert "<dt>Mail refused</dt><dd>1</dd>" in page.text
    assert "<dt>Mail queued</dt><dd>1</dd>" in page.text
    assert "550 5.1.1 mailbox unavailable" in page.text
    assert "Sent at 12:00 on 2 March 2027" in page.text
    found = await client.get(ELECTORS.format(id=held.id), params={"q": "pag0000002"})
    assert "PAG0000002" in found.text and "PAG0000001" not in found.text
    assert "1 electors with a voting code" in found.text


async def test_scrutineers_and_other_officers_read_but_cannot_change(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, members = await open_poll(db, settings)
    await make_user(db, SECOND, {Role.RETURNING_OFFICER})
    await make_user(db, SCRUTINEER, {Role.SCRUTINEER})
    for reader in (SECOND, SCRUTINEER):
        await _as(client, reader)
        page = await client.get(ELECTORS.format(id=held.id))
        assert page.status_code == 200 and "PAG0000001" in page.text
        assert "Resend" not in page.text
        reminders_page = await client.get(f"/ro/elections/{held.id}/reminders")
        assert reminders_page.status_code == 200
        confirm = await client.get(ELECTORS.format(id=held.id) + f"/{members[0]}/reissue")
        assert confirm.status_code == 403


@pytest.mark.parametrize("step", OWNER_ONLY_VOTING.values(), ids=list(OWNER_ONLY_VOTING))
async def test_only_the_election_s_returning_officer_takes_each_voting_step(
    client: AsyncTestClient[Any],
    db: AsyncSession,
    settings: Settings,
    step: tuple[str, dict[str, str]],
) -> None:
    held, members = await open_poll(db, settings)
    scheduled = Reminder(
        election_id=held.id, due_at=CLOSE - timedelta(hours=48), created_by=OFFICER
    )
    db.add(scheduled)
    await db.commit()
    await make_user(db, SECOND, {Role.RETURNING_OFFICER})
    path, fields = step
    action = f"/ro/elections/{held.id}" + path.format(member=members[0], reminder=scheduled.id)
    page = ELECTORS.format(id=held.id)
    before = await _chain(db, held.id)
    await _as(client, SECOND)
    refused = await post_form(client, page, action, fields)
    assert refused.status_code == 403 and "Only the returning officer" in refused.text
    assert await _chain(db, held.id) == before
    await _as(client, OFFICER)
    done = await post_form(client, page, action, fields)
    assert done.status_code == 303, done.text
    assert len(await _chain(db, held.id)) > len(before)


async def test_resend_queues_the_same_code_again_and_is_audited(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, members = await open_poll(db, settings)
    await _as(client, OFFICER)
    confirm = await client.get(ELECTORS.format(id=held.id) + f"/{members[0]}/resend")
    assert "The same code is mailed again to pag0000001@example.org" in confirm.text
    done = await post_form(
        client,
        ELECTORS.format(id=held.id),
        ELECTORS.format(id=held.id) + f"/{members[0]}/resend",
        {},
    )
    assert done.status_code == 303
    mails = list(
        await db.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "pag0000001@example.org")
        )
    )
    assert len(mails) == 2 and mails[0].text_body == mails[1].text_body
    action, payload = (await _chain(db, held.id))[-1]
    assert action == "voting_code.resent"
    assert payload["membership_number"] == "PAG0000001"
    assert (await enter(client, code_of(settings, held.id, members[0]))).status_code == 303


async def test_reissue_makes_the_old_code_fail_and_is_audited_without_the_code(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, members = await open_poll(db, settings)
    old = code_of(settings, held.id, members[0])
    await _as(client, OFFICER)
    confirm = await client.get(ELECTORS.format(id=held.id) + f"/{members[0]}/reissue")
    assert "stops working at once" in confirm.text
    done = await post_form(
        client,
        ELECTORS.format(id=held.id),
        ELECTORS.format(id=held.id) + f"/{members[0]}/reissue",
        {},
    )
    assert done.status_code == 303
    client.cookies.clear()
    assert (await enter(client, old)).status_code == 422
    assert (await enter(client, code_of(settings, held.id, members[0], 2))).status_code == 303
    chain = await _chain(db, held.id)
    action, payload = chain[-1]
    assert action == "voting_code.reissued" and payload["membership_number"] == "PAG0000001"
    new = code_of(settings, held.id, members[0], 2)
    assert old not in json.dumps(chain) and new not in json.dumps(chain)


# --- Reminders --------------------------------------------------------------------------------


async def _voted(db: AsyncSession, held: Election, member_id: int) -> None:
    for contest in held.contests:
        await db.execute(
            insert(Participation).values(
                contest_id=contest.id, member_id=member_id, voted_at=DURING
            )
        )
    await db.commit()


async def _reminded(db: AsyncSession) -> list[str]:
    found = await db.scalars(
        select(OutboxMessage.recipient)
        .where(OutboxMessage.template == "voting_reminder")
        .order_by(OutboxMessage.recipient)
    )
    return list(found)


async def test_a_reminder_goes_only_to_electors_who_have_not_voted_and_not_twice_in_the_interval(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, members = await open_poll(db, settings)
    await _voted(db, held, members[0])
    await _as(client, OFFICER)
    confirm = await client.get(f"/ro/elections/{held.id}/reminders/send")
    assert "goes to the 2 electors who have not yet voted" in confirm.text
    sent = await post_form(client, confirm.url.path, f"/ro/elections/{held.id}/reminders/send", {})
    assert sent.status_code == 303
    assert await _reminded(db) == ["pag0000002@example.org", "pag0000003@example.org"]
    body = await db.scalar(
        select(OutboxMessage.text_body).where(OutboxMessage.template == "voting_reminder")
    )
    assert body is not None and "[[fill:voting-link:" in body
    action, payload = (await _chain(db, held.id))[-1]
    assert action == "reminder.sent" and payload == {"recipients": 2}
    at(DURING + timedelta(hours=settings.reminder_min_hours - 1))
    again = await post_form(client, confirm.url.path, f"/ro/elections/{held.id}/reminders/send", {})
    assert again.status_code == 409 and "A reminder went out at 12:00 on 2 March 2027" in again.text
    assert len(await _reminded(db)) == 2
    at(DURING + timedelta(hours=settings.reminder_min_hours))
    await _as(client, OFFICER)  # the sign-in of 12 hours ago has lapsed
    later = await post_form(client, confirm.url.path, f"/ro/elections/{held.id}/reminders/send", {})
    assert later.status_code == 303 and len(await _reminded(db)) == 4


async def test_a_scheduled_reminder_is_sent_once_when_due_under_concurrent_workers(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, _members = await open_poll(db, settings, electors=4)
    await _as(client, OFFICER)
    page = f"/ro/elections/{held.id}/reminders"
    scheduled = await post_form(client, page, page + "/schedule", {"hours_before": "6"})
    assert scheduled.status_code == 303
    listed = await client.get(page)
    assert "11:00 on 3 March 2027" in listed.text and "scheduled" in listed.text
    assert await reminders.send_due(db, settings, DURING) == 0, "not due yet"
    due = CLOSE - timedelta(hours=6)
    at(due)
    async with own_connections(settings.database_url, 6) as sessions:
        outcomes = await race(
            sessions, [lambda s: reminders.send_due(s, settings, due) for _ in range(6)]
        )
    assert sorted(outcomes) == [0, 0, 0, 0, 0, 1], outcomes
    assert len(await _reminded(db)) == 4
    stored = await db.scalar(select(Reminder).execution_options(populate_existing=True))
    assert stored is not None and stored.sent_at == due and stored.recipients == 4


async def test_a_schedule_outside_the_poll_is_refused_beside_the_field(
    client: AsyncTestClient[Any], db: AsyncSession, settings: Settings
) -> None:
    held, _members = await open_poll(db, settings)
    await _as(client, OFFICER)
    page = f"/ro/elections/{held.id}/reminders"
    for hours in ("500", "soon"):
        refused = await post_form(client, page, page + "/schedule", {"hours_before": hours})
        assert refused.status_code == 422 and 'href="#hours_before"' in refused.text
    assert await db.scalar(select(Reminder.id)) is None
