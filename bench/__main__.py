"""Run every benchmark and write the tables to bench/results/ (git-ignored).

python -m bench                 # everything
python -m bench serving         # one suite
python -m bench counting --quick
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SUITES = {
    "serving": "bench.serving.run",
    "counting": "bench.counting.run",
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suites", nargs="*", choices=[*SUITES, []], default=list(SUITES))
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    arguments = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    failures = 0
    for name in arguments.suites or list(SUITES):
        module = importlib.import_module(SUITES[name])
        print(f"\n== {name}")
        table = module.run(quick=arguments.quick)
        (RESULTS / f"{name}.txt").write_text(table + "\n", encoding="utf-8")
        print(table)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
