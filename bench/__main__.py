"""Run every benchmark and write the tables to bench/results/ (git-ignored).

python -m bench                 # everything
python -m bench serving         # one suite
python -m bench counting --quick

A suite is a module with ``run(quick: bool) -> str`` returning its table, or a script whose
``main()`` prints it (run as its own process, so that its children's peak memory is its own).
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SUITES = {
    "serving": "bench.serving.run",
    "counting": "bench.counting.run",
    "members": "bench.members.run",
    "nominations": "bench.nominations.run",
    "voting-freeze": "bench.voting.freeze",
    "casting": "bench.voting.casting",
}
# Scripts that take their own options: what --quick means for each.
QUICK_ARGUMENTS = {
    "counting": ["--sizes", "10000,100000"],
    "voting-freeze": ["--quick"],
    "casting": ["--quick"],
}


def _run_suite(name: str, quick: bool) -> str:
    module = importlib.import_module(SUITES[name])
    if hasattr(module, "run"):
        return str(module.run(quick=quick))
    command = [
        sys.executable,
        "-m",
        SUITES[name],
        *(QUICK_ARGUMENTS.get(name, []) if quick else []),
    ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suites", nargs="*", help=f"any of: {', '.join(SUITES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    arguments = parser.parse_args()
    unknown = set(arguments.suites) - set(SUITES)
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(sorted(unknown))}")
    RESULTS.mkdir(exist_ok=True)
    for name in arguments.suites or list(SUITES):
        print(f"\n== {name}", flush=True)
        table = _run_suite(name, arguments.quick)
        (RESULTS / f"{name}.txt").write_text(table + "\n", encoding="utf-8")
        print(table, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
