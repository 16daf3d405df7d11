"""Whether category limits can still be met, and how: the feasibility search behind
``ConstraintGuard`` (docs/constraints.md, "Feasibility").

Limits in one or two dimensions are solved as a network flow; three or more dimensions fall
back to an exhaustive search that remembers dead ends. Pure standard library.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    """A limited category as the search sees it: still ``need``ed, ``room`` left (None: no cap)."""

    dimension: str
    need: int
    room: int | None


Groups = Mapping[frozenset[int], int]
"""How many continuing candidates belong to exactly each set of limited categories."""


def completion(categories: Sequence[Category], groups: Groups, places: int) -> Groups | None:
    """How many to take from each group to fill ``places`` with every limit met, or None.

    With limits in one or two dimensions (regions, organisations) this is a flow problem with
    lower bounds, solved exactly in polynomial time; with more dimensions, an exhaustive
    search with pruning.
    """
    if places < 0 or any(c.room is not None and c.room < 0 for c in categories):
        return None
    dimensions = sorted({c.dimension for c in categories})
    if len(dimensions) <= 2:
        return _flow_completion(categories, groups, places, [*dimensions, "", ""][:2])
    return _Search(categories, groups).completion(places)


def _flow_completion(
    categories: Sequence[Category], groups: Groups, places: int, sides: list[str]
) -> Groups | None:
    """Source -> first-dimension categories -> groups -> second-dimension categories -> sink.

    Each category's arc carries between its outstanding minimum and its remaining room; an
    arc from sink to source carries exactly ``places``.
    """
    net = _Network()
    source, sink = net.node(), net.node()
    other = (net.node(), net.node())  # candidates in no limited category of that dimension
    node = {}
    for k, category in enumerate(categories):
        node[k] = net.node()
        low = max(category.need, 0)
        high = places if category.room is None else min(category.room, places)
        if category.dimension == sides[0]:
            net.add(source, node[k], low, high)
        else:
            net.add(node[k], sink, low, high)
    net.add(source, other[0], 0, places)
    net.add(other[1], sink, 0, places)
    arcs = {}
    for members, count in groups.items():
        ends = [
            next((node[k] for k in members if categories[k].dimension == side), other[i])
            for i, side in enumerate(sides)
        ]
        arcs[members] = net.add(ends[0], ends[1], 0, count)
    net.add(sink, source, places, places)
    if not net.feasible():
        return None
    return {members: net.flow(arc) for members, arc in arcs.items()}


class _Network:
    """A flow network with lower bounds on arcs (Dinic's algorithm on the usual reduction)."""

    def __init__(self) -> None:
        self.arcs: list[list[list[int]]] = []  # per node: [head, residual capacity, reverse]
        self.excess: list[int] = []
        self.lower: dict[tuple[int, int], int] = {}
        self.broken = False
        self._next: list[int] = []  # Dinic: the next arc to try at each node

    def node(self) -> int:
        self.arcs.append([])
        self.excess.append(0)
        return len(self.arcs) - 1

    def add(self, tail: int, head: int, low: int, high: int) -> tuple[int, int]:
        self.broken = self.broken or high < low
        arc = self._arc(tail, head, max(high - low, 0))
        self.excess[head] += low
        self.excess[tail] -= low
        self.lower[arc] = low
        return arc

    def flow(self, arc: tuple[int, int]) -> int:
        tail, index = arc
        head, _, reverse = self.arcs[tail][index]
        return self.lower[arc] + self.arcs[head][reverse][1]

    def feasible(self) -> bool:
        if self.broken:
            return False
        nodes = len(self.arcs)
        source, sink = self.node(), self.node()
        required = 0
        for v in range(nodes):
            if self.excess[v] > 0:
                self._arc(source, v, self.excess[v])
                required += self.excess[v]
            elif self.excess[v] < 0:
                self._arc(v, sink, -self.excess[v])
        return self._max_flow(source, sink) == required

    def _arc(self, tail: int, head: int, capacity: int) -> tuple[int, int]:
        self.arcs[tail].append([head, capacity, len(self.arcs[head])])
        self.arcs[head].append([tail, 0, len(self.arcs[tail]) - 1])
        return tail, len(self.arcs[tail]) - 1

    def _max_flow(self, source: int, sink: int) -> int:
        total = 0
        while True:
            level = self._levels(source)
            if level[sink] < 0:
                return total
            self._next = [0] * len(self.arcs)
            while pushed := self._push(source, sink, sum(a[1] for a in self.arcs[source]), level):
                total += pushed

    def _levels(self, source: int) -> list[int]:
        level = [-1] * len(self.arcs)
        level[source] = 0
        queue = deque([source])
        while queue:
            tail = queue.popleft()
            for head, capacity, _ in self.arcs[tail]:
                if capacity > 0 and level[head] < 0:
                    level[head] = level[tail] + 1
                    queue.append(head)
        return level

    def _push(self, tail: int, sink: int, limit: int, level: list[int]) -> int:
        if tail == sink:
            return limit
        arcs = self.arcs[tail]
        while self._next[tail] < len(arcs):
            arc = arcs[self._next[tail]]
            if arc[1] > 0 and level[arc[0]] == level[tail] + 1:
                pushed = self._push(arc[0], sink, min(limit, arc[1]), level)
                if pushed:
                    arc[1] -= pushed
                    self.arcs[arc[0]][arc[2]][1] += pushed
                    return pushed
            self._next[tail] += 1
        return 0


class _Search:
    """Exhaustive search for three or more dimensions, most-constrained groups first."""

    def __init__(self, categories: Sequence[Category], groups: Groups) -> None:
        self.categories = categories
        self.groups = sorted(groups.items(), key=lambda item: (-len(item[0]), sorted(item[0])))
        size = len(self.groups)
        self.after = [[0] * len(categories) for _ in range(size + 1)]
        self.total_after = [0] * (size + 1)
        for i in reversed(range(size)):
            members, count = self.groups[i]
            self.total_after[i] = self.total_after[i + 1] + count
            self.after[i] = [
                n + (count if k in members else 0) for k, n in enumerate(self.after[i + 1])
            ]
        self.dimensions: dict[str, list[int]] = {}
        for k, category in enumerate(categories):
            self.dimensions.setdefault(category.dimension, []).append(k)
        self.dead: set[tuple[int, int, tuple[int, ...], tuple[int, ...]]] = set()
        self.takes: list[int] = []

    def completion(self, places: int) -> Groups | None:
        need = [max(c.need, 0) for c in self.categories]
        room = [places if c.room is None else min(c.room, places) for c in self.categories]
        if not self.run(0, places, need, room):
            return None
        return {members: take for (members, _), take in zip(self.groups, self.takes, strict=False)}

    def hopeless(self, i: int, left: int, need: list[int]) -> bool:
        if self.total_after[i] < left:
            return True
        if any(n > min(self.after[i][k], left) for k, n in enumerate(need)):
            return True
        return any(sum(need[k] for k in ks) > left for ks in self.dimensions.values())

    def run(self, i: int, left: int, need: list[int], room: list[int]) -> bool:
        if left == 0:
            return not any(need)
        if i == len(self.groups) or self.hopeless(i, left, need):
            return False
        key = (i, left, tuple(need), tuple(room))
        if key in self.dead:
            return False
        members, count = self.groups[i]
        for take in range(min([count, left, *(room[k] for k in members)]), -1, -1):
            self.takes.append(take)
            next_need = [max(n - take, 0) if k in members else n for k, n in enumerate(need)]
            next_room = [r - take if k in members else r for k, r in enumerate(room)]
            if self.run(i + 1, left - take, next_need, next_room):
                return True
            self.takes.pop()
        self.dead.add(key)
        return False
