"""An elector votes in a real browser with the keyboard alone: ranks five candidates on an STV
paper, checks the review and casts; the ballot, review and receipt pages pass axe (WCAG 2.2 AA),
and the paper fits a 320 px screen without scrolling sideways (issue 11, item 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Journey, Server, start_server, stop_server

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
CANDIDATES = [
    "Amara Okafor",
    "Bryn Davies",
    "Chen Li",
    "Dana Kowalczyk",
    "Eli Navarro",
    "Fay Oduya",
]

ARRANGE = """
from datetime import timedelta
import governance.models
from governance import clock
from governance.security.roles import Role
from governance.accounts.service import NewAccount, create_user
from governance.bodies.models import Body
from governance.cli import _settings, _with_session
from governance.elections.models import Contest, Election
from governance.members.models import Member
from governance.nominations.models import Candidate, Nomination

CANDIDATES = {candidates!r}

def member(number, name, now):
    return Member(membership_number=number, name=name, email=number.lower() + "@example.org",
                  organisation=name.split()[-1] + " Trust", region="London", category="",
                  status="active", attributes={{}}, created_at=now, updated_at=now)

async def arrange(session):
    now = clock.now()
    officer = await create_user(session,
        NewAccount("rose@example.org", "Rose Officer", {password!r}),
        frozenset({{Role.RETURNING_OFFICER}}), actor="arrange")
    body = Body(name="Policy Advisory Group", description="", seats=36, term_months=36,
                created_at=now)
    session.add(body)
    await session.flush()
    election = Election(body_id=body.id, title="Policy Advisory Group 2027",
        nominations_open_at=now - timedelta(days=30), nominations_close_at=now - timedelta(days=20),
        voting_open_at=now - timedelta(hours=1), voting_close_at=now + timedelta(days=2),
        announced_at=now - timedelta(days=31), candidates_published_at=now - timedelta(days=10),
        returning_officer_id=officer.id, created_at=now - timedelta(days=31),
        re_open_nominations=True)
    election.contests.append(Contest(position=0, name="National seats", seats=3,
                                     method="stv-scottish", vote_rule="", constraints=[]))
    session.add(election)
    await session.flush()
    contest = election.contests[0]
    for position, name in enumerate(CANDIDATES, start=1):
        person = member(f"C-{{position}}", name, now)
        session.add(person)
        await session.flush()
        nomination = Nomination(contest_id=contest.id, member_id=person.id,
            statement="I will listen to **every** region.", declaration_at=now,
            submitted_at=now, updated_at=now, review="valid")
        session.add(nomination)
        await session.flush()
        session.add(Candidate(contest_id=contest.id, nomination_id=nomination.id,
            member_id=person.id, ballot_position=position, name=name,
            organisation=person.organisation, published_at=now - timedelta(days=10)))
    voter = member("V-1", "Vera Voter", now)
    session.add(voter)
    await session.flush()
    user = await create_user(session, NewAccount("v-1@example.org", "Vera Voter", {password!r}),
                             frozenset({{Role.MEMBER}}), actor="arrange")
    user.member_id = voter.id
    await session.commit()

_with_session(_settings(), arrange)
"""


@pytest.fixture(scope="module")
def voting_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("ballot-journey")
    running = start_server(data)
    env = {
        **os.environ,
        "GOVERNANCE_DATA_DIR": str(data),
        "GOVERNANCE_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'governance.sqlite3'}",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    env.pop("GOVERNANCE_TEST_DATABASE_URL", None)
    script = ARRANGE.format(candidates=CANDIDATES, password=PASSWORD)
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    yield running
    stop_server(running)


def _sign_in(journey: Journey, server: Server) -> None:
    page = journey.page
    page.goto(server.base_url + "/login")
    page.get_by_label("Email address").fill("v-1@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.base_url + "/")


def test_an_elector_ranks_five_candidates_by_keyboard_and_casts(
    journey: Journey, voting_server: Server
) -> None:
    page: Any = journey.page
    _sign_in(journey, voting_server)
    page.goto(voting_server.base_url + "/vote")
    journey.check("vote-now")
    page.get_by_role("link", name="Vote now in National seats").click()
    page.set_viewport_size({"width": 320, "height": 640})
    journey.check("ballot-320")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scroll
    page.set_viewport_size({"width": 1024, "height": 768})
    journey.check("ballot")
    # Keyboard alone: focus the first box, then type a number and Tab to the next field. Tab
    # from a box passes its candidate's statement link, so each candidate takes two Tabs.
    wanted = {"Chen Li": "1", "Amara Okafor": "2", "Eli Navarro": "3", "Fay Oduya": "4",
              "Bryn Davies": "5"}  # fmt: skip
    page.get_by_label("Amara Okafor").focus()
    for name in CANDIDATES:
        assert page.evaluate("document.activeElement.id").startswith("rank-")
        page.keyboard.type(wanted.get(name, ""))
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
    page.get_by_role("heading", name="Your order so far").wait_for()
    page.locator("#order li").nth(4).wait_for()  # htmx showed the order as it was typed
    assert page.locator("#order li").all_inner_texts() == [
        "Chen Li", "Amara Okafor", "Eli Navarro", "Fay Oduya", "Bryn Davies"
    ]  # fmt: skip
    page.get_by_label("Bryn Davies").focus()
    page.keyboard.press("Enter")  # submits the form, as a keyboard user would
    page.get_by_role("heading", name="Check your vote: National seats").wait_for()
    assert "You ranked 5 of 7 candidates." in page.inner_text("main")
    journey.check("review")
    page.get_by_role("button", name="Cast my vote").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your vote has been recorded").wait_for()
    journey.check("receipt")
    page.goto(voting_server.base_url + "/vote")
    assert "You voted on" in page.inner_text("main")
