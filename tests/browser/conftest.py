"""A real server (Granian, as `make run` starts it) and Debian's Chromium driven by Playwright.

Run as its own pytest invocation (`make test-browser`): Playwright's sync API keeps its own event
loop, which must not meet pytest-asyncio's. Never `playwright install`: the browser is Debian's.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("GOVERNANCE_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"{CHROMIUM} is missing; CI installs Debian's chromium package")
    skip = pytest.mark.skip(reason=f"browser tests need Debian's chromium at {CHROMIUM}")
    # This hook sees every collected test, not only this folder's: skip the browser tests alone.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    base_url: str
    setup_link: str
    process: subprocess.Popen[str]
    clock_file: Path

    def advance(self, delta: timedelta) -> None:
        """Move the server's clock (only servers started with ``clocked=True`` read it)."""
        current = float(self.clock_file.read_text(encoding="utf-8") or 0)
        self.clock_file.write_text(str(current + delta.total_seconds()), encoding="utf-8")


def start_server(
    data: Path, extra_env: dict[str, str] | None = None, *, clocked: bool = False
) -> Server:
    """`governance serve` on a fresh SQLite database, exactly as a new user starts it; or, with
    ``clocked``, the same migrations and set-up link with the test clock's app factory."""
    port = _free_port()
    clock_file = data / "clock-offset"
    clock_file.write_text("0", encoding="utf-8")
    env = {
        **os.environ,
        "GOVERNANCE_DATA_DIR": str(data),
        "GOVERNANCE_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'governance.sqlite3'}",
        "GOVERNANCE_PORT": str(port),
        "GOVERNANCE_WORKERS": "1",
        "GOVERNANCE_LOG_LEVEL": "WARNING",
        "GOVERNANCE_TEST_CLOCK_FILE": str(clock_file),
        "PYTHONPATH": str(Path(__file__).resolve().parent),
        **(extra_env or {}),
    }
    env.pop("GOVERNANCE_TEST_DATABASE_URL", None)
    if clocked:
        subprocess.run(
            [sys.executable, "-m", "governance", "database", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        command = [sys.executable, "-c", _CLOCKED_SERVE]
    else:
        command = [sys.executable, "-m", "governance", "serve"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    link = _read_setup_link(process)
    drain = threading.Thread(target=process.communicate, daemon=True)  # never let the pipe fill
    drain.start()
    _wait_until_up(port, process)
    return Server(f"http://127.0.0.1:{port}", link, process, clock_file)


# Print the set-up link as `governance serve` does, then serve the clocked factory with Granian.
_CLOCKED_SERVE = """
import os, sys
from governance.cli import _print_setup_link, _settings
_print_setup_link(_settings())
sys.stdout.flush()
os.execv(sys.executable, [sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
    "--host", "127.0.0.1", "--port", os.environ["GOVERNANCE_PORT"], "--workers", "1",
    "--log-level", "warning", "clocked_app:app_factory"])
"""


def stop_server(server: Server) -> None:
    server.process.terminate()
    server.process.wait(timeout=20)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("server-data"))
    yield running
    stop_server(running)


def _read_setup_link(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise RuntimeError("the server stopped before printing the setup link")
        if match := re.search(r"(http://\S+/setup/\S+)", line):
            return match.group(1)
    raise RuntimeError("no setup link printed within 60 s")


def _wait_until_up(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited while starting")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the server did not start listening within 60 s")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


class Journey:
    """A person's walk through the site: every page visited is screenshotted and checked by axe."""

    def __init__(self, page: Any, name: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.page = page
        self.name = name
        self.axe = Axe()
        self.visited: list[str] = []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def check(self, label: str) -> None:
        """Screenshot the current page and require zero WCAG 2.2 AA violations on it."""
        self.page.wait_for_load_state("networkidle")
        step = len(self.visited) + 1
        self.page.screenshot(
            path=str(ARTIFACTS / f"{self.name}-{step:02d}-{label}.png"), full_page=True
        )
        options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
        results = self.axe.run(self.page, options=options)
        self.visited.append(self.page.url)
        assert results.violations_count == 0, (
            f"axe found WCAG violations on {self.page.url}:\n{results.generate_report()}"
        )


@pytest.fixture
def journey(browser: Any, request: pytest.FixtureRequest) -> Iterator[Journey]:
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("response", lambda response: _failed_subresource(response, problems))
    yield Journey(page, request.node.name)
    context.close()
    assert not problems, f"the page had problems: {problems}"


def _failed_subresource(response: Any, problems: list[str]) -> None:
    """A stylesheet, script or image that fails to load (error pages themselves are expected)."""
    if response.request.resource_type != "document" and response.status >= 400:
        problems.append(f"{response.status} for {response.url}")
