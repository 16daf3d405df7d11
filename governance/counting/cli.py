"""``governance count FILE.blt --method M``: count a BLT file and print the count sheet.

Cheap to import (the top-level CLI loads it on every run): the methods, and NumPy with them, are
imported only when a count runs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from governance.counting import blt, sheet
from governance.counting.constraints import ConstraintError, Constraints, read_constraints
from governance.counting.methods import EQUAL_RANKINGS_ALLOWED, METHOD_NAMES, count, get_method
from governance.counting.model import CountingError, Election

CONSTRAINTS_HELP = """category limits, a JSON file: {"categories": {CANDIDATE: {DIMENSION: VALUE}},
"limits": {DIMENSION: {VALUE: {"minimum": N, "maximum": N}}}}. CANDIDATE is the candidate's
number in FILE (1 to N) or name; VALUE "*" in limits means every value of the dimension without
its own limit. For block and the STV methods; see docs/constraints.md"""


@click.command("count")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--method", "-m", required=True, type=click.Choice(METHOD_NAMES), help="counting rule"
)
@click.option("--seats", type=int, help="seats to fill (default: the file's)")
@click.option("--seed", type=int, default=0, show_default=True, help="seed for drawing lots")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="count sheet as a text table or JSON",
)
@click.option(
    "--constraints",
    "limits",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.json",
    help=CONSTRAINTS_HELP,
)
def count_command(
    file: Path, method: str, seats: int | None, seed: int, output: str, limits: Path | None
) -> None:
    """Count the ballots in FILE (BLT format) and print the count sheet."""
    try:
        get_method(method)  # an unavailable method is refused before the file is read
        election = blt.load_blt(file, allow_equal_rankings=method in EQUAL_RANKINGS_ALLOWED)
        election = _with_seats(election, seats)
        rules = None if limits is None else _load_constraints(limits, election)
        try:
            result = count(election, method, seed=seed, constraints=rules)
        except ConstraintError as error:  # limits this election cannot meet: name their file
            raise ConstraintError(f"{limits}: {error}") from error
    except CountingError as error:
        raise click.ClickException(str(error)) from error
    click.echo(sheet.to_json(result) if output == "json" else sheet.to_text(result), nl=False)


def _load_constraints(path: Path, election: Election) -> Constraints:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CountingError(f"{path}: cannot read the file ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise CountingError(f"{path}: not a UTF-8 text file") from error
    try:
        return read_constraints(text, election.candidates)
    except CountingError as error:
        raise CountingError(f"{path}: {error}") from error


def _with_seats(election: Election, seats: int | None) -> Election:
    if seats is None:
        return election
    standing = len(election.standing)
    # With nobody standing the count itself refuses the file, saying so (methods.check_countable).
    if standing and not 1 <= seats <= standing:
        raise CountingError(f"--seats must be between 1 and {standing} (the standing candidates)")
    return dataclasses.replace(election, seats=seats)


def main(argv: list[str] | None = None) -> int:
    """Run the command as a program; return the exit status instead of exiting."""
    try:
        count_command.main(args=argv, prog_name="governance count", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except Exception as error:  # a defect, not bad input: say so plainly, without a traceback
        click.echo(
            f"Error: the count failed unexpectedly ({type(error).__name__}: {error}). "
            "This is a defect in governance: please report it with the ballot file.",
            err=True,
        )
        return 70  # EX_SOFTWARE
    return 0
