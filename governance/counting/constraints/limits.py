"""Category limits as a body writes them: each candidate's categories, each category's bounds.

``read_constraints`` reads the JSON file the ``count`` command takes (``docs/constraints.md``,
"The file") and says exactly what to correct in one that is wrong. What the limits mean inside a
count is in :mod:`.guard`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from governance.counting.model import CategoryMap, CountingError


class ConstraintError(CountingError):
    """Category limits that no result can meet, reported before anything is counted."""


@dataclass(frozen=True, slots=True)
class Limit:
    """How many of a category may be elected: at least ``minimum``, at most ``maximum``."""

    minimum: int = 0
    maximum: int | None = None


@dataclass(frozen=True, slots=True)
class Constraints:
    """Candidates' categories and the limits on them, keyed by (dimension, value)."""

    categories: CategoryMap
    limits: Mapping[tuple[str, str], Limit] = field(default_factory=dict)


def read_constraints(text: str, candidates: Sequence[str]) -> Constraints:
    """Parse the JSON form of category limits (``docs/constraints.md``, "The file").

    ``{"categories": {CANDIDATE: {DIMENSION: VALUE, ...}, ...}, "limits": {DIMENSION: {VALUE:
    {"minimum": N, "maximum": N}, ...}, ...}}``: a candidate is its number in the ballot file
    (1 to N) or its name there; the value ``"*"`` in ``limits`` stands for every value of that
    dimension that has no limit of its own. Anything else is a :class:`ConstraintError` saying
    what to correct.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConstraintError(
            f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    top = _object(data, "the file", {"categories", "limits"})
    if "categories" not in top:
        raise ConstraintError('the file has no "categories" object')
    categories = _read_categories(_object(top["categories"], "categories"), candidates)
    limits = _read_limits(_object(top.get("limits", {}), "limits"), categories)
    return Constraints(categories, limits)


def _object(value: object, where: str, allowed: set[str] | None = None) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ConstraintError(f"{where}: expected a JSON object")
    unknown = sorted(set(value) - allowed) if allowed is not None else []
    if unknown:
        raise ConstraintError(f"{where}: unknown key {unknown[0]!r}")
    return value


def _read_categories(
    raw: dict[str, object], candidates: Sequence[str]
) -> dict[int, dict[str, str]]:
    by_name: dict[str, int | None] = {}
    for number, name in enumerate(candidates):
        by_name[name] = None if name in by_name else number  # None: a name two candidates share
    categories: dict[int, dict[str, str]] = {}
    for key, entry in raw.items():
        if key.isdecimal() and key.isascii():
            candidate = int(key) - 1
            if not 0 <= candidate < len(candidates):
                raise ConstraintError(
                    f"categories: there is no candidate number {key} (1 to {len(candidates)})"
                )
        elif key not in by_name:
            raise ConstraintError(f"categories: {key!r} is not a candidate number or name")
        elif (found := by_name[key]) is None:
            raise ConstraintError(f"categories: two candidates are called {key!r}: use numbers")
        else:
            candidate = found
        if candidate in categories:
            raise ConstraintError(f"categories: {key!r} is given twice (by number and by name)")
        values = _object(entry, f"categories: {key}")
        if not all(isinstance(v, str) and v.strip() for v in values.values()):
            raise ConstraintError(f"categories: {key}: each category must be a non-empty text")
        categories[candidate] = {dimension: str(v) for dimension, v in values.items()}
    return categories


def _read_limits(
    raw: dict[str, object], categories: Mapping[int, Mapping[str, str]]
) -> dict[tuple[str, str], Limit]:
    limits: dict[tuple[str, str], Limit] = {}
    for dimension, entry in raw.items():
        per_value = _object(entry, f"limits: {dimension}")
        everyone = per_value.pop("*", None)
        seen = {c[dimension] for c in categories.values() if dimension in c}
        _check_named(dimension, per_value, seen)
        for value, bounds in per_value.items():
            limits[dimension, value] = _limit(bounds, f"limits: {dimension} = {value}")
        if everyone is not None:
            shared = _limit(everyone, f"limits: {dimension} = *")
            for value in sorted(seen - set(per_value)):
                limits[dimension, value] = shared
    return limits


def _check_named(dimension: str, per_value: Mapping[str, object], seen: set[str]) -> None:
    """A limit on a category no candidate is in is a slip (a misspelt name), not a rule: it
    would bind nobody, silently, so it is refused with the names the candidates do have."""
    if not seen:
        raise ConstraintError(
            f"limits: no candidate has a {dimension!r} category: check the spelling"
        )
    for value in per_value:
        if value not in seen:
            known = ", ".join(repr(v) for v in sorted(seen))
            raise ConstraintError(
                f"limits: {dimension} = {value!r}: no candidate is in this category "
                f"(the candidates' {dimension} values are {known})"
            )


def _limit(raw: object, where: str) -> Limit:
    bounds = _object(raw, where, {"minimum", "maximum"})
    if not bounds:
        raise ConstraintError(f'{where}: give a "minimum", a "maximum" or both')
    numbers: dict[str, int] = {}
    for name, number in bounds.items():
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ConstraintError(f"{where}: the {name} must be a whole number, 0 or more")
        numbers[name] = number
    return Limit(numbers.get("minimum", 0), numbers.get("maximum"))
