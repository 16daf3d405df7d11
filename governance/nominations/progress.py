"""How far a nomination's supporters have got: confirmed proposers and seconders against what the
election asks for (counted as the review and the member's own page both show it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from governance.elections.models import Election
from governance.nominations.models import SupportRole, SupportState


@dataclass(frozen=True, slots=True)
class Progress:
    """Confirmed supporters against what the election asks for; complete means enough of both."""

    proposers: int
    proposers_required: int
    seconders: int
    seconders_required: int

    @property
    def complete(self) -> bool:
        return (
            self.proposers >= self.proposers_required and self.seconders >= self.seconders_required
        )


def required(election: Election, role: str) -> int:
    if role == SupportRole.PROPOSER.value:
        return election.proposers_required
    return election.seconders_required


class Answered(Protocol):
    """A support as ``progress`` reads it: a ``Support`` row or the review's lighter copy."""

    @property
    def role(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def responded_at(self) -> datetime | None: ...


def progress(election: Election, supports: Sequence[Answered]) -> Progress:
    """Only supports confirmed before the close count (confirming is refused after it anyway)."""

    def confirmed(role: SupportRole) -> int:
        return sum(
            1
            for s in supports
            if s.role == role.value
            and s.state == SupportState.CONFIRMED.value
            and s.responded_at is not None
            and s.responded_at < election.nominations_close_at
        )

    return Progress(
        confirmed(SupportRole.PROPOSER),
        election.proposers_required,
        confirmed(SupportRole.SECONDER),
        election.seconders_required,
    )
