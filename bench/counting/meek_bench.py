"""Time Meek STV counts of 120 candidates and 36 seats as a whole process, with peak memory.

Ballots follow a Plackett-Luce model over candidates of uneven popularity (Gumbel-max sampling);
voters stop after a random number of preferences (geometric, 3 % rank everyone), so almost every
ranking is unique. Each size is written once as BLT, then counted twice by fresh processes: the
``governance count`` command itself (the figure that matters), and a script that reports how the
time splits between reading the file and counting.

    .venv/bin/python bench/counting/meek_bench.py [10000 100000 1000000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CANDIDATES = 120
SEATS = 36
CHUNK = 50_000

SPLIT = """
import sys, time
from governance.counting.blt import load_blt
from governance.counting import meek
from governance.counting.model import Lot
started = time.perf_counter()
election = load_blt(sys.argv[1])
read = time.perf_counter()
sheet = meek.count(election, Lot(1))
done = time.perf_counter()
rounds = sum(1 for s in sheet.stages if s.description.startswith("Round "))
iterations = sum(int(n.split()[1]) for s in sheet.stages for n in s.notes if n.startswith("B.2:"))
print(f"{read - started:.2f} {done - read:.2f} {rounds} {iterations}")
"""


def write_election(ballots: int, seed: int, path: Path) -> None:
    rng = np.random.default_rng(seed)
    popularity = np.log(rng.lognormal(0.0, 1.0, CANDIDATES))
    lengths = np.minimum(1 + rng.geometric(0.12, ballots), CANDIDATES)
    lengths[rng.random(ballots) < 0.03] = CANDIDATES
    with path.open("w") as out:
        out.write(f"{CANDIDATES} {SEATS}\n")
        for start in range(0, ballots, CHUNK):
            stop = min(start + CHUNK, ballots)
            keys = popularity + rng.gumbel(size=(stop - start, CANDIDATES))
            order = np.argsort(-keys, axis=1) + 1
            out.writelines(
                "1 " + " ".join(map(str, order[i, : lengths[start + i]])) + " 0\n"
                for i in range(stop - start)
            )
        out.write("0\n")
        out.writelines(f'"Candidate {i + 1}"\n' for i in range(CANDIDATES))
        out.write('"Meek benchmark"\n')


def run_process(command: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak MiB and standard output of one process.

    CPU time (user + system) is what to compare when other work shares the machine.
    """
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"{' '.join(command)} failed ({status})")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output


def measure(path: Path) -> str:
    cli = [sys.executable, "-m", "governance.counting", str(path), "--method", "stv-meek"]
    seconds, cpu, mib, _ = run_process([*cli, "--format", "json"])
    *_, split = run_process([sys.executable, "-c", SPLIT, str(path)])
    read, counted, rounds, iterations = split.split()
    return (
        f"{seconds:6.2f} s (cpu {cpu:6.2f} s) {mib:6.0f} MiB   (read {read} s, count {counted} s;"
        f" {rounds} rounds, {iterations} iterations)"
    )


def run(*, quick: bool = False, folder: Path | None = None, seed: int = 7) -> str:
    """The benchmark table, one line per size."""
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    return table(sizes, folder or Path(tempfile.gettempdir()), seed)


def table(sizes: list[int], folder: Path, seed: int) -> str:
    lines = [f"Meek STV (stv-meek), {CANDIDATES} candidates, {SEATS} seats, whole process"]
    for size in sizes:
        path = folder / f"meek-bench-{size}-{seed}.blt"
        if not path.exists():
            write_election(size, seed, path)
        lines.append(f"{size:>9,} ballots: {measure(path)}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(table(args.sizes, args.dir, args.seed))


if __name__ == "__main__":
    main()
