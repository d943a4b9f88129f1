"""Small-cell suppression with complementary suppression, for counts that leave an
organisation (pure).

Every published figure is a cell of one *cube*: the counts of a metric over a few
dimensions, each a hierarchy (a region and "all regions"; quarters, their year and "all
time"). A filter or a chart only selects cells of the cube; nothing is ever summed after
suppression. So two overlapping queries cannot be differenced to reveal more than the cube,
and the cube itself is protected:

- primary suppression: a count from 1 to k-1 is hidden (0 is shown: it names nobody);
- complementary suppression: every total and its parts form an equation (total = sum of
  parts). In each equation either nothing is hidden, or at least two members are, and the
  hidden parts of a shown total add up to at least k;
- an audit: equations combine (a row total minus column totals...), so the hidden cells are
  solved for as a linear system; while any hidden count below k is determined by it, one
  more cell beside it is hidden. A count the system does not determine can move (every
  hidden cell is at least 1), so the shown figures fit more than one value of it.

`qorgau/insights/tests/test_suppression.py` attacks the result with linear programming.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np

ALL = "*"

Coord = tuple[str, ...]


@dataclass(frozen=True)
class Dimension:
    """A hierarchy of values: `parent` maps each value to the value that totals it; the
    root is ALL. Leaves (values nobody totals into) are where counts are recorded."""

    name: str
    parent: Mapping[str, str]
    _children: dict[str, list[str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for value, up in self.parent.items():
            if value == ALL:
                raise ValueError(f"{self.name}: '{ALL}' is the root, it has no parent")
            if up != ALL and up not in self.parent:
                raise ValueError(f"{self.name}: {value!r} has an unknown parent {up!r}")
            self._children.setdefault(up, []).append(value)

    @classmethod
    def flat(cls, name: str, values: Sequence[str]) -> Dimension:
        return cls(name, {value: ALL for value in values})

    @property
    def values(self) -> list[str]:
        return [ALL, *self.parent]

    def children(self, value: str) -> list[str]:
        return self._children.get(value, [])

    def is_leaf(self, value: str) -> bool:
        return value in self.parent and not self._children.get(value)

    def ancestors(self, value: str) -> Iterator[str]:
        """The value itself, then each total above it, up to ALL."""
        yield value
        while value != ALL:
            value = self.parent[value]
            yield value


def cube(leaf_counts: Mapping[Coord, int], dims: Sequence[Dimension]) -> dict[Coord, int]:
    """Every cell of the cube (each combination of values, totals included) from the counts
    of leaf combinations. Unknown values are an error, not silently dropped."""
    cells: dict[Coord, int] = dict.fromkeys(product(*(d.values for d in dims)), 0)
    for coord, count in leaf_counts.items():
        if count < 0:
            raise ValueError(f"negative count at {coord}")
        if len(coord) != len(dims):
            raise ValueError(f"{coord} does not have {len(dims)} dimensions")
        for dim, value in zip(dims, coord, strict=True):
            if not dim.is_leaf(value):
                raise ValueError(f"{dim.name}: {value!r} is not a leaf value")
        for up in product(*(list(d.ancestors(v)) for d, v in zip(dims, coord, strict=True))):
            cells[up] += count
    return cells


def equations(dims: Sequence[Dimension]) -> list[tuple[Coord, list[Coord]]]:
    """(total, parts) for every total along every dimension."""
    result = []
    for coord in product(*(d.values for d in dims)):
        for axis, dim in enumerate(dims):
            kids = dim.children(coord[axis])
            if kids:
                parts = [coord[:axis] + (kid,) + coord[axis + 1:] for kid in kids]
                result.append((coord, parts))
    return result


def suppress(cells: Mapping[Coord, int], dims: Sequence[Dimension], k: int) -> set[Coord]:
    """The cells to hide so that no count below k can be seen or solved for."""
    if k < 2:
        return set()
    hidden = {coord for coord, count in cells.items() if 0 < count < k}
    eqs = equations(dims)
    while True:
        _complete_equations(cells, eqs, hidden, k)
        solved = _determined(cells, eqs, hidden, k)
        if not solved:
            return hidden
        _hide_beside(cells, eqs, hidden, solved[0])


def _complete_equations(cells: Mapping[Coord, int], eqs: list[tuple[Coord, list[Coord]]],
                        hidden: set[Coord], k: int) -> None:
    changed = True
    while changed:
        changed = False
        for total, parts in eqs:
            members = [total, *parts]
            hidden_members = [m for m in members if m in hidden]
            if not hidden_members:
                continue
            hidden_sum = sum(cells[p] for p in parts if p in hidden)
            need_more = len(hidden_members) < 2 or (total not in hidden and hidden_sum < k)
            while need_more:
                # Hide the smallest shown non-zero part (least information lost); if there
                # is none, the total itself.
                candidates = sorted((cells[p], p) for p in parts
                                    if p not in hidden and cells[p] > 0)
                if candidates:
                    pick = candidates[0][1]
                    hidden_sum += cells[pick]
                elif total not in hidden:
                    pick = total
                else:
                    break  # every non-zero member is hidden already
                hidden.add(pick)
                hidden_members.append(pick)
                changed = True
                need_more = len(hidden_members) < 2 or (
                    total not in hidden and hidden_sum < k)


def _determined(cells: Mapping[Coord, int], eqs: list[tuple[Coord, list[Coord]]],
                hidden: set[Coord], k: int) -> list[Coord]:
    """Hidden counts below k that the shown cells and the equations fix to one value.

    Equations that share no hidden cell are independent, so each connected group of hidden
    cells is solved on its own (small matrices instead of one large one)."""
    parent = {c: c for c in hidden}

    def root(c: Coord) -> Coord:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    rows: list[list[Coord]] = []
    for total, parts in eqs:
        members = [m for m in (total, *parts) if m in hidden]
        if not members:
            continue
        rows.append([total, *parts])
        first = root(members[0])
        for m in members[1:]:
            parent[root(m)] = first
    groups: dict[Coord, list[list[Coord]]] = {}
    for row in rows:
        groups.setdefault(root(next(m for m in row if m in hidden)), []).append(row)
    solved = []
    for group_rows in groups.values():
        order = sorted({m for row in group_rows for m in row if m in hidden})
        index = {c: i for i, c in enumerate(order)}
        matrix = np.zeros((len(group_rows), len(order)))
        for r, (total, *parts) in enumerate(group_rows):
            for coef, member in [(1.0, total), *[(-1.0, m) for m in parts]]:
                if member in index:
                    matrix[r, index[member]] += coef
        # Directions the hidden cells can move in together without changing a shown
        # figure: the null space of the equations. A cell with no part in it is determined.
        values, vectors = np.linalg.eigh(matrix.T @ matrix)
        free = vectors[:, values < 1e-9 * max(1.0, float(values.max()))]
        movable = (np.abs(free).max(axis=1) > 1e-9 if free.size
                   else np.zeros(len(order), bool))
        solved += [c for c in order if 0 < cells[c] < k and not movable[index[c]]]
    # A hidden cell in no equation at all is not constrained by anything shown.
    return sorted(solved)


def _hide_beside(cells: Mapping[Coord, int], eqs: list[tuple[Coord, list[Coord]]],
                 hidden: set[Coord], cell: Coord) -> None:
    """Hide the smallest shown non-zero cell nearest to `cell` (through shared equations);
    a shown zero only when nothing else is left."""
    seen, frontier = {cell}, {cell}
    zeros: list[Coord] = []
    while frontier:
        near: set[Coord] = set()
        for total, parts in eqs:
            members = [total, *parts]
            if any(m in frontier for m in members):
                near.update(m for m in members if m not in seen)
        candidates = sorted((cells[c], c) for c in near if c not in hidden and cells[c] > 0)
        if candidates:
            hidden.add(candidates[0][1])
            return
        zeros.extend(sorted(c for c in near if c not in hidden))
        seen |= near
        frontier = near
    if not zeros:
        raise RuntimeError(f"cannot protect {cell}: nothing left to hide")
    hidden.add(zeros[0])


@dataclass(frozen=True)
class Published:
    """A cube as it may leave the organisation: hidden cells are None."""

    dims: tuple[Dimension, ...]
    k: int
    cells: dict[Coord, int | None]

    def get(self, *coord: str) -> int | None:
        return self.cells[tuple(coord)]


def publish(leaf_counts: Mapping[Coord, int], dims: Sequence[Dimension], k: int) -> Published:
    cells = cube(leaf_counts, dims)
    hidden = suppress(cells, dims, k)
    return Published(tuple(dims), k, {c: (None if c in hidden else v) for c, v in cells.items()})
