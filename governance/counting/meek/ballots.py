"""Meek's distribution step (PR Foundation reference Meek rule, B.2.a) over a million ballots.

The rule walks every ballot from its first preference: each candidate keeps ``w × kf`` (9 decimal
places, rounded up) and the ballot goes on with the rest. A hopeful candidate's keep factor is 1,
so a ballot stops at its first hopeful candidate; a defeated candidate's is 0, so it is passed
over. What a ballot gives therefore depends only on its *path*: the elected candidates it passes
through, in order, and the hopeful candidate (if any) where it stops. Ballots sharing a path
prefix share every rounded amount along it, so the ballots are held as a tree of path prefixes
and each iteration computes each tree node once, level by level with NumPy, instead of each
ballot. The arithmetic is exactly the rule's: the same products, rounded up at the same places,
on integers scaled by 10^9.

Candidates only ever change from hopeful to elected or defeated, so a ballot's path only grows:
after each round only the ballots that stopped at the candidate who changed move on to their next
preferences, and the tree grows; then the nodes no ballot reaches any more are dropped.

Overflow: weights and keep factors are at most 10^9 units (a keep factor above 1 would need an
elected candidate below the quota; one above 2 is refused), so w × kf < 2^63, and tallies stay
below 2^63 for up to 4 × 10^9 ballot papers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from governance.counting.model import BallotGroup, CountingError, RankingTable

SCALE = 10**9
"""Rule A: 9 decimal places; every value is an integer number of 10^-9 units."""

HOPEFUL, ELECTED, DEFEATED = 0, 1, 2

Ints = npt.NDArray[np.int64]
Depths = npt.NDArray[np.int16]  # 16 bits, so that NumPy sorts them by radix sort
MAX_DEPTH = 2**15 - 2  # leaves sort after every depth, at 2**15 - 1
MAX_PAPERS = 4 * 10**9
MAX_KEEP_FACTOR = 2 * SCALE


class BallotTree:
    """The valid ballots as a tree of path prefixes, with each ballot at the end of its path.

    Node 0 is the root (the empty path). A node's children extend its path by one candidate; a
    ballot sits at a leaf naming a hopeful candidate, or (when its preferences have run out) at an
    inner node, where the weight it has left is the residual: kept by nobody. Two nodes may stand
    for the same path when ballots reach it in different rounds; each is computed exactly, so this
    costs a little time and never changes a vote.
    """

    def __init__(
        self, ballots: Sequence[BallotGroup], candidates: int, withdrawn: Iterable[int] = ()
    ) -> None:
        self.candidates = candidates
        self.state = np.zeros(candidates, np.int8)  # every candidate starts hopeful (rule A)
        # The same papers as ``Election.valid_groups``, not merged: the tree shares their paths.
        valid = RankingTable.of(ballots).valid(candidates, withdrawn)
        self._prefs, lengths, self._counts = valid.marks, valid.lengths, valid.counts
        self._ends = np.cumsum(lengths)
        self._starts = self._ends - lengths
        self._pos = np.zeros(len(lengths), np.int64)  # index of the candidate a ballot stops at
        if len(lengths) and int(lengths.max()) > MAX_DEPTH:
            raise CountingError(f"a ballot ranks more than {MAX_DEPTH} candidates")
        if self.papers > MAX_PAPERS:
            raise CountingError(f"more than {MAX_PAPERS} ballot papers cannot be tallied exactly")
        self._size = 1
        self._parent = np.full(1024, -1, np.int64)
        self._cand = np.full(1024, candidates, np.int64)  # the root names no candidate
        self._depth: Depths = np.zeros(1024, np.int16)
        self._known_keys: Ints = np.zeros(0, np.int64)  # paths of the nodes, sorted (_plan)
        self._known_nodes: Ints = np.zeros(0, np.int64)
        self._node = self._children(np.zeros(len(lengths), np.int64), self._prefs[self._starts])
        self._plan()

    @property
    def papers(self) -> int:
        return int(self._counts.sum())

    def exhausted_papers(self) -> int:
        """Papers with no hopeful candidate left to stop at: what they have left is residual."""
        return int(self._counts[self._node < self._leaves].sum())

    def distribute(self, keep_factors: Ints) -> Ints:
        """B.2.a: every candidate's vote for these keep factors (``keep_factors[candidates]`` = 0).

        Returns votes in 10^-9 units, indexed by candidate; the residual is the papers' total
        less their sum, exactly, because each amount kept is taken off the ballot's weight.
        """
        largest = int(keep_factors.max())
        if largest > MAX_KEEP_FACTOR:
            raise CountingError("a keep factor above 2 cannot be computed exactly here")
        inner = self._leaves
        weight = np.empty(inner, np.int64)
        weight[0] = SCALE  # B.2.a: "set ballot weight w to 1"
        # B.2.a: a candidate keeps w x kf rounded up to 9 places, and the ballot goes on with
        # w - ceil(w x kf) = floor(w x (1 - kf)), exactly, because w is a whole number of units.
        # So each level is one product and one division, and what each node kept is found for
        # every node at once afterwards, as its parent's weight less its own.
        rest = SCALE - keep_factors[self._cand[:inner]]
        # With no keep factor above 1 no weight goes below 0, so no clamping is needed; with one,
        # a ballot whose weight has reached 0 or below gives nothing more (kept 0 all the way on).
        clamp = largest > SCALE
        for parents, start, stop in self._levels:
            before = weight[parents]
            if clamp:
                np.maximum(before, 0, out=before)
            level = weight[start:stop]
            np.multiply(before, rest[start:stop], out=level)
            level //= SCALE
        # Every node but the root: its parent's weight (a hopeful leaf keeps all of it: kf = 1,
        # no rounding), less, for an inner node, the weight that goes on past it.
        kept = weight[self._parent[1 : self._size]]
        if clamp:
            np.maximum(kept, 0, out=kept)
        kept[: inner - 1] -= weight[1:inner]
        kept *= self._passing[1:]
        votes = np.zeros(self.candidates + 1, np.int64)
        np.add.at(votes, self._cand[1 : self._size], kept)
        return votes[: self.candidates]

    def elect(self, candidate: int) -> None:
        """The candidate's ballots now pass through it to their next preferences."""
        self.state[candidate] = ELECTED
        self._advance(self._ballots_stopped_at(candidate), step_back=False)

    def defeat(self, candidate: int) -> None:
        """The candidate's ballots skip it (keep factor 0) for their next preferences."""
        self.state[candidate] = DEFEATED
        self._advance(self._ballots_stopped_at(candidate), step_back=True)

    def replan(self) -> None:
        """Rebuild the level-by-level plan after the round's elections or defeat."""
        self._plan()

    def _ballots_stopped_at(self, candidate: int) -> Ints:
        return np.flatnonzero(self._cand[self._node] == candidate)

    def _advance(self, ballots: Ints, *, step_back: bool) -> None:
        """Walk the ballots on past defeated and through elected candidates, to a hopeful one.

        Ballots that leave a node together take each step together, so all that go on from one
        node to the same candidate share one new child.
        """
        nodes = self._parent[self._node[ballots]] if step_back else self._node[ballots]
        pos = self._pos[ballots] + 1
        while len(ballots):
            pos = self._skip_defeated(ballots, pos)
            at_end = pos >= self._ends[ballots] - self._starts[ballots]
            self._settle(ballots[at_end], nodes[at_end], pos[at_end])
            ballots, nodes, pos = ballots[~at_end], nodes[~at_end], pos[~at_end]
            nxt = self._prefs[self._starts[ballots] + pos].astype(np.int64)
            nodes = self._children(nodes, nxt)
            hopeful = self.state[nxt] == HOPEFUL
            self._settle(ballots[hopeful], nodes[hopeful], pos[hopeful])
            ballots, nodes, pos = ballots[~hopeful], nodes[~hopeful], pos[~hopeful] + 1

    def _skip_defeated(self, ballots: Ints, pos: Ints) -> Ints:
        """Each ballot's position moved on past defeated candidates, at most to its end."""
        length = self._ends[ballots] - self._starts[ballots]
        pos = pos.copy()
        todo = np.flatnonzero(pos < length)
        while len(todo):
            here = self._prefs[self._starts[ballots[todo]] + pos[todo]]
            todo = todo[self.state[here] == DEFEATED]
            pos[todo] += 1
            todo = todo[pos[todo] < length[todo]]
        return pos

    def _settle(self, ballots: Ints, nodes: Ints, pos: Ints) -> None:
        self._node[ballots] = nodes
        self._pos[ballots] = pos

    def _children(self, parents: Ints, cands: npt.NDArray[np.integer]) -> Ints:
        """The node extending each parent's path by the candidate: the path's node if the tree
        has one already (ballots that step back past a defeated candidate often rejoin a path
        others took), else a new node, one per distinct path."""
        width = self.candidates + 1
        unique, inverse = np.unique(parents * width + cands, return_inverse=True)
        nodes = np.empty(len(unique), np.int64)
        known = np.zeros(len(unique), bool)
        if len(self._known_keys):
            at = np.searchsorted(self._known_keys, unique)
            np.minimum(at, len(self._known_keys) - 1, out=at)
            known = self._known_keys[at] == unique
            nodes[known] = self._known_nodes[at[known]]
        fresh = unique[~known]
        first = self._size
        self._reserve(first + len(fresh))
        new = slice(first, first + len(fresh))
        self._parent[new] = fresh // width
        self._cand[new] = fresh % width
        self._depth[new] = self._depth[self._parent[new]] + 1
        self._size = new.stop
        nodes[~known] = np.arange(new.start, new.stop)
        return nodes[inverse.reshape(-1)]

    def _reserve(self, size: int) -> None:
        if size <= len(self._parent):
            return
        capacity = max(size, 2 * len(self._parent))
        self._parent = np.resize(self._parent, capacity)
        self._cand = np.resize(self._cand, capacity)
        self._depth = np.resize(self._depth, capacity)

    def _plan(self) -> None:
        """Keep only nodes some ballot reaches, inner nodes by depth (root first), leaves last.

        A node no ballot reaches is dropped for good (a ballot that reaches its path later gets a
        new node) and the survivors are renumbered in place; then the paths are indexed so that
        moving ballots find the nodes of paths that already exist.
        """
        size = self._size
        passing = np.zeros(size, np.int64)
        np.add.at(passing, self._node, self._counts)
        depth = self._depth[:size]
        leaf = np.append(self.state == HOPEFUL, False)[self._cand[:size]]
        order = np.argsort(np.where(leaf, MAX_DEPTH + 1, depth).astype(np.int16), kind="stable")
        inner = size - int(leaf.sum())
        leaves = order[inner:]
        np.add.at(passing, self._parent[leaves], passing[leaves])
        levels = _levels(depth[order[:inner]])
        for start, stop in reversed(levels):
            level = order[start:stop]
            np.add.at(passing, self._parent[level], passing[level])
        alive = passing[order] > 0
        alive[0] = True  # the root stays even when no ballot is valid
        order = order[alive]
        position = np.zeros(size, np.int64)
        position[order] = np.arange(len(order))
        self._size = len(order)
        self._parent[: self._size] = position[self._parent[order]]
        self._parent[0] = -1
        self._cand[: self._size] = self._cand[order]
        self._depth[: self._size] = self._depth[order]
        self._passing = passing[order]
        self._node = position[self._node]
        self._leaves = int(alive[:inner].sum())
        self._levels = [
            (self._parent[start:stop].copy(), start, stop)
            for start, stop in _levels(self._depth[: self._leaves])
        ]
        keys = self._parent[1 : self._size] * (self.candidates + 1) + self._cand[1 : self._size]
        # Nodes made together are in path order and keep their order here, so the paths come in
        # long sorted runs, which a stable (merging) sort takes in near-linear time.
        by_key = np.argsort(keys, kind="stable")
        self._known_keys = keys[by_key]
        self._known_nodes = by_key + 1


def _levels(depths: Depths) -> list[tuple[int, int]]:
    """(start, stop) of each depth from 1 down, in sorted ``depths`` that begin with the root."""
    deepest = int(depths[-1])
    bounds = np.searchsorted(depths, np.arange(deepest + 2))
    return [(int(bounds[d]), int(bounds[d + 1])) for d in range(1, deepest + 1)]
