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

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: a web worker that publishes nothing never loads it
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


def suppress(cells: Mapping[Coord, int], dims: Sequence[Dimension], k: int,
             start: Collection[Coord] = ()) -> set[Coord]:
    """The cells to hide so that no count below k can be seen or solved for (in this one
    table; `release` audits several together). `start`: cells hidden already."""
    if k < 2:
        return set()
    hidden = {coord for coord, count in cells.items() if 0 < count < k} | set(start)
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
    import numpy as np

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


# --- Joint release: several tables that count the same things -------------------------

Cell = tuple[str, Coord]  # (table, coordinate)


@dataclass(frozen=True)
class Relation:
    """An identity between the counts of different tables, as anyone who reads the
    definitions knows it: sum(coef * cell) == constant (`exact`), or >= constant (one
    table counts a subset of what another counts). The constant is taken from the true
    counts when the release is made, so the audit assumes the attacker knows it too."""

    terms: tuple[tuple[int, Cell], ...]
    exact: bool = True


Row = tuple[Sequence[tuple[int, Cell]], bool]  # (coef, cell) terms; exact, or >= 0


def table_rows(tables: Mapping[str, Sequence[Dimension]]) -> list[Row]:
    """Every total of every table as a row: total - parts == 0."""
    return [([(1, (name, total)), *[(-1, (name, p)) for p in parts]], True)
            for name, dims in tables.items() for total, parts in equations(dims)]


def unprotected(values: Mapping[Cell, int], hidden: set[Cell], rows: Sequence[Row],
                targets: Sequence[Cell], k: int) -> list[Cell]:
    """The targets (hidden cells) that linear programming narrows to fewer than k values,
    from every shown cell (and constant: `values`), every row (an equation, or >= 0 when
    not exact) and counts not being negative. Each group of hidden cells linked by rows is
    solved on its own; every solution found (all targets pushed down, then up, together;
    then one by one) widens the range seen of each target, and a target whose range is
    k - 1 wide needs no program of its own. Needs scipy (HiGHS)."""
    parent = {c: c for c in hidden}

    def root(c: Cell) -> Cell:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    linked: list[Row] = []
    for terms, exact in rows:
        members = [c for _coef, c in terms if c in hidden]
        if not members:
            continue
        linked.append((terms, exact))
        first = root(members[0])
        for m in members[1:]:
            parent[root(m)] = first
    groups: dict[Cell, list[Row]] = {}
    for terms, exact in linked:
        groups.setdefault(root(next(c for _coef, c in terms if c in hidden)), []).append(
            (terms, exact))
    wanted: dict[Cell, list[Cell]] = {}
    for cell in targets:
        wanted.setdefault(root(cell), []).append(cell)
    # Every count is at most the largest true one: a cap that keeps the programs bounded
    # (the true counts stay a solution) and is far above any target's k - 1.
    cap = max(values.values(), default=0) + k
    weak: list[Cell] = []
    for group_root, cells in wanted.items():
        group = groups.get(group_root, [])
        order = sorted({c for terms, _e in group for _coef, c in terms if c in hidden}
                       | set(cells))
        weak += _weak_in_group(values, group, order, cells, k, cap)
    return sorted(weak)


def _weak_in_group(values: Mapping[Cell, int], group: Sequence[Row], order: list[Cell],
                   cells: list[Cell], k: int, cap: int) -> list[Cell]:
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    index = {c: i for i, c in enumerate(order)}
    weak: list[Cell] = []
    eq: tuple[list[float], list[int], list[int], list[float]] = ([], [], [], [])
    ub: tuple[list[float], list[int], list[int], list[float]] = ([], [], [], [])
    for terms, exact in group:
        data, cols, rws, rhs = eq if exact else ub
        sign = 1 if exact else -1  # sum >= c  is  -sum <= -c
        row, constant = len(rhs), 0
        for coef, cell in terms:
            if cell in index:
                data.append(sign * coef)
                cols.append(index[cell])
                rws.append(row)
            else:
                constant -= coef * values[cell]
        rhs.append(sign * constant)

    def matrix(part: tuple[list[float], list[int], list[int], list[float]]
               ) -> csr_matrix | None:
        data, cols, rws, rhs = part
        return csr_matrix((data, (rws, cols)), shape=(len(rhs), len(order))) if rhs else None

    a_eq, a_ub = matrix(eq), matrix(ub)

    def solve(objective: np.ndarray) -> np.ndarray:
        found = linprog(objective, A_eq=a_eq, b_eq=eq[3] or None, A_ub=a_ub,
                        b_ub=ub[3] or None, bounds=(0, cap), method="highs")
        if found.status != 0:  # the true counts are a solution: never infeasible
            raise RuntimeError(f"the audit could not solve the figures: {found.message}")
        return np.asarray(found.x)

    # The least and greatest value seen of each target in solutions found so far (the
    # true counts are one): a target is proved once they are k - 1 apart.
    seen = {c: [float(values[c]), float(values[c])] for c in cells}
    left = list(cells)

    def screen(point: np.ndarray) -> None:
        for c in left:
            v = float(point[index[c]])
            seen[c][0], seen[c][1] = min(seen[c][0], v), max(seen[c][1], v)
        left[:] = [c for c in left if not protected(seen[c][0], seen[c][1], k)]

    progress, rounds = True, 0
    rng = np.random.default_rng(0)  # the same release from the same figures
    while left and progress:  # move them all at once while that proves any
        before = len(left)
        for direction in (1.0, -1.0):
            objective = np.zeros(len(order))
            objective[[index[c] for c in left]] = direction
            if rounds:  # then mixed directions: other corners of the solutions
                objective[[index[c] for c in left]] *= rng.choice((-1.0, 1.0), len(left))
            screen(solve(objective))
        rounds += 1
        progress = len(left) < before
    for cell in list(left):
        for direction in (-1.0, 1.0):
            if cell not in left:
                break  # proved by an earlier program's solution
            objective = np.zeros(len(order))
            objective[index[cell]] = direction
            screen(solve(objective))
        if cell in left:  # both ends are exact now, and too close
            left.remove(cell)
            weak.append(cell)
    return weak


def protected(low: float, high: float, k: int) -> bool:
    """A hidden count is protected when everything published leaves it at least k possible
    values (as many as "hidden" itself says: 0 to k-1)."""
    return high - low >= k - 1 - 1e-6  # the solver's tolerance


def release(leaf_counts: Mapping[str, Mapping[Coord, int]],
            tables: Mapping[str, Sequence[Dimension]], relations: Sequence[Relation],
            k: int, keep: Collection[Cell] = ()) -> dict[str, Published]:
    """Publish several tables at once so that, solving all of them together with the
    relations between them, no hidden count from 1 to k-1 is narrowed to fewer than k
    values. `keep`: cells an earlier release of the same tables hid, hidden again, so two
    releases (before and after a change) cannot be differenced."""
    cells = {name: cube(leaf_counts.get(name, {}), dims) for name, dims in tables.items()}
    values = {(name, c): v for name, table in cells.items() for c, v in table.items()}
    if k < 2:
        return {name: Published(tuple(tables[name]), k, dict(cells[name])) for name in tables}
    kept = {cell for cell in keep if cell in values}
    hidden: set[Cell] = set()

    def complete() -> None:
        for name, dims in tables.items():
            start = {c for t, c in kept | hidden if t == name}
            hidden.update((name, c) for c in suppress(cells[name], dims, k, start))

    audit_rows = table_rows(tables)
    known = dict(values)
    for i, relation in enumerate(relations):
        # The relation's constant (from the true counts) is a shown pseudo-cell, so the
        # audit subtracts it like any other shown figure.
        constant = sum(coef * values[c] for coef, c in relation.terms)
        pseudo: Cell = ("", (str(i),))
        known[pseudo] = constant if relation.exact else min(constant, 0)
        audit_rows.append(([*relation.terms, (-1, pseudo)], relation.exact))
    complete()
    # Hiding a cell only widens what the others can be (a shown figure becomes unknown),
    # so a count proved protected stays so: each round checks only the counts still weak
    # and those newly hidden.
    targets = [c for c in sorted(hidden) if 0 < values[c] < k]
    while targets:
        weak = unprotected(known, hidden, audit_rows, targets, k)
        if not weak:
            break
        before = set(hidden)
        for cell in weak:
            _hide_beside_joint(values, audit_rows, hidden, cell)
        complete()
        targets = sorted(set(weak) | {c for c in hidden - before if 0 < values[c] < k})
    return {name: Published(tuple(dims), k, {c: (None if (name, c) in hidden else v)
                                             for c, v in cells[name].items()})
            for name, dims in tables.items()}


def _hide_beside_joint(values: Mapping[Cell, int],
                       rows: Sequence[Row],
                       hidden: set[Cell], cell: Cell) -> None:
    """Hide the smallest shown non-zero cell nearest to `cell` through shared rows."""
    seen, frontier = {cell}, {cell}
    zeros: list[Cell] = []
    while frontier:
        near: set[Cell] = set()
        for terms, _exact in rows:
            members = [c for _coef, c in terms if c[0]]  # not the constants
            if any(m in frontier for m in members):
                near.update(m for m in members if m not in seen)
        candidates = sorted((values[c], c) for c in near if c not in hidden and values[c] > 0)
        if candidates:
            hidden.add(candidates[0][1])
            return
        zeros.extend(sorted(c for c in near if c not in hidden))
        seen |= near
        frontier = near
    if not zeros:
        raise RuntimeError(f"cannot protect {cell}: nothing left to hide")
    hidden.add(zeros[0])
