"""The election journey in a real browser, every page checked by axe: a returning officer sets up
a 36-seat election with two contests; members nominate themselves and gather supporters; the
returning officer reviews, rejects one nomination with a reason and publishes the candidate list;
the election's exported audit log verifies with `governance audit verify`; an administrator hands
the election to another returning officer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import Journey, Server, start_server, stop_server

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
MEMBERS = [  # number, name, email, organisation, region
    ("M-1", "Amara Okafor", "amara@example.org", "River Trust", "North West"),
    ("M-2", "Bryn Davies", "bryn@example.org", "Valley Trust", "Wales"),
    ("M-3", "Chen Li", "chen@example.org", "Harbour Trust", "London"),
    ("M-4", "Dana Kowalczyk", "dana@example.org", "Fen Trust", "East of England"),
    ("M-5", "Eli Navarro", "eli@example.org", "Moor Trust", "South West"),
]

ARRANGE = """
import governance.models
from governance import clock
from governance.security.roles import Role
from governance.accounts.service import NewAccount, create_user
from governance.bodies.models import Body
from governance.cli import _settings, _with_session
from governance.members.models import Member

MEMBERS = {members!r}

async def arrange(session):
    now = clock.now()
    session.add(Body(name="Policy Advisory Group", description="", seats=36, term_months=36,
                     created_at=now))
    await create_user(session, NewAccount("rose@example.org", "Rose Officer", {password!r}),
                      frozenset({{Role.RETURNING_OFFICER}}), actor="arrange")
    await create_user(session, NewAccount("sam@example.org", "Sam Second", {password!r}),
                      frozenset({{Role.RETURNING_OFFICER}}), actor="arrange")
    await create_user(session, NewAccount("adele@example.org", "Adele Admin", {password!r}),
                      frozenset({{Role.ADMIN}}), actor="arrange")
    for number, name, email, organisation, region in MEMBERS:
        member = Member(membership_number=number, name=name, email=email,
                        organisation=organisation, region=region, category="", status="active",
                        attributes={{}}, created_at=now, updated_at=now)
        session.add(member)
        await session.flush()
        user = await create_user(session, NewAccount(email, name, {password!r}),
                                 frozenset({{Role.MEMBER}}), actor="arrange")
        user.member_id = member.id
    await session.commit()

_with_session(_settings(), arrange)
"""


@pytest.fixture(scope="module")
def clocked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("election-journey")
    running = start_server(data, clocked=True)
    env = {
        **os.environ,
        "GOVERNANCE_DATA_DIR": str(data),
        "GOVERNANCE_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'governance.sqlite3'}",
    }
    env.pop("GOVERNANCE_TEST_DATABASE_URL", None)
    script = ARRANGE.format(members=MEMBERS, password=PASSWORD)
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    yield running
    stop_server(running)


def _sign_in(journey: Journey, server: Server, email_address: str) -> None:
    page = journey.page
    page.goto(server.base_url + "/login")
    page.get_by_label("Email address").fill(email_address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.base_url + "/")


def _sign_out(journey: Journey) -> None:
    journey.page.get_by_role("button", name="Sign out").click()


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%dT%H:%M")


def _set_up_election(journey: Journey, server: Server) -> str:
    page: Any = journey.page
    _sign_in(journey, server, "rose@example.org")
    page.get_by_role("link", name="Run elections").click()
    journey.check("ro-elections")
    page.get_by_role("link", name="Set up a new election").click()
    journey.check("ro-new-election")
    start = datetime.now(UTC) + timedelta(days=2)
    page.get_by_label("Title").fill("Policy Advisory Group 2027")
    page.get_by_label("Nominations open").fill(_local(start))
    page.get_by_label("Nominations close").fill(_local(start + timedelta(days=14)))
    page.get_by_label("Voting opens").fill(_local(start + timedelta(days=21)))
    page.get_by_label("Voting closes").fill(_local(start + timedelta(days=28)))
    page.get_by_role("button", name="Create the election").click()
    journey.check("ro-election-draft")
    for name, seats in (("Regional seats", "12"), ("National seats", "24")):
        page.get_by_role("link", name="Add a contest").click()
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Seats").fill(seats)
        page.get_by_label("Counting method").select_option("stv-scottish")
        journey.check(f"ro-contest-{seats}")
        page.get_by_role("button", name="Add contest").click()
    page.get_by_role("button", name="Announce the election").click()
    assert page.get_by_text("not yet announced").count() == 0
    journey.check("ro-election-announced")
    election_url = str(page.url)
    _sign_out(journey)
    return election_url


def _nominate(journey: Journey, server: Server, email_address: str, contest: str) -> None:
    page: Any = journey.page
    _sign_in(journey, server, email_address)
    page.goto(server.base_url + "/my/nominations")
    journey.check(f"my-nominations-{email_address}")
    page.get_by_role("link", name=f"Nominate yourself for {contest}").click()
    journey.check(f"nominate-{email_address}")
    page.get_by_label("Your statement").fill(
        "I have led my trust for **ten years** and will listen to every region.\n\n"
        "<script>alert('not run')</script>"
    )
    page.get_by_label("I am willing to serve").check()
    page.get_by_role("button", name="Submit my nomination").click()
    journey.check(f"nomination-{email_address}")


def _ask(journey: Journey, name: str, role: str) -> None:
    page: Any = journey.page
    page.get_by_label("Name or membership number").fill(name)
    page.get_by_role("button", name="Search the register").click()
    page.get_by_label(f"Ask {name} as").select_option(role)
    page.get_by_role("button", name=f"Ask {name}").click()


def _confirm(journey: Journey, server: Server, email_address: str, nominee: str) -> None:
    page: Any = journey.page
    _sign_in(journey, server, email_address)
    page.goto(server.base_url + "/my/nominations")
    page.get_by_role("button", name=f"Confirm support for {nominee}").click()
    journey.check(f"confirmed-{email_address}")
    _sign_out(journey)


def _hand_over(journey: Journey, server: Server) -> None:
    """An administrator hands the election to another returning officer."""
    page: Any = journey.page
    _sign_in(journey, server, "adele@example.org")
    page.get_by_role("link", name="Returning officers").click()
    journey.check("admin-returning-officers")
    page.get_by_label("Election", exact=True).select_option(
        label="Policy Advisory Group 2027 (Policy Advisory Group)"
    )
    page.get_by_label("New returning officer").select_option(label="Sam Second (sam@example.org)")
    page.get_by_role("button", name="Hand over the election").click()
    assert page.get_by_role("cell", name="Sam Second", exact=True).count() == 1
    journey.check("admin-handed-over")


def test_set_up_nominate_support_review_reject_publish_and_verify(
    clocked_server: Server, journey: Journey, tmp_path: Path
) -> None:
    server = clocked_server
    page: Any = journey.page
    election_url = _set_up_election(journey, server)
    server.advance(timedelta(days=3))  # nominations are now open

    _nominate(journey, server, "amara@example.org", "Regional seats")
    _ask(journey, "Bryn Davies", "proposer")
    _ask(journey, "Chen Li", "seconder")
    journey.check("supporters-asked")
    _sign_out(journey)
    _nominate(journey, server, "dana@example.org", "National seats")
    _ask(journey, "Eli Navarro", "proposer")
    _ask(journey, "Chen Li", "seconder")
    _sign_out(journey)
    _confirm(journey, server, "bryn@example.org", "Amara Okafor")
    _confirm(journey, server, "chen@example.org", "Amara Okafor")
    _confirm(journey, server, "eli@example.org", "Dana Kowalczyk")
    _confirm(journey, server, "chen@example.org", "Dana Kowalczyk")

    server.advance(timedelta(days=15))  # nominations have closed
    _sign_in(journey, server, "rose@example.org")
    page.goto(election_url + "/nominations")
    journey.check("ro-review-board")
    page.get_by_role("link", name="Amara Okafor").click()
    journey.check("ro-review-amara")
    page.get_by_role("radio", name="Valid", exact=True).check()
    page.get_by_role("button", name="Record the decision").click()
    page.goto(election_url + "/nominations")
    page.get_by_role("link", name="Dana Kowalczyk").click()
    page.get_by_role("radio", name="Invalid").check()
    page.get_by_label("Reason (sent to the nominee").fill(
        "The proposer's trust is not a member of the association this year."
    )
    page.get_by_role("button", name="Record the decision").click()
    page.goto(election_url + "/nominations")
    page.get_by_role("button", name="Publish the candidate list").click()
    journey.check("ro-published")

    election_id = election_url.rstrip("/").rsplit("/", 1)[1]
    page.goto(f"{server.base_url}/elections/{election_id}")
    journey.check("public-election")
    page.get_by_role("link", name="Regional seats").click()
    journey.check("public-candidates")
    assert page.get_by_text("Amara Okafor").first.is_visible()
    assert page.locator("script", has_text="not run").count() == 0
    page.goto(f"{server.base_url}/elections/{election_id}/contests")  # a wrong address
    page.goto(election_url)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the chain").click()
    exported = tmp_path / "election-audit.jsonl"
    download.value.save_as(exported)
    verified = subprocess.run(
        [sys.executable, "-m", "governance", "audit", "verify", str(exported)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("OK: ")
    actions = exported.read_text(encoding="utf-8")
    for action in ("election.announced", "nomination", "support", "candidates"):
        assert action in actions

    _sign_out(journey)
    _hand_over(journey, server)
    _sign_out(journey)
    _sign_in(journey, server, "sam@example.org")
    page.goto(election_url)
    assert page.get_by_text("Returning officer: Sam Second").count() == 1
    journey.check("ro-election-handed-over")
