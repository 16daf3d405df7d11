"""The register's journey in a real browser, every page checked by axe: an admin uploads a CSV
with good and bad rows and sees every error, fixes the file and imports it; a member receives an
invitation over SMTP, activates, signs in, checks their eligibility and lodges a challenge that
the admin decides."""

from __future__ import annotations

import email
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import Journey, Server, start_server, stop_server

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
HEADER = "Membership number,Name,Email,Organisation,Region,Status,Joined\n"
BAD_ROWS = (
    "M-1,Mary Somerville,mary@example.org,North Trust,Scotland,active,2020-01-15\n"
    "M-2,,nameless@example.org,North Trust,Scotland,active,2020-01-15\n"
    "M-3,Bob Broken,bob@,South Trust,London,active,2020-01-15\n"
    "M-1,Mary Again,again@example.org,North Trust,Scotland,active,2020-01-15\n"
    "M-4,Rita Retired,rita@example.org,East Trust,Wales,retired,2020-01-15\n"
)
GOOD_ROWS = (
    "M-1,Mary Somerville,mary@example.org,North Trust,Scotland,active,2020-01-15\n"
    "M-2,Nia Named,nia@example.org,North Trust,Scotland,active,2020-01-15\n"
    "M-3,Bob Fixed,bob@example.org,South Trust,London,active,2020-01-15\n"
    "M-4,Rita Active,rita@example.org,East Trust,Wales,active,2020-01-15\n"
)


class Mailbox:
    """An SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def wait_for(self, subject: str, timeout: float = 30) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if subject in str(message["Subject"]):
                    return message
            time.sleep(0.2)
        raise AssertionError(
            f"no mail with subject {subject!r}; got {[m['Subject'] for m in self.messages]}"
        )


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode("utf-8")
    raise AssertionError("no text part")


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("register-journey")
    env = {
        "GOVERNANCE_SMTP_HOST": "127.0.0.1",
        "GOVERNANCE_SMTP_PORT": str(mailbox.port),  # type: ignore[attr-defined]
        "GOVERNANCE_SMTP_STARTTLS": "0",
        "GOVERNANCE_OUTBOX_POLL_SECONDS": "0.2",
        "GOVERNANCE_MAIL_FROM": "Elections <elections@example.org>",
    }
    running = start_server(data, env)
    running.data = data  # type: ignore[attr-defined]
    yield running
    stop_server(running)


def _arrange_election(server: Server) -> None:
    """An announced election whose contest only members in Scotland may stand in."""
    data = server.data  # type: ignore[attr-defined]
    script = """
import asyncio
from datetime import timedelta
import governance.models
from governance import clock
from governance.bodies.models import Body
from governance.cli import _settings, _with_session
from governance.security.roles import Role
from governance.accounts.service import NewAccount, create_user
from governance.elections.models import Contest, Election

async def arrange(session):
    now = clock.now()
    officer = await create_user(session, NewAccount("rose@example.org", "Rose Officer",
                                                    "correct horse battery staple"),
                                frozenset({Role.RETURNING_OFFICER}), actor="arrange")
    body = Body(name="Policy Advisory Group", description="", seats=36, term_months=36,
                created_at=now)
    session.add(body)
    await session.flush()
    session.add(Election(body_id=body.id, title="PAG election 2027", created_at=now,
        returning_officer_id=officer.id, announced_at=now,
        nominations_open_at=now + timedelta(days=7), nominations_close_at=now + timedelta(days=14),
        voting_open_at=now + timedelta(days=21), voting_close_at=now + timedelta(days=28),
        contests=[Contest(name="Scottish seat", seats=1, method="stv-scottish",
                          stand_rule='region = "Scotland"', vote_rule="", constraints=[])]))
    await session.commit()

_with_session(_settings(), arrange)
"""
    env = {
        "GOVERNANCE_DATA_DIR": str(data),
        "GOVERNANCE_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'governance.sqlite3'}",
    }
    import os

    subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, check=True)


def _sign_in(page: Any, email_address: str) -> None:
    page.get_by_label("Email address").fill(email_address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()


def _upload(journey: Journey, tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    journey.page.goto(journey.page.url.split("/admin")[0] + "/admin/members/import")
    journey.check(f"import-form-{name}")
    journey.page.get_by_label("CSV file").set_input_files(str(path))
    journey.page.get_by_role("button", name="Check the file").click()


def test_import_invite_activate_check_and_challenge(
    mail_server: Server, mailbox: Mailbox, journey: Journey, tmp_path: Path
) -> None:
    page: Any = journey.page
    server = mail_server
    page.goto(server.setup_link)
    page.get_by_label("Your name").fill("Ada Admin")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create administrator").click()
    page.wait_for_url("**/login?created=1")
    _sign_in(page, "ada@example.org")
    page.wait_for_url(server.base_url + "/")

    _upload(journey, tmp_path, "register-with-errors.csv", HEADER + BAD_ROWS)
    report = page.locator("main").inner_text()
    journey.check("import-report-errors")
    for line, fragment in ((3, "name"), (4, "bob@"), (5, "M-1"), (6, "retired")):
        assert re.search(rf"\b{line}\b", report), f"line {line} missing from the report"
        assert fragment in report
    assert page.get_by_role("button", name="Commit this import").count() == 0

    _upload(journey, tmp_path, "register-fixed.csv", HEADER + GOOD_ROWS)
    journey.check("import-report-clean")
    page.get_by_role("button", name="Commit this import").click()
    journey.check("import-done")

    page.goto(server.base_url + "/admin/members?q=Somerville")
    journey.check("register-search")
    page.get_by_role("link", name="Mary Somerville").click()
    journey.check("member")
    page.get_by_role("button", name="Email an activation link").click()
    assert page.get_by_text("An activation link is on its way").is_visible()
    invitation = mailbox.wait_for("Activate your Governance account")
    assert invitation["To"] == "mary@example.org"
    link = re.search(r"(http://\S+/activate/\S+)", _text(invitation))
    assert link
    _sign_out(page)

    _arrange_election(server)
    page.goto(link.group(1))
    journey.check("activate")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Activate my account").click()
    page.wait_for_url("**/login?created=1")
    _sign_in(page, "mary@example.org")
    page.get_by_role("link", name="My register entry").click()
    journey.check("roll-check")
    row = page.get_by_role("row").filter(has_text="Scottish seat")
    assert "Yes" in row.inner_text()
    page.get_by_label("Tell us what is wrong").fill("My organisation is now North Academy Trust.")
    page.get_by_role("button", name="Lodge a challenge").click()
    assert page.get_by_text("Waiting for a decision").is_visible()
    journey.check("challenge-lodged")
    _sign_out(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    _sign_in(page, "ada@example.org")
    page.get_by_role("link", name="Challenges").click()
    journey.check("challenge-queue")
    page.get_by_role("link", name="Decide on the challenge from Mary Somerville").click()
    journey.check("challenge-decide")
    page.get_by_label("Organisation").fill("North Academy Trust")
    page.get_by_label("Your reason (sent to the member)").fill("Confirmed with the trust's office.")
    page.get_by_label("Accept and save the corrected entry").check()
    page.get_by_role("button", name="Record the decision").click()
    assert page.get_by_text("No challenges are waiting for a decision.").is_visible()
    decided = mailbox.wait_for("Your register challenge was accepted")
    assert "Confirmed with the trust" in _text(decided)
    page.goto(server.base_url + "/admin/members?q=Somerville")
    assert page.get_by_role("cell", name="North Academy Trust").is_visible()
    page.get_by_role("link", name="Outbox").click()
    journey.check("outbox")
    assert page.get_by_text("Your register challenge was accepted").first.is_visible()
