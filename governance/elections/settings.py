"""Reading an election's form: the timetable in the body's time zone, settings, contests and
their category constraints. Pure parsing and checking; the service stores and audits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from governance.counting.methods import METHODS
from governance.elections.models import BallotOrder, Contest, Election
from governance.eligibility.rules import RuleError, parse_rule
from governance.errors import InvalidInput
from governance.i18n import _
from governance.web.fields import Problems, parse_int, parse_local_datetime, parse_text

TIMETABLE = ("nominations_open_at", "nominations_close_at", "voting_open_at", "voting_close_at")


@dataclass(frozen=True, slots=True)
class ElectionForm:
    title: str = ""
    description: str = ""
    nominations_open_at: str = ""  # local date and time in the body's zone, as a form sends it
    nominations_close_at: str = ""
    voting_open_at: str = ""
    voting_close_at: str = ""
    statement_word_limit: str = "250"
    proposers_required: str = "1"
    seconders_required: str = "1"
    supporters_other_organisation: str = ""  # a checkbox: "on" when ticked
    supporters_distinct_organisations: str = ""
    max_supports_per_member: str = "2"
    publish_ballots: str = ""
    ballot_order: str = BallotOrder.ALPHABETICAL.value


@dataclass(frozen=True, slots=True)
class ContestForm:
    name: str = ""
    seats: str = ""
    method: str = "stv-scottish"
    stand_rule: str = ""
    vote_rule: str = ""
    constraints: str = ""  # one per line, e.g. "region min 1" or "organisation max 2"


def _whole(form: ElectionForm, field: str, problems: Problems, minimum: int = 0) -> int | None:
    """One of the election's numeric settings, within its column."""
    column = getattr(Election, field)
    return parse_int(getattr(form, field), field, problems, minimum=minimum, column=column)


def _timetable_order(values: dict[str, Any], problems: Problems) -> None:
    if problems.keys() & set(TIMETABLE):
        return
    if values["nominations_close_at"] <= values["nominations_open_at"]:
        problems["nominations_close_at"] = _("Nominations must close after they open.")
    if values["voting_open_at"] < values["nominations_close_at"]:
        problems["voting_open_at"] = _("Voting cannot open before nominations close.")
    if values["voting_close_at"] <= values["voting_open_at"]:
        problems["voting_close_at"] = _("Voting must close after it opens.")


def check_election(form: ElectionForm, time_zone: str) -> dict[str, Any]:
    """Clean values for an election's columns, or InvalidInput naming every bad field."""
    problems: Problems = {}
    zone = ZoneInfo(time_zone)
    values: dict[str, Any] = {
        name: parse_local_datetime(getattr(form, name), zone, name, problems) for name in TIMETABLE
    }
    _timetable_order(values, problems)
    values["title"] = parse_text(
        form.title, "title", problems, Election.title, required=_("Enter the election's title.")
    )
    values["description"] = form.description.strip()
    values["statement_word_limit"] = _whole(form, "statement_word_limit", problems, 1)
    values["proposers_required"] = _whole(form, "proposers_required", problems)
    values["seconders_required"] = _whole(form, "seconders_required", problems)
    values["max_supports_per_member"] = _whole(form, "max_supports_per_member", problems, 1)
    values["supporters_other_organisation"] = bool(form.supporters_other_organisation)
    values["supporters_distinct_organisations"] = bool(form.supporters_distinct_organisations)
    values["publish_ballots"] = bool(form.publish_ballots)
    if form.ballot_order not in {order.value for order in BallotOrder}:
        problems["ballot_order"] = _("Choose alphabetical or random order.")
    values["ballot_order"] = form.ballot_order
    if problems:
        raise InvalidInput(problems)
    return values


_CONSTRAINT = re.compile(
    r"^(?P<dimension>[a-z_][a-z0-9_]*)\s*(?:=\s*(?P<value>[^\n]+?))?"
    r"(?:\s+min\s+(?P<minimum>\d+))?(?:\s+max\s+(?P<maximum>\d+))?\s*$",
    re.IGNORECASE,
)


def parse_constraints(text: str) -> list[dict[str, Any]]:
    """Lines such as ``region min 1`` (at least one from each region), ``organisation max 2``
    (at most two from any one organisation) or ``region = Wales min 2``."""
    constraints: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _CONSTRAINT.match(line.strip())
        if not match or not (match["minimum"] or match["maximum"]):
            raise InvalidInput(
                {
                    "constraints": _(
                        'Line %(line)d: write a constraint as "region min 1", "organisation max 2" '
                        'or "region = Wales min 2".'
                    )
                    % {"line": number}
                }
            )
        constraints.append(
            {
                "dimension": match["dimension"].lower(),
                "value": match["value"].strip() if match["value"] else None,
                "minimum": int(match["minimum"] or 0),
                "maximum": int(match["maximum"]) if match["maximum"] else None,
            }
        )
    return constraints


def render_constraints(constraints: list[dict[str, Any]]) -> str:
    lines = []
    for item in constraints:
        line = item["dimension"] + (f" = {item['value']}" if item.get("value") else "")
        line += f" min {item['minimum']}" if item.get("minimum") else ""
        line += f" max {item['maximum']}" if item.get("maximum") is not None else ""
        lines.append(line)
    return "\n".join(lines)


def _rule(text: str, field: str, problems: Problems) -> str:
    if not text.strip():
        return ""
    try:
        parse_rule(text)
    except RuleError as error:
        problems[field] = str(error)
    return text.strip()


def check_contest(form: ContestForm) -> dict[str, Any]:
    problems: Problems = {}
    name = parse_text(
        form.name,
        "name",
        problems,
        Contest.name,
        required=_("Enter the contest's name, for example National seats."),
    )
    seats = parse_int(form.seats, "seats", problems, minimum=1, column=Contest.seats)
    if form.method not in METHODS:
        problems["method"] = _("Choose a counting method from the list.")
    values: dict[str, Any] = {
        "name": name,
        "seats": seats,
        "method": form.method,
        "stand_rule": _rule(form.stand_rule, "stand_rule", problems),
        "vote_rule": _rule(form.vote_rule, "vote_rule", problems),
    }
    try:
        values["constraints"] = parse_constraints(form.constraints)
    except InvalidInput as error:
        problems.update(error.fields)
    if problems:
        raise InvalidInput(problems)
    return values
