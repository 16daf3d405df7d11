"""The first admin's journey: setup link → admin account → sign in → invite staff → sign out,
then the invited returning officer accepts and signs in. Every page is checked with axe.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Journey, Server

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def _sign_in(journey: Journey, email: str) -> None:
    page = journey.page
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_setup_link_admin_signs_in_invites_staff_and_signs_out(
    server: Server, journey: Journey
) -> None:
    page: Any = journey.page
    page.goto(server.base_url + "/")
    journey.check("home")

    page.goto(server.setup_link)
    journey.check("setup")
    page.get_by_label("Your name").fill("Ada Admin")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create administrator").click()
    assert page.get_by_text("Use at least 12 characters.").first.is_visible()
    journey.check("setup-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create administrator").click()

    page.wait_for_url("**/login?created=1")
    assert page.get_by_text("Your account is ready").is_visible()
    journey.check("login")
    _sign_in(journey, "ada@example.org")
    page.wait_for_url(server.base_url + "/")
    assert page.get_by_text("You are signed in as Ada Admin.").is_visible()

    page.get_by_role("link", name="Staff").click()
    journey.check("staff")
    page.get_by_label("Email address").fill("rita@example.org")
    page.get_by_label("Role").select_option("returning_officer")
    page.get_by_role("button", name="Create invitation link").click()
    invitation = page.locator(".invitation-link").inner_text()
    assert "/invitations/" in invitation
    journey.check("invited")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server.base_url + "/")
    navigation = page.get_by_role("navigation", name="Main")
    assert navigation.get_by_role("link", name="Sign in").is_visible()

    page.goto(invitation.replace("http://127.0.0.1:8000", server.base_url))
    journey.check("invitation")
    page.get_by_label("Your name").fill("Rita Officer")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/login?created=1")
    _sign_in(journey, "rita@example.org")
    page.wait_for_url(server.base_url + "/")
    assert page.get_by_text("You are signed in as Rita Officer.").is_visible()
    page.goto(server.base_url + "/admin/staff")
    assert page.get_by_text("This page is for an administrator.").is_visible()
    journey.check("forbidden")

    page.goto(server.setup_link)
    assert page.get_by_text("already been used").is_visible()
    journey.check("setup-used")
