"""The counting methods by name, each imported only when a count asks for it.

Every method is ``count(election, lot) -> CountSheet``; those that enforce category limits (block
and the STV counts) also take ``constraints=`` (``constraints.py``). Importing this registry loads
no method module (nor NumPy), so the web app and the command line start quickly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from inspect import signature
from typing import TYPE_CHECKING

from governance.counting.model import CountingError, CountSheet, Election, Lot

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


def count(
    election: Election, method: str, *, seed: int = 0, constraints: Constraints | None = None
) -> CountSheet:
    """Count ``election`` by ``method`` with lots drawn from ``seed``, within ``constraints``."""
    counter = get_method(method)
    if constraints is None:
        return counter(election, Lot(seed))
    if not takes_constraints(method):
        able = ", ".join(name for name in _WHERE if _can_constrain(name))
        raise CountingError(f"the {method} method does not take category limits; use {able}")
    constrained: Callable[..., CountSheet] = counter
    return constrained(election, Lot(seed), constraints=constraints)


def _can_constrain(name: str) -> bool:
    try:
        return takes_constraints(name)
    except CountingError:  # a method whose module is not there yet
        return False
