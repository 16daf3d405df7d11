"""Reading a register CSV as spreadsheets save it: the encoding, the delimiter, the header and which
column holds which field; and writing cells so that a spreadsheet never runs them as formulas.

Standard library only: the ``csv`` module does the parsing. Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from governance.i18n import _
from governance.members.models import MEMBER_FIELDS

CHUNK = 1 << 20
UTF8 = "utf-8-sig"  # reads a file with or without the byte-order mark Excel writes
CP1252 = "cp1252"  # what Excel on Windows saves as plain "CSV"
DELIMITERS = (",", ";")  # semicolon where the decimal separator is a comma

# OWASP "CSV injection": a cell starting with one of these may be run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ATTRIBUTE = "attribute"
IGNORE = "ignore"
TARGETS = (*MEMBER_FIELDS, ATTRIBUTE, IGNORE)
REQUIRED_FIELDS = ("membership_number", "name", "email")

# Headings as people write them, after ``heading_key`` (lower case, words split on punctuation).
DEFAULT_HEADINGS: Mapping[str, str] = {
    **dict.fromkeys(
        ("membership number", "membership no", "member number", "member no", "member id",
         "membership id", "membership ref", "member ref", "membership reference"),
        "membership_number",
    ),
    **dict.fromkeys(("name", "full name", "member name"), "name"),
    **dict.fromkeys(("email", "e mail", "email address", "e mail address"), "email"),
    **dict.fromkeys(
        ("organisation", "organization", "trust", "school trust", "academy trust", "employer",
         "organisation name", "organization name"),
        "organisation",
    ),
    **dict.fromkeys(("region", "area"), "region"),
    **dict.fromkeys(
        ("category", "membership category", "membership type", "member type"), "category"
    ),
    **dict.fromkeys(("status", "membership status", "member status"), "status"),
    **dict.fromkeys(
        ("joined", "joined on", "join date", "date joined", "joining date", "member since",
         "start date"),
        "joined_on",
    ),
}  # fmt: skip


class UnreadableFile(Exception):
    """The file is not text this importer can read; the message says what to do."""


class UnreadableRow(Exception):
    """The csv module cannot read on from ``line`` (for example a cell over 128 KiB)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


@dataclass(frozen=True, slots=True)
class FileFacts:
    digest: str  # SHA-256 of the bytes, hex: names the upload and goes into the audit event
    encoding: str
    size: int


def neutralise(text: str) -> str:
    """A cell a spreadsheet shows as text: formula-like text gets a leading single quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def heading_key(heading: str) -> str:
    return " ".join(re.split(r"[\W_]+", heading.casefold())).strip()


def _is_utf8(path: Path) -> bool:
    """Whether the whole file is strict UTF-8, decoded chunk by chunk (streamed)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _check_cp1252(path: Path) -> None:
    """Windows-1252 leaves five bytes undefined; a file with one is neither encoding we read."""
    offset = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            try:
                chunk.decode(CP1252)
            except UnicodeDecodeError as error:
                raise UnreadableFile(
                    _(
                        "The file is neither UTF-8 nor Windows-1252 text (byte 0x%(byte)02X at "
                        "position %(position)d). Save it as “CSV UTF-8” and try again."
                    )
                    % {"byte": chunk[error.start], "position": offset + error.start}
                ) from error
            offset += len(chunk)


def scan(path: Path) -> FileFacts:
    """Digest the file and decide its encoding: strict UTF-8 if it decodes, else Windows-1252."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        if stream.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            raise UnreadableFile(
                _("The file is UTF-16 text. Save it as “CSV UTF-8” and try again.")
            )
        stream.seek(0)
        while chunk := stream.read(CHUNK):
            if b"\x00" in chunk:
                raise UnreadableFile(
                    _("The file contains NUL bytes: it is not a CSV text file. Save it as CSV.")
                )
            digest.update(chunk)
            size += len(chunk)
    if size == 0:
        raise UnreadableFile(_("The file is empty."))
    if _is_utf8(path):
        return FileFacts(digest.hexdigest(), UTF8, size)
    _check_cp1252(path)
    return FileFacts(digest.hexdigest(), CP1252, size)


def _delimiter_of(first_line: str) -> str:
    """The delimiter that splits the header line into the most cells (comma on a tie)."""

    def cells(delimiter: str) -> int:
        return len(next(csv.reader([first_line], delimiter=delimiter), []))

    return max(DELIMITERS, key=cells)


@dataclass(slots=True)
class CsvTable:
    """An open CSV file: its header, its delimiter and its records, each with the file line on
    which it starts (a quoted cell may span lines)."""

    stream: TextIO
    delimiter: str
    header: list[str]
    header_line: int

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Each record with its first line; UnreadableRow where the csv module gives up."""
        reader = csv.reader(self.stream, delimiter=self.delimiter)
        previous = 0
        try:
            for cells in reader:
                yield self.header_line + previous + 1, cells
                previous = reader.line_num
        except csv.Error as error:
            raise UnreadableRow(self.header_line + previous + 1, str(error)) from error


def open_table(path: Path, encoding: str) -> CsvTable:
    """Open the file and read its header. Excel's ``sep=;`` first line names the delimiter."""
    stream = path.open(encoding=encoding, newline="")
    try:
        first = stream.readline()
        match = re.fullmatch(r"sep=(.)\r?\n?", first)
        header_line = 1
        if match:
            delimiter = match.group(1)
            first = stream.readline()
            header_line = 2
        else:
            delimiter = _delimiter_of(first)
        stream.seek(0)
        for _skipped in range(header_line - 1):
            stream.readline()
        reader = csv.reader(stream, delimiter=delimiter)
        header = next(reader, [])
        # Rows count on from the header's last line (a quoted heading may span lines).
        last_line = header_line - 1 + max(reader.line_num, 1)
        return CsvTable(stream, delimiter, [cell.strip() for cell in header], last_line)
    except BaseException:
        stream.close()
        raise


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """Where each field is in a row: the header mapped to register fields and attributes."""

    headings: tuple[str, ...]
    fields: Mapping[str, int]  # register field -> column index
    attributes: tuple[tuple[int, str], ...]  # (column index, attribute name)
    unnamed: tuple[int, ...]  # columns without a heading: any value in them is a problem


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``["Column=field", …]`` (the CLI's ``--map``) as a mapping; ValueError names a bad pair."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        heading, sep, target = pair.rpartition("=")
        if not sep or not heading.strip() or target.strip() not in TARGETS:
            raise ValueError(
                _('"%(pair)s" is not COLUMN=FIELD with FIELD one of: %(targets)s.')
                % {"pair": pair, "targets": ", ".join(TARGETS)}
            )
        mapping[heading.strip()] = target.strip()
    return mapping


class PlanError(Exception):
    """The header cannot be mapped; ``problems`` lists each reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _targets(headings: Sequence[str], overrides: Mapping[str, str]) -> list[str]:
    """Each column's target: an override if given (by exact or loose heading), else the default."""
    loose = {heading_key(heading): target for heading, target in overrides.items()}
    claimed = set(overrides.values()) - {ATTRIBUTE, IGNORE}
    targets = []
    for heading in headings:
        chosen = overrides.get(heading) or loose.get(heading_key(heading))
        if chosen is None:
            default = DEFAULT_HEADINGS.get(heading_key(heading), ATTRIBUTE)
            chosen = ATTRIBUTE if default in claimed else default
        targets.append(IGNORE if not heading and chosen == ATTRIBUTE else chosen)
    return targets


def column_targets(
    headings: Sequence[str], overrides: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """What each column would be read as: shown beside the mapping form, even when the header
    cannot be planned (that is when the admin needs the form)."""
    return list(zip(headings, _targets(headings, overrides or {}), strict=True))


def plan_columns(headings: Sequence[str], overrides: Mapping[str, str] | None = None) -> ColumnPlan:
    """Map the header to fields; PlanError lists every problem with the header at once."""
    targets = _targets(headings, overrides or {})
    problems: list[str] = []
    fields: dict[str, int] = {}
    names: dict[str, int] = {}
    attributes: list[tuple[int, str]] = []
    for index, (heading, target) in enumerate(zip(headings, targets, strict=True)):
        if target in MEMBER_FIELDS:
            if target in fields:
                problems.append(
                    _('Columns "%(first)s" and "%(second)s" both hold %(field)s: '
                      "map one of them to something else.")
                    % {"first": headings[fields[target]], "second": heading, "field": target}
                )  # fmt: skip
            fields[target] = index
        elif target == ATTRIBUTE:
            if heading in names:
                problems.append(_('Two columns are headed "%(heading)s".') % {"heading": heading})
            names[heading] = index
            attributes.append((index, heading))
    for required in REQUIRED_FIELDS:
        if required not in fields:
            problems.append(
                _("No column holds %(field)s: name a column for it or map one to it.")
                % {"field": required}
            )
    if problems:
        raise PlanError(problems)
    unnamed = tuple(i for i, h in enumerate(headings) if not h and targets[i] == IGNORE)
    return ColumnPlan(tuple(headings), fields, tuple(attributes), unnamed)
