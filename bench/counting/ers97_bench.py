"""Time ERS97 counts of 120 candidates and 36 seats as a whole process, with peak memory.

Ballots follow a Plackett-Luce model over candidates of uneven popularity (Gumbel-max
sampling); voters stop after a random number of preferences (geometric, 3 % rank everyone), so
almost every ranking is unique. Each size is written once as BLT and counted by a fresh
``python`` process that reads the file and counts it, as ``governance count`` would.

    .venv/bin/python bench/counting/ers97_bench.py [10000 100000 1000000] [--dir DIR] [--limits]

``--limits`` also times, in this process, the same count with category constraints: nine
regions each needing at least two elected, fifty organisations allowed at most one.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CANDIDATES = 120
SEATS = 36
CHUNK = 50_000

COUNT_ONE = """
import sys
from governance.counting.blt import load_blt
from governance.counting import ers97
from governance.counting.model import Lot
sheet = ers97.count(load_blt(sys.argv[1]), Lot(1))
print(len(sheet.stages), ",".join(map(str, sheet.elected)))
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
        out.write('"ERS97 benchmark"\n')


def time_count(path: Path) -> tuple[float, float, str]:
    """Wall seconds and peak MiB of one counting process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", COUNT_ONE, str(path)], check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024, result.stdout.strip()


def time_with_limits(path: Path) -> tuple[float, float]:
    """Seconds for the count alone, without and with category limits (in this process)."""
    from governance.counting import ers97
    from governance.counting.blt import load_blt
    from governance.counting.constraints import Constraints, Limit
    from governance.counting.model import Lot

    election = load_blt(path)
    rng = random.Random(3)
    regions = [f"Region {i}" for i in range(9)]
    organisations = [f"Organisation {i}" for i in range(50)]
    categories = {
        c: {"region": rng.choice(regions), "organisation": rng.choice(organisations)}
        for c in range(CANDIDATES)
    }
    limits = {("region", r): Limit(minimum=2) for r in regions}
    limits |= {("organisation", o): Limit(maximum=1) for o in organisations}
    started = time.perf_counter()
    ers97.count(election, Lot(1))
    plain = time.perf_counter() - started
    started = time.perf_counter()
    ers97.count(election, Lot(1), constraints=Constraints(categories, limits))
    return plain, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--limits", action="store_true", help="also time category limits")
    args = parser.parse_args()
    for size in args.sizes:
        path = args.dir / f"ers97-bench-{size}-{args.seed}.blt"
        if not path.exists():
            write_election(size, args.seed, path)
        seconds, mib, summary = time_count(path)
        stages = summary.split()[0]
        print(f"{size:>9,} ballots  {seconds:6.2f} s  peak {mib:7.1f} MiB  {stages} stages")
        if args.limits:
            plain, limited = time_with_limits(path)
            print(f"{'':>9}  count alone {plain:.2f} s, with category limits {limited:.2f} s")


if __name__ == "__main__":
    main()
