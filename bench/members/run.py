"""Register CSV import: seconds and peak memory to check and commit 100,000 and 1,000,000 rows
into a fresh SQLite and a fresh PostgreSQL database, each as the command an admin would run
(``governance members import FILE --commit``) in its own process, and the same file imported a
second time (nothing changes). The baseline is Python's csv module only reading the file.

The issue's budget: 100,000 rows under 10 s; 1,000,000 rows under 90 s and 1 GiB.

    .venv/bin/python -m bench members [--quick]
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
GIVEN = [
    "Siân", "Zoë", "José", "Łukasz", "Ngozi", "Aoife", "Dafydd", "Priya", "Chloé", "Oluwaseun",
    "Margaret", "Tomás", "Anja", "Søren", "Mohammed", "Eleri", "Björn", "Ayşe", "Jürgen", "Ana",
]  # fmt: skip
FAMILY = [
    "Évans", "ap Siôn", "O'Brien", "Nowak", "Okafor", "Müller", "Ní Bhriain", "Patel",
    "Smith-Jones", "Øberg", "García", "Williams", "Kowalczyk", "Lefèvre", "Yılmaz", "Davies",
]  # fmt: skip
REGIONS = [
    "East Midlands", "West Midlands", "North East", "North West", "London", "South East",
    "South West", "Yorkshire and the Humber", "East of England", "Wales",
]  # fmt: skip
CATEGORIES = ["Trust leader", "Headteacher", "Associate", "Governor"]
HEADER = ["Membership number", "Name", "E-mail", "Trust", "Region", "Category", "Status",
          "Joined", "Phone", "Mentor"]  # fmt: skip
READ_ONLY = "import csv, sys\nwith open(sys.argv[1], encoding='utf-8-sig', newline='') as f:\n" \
    "    for row in csv.reader(f): pass\n"  # fmt: skip


def generate(path: Path, rows: int, seed: int = 2026) -> None:
    """A register as a spreadsheet saves it: UTF-8 with BOM, ten columns, two of them extra."""
    chooser = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for number in range(1, rows + 1):
            given, family = chooser.choice(GIVEN), chooser.choice(FAMILY)
            day, month, year = (
                chooser.randint(1, 28),
                chooser.randint(1, 12),
                chooser.randint(10, 25),
            )
            phone = f"0{chooser.randint(1_000_000_000, 1_999_999_999)}"
            writer.writerow([
                f"PAG{number:07d}", f"{given} {family}", f"member{number}@trust{number % 997}.org",
                f"{family} Academy Trust", chooser.choice(REGIONS), chooser.choice(CATEGORIES),
                "active", f"{day:02d}/{month:02d}/20{year}", phone, chooser.choice(GIVEN),
            ])  # fmt: skip


def _measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall-clock seconds and peak RSS (MiB) of one child process, and the tail of its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read().decode("utf-8", "replace")
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, output


async def _pg(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _databases(folder: Path) -> list[tuple[str, str, str | None]]:
    """(label, URL, PostgreSQL database name to drop afterwards) for each database measured."""
    name = f"governance_bench_{secrets.token_hex(4)}"
    return [
        ("SQLite", f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}", None),
        ("PostgreSQL", f"{PG_SERVER}/{name}", name),
    ]


def _import_rows(label: str, url: str, csv_file: Path, size: int, folder: Path) -> list[str]:
    env = {
        **os.environ,
        "GOVERNANCE_DATABASE_URL": url,
        "GOVERNANCE_DATA_DIR": str(folder),
        "GOVERNANCE_SECRET_KEY": "benchmark-secret-key",
        "GOVERNANCE_LOG_LEVEL": "WARNING",
    }
    governance = str(Path(sys.executable).with_name("governance"))
    subprocess.run([governance, "database", "upgrade"], env=env, check=True, capture_output=True)
    command = [governance, "members", "import", str(csv_file), "--commit"]
    rows = []
    for step in ("import, fresh register", "same file again"):
        seconds, peak, output = _measured(command, env)
        counts = output.strip().splitlines()[-2].split(".")[0]  # "N rows: N new, N changed, …"
        rows.append(f"{size:>9,} {label:10} {step:24} {seconds:>8.1f} {peak:>9.0f}   {counts}")
    return rows


def _one_size(size: int, folder: Path) -> list[str]:
    csv_file = folder / f"register-{size}.csv"
    generate(csv_file, size)
    baseline = [sys.executable, "-c", READ_ONLY, str(csv_file)]
    seconds, peak, _output = _measured(baseline, dict(os.environ))
    rows = [f"{size:>9,} {'-':10} {'csv.reader only (baseline)':24} {seconds:>8.1f} {peak:>9.0f}"]
    for label, url, pg_name in _databases(folder):
        if pg_name:
            asyncio.run(_pg(f'CREATE DATABASE "{pg_name}"'))
        try:
            rows += _import_rows(label, url, csv_file, size, folder)
        finally:
            if pg_name:
                asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            else:
                for leftover in folder.glob("bench.sqlite3*"):
                    leftover.unlink()
    csv_file.unlink()
    return rows


def run(quick: bool = False) -> str:
    sizes = (10_000, 100_000) if quick else (100_000, 1_000_000)
    rows = [f"{'rows':>9} {'database':10} {'step':24} {'seconds':>8} {'peak MiB':>9}   outcome"]
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            rows += _one_size(size, Path(folder))
    return "\n".join(rows)


if __name__ == "__main__":
    print(run(quick="--quick" in sys.argv))
