"""Ballots in and out as BLT, the file format of Hill, Wichmann & Woodall's Algorithm 123.

The format, and the dialects real files use (all accepted here)::

    3 2                  candidates and seats
    -2                   optional, right after the header: withdrawn candidates, negative
    [withdrawn 2]        optional Droop option lines: [withdrawn ...], [tie ...], [nick ...]
    4 1 3 0              a weight (papers), candidates best first, a closing 0
    1 0                  a blank paper: kept, so that a count can report it as invalid
    0                    end of the ballots
    "Castor"             one name per candidate: quoted (doubled quotes inside), or not
    "Title" note         the title; text after its closing quote, and any further lines
                         (Wichmann's test files), are ignored

``#`` starts a comment; commas and runs of spaces separate numbers. With ``[nick a b c]`` a
ballot may name candidates by nickname; a nickname that is a number must be the candidate's own,
so that digits always mean what they say. ``[tie ...]`` lists every candidate once, as Droop's
reader requires. ``b=c`` ranks candidates equally, which Scottish STV and ERS97 do not allow: it
is refused unless the caller asks for it.

A line's weight is at most ``MAX_WEIGHT`` papers and a file's papers at most ``MAX_PAPERS``, so
that every count's 64-bit sums stay exact. A name may not be empty.

Reading is the hot path of a large count. A big file whose ballot lines are plain (``W c1 ... 0``
in digits and single spaces) is read straight into arrays by :mod:`.scan`, without splitting
it into lines or making an object per ballot; otherwise identical lines are counted first (in C,
by ``collections.Counter``) and each distinct line is parsed once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from governance.counting.blt.text import names_and_title, quote, strip_comment
from governance.counting.model import MAX_PAPERS, BallotGroup, CountingError, Election

# Below this many ballot lines the line-by-line reader is as quick as loading NumPy.
SCAN_FROM_LINES = 20_000
# The fast path looks for the header and option lines among the first lines only.
HEAD_LINES = 200
# The most papers one ballot line may stand for, far more than any real file puts on a line: a
# heavier line is refused by its number, before the file's total (MAX_PAPERS) is added up.
MAX_WEIGHT = 10**9
_WEIGHT_DIGITS = len(str(MAX_WEIGHT))


def load_blt(path: str | Path, *, allow_equal_rankings: bool = False) -> Election:
    """Read a BLT file; errors name the file as well as the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CountingError(f"{path}: cannot read the file ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise CountingError(f"{path}: not a UTF-8 text file") from error
    try:
        return read_blt(text, allow_equal_rankings=allow_equal_rankings)
    except CountingError as error:
        raise CountingError(f"{path}: {error}") from error


def read_blt(text: str, *, allow_equal_rankings: bool = False) -> Election:
    """Parse BLT text into an :class:`Election` with identical rankings grouped."""
    plain = _read_plain(text)
    if plain is not None:
        return plain
    lines = text.splitlines()
    header_at = _next_content(lines, 0)
    if header_at is None:
        raise CountingError("line 1: the file is empty; expected 'CANDIDATES SEATS'")
    n_candidates, seats = _header(lines, header_at, len(text))
    reader = _Reader(n_candidates, allow_equal_rankings)
    start = reader.read_preamble(lines, header_at + 1)
    end = _ballots_end(lines, start)
    groups = reader.read_ballots(lines, start, end)
    names, title = names_and_title(lines, end + 1, n_candidates)
    return Election(
        title=title,
        candidates=tuple(names),
        seats=seats,
        ballots=groups,
        withdrawn=frozenset(reader.withdrawn),
        tie_order=reader.tie_order,
    )


def _read_plain(text: str) -> Election | None:
    """A big file with plain ballot lines, read without splitting it into lines; else None.

    Declines (None) whenever it is not sure — a short file, options it does not know, a ballot
    section that is not plain, any error — so the line-by-line reader decides and names the line.
    """
    head = _first_lines(text, HEAD_LINES)
    try:
        header_at = _next_content(head, 0)
        if header_at is None:
            return None
        n_candidates, seats = _header(head, header_at, len(text))
        reader = _Reader(n_candidates, allow_equal_rankings=False)
        start = reader.read_preamble(head, header_at + 1)
    except CountingError:
        return None
    offset = sum(map(len, head[:start])) + start
    if start >= len(head) or not reader.marks_are_numbers():
        return None
    if text[:offset].splitlines() != head[:start]:
        return None  # a line break other than "\n" before the ballots: read line by line
    end = text.find("\n0\n", offset - 1)
    section = text[offset : end + 1]
    if end < 0 or section.count("\n") < SCAN_FROM_LINES:
        return None
    # Imported here: NumPy is worth loading only for a big file.
    from governance.counting.blt.scan import scan_section

    table = scan_section(section, n_candidates, MAX_WEIGHT)
    if table is None:
        return None
    try:
        names, title = names_and_title(text[end + 3 :].splitlines(), 0, n_candidates)
    except CountingError:
        return None
    return Election(
        title=title,
        candidates=tuple(names),
        seats=seats,
        ballots=table,
        withdrawn=frozenset(reader.withdrawn),
        tie_order=reader.tie_order,
    )


def _first_lines(text: str, count: int) -> list[str]:
    """Up to ``count`` lines from the start of ``text`` (split at "\n" only), copying no more."""
    cut = -1
    for _ in range(count):
        cut = text.find("\n", cut + 1)
        if cut < 0:
            return text.split("\n")
    return text[:cut].split("\n")


def write_blt(election: Election) -> str:
    """BLT text that :func:`read_blt` reads back to the same election."""
    out = [f"{len(election.candidates)} {election.seats}"]
    if election.withdrawn:
        out.append(" ".join(f"-{c + 1}" for c in sorted(election.withdrawn)))
    if election.tie_order:
        out.append("[tie " + " ".join(str(c + 1) for c in election.tie_order) + "]")
    for group in election.ballots:
        if group.levels:
            marks = ["=".join(str(c + 1) for c in level) for level in group.levels]
        else:
            marks = [str(c + 1) for c in group.ranking]
        out.append(" ".join([str(group.count), *marks, "0"]))
    out.append("0")
    out.extend(quote(name) for name in election.candidates)
    out.append(quote(election.title))
    return "\n".join(out) + "\n"


def _numbers_text(line: str) -> list[str]:
    return strip_comment(line).replace(",", " ").split()


def _next_content(lines: list[str], start: int) -> int | None:
    for i in range(start, len(lines)):
        if strip_comment(lines[i]).strip():
            return i
    return None


def _header(lines: list[str], at: int, text_size: int) -> tuple[int, int]:
    tokens = _numbers_text(lines[at])
    try:
        candidates, seats = (int(t) for t in tokens)
    except ValueError:
        raise CountingError(
            f"line {at + 1}: expected 'CANDIDATES SEATS' (two whole numbers), got {lines[at]!r}"
        ) from None
    if candidates < 1:
        raise CountingError(f"line {at + 1}: the number of candidates must be at least 1")
    if not 1 <= seats <= candidates:
        raise CountingError(
            f"line {at + 1}: seats must be between 1 and the number of candidates ({candidates})"
        )
    # Each name takes at least two characters (a letter and a line break, or '"A"'): a larger
    # count is a typo, refused before the reader makes an entry per candidate.
    if 2 * candidates > text_size:
        raise CountingError(f"line {at + 1}: the file is too short to name {candidates} candidates")
    return candidates, seats


def _ballots_end(lines: list[str], start: int) -> int:
    """Index of the ``0`` line that closes the ballots."""
    # A ballot line starts with its weight, so only lines starting '0' or a space can close the
    # ballots; checking the first character keeps this scan cheap on a million lines.
    for i in range(start, len(lines)):
        line = lines[i]
        if (line == "0" or line[:1] in ("0", " ", "\t")) and _numbers_text(line) == ["0"]:
            return i
    raise CountingError(f"line {len(lines)}: the file ends before the '0' line closing the ballots")


@dataclass(slots=True)
class _Reader:
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
                tokens = _numbers_text(text)
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
        tokens = _numbers_text(line)
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
