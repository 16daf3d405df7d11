"""The counting methods by name, each imported only when a count asks for it.

Every method is ``count(election, lot) -> CountSheet``; those that enforce category limits (block
and the STV counts) also take ``constraints=`` (``constraints/``). Importing this registry loads
no method module (nor NumPy), so the web app and the command line start quickly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import import_module
from inspect import signature
from typing import TYPE_CHECKING

from governance.counting.model import (
    BallotGroup,
    CountingError,
    CountSheet,
    Election,
    Lot,
    RankingTable,
)

if TYPE_CHECKING:
    from governance.counting.constraints import Constraints

Method = Callable[[Election, Lot], CountSheet]

# name -> (module in governance.counting, function in it)
_WHERE: dict[str, tuple[str, str]] = {
    "plurality": ("simple", "plurality"),
    "block": ("simple", "block"),
    "approval": ("simple", "approval"),
    "irv": ("irv", "count"),
    "stv-scottish": ("scottish", "count"),
    "stv-ers97": ("ers97", "count"),
    "stv-meek": ("meek", "count"),
    "yes-no": ("simple", "yes_no"),
}

METHOD_NAMES: tuple[str, ...] = tuple(_WHERE)

DESCRIPTIONS: dict[str, str] = {
    "plurality": "first past the post",
    "block": "multi-seat, vote for up to N",
    "approval": "vote for any number, top N win",
    "irv": "instant runoff, single seat",
    "stv-scottish": "Scottish STV (SSI 2007/42 Sch. 1 r.45-52)",
    "stv-ers97": "Electoral Reform Society STV rules, 1997",
    "stv-meek": "Meek STV",
    "yes-no": "a motion: Yes (candidate 1) or No (candidate 2)",
}

# Methods whose rules give a meaning to equal rankings (``b=c``); the others refuse such papers.
EQUAL_RANKINGS_ALLOWED: frozenset[str] = frozenset()


class _Registry(Mapping[str, Method]):
    """A read-only mapping that imports a method's module on first lookup."""

    def __getitem__(self, name: str) -> Method:
        try:
            module, function = _WHERE[name]
        except KeyError:
            raise KeyError(name) from None
        found: Method = getattr(import_module(f"governance.counting.{module}"), function)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


METHODS: Mapping[str, Method] = _Registry()


def get_method(name: str) -> Method:
    """The method called ``name``, or a :class:`CountingError` listing the known names."""
    if name not in _WHERE:
        known = ", ".join(_WHERE)
        raise CountingError(f"unknown counting method {name!r}; choose one of: {known}")
    try:
        return METHODS[name]
    except ImportError as error:
        raise CountingError(f"the {name} method is not available: {error}") from error


def takes_constraints(method: str) -> bool:
    """Does ``method`` enforce category limits (a ``constraints`` keyword)?"""
    return "constraints" in signature(get_method(method)).parameters


# Methods that fill one seat whatever the file's header says; asked for more, they refuse.
SINGLE_SEAT: frozenset[str] = frozenset({"irv", "yes-no"})


def count(
    election: Election, method: str, *, seed: int = 0, constraints: Constraints | None = None
) -> CountSheet:
    """Count ``election`` by ``method`` with lots drawn from ``seed``, within ``constraints``.

    Refuses, before anything is counted, what no method can count honestly: no candidate
    standing, no valid paper (a count would fill every seat by lot), more seats than a
    single-seat method fills, equal rankings where the rules give them no meaning, category
    limits that no choice of the standing candidates meets.
    """
    counter = get_method(method)
    if constraints is not None and not takes_constraints(method):
        able = ", ".join(name for name in _WHERE if _can_constrain(name))
        raise CountingError(f"the {method} method does not take category limits; use {able}")
    check_countable(election, method)
    if constraints is None:
        sheet = counter(election, Lot(seed))
    else:
        from governance.counting.constraints import check_limits  # only when limits are given

        # The one feasibility check: every engine is handed only limits some result can meet.
        check_limits(election, constraints)
        constrained: Callable[..., CountSheet] = counter
        sheet = constrained(election, Lot(seed), constraints=constraints)
    _note_unfilled(sheet, len(election.standing))
    return sheet


def check_countable(election: Election, method: str) -> None:
    """A :class:`CountingError` saying why ``election`` cannot be counted by ``method``, if so."""
    standing = election.standing
    if not standing:
        raise CountingError("no candidate stands: every candidate in the file has withdrawn")
    if method in SINGLE_SEAT and election.seats != 1:
        raise CountingError(
            f"the {method} method fills one seat, not {election.seats}: "
            "count with --seats 1, or choose a multi-seat method"
        )
    if method not in EQUAL_RANKINGS_ALLOWED and any(g.levels for g in _groups(election)):
        raise CountingError(
            f"some papers rank candidates equally (as 2=3), which the {method} rules do not allow"
        )
    if not _has_valid_paper(election):
        raise CountingError(
            "there is no valid ballot paper to count: every paper is blank or names only "
            "withdrawn candidates"
        )


def _groups(election: Election) -> Sequence[BallotGroup]:
    """The groups that may carry equal rankings: a RankingTable holds strict rankings only."""
    return () if isinstance(election.ballots, RankingTable) else election.ballots


def _has_valid_paper(election: Election) -> bool:
    ballots, withdrawn = election.ballots, election.withdrawn
    if isinstance(ballots, RankingTable):
        return ballots.has_valid_paper(len(election.candidates), withdrawn)
    return any(g.count > 0 and any(c not in withdrawn for c in g.ranking) for g in ballots)


def _note_unfilled(sheet: CountSheet, standing: int) -> None:
    """Say so on the sheet when seats are left empty, and why when fewer candidates stand."""
    unfilled = sheet.seats - len(sheet.elected)
    if unfilled <= 0:
        return
    why = f": only {standing} candidates stand" if standing < sheet.seats else ""
    sheet.notes.append(f"{unfilled} of the {sheet.seats} seats are left unfilled{why}")


def _can_constrain(name: str) -> bool:
    try:
        return takes_constraints(name)
    except CountingError:  # a method whose module is not there yet
        return False
