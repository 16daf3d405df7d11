"""The voter's receipt: shown once after the cast, and mailed only when the voter asks.

DESIGN invariant 7 gives the voter a tracking code; invariant 2 (and issue 11, item 5) means no
record may put the voter beside it. So the code is never stored with the voter and never sits
in a URL: the cast answers with a short-lived signed value (a cookie scoped to the contest's
pages) that only the voter's browser holds, and the receipt page reads it from there. When it
expires the receipt is gone; the ballot board still shows the code after the close.

The mail, when asked for, carries the tracking code and the contest, never the choices. It waits
in the outbox like any mail and the sender blanks its body once the server has accepted it
(``notify.mailer``), so the database keeps the code beside the address only until delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from governance.elections.models import Contest, Election
from governance.errors import Conflict
from governance.i18n import _
from governance.notify.service import enqueue
from governance.security import tokens
from governance.voting.casting import Receipt

RECEIPT_COOKIE = "governance_receipt"
RECEIPT_PURPOSE = "ballot-receipt"
RECEIPT_LIFETIME = timedelta(minutes=15)  # long enough to copy the code or ask for the mail


def receipt_path(contest_id: int) -> str:
    """The pages the receipt cookie is sent to: this contest's, nowhere else."""
    return f"/vote/contests/{contest_id}"


def seal(secret_key: str, receipt: Receipt, now: datetime) -> str:
    """The receipt as a signed value for the voter's browser; nothing of it is stored."""
    expires = int((now + RECEIPT_LIFETIME).timestamp())
    voted = int(receipt.voted_at.timestamp())
    payload = f"{receipt.contest_id}:{receipt.tracking_code}:{voted}:{expires}"
    return tokens.sign(secret_key, RECEIPT_PURPOSE, payload)


def opened(secret_key: str, token: str, contest_id: int, now: datetime) -> Receipt | None:
    """The receipt a value made by :func:`seal` holds, if it is genuine, for this contest and
    not expired."""
    payload = tokens.verified(secret_key, RECEIPT_PURPOSE, token)
    if payload is None:
        return None
    try:
        contest, code, voted, expires = payload.split(":")
        if int(contest) != contest_id or now.timestamp() >= int(expires):
            return None
        return Receipt(contest_id, code, datetime.fromtimestamp(int(voted), UTC))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Mailed:
    address: str


async def email(
    session: AsyncSession,
    *,
    address: str,
    receipt: Receipt,
    election: Election,
    contest: Contest,
    zone: str,
) -> Mailed:
    """Queue the receipt mail to ``address`` (the voter's on the register) and commit."""
    if not address:
        raise Conflict(
            _("There is no email address for you on the register, so we cannot send the receipt.")
        )
    await enqueue(
        session,
        to=address,
        template="voting_receipt",
        context={
            "election": election.title,
            "contest": contest.name,
            "tracking_code": receipt.grouped,
            "board_from": election.voting_close_at,
            "zone": zone,
        },
    )
    await session.commit()
    return Mailed(address)
