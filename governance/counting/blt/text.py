"""The text parts of a BLT file: comments, quoted names, the title (read and written).

Names are quoted with ``""`` for a quote inside, or stand unquoted one per line; the title is
the string after the names, and whatever follows its closing quote is not read (``file.py``
lists the dialects).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from governance.counting.model import CountingError


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def strip_comment(line: str) -> str:
    """Text before a ``#`` that is outside quotes."""
    if "#" not in line:
        return line
    if '"' not in line:
        return line.split("#", 1)[0]
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return line[:i]
    return line


def names_and_title(lines: list[str], start: int, n_candidates: int) -> tuple[list[str], str]:
    """The names and the title; whatever follows the title's closing quote is not read."""
    strings = list(islice(_strings(lines, start), n_candidates + 1))
    if len(strings) < n_candidates:
        raise CountingError(
            f"line {len(lines)}: the file names {len(strings)} candidates after the ballots, "
            f"but its first line says {n_candidates}"
        )
    for number, (line_no, name) in enumerate(strings[:n_candidates], 1):
        if not name:
            raise CountingError(f"line {line_no}: candidate {number} has an empty name")
    names = [name for _, name in strings[:n_candidates]]
    title = strings[n_candidates][1] if len(strings) > n_candidates else ""
    return names, title


def _strings(lines: list[str], start: int) -> Iterator[tuple[int, str]]:
    """Each quoted string (``""`` inside is a quote), or each whole unquoted line, with its line
    number. Lazy: the text after the string just taken is read only when the next is asked for.

    Runs of spaces inside a name are typing or export artefacts ("Ellen   Hurcombe" in the
    Glasgow 2007 files): they are collapsed to one, as Droop and the declarations show them.
    """
    for i in range(start, len(lines)):
        line = strip_comment(lines[i]).strip()
        if not line:
            continue
        if not line.startswith('"'):
            yield i + 1, " ".join(line.rstrip(",").split())
            continue
        for text in _quoted(line, i + 1):
            yield i + 1, text


def _quoted(line: str, line_no: int) -> Iterator[str]:
    pos = 0
    while pos < len(line):
        if line[pos] in " \t,":
            pos += 1
            continue
        if line[pos] != '"':
            raise CountingError(f"line {line_no}: text outside quotes: {line[pos:]!r}")
        text, pos = _one_quoted(line, pos + 1, line_no)
        yield " ".join(text.split())


def _one_quoted(line: str, pos: int, line_no: int) -> tuple[str, int]:
    parts = []
    while True:
        close = line.find('"', pos)
        if close < 0:
            raise CountingError(f"line {line_no}: a quoted name is not closed")
        parts.append(line[pos:close])
        if line.startswith('""', close):
            parts.append('"')
            pos = close + 2
        else:
            return "".join(parts), close + 1


def numbers_text(line: str) -> list[str]:
    """A line's numbers (and marks) as words: comment dropped, commas and spaces separating."""
    return strip_comment(line).replace(",", " ").split()
