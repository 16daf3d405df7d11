"""The line-by-line BLT reader: option lines, withdrawn candidates and ballot lines.

Used for every file the NumPy fast path (:mod:`.scan`) declines, and for the header and
options of every file; :mod:`.file` describes the format.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from governance.counting.blt.text import numbers_text, strip_comment
from governance.counting.model import MAX_PAPERS, BallotGroup, CountingError

# The most papers one ballot line may stand for, far more than any real file puts on a line: a
# heavier line is refused by its number, before the file's total (MAX_PAPERS) is added up.
MAX_WEIGHT = 10**9
_WEIGHT_DIGITS = len(str(MAX_WEIGHT))


@dataclass(slots=True)
class LineReader:
    """Parses the option lines and the ballot lines, remembering what the options set."""

    n_candidates: int
    allow_equal_rankings: bool
    withdrawn: set[int] = field(default_factory=set)
    tie_order: tuple[int, ...] = ()
    marks: dict[str, int] = field(default_factory=dict)
    numbers: frozenset[str] = frozenset()  # "1" to "N": what digits on a ballot line mean

    def __post_init__(self) -> None:
        self.marks = {str(c + 1): c for c in range(self.n_candidates)}
        self.numbers = frozenset(self.marks)

    def read_preamble(self, lines: list[str], start: int) -> int:
        """Read withdrawn and option lines before the first ballot; return where ballots start."""
        i = start
        while i < len(lines):
            text = strip_comment(lines[i]).strip()
            if not text:
                i += 1
            elif text.startswith("["):
                self._option(text, i + 1)
                i += 1
            elif text.startswith("-"):
                tokens = numbers_text(text)
                if _is_negative_number(tokens[0]) and not all(t[:1] == "-" for t in tokens):
                    raise CountingError(_negative_weight(tokens[0], i + 1))  # "-1 2 0"
                self.withdrawn.update(self._candidate_numbers(tokens, i + 1, "-"))
                i += 1
            else:
                return i
        return i

    def _option(self, text: str, line_no: int) -> None:
        if not text.endswith("]"):
            raise CountingError(f"line {line_no}: an option line must end with ']'")
        words = text[1:-1].replace(",", " ").split()
        if not words:
            raise CountingError(
                f"line {line_no}: empty option line {text!r}: "
                "expected [withdrawn ...], [tie ...] or [nick ...]"
            )
        name, *values = words
        if name == "withdrawn":
            self.withdrawn.update(self._candidate_numbers(values, line_no, ""))
        elif name == "tie":
            self.tie_order = self._tie_order(values, line_no)
        elif name == "nick":
            self._nicknames(values, line_no)
        else:
            raise CountingError(f"line {line_no}: unknown option [{name} ...]")

    def _tie_order(self, values: list[str], line_no: int) -> tuple[int, ...]:
        """Every candidate once, as Droop (where ``[tie]`` comes from) requires: a partial
        order would leave some ties to a lot that the file seems to have settled."""
        order = self._candidate_numbers(values, line_no, "")
        seen: set[int] = set()
        for candidate in order:
            if candidate in seen:
                raise CountingError(f"line {line_no}: [tie] names {candidate + 1} twice")
            seen.add(candidate)
        missing = [str(c + 1) for c in range(self.n_candidates) if c not in seen]
        if missing:
            shown = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
            raise CountingError(
                f"line {line_no}: [tie] must list every candidate once; it leaves out {shown}"
            )
        return tuple(order)

    def _nicknames(self, values: list[str], line_no: int) -> None:
        if len(values) != self.n_candidates or len(set(values)) != len(values):
            raise CountingError(
                f"line {line_no}: [nick] needs {self.n_candidates} different nicknames"
            )
        for candidate, nick in enumerate(values):
            if nick == str(candidate + 1):
                continue
            if nick in self.numbers:
                raise CountingError(
                    f"line {line_no}: nickname {nick!r} would be read as candidate {nick}'s number"
                )
            if nick.isdecimal():
                raise CountingError(
                    f"line {line_no}: nickname {nick!r} is a number: a nickname may be a number "
                    f"only if it is the candidate's own ({candidate + 1})"
                )
            if "=" in nick:
                raise CountingError(
                    f"line {line_no}: nickname {nick!r} contains '=', which marks equal rankings"
                )
        self.marks.update({nick: c for c, nick in enumerate(values)})

    def _candidate_numbers(self, tokens: list[str], line_no: int, sign: str) -> list[int]:
        numbers = []
        for token in tokens:
            mark = token[len(sign) :] if token.startswith(sign) else None
            candidate = self.marks.get(mark) if mark is not None else None
            if candidate is None:
                raise CountingError(f"line {line_no}: {token!r} is not a candidate")
            numbers.append(candidate)
        return numbers

    def read_ballots(self, lines: list[str], start: int, end: int) -> tuple[BallotGroup, ...]:
        section = lines[start:end]
        merged: dict[tuple[int, ...], int] = {}
        tied: dict[tuple[tuple[int, ...], ...], int] = {}
        fast = self._fast_ballot
        for line, copies in Counter(section).items():
            parsed = fast(line)
            if parsed is None:
                parsed = self._ballot(line, start + section.index(line) + 1)
                if parsed is None:
                    continue
            ranking, weight, levels = parsed
            if not weight:
                continue
            if levels:
                tied[levels] = tied.get(levels, 0) + weight * copies
            else:
                merged[ranking] = merged.get(ranking, 0) + weight * copies
        if sum(merged.values()) + sum(tied.values()) > MAX_PAPERS:
            raise CountingError(
                f"the file holds more than {MAX_PAPERS:,} papers: too many to count exactly"
            )
        groups = [BallotGroup(r, n) for r, n in merged.items()]
        groups.extend(
            BallotGroup(tuple(c for level in lv for c in level), n, lv) for lv, n in tied.items()
        )
        return tuple(groups)

    def marks_are_numbers(self) -> bool:
        return len(self.marks) == self.n_candidates

    def _fast_ballot(self, line: str) -> _Parsed | None:
        """The common case, ``W c1 c2 ... 0`` with known numbers; None sends it to ``_ballot``."""
        tokens = line.split()
        if len(tokens) < 2 or tokens[-1] != "0" or not tokens[0].isdecimal():
            return None
        if len(tokens[0]) >= _WEIGHT_DIGITS:
            return None  # perhaps too heavy: ``_ballot`` decides
        try:
            ranking = tuple(map(self.marks.__getitem__, tokens[1:-1]))
        except KeyError:
            return None
        if len(set(ranking)) != len(ranking):
            return None
        return ranking, int(tokens[0]), ()

    def _ballot(self, line: str, line_no: int) -> _Parsed | None:
        """Any ballot line, with a precise error for a bad one; None for a blank or comment."""
        tokens = numbers_text(line)
        if not tokens:
            return None
        if tokens[0].startswith("["):
            raise CountingError(f"line {line_no}: option lines must come before the ballots")
        if _is_negative_number(tokens[0]):
            raise CountingError(_negative_weight(tokens[0], line_no))
        if not tokens[0].isdecimal():
            raise CountingError(
                f"line {line_no}: a ballot line must start with its weight, a whole number "
                f"of papers, not {tokens[0]!r}"
            )
        weight = _weight(tokens[0], line_no)
        if tokens[-1] != "0":
            raise CountingError(f"line {line_no}: a ballot line must end with 0")
        levels = tuple(self._level(token, line_no) for token in tokens[1:-1])
        flat = [c for level in levels for c in level]
        if len(set(flat)) != len(flat):
            raise CountingError(f"line {line_no}: a candidate is ranked more than once")
        if any(len(level) > 1 for level in levels):
            return tuple(flat), weight, levels
        return tuple(flat), weight, ()

    def _level(self, token: str, line_no: int) -> tuple[int, ...]:
        if "=" in token and not self.allow_equal_rankings:
            raise CountingError(
                f"line {line_no}: equal rankings ({token!r}) are not allowed by this method: "
                "each preference must name exactly one candidate"
            )
        level = []
        for mark in token.split("="):
            candidate = self.marks.get(mark)
            if candidate is None:
                raise CountingError(
                    f"line {line_no}: {mark!r} is not a candidate number "
                    f"(1 to {self.n_candidates}) or nickname"
                )
            level.append(candidate)
        return tuple(level)


_Parsed = tuple[tuple[int, ...], int, tuple[tuple[int, ...], ...]]


def _weight(token: str, line_no: int) -> int:
    """A ballot line's weight (``token`` is digits), refused above ``MAX_WEIGHT``.

    The length is checked first: ``int`` refuses more than 4,300 digits with a ValueError.
    """
    digits = token.lstrip("0") or "0"
    if len(digits) > _WEIGHT_DIGITS or int(digits) > MAX_WEIGHT:
        raise CountingError(
            f"line {line_no}: a weight of more than {MAX_WEIGHT:,} papers on one line "
            "cannot be counted exactly"
        )
    return int(digits)


def _is_negative_number(token: str) -> bool:
    return token[:1] == "-" and token[1:].isdecimal()


def _negative_weight(token: str, line_no: int) -> str:
    return f"line {line_no}: a ballot's weight must be a whole number of papers, not {token}"
