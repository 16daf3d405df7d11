"""Placeholders filled in at send time, so a secret in a message never rests in the outbox.

Some mail carries a secret the database must not hold in clear (a voting code, DESIGN "Voting
and results": codes are keyed hashes in the database). Such a message is queued with a
placeholder, ``[[fill:NAME:ARGUMENT]]``, and the sender asks the filler registered under NAME
for the text when it writes the email. The outbox row, and the admin's outbox page, keep only
the placeholder. Features register their fillers at start-up; notify imports none of them
(docs/layout.md: notify knows no feature).

A filler is a pure function of the settings and the argument: it may not read the database, so
a send costs no query and a filler cannot leak rows into mail.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from governance.config import Settings

Filler = Callable[[Settings, str], str]

# Names and arguments are plain ASCII without markup, so a placeholder is the same text in the
# plain and the HTML part (autoescaping leaves it alone) and cannot break out of an attribute.
_NAME = r"[a-z][a-z0-9-]{0,39}"
_ARGUMENT = r"[A-Za-z0-9._-]{1,200}"
PLACEHOLDER = re.compile(rf"\[\[fill:({_NAME}):({_ARGUMENT})\]\]")

_fillers: dict[str, Filler] = {}


class MissingFiller(LookupError):
    """A queued message names a filler this process has not registered: a deployment fault."""


def register(name: str, filler: Filler) -> None:
    """Register (or replace: start-up may run more than once in one process) a filler."""
    if not re.fullmatch(_NAME, name):
        raise ValueError(f"not a filler name: {name!r}")
    _fillers[name] = filler


def placeholder(name: str, argument: str) -> str:
    """The text to queue in place of what ``name`` will fill in at send time."""
    text = f"[[fill:{name}:{argument}]]"
    if not PLACEHOLDER.fullmatch(text):
        raise ValueError(f"not a placeholder: {text!r}")
    return text


def fill(settings: Settings, text: str) -> str:
    """``text`` with every placeholder replaced by its filler's output."""

    def replace(match: re.Match[str]) -> str:
        filler = _fillers.get(match.group(1))
        if filler is None:
            raise MissingFiller(f"no filler named {match.group(1)!r} in this process")
        return filler(settings, match.group(2))

    return PLACEHOLDER.sub(replace, text)
