"""Requests per second and p50/p99 latency for a bare Litestar route (the baseline), our home
page and a signed-in page, each served by Granian on one and on two workers, measured in one run
by a load generator in another process on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.serving.load import LoadResult, measure

PASSWORD = "benchmark password 1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare_database(folder: Path) -> tuple[dict[str, str], str]:
    """A migrated SQLite database with an admin signed in; returns the env and session cookie."""
    env = {
        **os.environ,
        "GOVERNANCE_DATA_DIR": str(folder),
        "GOVERNANCE_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}",
        "GOVERNANCE_LOG_LEVEL": "WARNING",
        "GOVERNANCE_SECRET_KEY": "benchmark-secret-key",
    }
    os.environ.update(env)
    from governance.accounts import service, sessions
    from governance.config import Settings
    from governance.db import create_engine
    from governance.migrate import upgrade
    from governance.security.roles import Role

    settings = Settings.from_env()
    upgrade(settings.database_url)

    async def sign_in() -> str:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        engine = create_engine(settings.database_url)
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            form = service.NewAccount("admin@example.org", "Bench Admin", PASSWORD)
            user = await service.create_user(session, form, frozenset({Role.ADMIN}), actor="bench")
            await session.commit()
            token = await sessions.start_session(session, settings, user, "127.0.0.1", None)
        await engine.dispose()
        return token

    from governance.accounts.sessions import SESSION_COOKIE

    return env, f"{SESSION_COOKIE}={asyncio.run(sign_in())}"


def _serve(target: str, workers: int, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
        target,
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{target} did not start")


def _measure(port: int, path: str, cookie: str, seconds: float) -> LoadResult:
    with ProcessPoolExecutor(max_workers=1) as pool:
        pool.submit(measure, port, path, cookie=cookie, seconds=1.0).result()  # warm up
        return pool.submit(measure, port, path, cookie=cookie, seconds=seconds).result()


CASES = [
    ("bare Litestar route (baseline)", "bench.serving.bare:app_factory", "/bare", False),
    ("home page", "governance.app:app_factory", "/", False),
    ("signed-in home page", "governance.app:app_factory", "/", True),
    ("signed-in page (/admin/staff)", "governance.app:app_factory", "/admin/staff", True),
]


def run(quick: bool = False) -> str:
    seconds = 2.0 if quick else 8.0
    rows = [f"{'case':34} {'workers':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"]
    with tempfile.TemporaryDirectory() as folder:
        env, cookie = _prepare_database(Path(folder))
        for workers in (1, 2):
            for label, target, path, signed_in in CASES:
                process, port = _serve(target, workers, env)
                try:
                    result = _measure(port, path, cookie if signed_in else "", seconds)
                finally:
                    process.terminate()
                    process.wait(timeout=20)
                rows.append(
                    f"{label:34} {workers:>7} {result.rps:>9.0f} {result.p50_ms:>8.2f} "
                    f"{result.p99_ms:>8.2f} {result.errors:>7}"
                )
    return "\n".join(rows)
