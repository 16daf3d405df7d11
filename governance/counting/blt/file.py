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

from pathlib import Path

from governance.counting.blt.lines import MAX_WEIGHT, LineReader
from governance.counting.blt.text import names_and_title, numbers_text, quote, strip_comment
from governance.counting.model import CountingError, Election

# Below this many ballot lines the line-by-line reader is as quick as loading NumPy.
SCAN_FROM_LINES = 20_000
# The fast path looks for the header and option lines among the first lines only.
HEAD_LINES = 200


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
    reader = LineReader(n_candidates, allow_equal_rankings)
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
        reader = LineReader(n_candidates, allow_equal_rankings=False)
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


def _next_content(lines: list[str], start: int) -> int | None:
    for i in range(start, len(lines)):
        if strip_comment(lines[i]).strip():
            return i
    return None


def _header(lines: list[str], at: int, text_size: int) -> tuple[int, int]:
    tokens = numbers_text(lines[at])
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
        if (line == "0" or line[:1] in ("0", " ", "\t")) and numbers_text(line) == ["0"]:
            return i
    raise CountingError(f"line {len(lines)}: the file ends before the '0' line closing the ballots")
