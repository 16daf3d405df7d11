"""STV by the Electoral Reform Society's rules, 3rd edition (1997), section 5 ("ERS97").

Text: https://www.opavote.com/methods/ers97-stv-rules (also embedded in OpenSTV's ERS97 plugin);
model election: http://www.rosenstiel.co.uk/stvrules/model.htm. Clause by clause:

* 5.1.1-5.1.5 First stage: papers are sorted by first preference. A paper with no first
  preference for a standing candidate is invalid (6.9); withdrawn candidates are passed over.
* 5.1.6 Quota: total valid vote / (places + 1) to two decimals; if not exact, the remainder is
  dropped and 0.01 added. All values are integers in hundredths, so this is a ceiling division.
* 5.1.7, 5.3.13, 5.4.9 Deemed elected: continuing candidates in descending order of votes whose
  vote equals or exceeds (a) the quota or (b) the total active vote / (places unfilled + 1) when
  that is lower, up to the places left. The total active vote (6.20, 5.6.1) is the total valid
  vote less the non-transferable vote and the quota (or the vote, if lower) of each candidate
  deemed elected. A candidate with no votes is never deemed elected.
* 5.6.2 Equal votes for the last places: taken in descending order of votes at the first stage
  or the earliest later point (after a batch of papers) where they differed; candidates equal
  at every point are none of them deemed elected at that stage.
* 5.2.2 Deferral: surpluses are deferred while their total does not exceed (a) the difference
  between the two lowest candidates or (b) the difference between a group of lowest candidates
  that could be excluded together under 5.2.5 and the candidate next above.
* 5.2.3 The largest surplus goes first; equal surpluses by the forward rule, then by lot.
* 5.2.4, 5.2.7 One transfer of a surplus, or one exclusion, is one stage.
* 5.2.5 Exclusion: as many of the lowest together as possible, so long as enough candidates
  remain for the places and their votes plus the deferred surpluses do not exceed the vote of
  the candidate next above; otherwise the lowest alone. Equal lowest: the forward rule (fewest
  at the earliest point where unequal), then lot.
* 5.3.1-5.3.2 Surplus papers: all the candidate's papers if the surplus arose at the first stage,
  otherwise only the last received batch, which gave rise to it.
* 5.3.3-5.3.8 Those papers go to their next available preference for a continuing candidate
  (6.10). If the total value of the transferable papers exceeds the surplus, each moves at
  surplus / transferable papers, to two decimals with the remainder ignored; otherwise each
  moves at its present value.
* 5.3.9-5.3.10 The non-transferable difference (6.11) - the surplus less the value credited -
  is added to the non-transferable vote; the elected candidate keeps exactly the quota.
* 5.4.1-5.4.7, 5.4.11 Exclusion: the excluded candidates' papers together, in batches of equal
  value from the highest value down; each batch is a sub-stage, moving at its value.
* 5.4.8 Reduced quota: if papers have become non-transferable before anyone is deemed elected,
  the quota is recalculated as in 5.1.6 from the total valid vote less the non-transferable vote.
* 5.4.10 A candidate deemed elected after a batch receives no further papers.
* 5.5.1 When an exclusion would leave as many continuing candidates as places unfilled (or
  fewer candidates remain than places), they are all deemed elected, in a stage of its own; the
  candidates that exclusion chose (5.2.5, ties as there) are excluded at that stage, their papers
  not moved, and their decision gives both clauses.
* 5.5.2 When every place is filled no more papers move and the rest are formally excluded.

``CountSheet.quota`` is the quota of 5.1.6; each ``Stage.quota`` is the quota in force at the
end of that stage, so a reduction under 5.4.8 shows there. Every sub-stage of an exclusion is
its own :class:`Stage` sharing the stage number; ``non_transferable_papers`` and
``non_transferable_votes`` are both cumulative, so at every stage ``sum(votes) +
non_transferable_votes == valid votes`` exactly. A candidate being excluded is listed with the
value not yet transferred.

Category constraints (``constraints=``) are our extension, documented in ``constraints/``
and ``docs/constraints.md``. Before each stage, protected candidates exactly filling the places
left are elected, then candidates who could no longer be elected are excluded (one exclusion
stage); a candidate barred when it would be deemed elected is excluded instead; protected
candidates are never excluded (the lowest unprotected is), a bulk exclusion is made only when
the limits allow the whole group to go, and while any candidate is protected surpluses are not
deferred.
"""

from __future__ import annotations

from fractions import Fraction

from governance.counting.constraints import ConstraintGuard, Constraints
from governance.counting.ers97.papers import UNITY, PaperStore
from governance.counting.ers97.state import Ers97Count, quota_for
from governance.counting.model import CountingError, CountSheet, Election, Lot

__all__ = ["DECIMALS", "METHOD", "count", "quota_for"]

METHOD = "stv-ers97"
DECIMALS = 2


def count(election: Election, lot: Lot, *, constraints: Constraints | None = None) -> CountSheet:
    """Count ``election`` by ERS97; ``constraints`` adds category limits (our extension),
    already checked feasible (``methods.count`` refuses others before 5.1).
    """
    if election.seats < 1:
        raise CountingError("an ERS97 count needs at least one place to fill")
    guard = None if constraints is None else ConstraintGuard(constraints)
    store = PaperStore(election)
    sheet = CountSheet(
        method=METHOD,
        title=election.title,
        candidates=election.candidates,
        seats=election.seats,
        valid_votes=Fraction(store.valid_papers),
        invalid_papers=store.invalid_papers,
        quota=Fraction(quota_for(store.valid_papers * UNITY, election.seats), UNITY),
        decimals=DECIMALS,
        seed=lot.seed,
        withdrawn=tuple(sorted(election.withdrawn)),
    )
    Ers97Count(election, lot, store, sheet, guard).run()
    sheet.draws = list(lot.draws)
    return sheet
