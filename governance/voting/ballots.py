"""Reading a ballot paper as the voter marked it: every method's paper, checked, as stored marks.

Pure: no database and no HTTP. The ballot page posts form fields; :func:`read` turns them into
the marks ``casting.cast`` stores, or raises :class:`SpoiltBallot` naming every problem (issue 11,
item 3; DESIGN invariant 9: a spoilt paper stores nothing).

The marks format, stored as canonical JSON in ``ballots.content`` and shown on the ballot board::

    {"ranking": [3, 1, "ron"]}

One list for every method, so that each ballot is one line of a BLT file of the contest:

- A candidate is named by their **ballot position**: their number on the published candidate
  list (``Candidate.ballot_position``, 1-based), which is also their number in the contest's
  BLT file. "Re-open nominations" is the reserved id ``"ron"``: in a BLT file it is one more
  candidate after the published ones (``n + 1``), and the counting library counts it as any
  other candidate (it may win, which re-opens the contest).
- Ranked papers (``irv``, ``stv-*``): best first, as the voter numbered them.
- Crosses (``plurality``, ``block``, ``approval``): the chosen candidates in ballot order (the
  order carries no meaning; a fixed one keeps equal marks equal text, so equal tracking codes).
- A motion (``yes-no``): ``[1]`` for Yes, ``[2]`` for No, ``[]`` for Abstain (the counting
  library reads Yes as candidate 1 and No as candidate 2).
- ``[]`` on any other paper is a deliberate empty ballot, cast only after the voter confirmed it.

The form fields: ranked papers post ``rank-<id>`` (a number, or nothing) for each option; cross
papers post ``choice`` once per chosen option; a motion posts ``answer`` (``yes``, ``no`` or
``abstain``); ``empty=yes`` confirms an empty ballot.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from governance.errors import InvalidInput
from governance.i18n import _

RON = "ron"  # the reserved id of "Re-open nominations" in the marks
RANK_PREFIX = "rank-"
_NUMBER = re.compile(r"[0-9]{1,6}")  # ASCII digits only: int() would also take other scripts'


class Paper(enum.StrEnum):
    RANKED = "ranked"  # 1, 2, 3… beside the candidates
    SINGLE = "single"  # one cross
    BLOCK = "block"  # up to ``seats`` crosses
    APPROVAL = "approval"  # any number of crosses
    MOTION = "motion"  # yes, no or abstain


PAPERS: Mapping[str, Paper] = {
    "plurality": Paper.SINGLE,
    "block": Paper.BLOCK,
    "approval": Paper.APPROVAL,
    "irv": Paper.RANKED,
    "stv-scottish": Paper.RANKED,
    "stv-ers97": Paper.RANKED,
    "stv-meek": Paper.RANKED,
    "yes-no": Paper.MOTION,
}

# Where the counting library counts "Re-open nominations" as a candidate the voter may prefer.
RON_PAPERS = frozenset({Paper.RANKED, Paper.SINGLE})
ANSWERS = {"yes": 1, "no": 2}


@dataclass(frozen=True, slots=True)
class Option:
    """One line of the paper: a candidate (``key`` is their ballot position), or RON."""

    key: str
    name: str
    organisation: str = ""
    nomination_id: int | None = None

    @property
    def mark(self) -> int | str:
        return self.key if self.key == RON else int(self.key)


@dataclass(frozen=True, slots=True)
class BallotPaper:
    """A contest's paper: its kind, the options in the published order, the seats to fill."""

    paper: Paper
    options: tuple[Option, ...]
    seats: int

    @property
    def ranked(self) -> bool:
        return self.paper is Paper.RANKED

    @property
    def most(self) -> int:
        """The most options a valid paper may mark."""
        limits = {Paper.SINGLE: 1, Paper.BLOCK: self.seats, Paper.MOTION: 1}
        return min(limits.get(self.paper, len(self.options)), len(self.options))

    @property
    def first_field(self) -> str:
        """The id an error about the whole paper links to (GOV.UK: the first input)."""
        if self.paper is Paper.MOTION:
            return "answer-yes"
        if not self.options:
            return "choices"
        return field_id(self, self.options[0])

    def option(self, key: str) -> Option | None:
        return next((option for option in self.options if option.key == key), None)


def field_id(paper: BallotPaper, option: Option) -> str:
    return f"{RANK_PREFIX}{option.key}" if paper.ranked else f"choice-{option.key}"


def paper_for(
    method: str, seats: int, candidates: Sequence[Option], re_open_nominations: bool
) -> BallotPaper:
    """The paper of a contest: its candidates in ballot order, then RON where the method has it."""
    kind = PAPERS.get(method)
    if kind is None:
        raise ValueError(f"no ballot paper for the counting method {method!r}")
    if kind is Paper.MOTION:
        return BallotPaper(kind, (Option("1", _("Yes")), Option("2", _("No"))), 1)
    options: tuple[Option, ...] = tuple(candidates)
    if re_open_nominations and kind in RON_PAPERS:
        options += (Option(RON, _("Re-open nominations")),)
    return BallotPaper(kind, options, seats)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a paper: the field the summary links to, and every field to flag."""

    field: str
    message: str
    fields: tuple[str, ...]


class SpoiltBallot(InvalidInput):
    """The paper cannot be cast as marked; ``problems`` names each thing to put right."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        flagged: dict[str, str] = {}
        for problem in problems:
            for name in problem.fields:
                flagged.setdefault(name, problem.message)
        super().__init__(flagged, _("Your ballot cannot be cast as it is marked."))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class Marked:
    """A paper that can be cast: the chosen options in order, and the marks to store."""

    paper: BallotPaper
    chosen: tuple[Option, ...]
    abstain: bool = False  # a motion's explicit Abstain

    @property
    def marks(self) -> dict[str, list[int | str]]:
        return {"ranking": [option.mark for option in self.chosen]}

    @property
    def empty(self) -> bool:
        return not self.chosen

    def fields(self) -> list[tuple[str, str]]:
        """The form fields that mark this paper again (the review's hidden fields)."""
        if self.paper.paper is Paper.MOTION:
            answer = "abstain" if self.empty else ("yes" if self.chosen[0].key == "1" else "no")
            return [("answer", answer)]
        if self.empty:
            return [("empty", "yes")]
        if self.paper.ranked:
            return [(f"{RANK_PREFIX}{o.key}", str(n)) for n, o in enumerate(self.chosen, 1)]
        return [("choice", option.key) for option in self.chosen]


Form = Mapping[str, Sequence[str]]
"""The posted fields, each name with every value sent for it."""


def read(paper: BallotPaper, form: Form) -> Marked:
    """The paper as marked in ``form``, or :class:`SpoiltBallot` naming every problem."""
    if paper.paper is Paper.MOTION:
        return _motion(paper, form)
    if paper.ranked:
        marked, problems = _ranked(paper, form)
    else:
        marked, problems = _crosses(paper, form)
    if not problems and marked.empty and _first(form, "empty") != "yes":
        problems.append(
            Problem(
                "empty",
                _(
                    "You have not marked any choice. To cast an empty ballot on purpose, tick "
                    "the box to confirm it."
                ),
                ("empty",),
            )
        )
    if problems:
        raise SpoiltBallot(problems)
    return marked


def _first(form: Form, name: str) -> str:
    values = form.get(name) or ()
    return values[0].strip() if values else ""


def _motion(paper: BallotPaper, form: Form) -> Marked:
    answers = [value.strip() for value in form.get("answer") or ()]
    if len(answers) != 1 or answers[0] not in (*ANSWERS, "abstain"):
        message = _("Choose Yes, No or Abstain.")
        raise SpoiltBallot([Problem("answer-yes", message, ("answer-yes",))])
    if answers[0] == "abstain":
        return Marked(paper, (), abstain=True)
    return Marked(paper, (paper.options[ANSWERS[answers[0]] - 1],))


def _unknown(paper: BallotPaper) -> Problem:
    return Problem(
        paper.first_field,
        _(
            "Your ballot named a candidate who is not standing in this contest. Check your "
            "choices and try again."
        ),
        (),
    )


def _crosses(paper: BallotPaper, form: Form) -> tuple[Marked, list[Problem]]:
    keys = {value.strip() for value in form.get("choice") or ()}
    chosen = tuple(option for option in paper.options if option.key in keys)
    problems = [_unknown(paper)] if len(chosen) < len(keys) else []
    if len(chosen) > paper.most:
        fields = tuple(field_id(paper, option) for option in chosen)
        if paper.paper is Paper.SINGLE:
            message = _("Vote for one candidate only: you chose %(names)s.") % {
                "names": _names(chosen)
            }
        else:
            message = _(
                "You can vote for up to %(most)d candidates: you chose %(count)d. Remove "
                "%(extra)d of your crosses."
            ) % {"most": paper.most, "count": len(chosen), "extra": len(chosen) - paper.most}
        problems.append(Problem(fields[0], message, fields))
    return Marked(paper, chosen), problems


def _names(options: Sequence[Option]) -> str:
    names = [option.name for option in options]
    if len(names) == 2:
        return _("both %(first)s and %(second)s") % {"first": names[0], "second": names[1]}
    return _("%(some)s and %(last)s") % {"some": ", ".join(names[:-1]), "last": names[-1]}


def _ranked(paper: BallotPaper, form: Form) -> tuple[Marked, list[Problem]]:
    problems: list[Problem] = []
    known = {f"{RANK_PREFIX}{option.key}" for option in paper.options}
    if any(name.startswith(RANK_PREFIX) and name not in known for name in form):
        problems.append(_unknown(paper))
    ranks: dict[int, list[Option]] = {}
    for option in paper.options:
        raw = _first(form, f"{RANK_PREFIX}{option.key}")
        if not raw:
            continue
        rank = _rank(paper, option, raw, problems)
        if rank is not None:
            ranks.setdefault(rank, []).append(option)
    problems += _duplicates(paper, ranks) + _gaps(paper, ranks)
    chosen = tuple(ranks[rank][0] for rank in sorted(ranks))
    return Marked(paper, chosen), problems


def _rank(paper: BallotPaper, option: Option, raw: str, problems: list[Problem]) -> int | None:
    field = field_id(paper, option)
    values = {"name": option.name, "rank": raw, "most": len(paper.options)}
    if not _NUMBER.fullmatch(raw):
        message = _(
            "The number beside %(name)s must be a whole number, like 1 for your first choice: "
            "“%(rank)s” is not."
        )
        problems.append(Problem(field, message % values, (field,)))
        return None
    rank = int(raw)
    if not 1 <= rank <= len(paper.options):
        message = _(
            "Number your choices from 1 to %(most)d: you gave %(name)s %(rank)s, which is not "
            "between them."
        )
        problems.append(Problem(field, message % {**values, "rank": rank}, (field,)))
        return None
    return rank


def _duplicates(paper: BallotPaper, ranks: Mapping[int, Sequence[Option]]) -> list[Problem]:
    problems = []
    for rank in sorted(ranks):
        sharing = ranks[rank]
        if len(sharing) > 1:
            fields = tuple(field_id(paper, option) for option in sharing)
            message = _("You gave %(rank)d to %(names)s: give each choice a different number.")
            names = {"rank": rank, "names": _names(sharing)}
            problems.append(Problem(fields[1], message % names, fields))
    return problems


def _gaps(paper: BallotPaper, ranks: Mapping[int, Sequence[Option]]) -> list[Problem]:
    """The first missing number before the highest used: ranks after it would not count."""
    used = sorted(ranks)
    missing = next((n for n in range(1, len(used) + 1) if n not in ranks), None)
    if missing is None:
        return []
    after = next(rank for rank in used if rank > missing)
    option = ranks[after][0]
    field = field_id(paper, option)
    message = _(
        "You have not used %(missing)d: number your choices 1, 2, 3… without a gap. The next "
        "number you used is %(after)d, beside %(name)s."
    ) % {"missing": missing, "after": after, "name": option.name}
    return [Problem(field, message, (field,))]


def order_so_far(paper: BallotPaper, form: Form) -> tuple[list[tuple[int, Option]], list[str]]:
    """The ranking as typed so far, for the live order beside a ranked paper (htmx): each
    usable number with its option, in order, and the problems a cast would name."""
    ranked: list[tuple[int, Option]] = []
    for option in paper.options:
        raw = _first(form, f"{RANK_PREFIX}{option.key}")
        if _NUMBER.fullmatch(raw) and 1 <= int(raw) <= len(paper.options):
            ranked.append((int(raw), option))
    ranked.sort(key=lambda pair: pair[0])
    _marked, problems = _ranked(paper, form)
    return ranked, [problem.message for problem in problems]
