"""Casting under load: acknowledged ballots per second and p50/p99 per request, beside the bare
Litestar route in the same run (issue 11, item 8).

For each database set-up (SQLite with one Granian worker, PostgreSQL with one and with two), a
fresh voting sandbox (``governance demo voting``: an STV contest for 36 seats with 120
candidates and a block vote) is served on 127.0.0.1, and a load generator in another process
runs 200 concurrent voters, each with their own voting pass and CSRF token:

- **cast only**: each voter posts their ballot straight to the cast route of both contests;
- **whole flow**: each voter opens the ballot page, posts it for review, casts, and opens the
  receipt, as a browser does.

A ballot counts as acknowledged when the cast answers 303 (the receipt follows the commit).
Afterwards the database must hold exactly as many participations and ballots as were
acknowledged: 0 duplicates, 0 lost. Traffic goes only to 127.0.0.1 and every run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from bench.serving.run import _measure, _serve

CONCURRENCY = 200
PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SECRET = "casting-benchmark-secret-key-" + "k" * 32


@dataclass(frozen=True)
class Voter:
    cookie: str  # the voting pass and the CSRF cookie
    token: str  # the CSRF token the forms carry


@dataclass
class Tally:
    acknowledged: int = 0
    refused: int = 0
    requests: int = 0
    latencies: list[float] | None = None

    def __post_init__(self) -> None:
        self.latencies = []


# --- The sandbox ----------------------------------------------------------------------------


def _environment(url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GOVERNANCE_DATABASE_URL": url,
        "GOVERNANCE_DATA_DIR": str(folder),
        "GOVERNANCE_SECRET_KEY": SECRET,
        "GOVERNANCE_OUTBOX_IN_PROCESS": "0",  # the codes' mail waits; nothing is sent
        "GOVERNANCE_LOG_LEVEL": "WARNING",
    }


def _sandbox(env: dict[str, str], electors: int, folder: Path) -> None:
    governance = str(Path(sys.executable).with_name("governance"))
    command = [governance, "demo", "voting", "--electors", str(electors)]
    subprocess.run([*command, "--codes", str(folder / "codes.csv")], env=env, check=True)


async def _roll(url: str) -> tuple[int, list[int], dict[int, int], list[int]]:
    """The election, its contests, each contest's candidate count, and the electors' ids."""
    from sqlalchemy import func, select

    import governance.models  # noqa: F401
    from governance.db import create_engine
    from governance.nominations.models import Candidate
    from governance.voting.models import Credential

    engine = create_engine(url)
    async with engine.connect() as connection:
        election_id, *_ = (await connection.execute(select(Credential.election_id))).first() or (0,)
        rows = await connection.execute(
            select(Candidate.contest_id, func.count()).group_by(Candidate.contest_id)
        )
        standing = {int(contest): int(n) for contest, n in rows}
        members = list((await connection.execute(select(Credential.member_id))).scalars())
    await engine.dispose()
    return int(election_id), sorted(standing), standing, members


async def _stored(url: str) -> tuple[int, int]:
    from sqlalchemy import func, select

    from governance.db import create_engine
    from governance.voting.models import Ballot, Participation

    engine = create_engine(url)
    async with engine.connect() as connection:
        marked = await connection.scalar(select(func.count()).select_from(Participation))
        boxed = await connection.scalar(select(func.count()).select_from(Ballot))
    await engine.dispose()
    return int(marked or 0), int(boxed or 0)


def _voters(election_id: int, members: Sequence[int]) -> list[Voter]:
    from litestar.middleware.csrf import generate_csrf_token

    from governance.voting.voters import VOTING_COOKIE, issue_pass
    from governance.voting.voters import Voter as Elector

    now = datetime.now(UTC)
    voters = []
    for member in members:
        token = generate_csrf_token(SECRET)
        passed = issue_pass(SECRET, Elector(member, election_id, 1), now)
        voters.append(Voter(f"{VOTING_COOKIE}={passed}; governance_csrf={token}", token))
    return voters


def _marks(standing: int, ranked: bool, draw: random.Random) -> list[tuple[str, str]]:
    if ranked:  # a truncated ranking, as most voters give (mean about six)
        chosen = draw.sample(range(1, standing + 1), min(standing, draw.randint(1, 11)))
        return [(f"rank-{key}", str(rank)) for rank, key in enumerate(chosen, start=1)]
    return [("choice", str(key)) for key in draw.sample(range(1, standing + 1), 2)]


# --- The load generator (its own process) ----------------------------------------------------


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    if length:
        await reader.readexactly(length)
    return int(head[9:12]), head


def _request(method: str, port: int, path: str, cookie: str, body: str = "") -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Connection: keep-alive",
        f"Cookie: {cookie}",
    ]
    if method == "POST":
        lines += [
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body.encode())}",
        ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def _receipt_cookie(head: bytes) -> str:
    for line in head.split(b"\r\n"):
        if line[:11].lower() == b"set-cookie:":
            return line[11:].split(b";")[0].strip().decode()
    return ""


async def _one_voter(
    port: int, voter: Voter, ballots: list[tuple[int, str]], whole: bool, tally: Tally, io: tuple
) -> None:
    reader, writer = io
    for contest_id, body in ballots:
        path = f"/vote/contests/{contest_id}"
        steps = [("GET", path, ""), ("POST", path, body)] if whole else []
        for method, target, form in [*steps, ("POST", f"{path}/cast", body)]:
            started = time.perf_counter()
            status, head = await _exchange(
                reader, writer, _request(method, port, target, voter.cookie, form)
            )
            tally.latencies.append(time.perf_counter() - started)  # type: ignore[union-attr]
            tally.requests += 1
        if status == 303:
            tally.acknowledged += 1
        else:
            tally.refused += 1
        if whole:
            cookie = f"{voter.cookie}; {_receipt_cookie(head)}"
            started = time.perf_counter()
            await _exchange(reader, writer, _request("GET", port, f"{path}/receipt", cookie))
            tally.latencies.append(time.perf_counter() - started)  # type: ignore[union-attr]
            tally.requests += 1


async def _load(port: int, work: list[tuple[Voter, list[tuple[int, str]]]], whole: bool) -> dict:
    queue: asyncio.Queue[tuple[Voter, list[tuple[int, str]]]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    tally = Tally()
    stop_at = time.perf_counter() + 120  # stops by itself, whatever happens

    async def connection() -> None:
        io = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty() and time.perf_counter() < stop_at:
                voter, ballots = queue.get_nowait()
                await _one_voter(port, voter, ballots, whole, tally, io)
        finally:
            io[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(CONCURRENCY)))
    seconds = time.perf_counter() - started
    latencies = sorted(tally.latencies or [0.0])
    return {
        "acknowledged": tally.acknowledged,
        "refused": tally.refused,
        "seconds": seconds,
        "rps": tally.requests / seconds,
        "p50": 1000 * latencies[len(latencies) // 2],
        "p99": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def _run_load(port: int, work: list[tuple[Voter, list[tuple[int, str]]]], whole: bool) -> dict:
    return asyncio.run(_load(port, work, whole))


# --- One set-up -------------------------------------------------------------------------------


def _database(kind: str, folder: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{folder / 'sandbox.sqlite3'}"
    dsn = PG_ADMIN.replace("+asyncpg", "")
    subprocess.run(["psql", dsn, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", dsn, "-qc", f"CREATE DATABASE {name}"], check=True)
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _work(
    voters: list[Voter], contests: list[int], standing: dict[int, int], seed: int
) -> list[tuple[Voter, list[tuple[int, str]]]]:
    draw = random.Random(seed)
    stv, block = contests
    work = []
    for voter in voters:
        ballots = []
        for contest, ranked in ((stv, True), (block, False)):
            marks = [("_csrf_token", voter.token), *_marks(standing[contest], ranked, draw)]
            ballots.append((contest, urlencode(marks)))
        work.append((voter, ballots))
    return work


def measure_setup(kind: str, workers: int, electors: int) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = _database(kind, folder, f"bench_casting_{workers}_{secrets.token_hex(3)}")
        env = _environment(url, folder)
        _sandbox(env, electors, folder)
        election_id, contests, standing, members = asyncio.run(_roll(url))
        half = len(members) // 2
        process, port = _serve("governance.app:app_factory", workers, env)
        try:
            with ProcessPoolExecutor(max_workers=1) as pool:
                for label, whole, chosen in (
                    ("cast only", False, members[:half]),
                    ("whole flow", True, members[half:]),
                ):
                    work = _work(_voters(election_id, chosen), contests, standing, workers)
                    result = pool.submit(_run_load, port, work, whole).result()
                    ballots_per_second = result["acknowledged"] / result["seconds"]
                    rows.append(
                        f"{kind:10} {workers:>7} {label:11} {ballots_per_second:>10.0f} "
                        f"{result['rps']:>8.0f} {result['p50']:>7.1f} {result['p99']:>7.1f} "
                        f"{result['acknowledged']:>6} {result['refused']:>6}"
                    )
                    acknowledged = result["acknowledged"]
                    marked, boxed = asyncio.run(_stored(url))
                    rows.append(
                        f"{'':10} {'':>7} stored: participations {marked}, ballots {boxed} "
                        f"(acknowledged so far {acknowledged} in this case)"
                    )
        finally:
            process.terminate()
            process.wait(timeout=30)
    return rows


def _baseline(workers: int) -> str:
    process, port = _serve("bench.serving.bare:app_factory", workers, dict(os.environ))
    try:
        result = _measure(port, "/bare", "", 5.0)
    finally:
        process.terminate()
        process.wait(timeout=20)
    return (
        f"{'bare route':10} {workers:>7} {'baseline':11} {'':>10} {result.rps:>8.0f} "
        f"{result.p50_ms:>7.1f} {result.p99_ms:>7.1f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--electors", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2,000 electors, SQLite only")
    options = parser.parse_args(argv)
    electors = 2_000 if options.quick else options.electors
    setups = (
        [("sqlite", 1)] if options.quick else [("sqlite", 1), ("postgresql", 1), ("postgresql", 2)]
    )
    header = (
        f"{'database':10} {'workers':>7} {'case':11} {'ballots/s':>10} {'req/s':>8} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'acked':>6} {'refused':>6}"
    )
    rows = [header, _baseline(1)]
    for kind, workers in setups:
        if workers == 2:
            rows.append(_baseline(2))
        rows += measure_setup(kind, workers, electors)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
