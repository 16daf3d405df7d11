"""Benchmark the STV counts as whole ``governance count`` processes, beside pystv.

Generates elections of 120 candidates and 36 seats whose ranked ballots look like real ones (a
few popular candidates, most papers ranking a handful and stopping), at 10,000, 100,000 and
1,000,000 ballots; writes them as BLT; times each STV method as a separate process
(``python -m governance.counting FILE --method M --format json``) and records its peak memory;
and times pystv (the fastest STV package on PyPI) on the same 10,000-ballot election, also as a
whole process, to print the ratio. A method whose module is not there yet is reported "missing".

    .venv/bin/python bench/counting/run.py                 # all sizes, all STV methods
    .venv/bin/python bench/counting/run.py --sizes 10000 --methods stv-scottish
    .venv/bin/python bench/counting/run.py --repeat 3      # best of 3: the machine is shared

With ``--repeat N`` each process runs N times and the best wall time and the best CPU time
(user + system, steadier on a busy machine) are reported, with the largest peak memory.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CANDIDATES, SEATS = 120, 36
STV_METHODS = ("stv-scottish", "stv-ers97", "stv-meek")
MODULES = {"stv-scottish": "scottish", "stv-ers97": "ers97", "stv-meek": "meek"}
CHUNK = 50_000

PYSTV_PROGRAM = """
import sys, time
from pyrcv import RaceData, RaceMetadata, run_rcv
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
n, seats = map(int, lines[0].split())
ballots, votes = [], []
for line in lines[1:]:
    numbers = [int(t) for t in line.split()]
    if numbers == [0]:
        break
    votes.append(numbers[0])
    ballots.append(numbers[1:-1])
names = [f"C{i}" for i in range(1, n + 1)]
run_rcv(RaceData(RaceMetadata("bench", seats, names), ballots, votes))
"""


@dataclass(frozen=True)
class Run:
    label: str
    ballots: int
    seconds: float | None
    peak_mib: float | None
    status: str
    cpu_seconds: float | None = None  # user + system: steadier than wall time on a busy machine


def generate(path: Path, ballots: int, seed: int) -> None:
    """Write a BLT election: Zipf-like popularity, truncated rankings (mean about 6)."""
    import numpy as np  # only in the child that writes the file: the parent stays small

    rng = np.random.default_rng(seed)
    popularity = np.log(1.0 / np.arange(1, CANDIDATES + 1) ** 0.9)
    with path.open("w", encoding="utf-8") as out:
        out.write(f"{CANDIDATES} {SEATS}\n")
        for start in range(0, ballots, CHUNK):
            size = min(CHUNK, ballots - start)
            # Gumbel-max: sorting noisy log-weights samples rankings without replacement.
            keys = popularity + rng.gumbel(size=(size, CANDIDATES))
            order = np.argsort(-keys, axis=1) + 1
            lengths = np.minimum(rng.geometric(1 / 6, size=size), CANDIDATES)
            rows = order.tolist()
            out.writelines(
                "1 " + " ".join(map(str, row[:length])) + " 0\n"
                for row, length in zip(rows, lengths.tolist(), strict=True)
            )
        out.write("0\n")
        out.writelines(f'"Candidate {i}"\n' for i in range(1, CANDIDATES + 1))
        out.write('"Benchmark election"\n')


def timed(label: str, ballots: int, command: list[str], timeout: float) -> Run:
    """Run ``command`` as a child process; its wall time and its own peak RSS (wait4)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            child.kill()
            os.wait4(child.pid, 0)
            return Run(label, ballots, None, None, f"timeout after {timeout:.0f} s")
        time.sleep(0.005)
    seconds = time.perf_counter() - started
    error = child.stderr.read().strip().splitlines() if child.stderr else []
    child.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    if child.returncode:
        reason = error[-1] if error else ""
        return Run(label, ballots, seconds, peak, f"failed ({child.returncode}): {reason}", cpu)
    return Run(label, ballots, seconds, peak, "ok", cpu)


def best_run(label: str, ballots: int, command: list[str], timeout: float, repeat: int) -> Run:
    """The best wall and the best CPU time of ``repeat`` runs, and the largest peak memory."""
    tries = [timed(label, ballots, command, timeout) for _ in range(max(repeat, 1))]
    done = [t for t in tries if t.status == "ok" and t.seconds is not None]
    if len(done) < len(tries):
        return next(t for t in tries if t not in done)
    return Run(
        label,
        ballots,
        min(t.seconds for t in done if t.seconds is not None),
        max(t.peak_mib for t in done if t.peak_mib is not None),
        "ok",
        min(t.cpu_seconds for t in done if t.cpu_seconds is not None),
    )


def count_only(path: Path, methods: list[str]) -> list[Run]:
    """Count time alone, in this process: the read once, then each method's count (best of 3)."""
    from governance.counting.blt import load_blt
    from governance.counting.methods import get_method
    from governance.counting.model import Lot

    started = time.perf_counter()
    election = load_blt(path)
    size = sum(g.count for g in election.ballots)
    runs = [Run("read BLT", size, time.perf_counter() - started, None, "in-process")]
    for method in methods:
        if method not in MODULES or not available(method):
            continue
        work = partial(get_method(method), election, Lot(0))
        runs.append(Run(method, size, best_of(3, work), None, "in-process"))
    if pystv_available():
        from pyrcv import RaceData, RaceMetadata, run_rcv  # type: ignore[import-untyped]

        names = [f"C{i}" for i in range(1, CANDIDATES + 1)]
        race = RaceData(
            RaceMetadata("bench", SEATS, names),
            [[c + 1 for c in g.ranking] for g in election.ballots],
            [g.count for g in election.ballots],
        )
        runs.append(Run("pystv", size, best_of(3, partial(run_rcv, race)), None, "in-process"))
    return runs


def best_of(times: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def available(method: str) -> bool:
    return importlib.util.find_spec(f"governance.counting.{MODULES[method]}") is not None


def pystv_available() -> bool:
    return importlib.util.find_spec("pyrcv") is not None


def main() -> int:
    # The parent only launches children: a child's peak RSS (wait4) starts from its parent's
    # size at fork, so the parent must never hold an election or NumPy.
    if sys.argv[1:2] == ["--generate"]:
        generate(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        return 0
    if sys.argv[1:2] == ["--count-only"]:
        runs = count_only(Path(sys.argv[2]), sys.argv[3].split(","))
        print(json.dumps([run.__dict__ for run in runs]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--methods", default=",".join(STV_METHODS))
    parser.add_argument("--pystv-sizes", default="10000")
    parser.add_argument("--dir", type=Path, help="keep (and reuse) the generated files here")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--repeat", type=int, default=1, help="runs per process; best reported")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    methods = [m for m in args.methods.split(",") if m]
    pystv_sizes = {int(s) for s in args.pystv_sizes.split(",") if s}

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        runs = []
        for size in sizes:
            path = folder / f"bench-{CANDIDATES}c-{SEATS}s-{size}.blt"
            if not path.exists():
                script = [sys.executable, __file__, "--generate", str(path), str(size)]
                subprocess.run([*script, str(args.seed)], check=True)
            with_pystv = size in pystv_sizes
            runs.extend(run_size(path, size, methods, with_pystv, args.timeout, args.repeat))
            if size in pystv_sizes:
                script = [sys.executable, __file__, "--count-only", str(path), ",".join(methods)]
                done = subprocess.run(script, check=True, capture_output=True, text=True, cwd=REPO)
                runs.extend(Run(**fields) for fields in json.loads(done.stdout))
    report(runs)
    return 0


def run_size(
    path: Path, size: int, methods: list[str], with_pystv: bool, timeout: float, repeat: int = 1
) -> list[Run]:
    runs = []
    for method in methods:
        if method not in MODULES or not available(method):
            runs.append(Run(method, size, None, None, "missing"))
            continue
        command = [sys.executable, "-m", "governance.counting", str(path), "--method", method]
        runs.append(best_run(method, size, [*command, "--format", "json"], timeout, repeat))
        print(format_run(runs[-1]), flush=True)
    if with_pystv:
        if pystv_available():
            command = [sys.executable, "-c", PYSTV_PROGRAM, str(path)]
            runs.append(best_run("pystv", size, command, timeout, repeat))
        else:
            runs.append(Run("pystv", size, None, None, "missing"))
        print(format_run(runs[-1]), flush=True)
    return runs


def format_run(run: Run) -> str:
    seconds = "-" if run.seconds is None else f"{run.seconds:8.2f}"
    peak = "-" if run.peak_mib is None else f"{run.peak_mib:8.0f}"
    cpu = "-" if run.cpu_seconds is None else f"{run.cpu_seconds:8.2f}"
    return f"{run.label:14} {run.ballots:>10,} {seconds:>9} {cpu:>9} {peak:>9}  {run.status}"


def report(runs: list[Run]) -> None:
    print()
    print(f"{'method':14} {'ballots':>10} {'seconds':>9} {'cpu s':>9} {'peak MiB':>9}  status")
    for run in runs:
        print(format_run(run))
    for kind in ("ok", "in-process"):
        timings = {(r.label, r.ballots): r.seconds for r in runs if r.status == kind}
        what = "whole process" if kind == "ok" else "count alone"
        for (label, ballots), seconds in sorted(timings.items()):
            baseline = timings.get(("pystv", ballots))
            if label not in ("pystv", "read BLT") and baseline and seconds:
                print(f"pystv / {label} at {ballots:,} ballots ({what}): {baseline / seconds:.1f}x")
    growth(runs)


def growth(runs: list[Run]) -> None:
    """Time against ballots, size to size: linear growth is a factor equal to the size factor."""
    for label in STV_METHODS:
        done = [r for r in runs if r.label == label and r.status == "ok"]
        sized = sorted((r.ballots, r.seconds) for r in done)
        steps = [
            f"{b1:,} -> {b2:,}: {t2 / t1:.1f}x the time for {b2 / b1:.0f}x the ballots"
            for (b1, t1), (b2, t2) in pairwise(sized)
            if t1 and t2
        ]
        if steps:
            print(f"growth of {label} (whole process): " + "; ".join(steps))


if __name__ == "__main__":
    sys.exit(main())
