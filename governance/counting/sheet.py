"""A count sheet as a returning officer prints it (text) and as data (JSON).

Numbers are exact: decimal strings at the rule's number of places (Scottish STV 5, ERS97 2,
Meek 9), or fraction strings (``"22/7"``) for a rule computing in exact fractions. The JSON form
sorts its keys, so the same count gives byte-identical output (invariant 8).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from functools import partial
from typing import Any

from governance.counting.model import CountSheet, Stage

COLUMNS_PER_BLOCK = 8

Formatter = Callable[[Fraction | int], str]


def format_number(value: Fraction | int, decimals: int | None) -> str:
    """``value`` exactly: ``decimals`` places, or a fraction when the rule has no fixed places."""
    if decimals is None:
        return str(Fraction(value))
    if isinstance(value, int):
        numerator, denominator = value, 1
    else:
        numerator, denominator = value.numerator, value.denominator
    sign = "-" if numerator < 0 else ""
    # Values on a sheet are already at the rule's places; a finer quotient (a display of an exact
    # quota) is cut, never rounded up, as the rules cut transfer values. Integer arithmetic only:
    # a sheet of a thousand stages formats its numbers in milliseconds.
    whole = abs(numerator) * 10**decimals // denominator
    if decimals == 0:
        return f"{sign}{whole}"
    units, fraction = divmod(whole, 10**decimals)
    return f"{sign}{units}.{fraction:0{decimals}d}"


def number_formatter(decimals: int | None) -> Formatter:
    """``format_number`` at ``decimals`` places, the same strings made faster: a sheet of a
    thousand stages formats tens of thousands of numbers."""
    if not decimals:
        return partial(format_number, decimals=decimals)
    scale, places = 10**decimals, decimals

    def formatted(value: Fraction | int) -> str:
        if isinstance(value, int):
            numerator, denominator = value, 1
        else:
            numerator, denominator = value.numerator, value.denominator
        if numerator < 0:
            units, fraction = divmod(-numerator * scale // denominator, scale)
            return f"-{units}.{fraction:0{places}d}"
        units, fraction = divmod(numerator * scale // denominator, scale)
        return f"{units}.{fraction:0{places}d}"

    return formatted


def remembering(formatter: Formatter) -> Formatter:
    """``formatter``, remembering the text of each number object it has formatted.

    Counts share one Fraction object among the stages where a vote stays the same, so most
    numbers of a long sheet are objects already seen. The remembered object is held with its
    text, so it stays alive and its ``id`` cannot be reused by another number meanwhile.
    """
    texts: dict[int, tuple[Fraction | int, str]] = {}

    def formatted(value: Fraction | int) -> str:
        known = texts.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        text = formatter(value)
        texts[id(value)] = (value, text)
        return text

    return formatted


def candidate_labels(sheet: CountSheet) -> list[str]:
    """Names, made unique with the candidate number where two candidates share one."""
    names = sheet.candidates
    repeated = {n for n in names if names.count(n) > 1}
    return [f"{n} (#{i + 1})" if n in repeated else n for i, n in enumerate(names)]


def to_json_dict(sheet: CountSheet) -> dict[str, Any]:
    """The count sheet as plain JSON data: names, exact number strings, stages in order."""
    labels = candidate_labels(sheet)
    num = remembering(number_formatter(sheet.decimals))

    def named(indices: Iterable[int]) -> list[str]:
        return [labels[i] for i in indices]

    return {
        "method": sheet.method,
        "title": sheet.title,
        "seats": sheet.seats,
        "candidates": list(labels),
        "withdrawn": named(sheet.withdrawn),
        "valid_votes": num(sheet.valid_votes),
        "invalid_papers": sheet.invalid_papers,
        "quota": None if sheet.quota is None else num(sheet.quota),
        "decimals": sheet.decimals,
        "seed": sheet.seed,
        "elected": named(sheet.elected),
        "elected_numbers": [i + 1 for i in sheet.elected],
        "rounds": [_stage_dict(stage, labels, num) for stage in sheet.stages],
        "decisions": [
            {
                "stage": d.stage,
                "candidate": labels[d.candidate],
                "outcome": d.outcome,
                "reason": d.reason,
            }
            for d in sheet.decisions
        ],
        "draws": [
            {
                "stage": d.stage,
                "tied": named(d.tied),
                "chosen": labels[d.chosen],
                "purpose": d.purpose,
            }
            for d in sheet.draws
        ],
        "notes": list(sheet.notes),
    }


def _stage_dict(stage: Stage, labels: Sequence[str], num: Formatter) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "number": stage.number,
        "action": stage.action,
        "description": stage.description,
        "votes": {labels[c]: num(v) for c, v in sorted(stage.votes.items())},
        "transfers": {labels[c]: num(v) for c, v in sorted(stage.transfers.items())},
        "non_transferable_papers": stage.non_transferable_papers,
        "non_transferable_votes": num(stage.non_transferable_votes),
        "elected": [labels[c] for c in stage.elected],
        "excluded": [labels[c] for c in stage.excluded],
        "notes": list(stage.notes),
    }
    if stage.quota is not None:
        entry["quota"] = num(stage.quota)
    return entry


def to_json(sheet: CountSheet) -> str:
    """Byte-identical for the same count: sorted keys, fixed separators, no floats."""
    return dumps(to_json_dict(sheet)) + "\n"


def dumps(data: Any) -> str:
    """``json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)``, the same text faster.

    With ``indent`` set the standard library encodes in pure Python, one generator per level,
    and a count sheet of a thousand stages spends longer there than in the count. This writes
    the same bytes for what a sheet holds (dicts with string keys, lists, strings, integers,
    None and booleans); anything else goes to ``json.dumps`` itself.
    """
    try:
        return _encode(data, "\n")
    except _Unusual:
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)


class _Unusual(Exception):
    """A value the fast encoder leaves to ``json.dumps`` (a float, a non-string key, ...)."""


_encode_string = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False


def _encode(value: Any, newline: str) -> str:
    """``value`` as JSON; ``newline`` is a newline and the indent of the line it starts on."""
    if isinstance(value, str):
        return _encode_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    inner = newline + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        if not all(isinstance(key, str) for key in value):
            raise _Unusual
        items = [
            _encode_string(key) + ": " + _encode(item, inner) for key, item in sorted(value.items())
        ]
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = [_encode(item, inner) for item in value]
        return "[" + inner + ("," + inner).join(items) + newline + "]"
    raise _Unusual


def to_text(sheet: CountSheet) -> str:
    """The sheet a returning officer signs: totals per stage, transfers, decisions, lots."""
    labels = candidate_labels(sheet)

    def num(value: Fraction | int) -> str:
        return format_number(value, sheet.decimals)

    out = [
        sheet.title or "Count",
        f"Method: {sheet.method}    Seats: {sheet.seats}    Seed: {sheet.seed}",
        f"Valid votes: {num(sheet.valid_votes)}    Invalid papers: {sheet.invalid_papers}    "
        f"Quota: {'-' if sheet.quota is None else num(sheet.quota)}",
    ]
    if sheet.withdrawn:
        out.append("Withdrawn: " + ", ".join(labels[c] for c in sheet.withdrawn))
    out.append("")
    out.extend(_stage_list(sheet))
    for first in range(0, len(sheet.stages), COLUMNS_PER_BLOCK):
        out.append("")
        out.extend(_block(sheet, labels, sheet.stages[first : first + COLUMNS_PER_BLOCK], num))
    out.append("")
    out.extend(_decisions(sheet, labels))
    return "\n".join(out) + "\n"


def _stage_list(sheet: CountSheet) -> list[str]:
    lines = ["Stages:"]
    for stage in sheet.stages:
        lines.append(f"  {stage.number}. {stage.description}")
        lines.extend(f"     {note}" for note in stage.notes)
    return lines


def _block(
    sheet: CountSheet, labels: Sequence[str], stages: Sequence[Stage], num: Formatter
) -> list[str]:
    """One block of stage columns: each stage's transfer and the total after it.

    Where the rule lets the quota change (Meek's every round, ERS97's 5.4.8, IRV's majority of
    the continuing votes) the stages carry their own, shown in a row under the stage numbers.
    """
    rows: list[list[str]] = [["Stage", *(str(s.number) for s in stages)]]
    if any(s.quota is not None for s in sheet.stages):
        rows.append(["Quota", *("-" if s.quota is None else num(s.quota) for s in stages)])
    for c in range(len(labels)):
        if c in sheet.withdrawn:
            continue
        rows.append([labels[c], *(_cell(s, c, num) for s in stages)])
    rows.append(["Non-transferable papers", *(str(s.non_transferable_papers) for s in stages)])
    rows.append(["Non-transferable votes", *(num(s.non_transferable_votes) for s in stages)])
    rows.append(["Total", *(num(sum(s.votes.values(), s.non_transferable_votes)) for s in stages)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _cell(stage: Stage, candidate: int, num: Formatter) -> str:
    marks = "*" if candidate in stage.elected else "x" if candidate in stage.excluded else ""
    total = stage.votes.get(candidate)
    if total is None and candidate in stage.excluded:
        total = Fraction(0)
    shown = "-" if total is None else num(total)
    moved = stage.transfers.get(candidate)
    if moved:
        shown = f"({'+' if moved > 0 else ''}{num(moved)}) {shown}"
    return shown + marks


def _decisions(sheet: CountSheet, labels: Sequence[str]) -> list[str]:
    lines = ["Decisions (* elected, x excluded):"]
    lines.extend(
        f"  stage {d.stage}: {labels[d.candidate]} {d.outcome} — {d.reason}"
        for d in sheet.decisions
    )
    if sheet.draws:
        lines.append(f"Lots drawn (seed {sheet.seed}):")
        lines.extend(
            f"  stage {d.stage}: {labels[d.chosen]} chosen from "
            f"{', '.join(labels[c] for c in d.tied)} — {d.purpose}"
            for d in sheet.draws
        )
    lines.append("Elected, in order: " + ", ".join(labels[c] for c in sheet.elected))
    lines.extend(sheet.notes)
    return lines
