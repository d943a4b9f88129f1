"""Small-cell suppression, attacked: an adversary who sees every published figure (of one
query or of many overlapping ones) solves for each hidden cell with linear programming."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from qorgau.insights.suppression import (
    ALL,
    Coord,
    Dimension,
    Published,
    cube,
    equations,
    publish,
)

REGIONS = Dimension.flat("region", ["west", "almaty", "astana", "atyrau"])
PERIODS = Dimension(
    "period",
    {
        "2024": ALL,
        "2024-Q1": "2024",
        "2024-Q2": "2024",
        "2024-Q3": "2024",
        "2024-Q4": "2024",
        "2025": ALL,
        "2025-Q1": "2025",
        "2025-Q2": "2025",
    },
)
BEARERS = Dimension.flat("bearer", ["police", "prosecutor", "court"])


def attack(published: Published, shown: set | None = None) -> dict:
    """The tightest interval a linear-programming adversary gets for each hidden cell,
    knowing every shown cell (or only those in `shown`), that totals are sums, and that
    counts are not negative."""
    cells = published.cells
    visible = {c: v for c, v in cells.items() if v is not None and (shown is None or c in shown)}
    unknown = [c for c in cells if c not in visible]
    index = {c: i for i, c in enumerate(unknown)}
    rows, rhs = [], []
    for total, parts in equations(published.dims):
        row = np.zeros(len(unknown))
        value = 0
        for coef, member in [(1, total), *[(-1, p) for p in parts]]:
            if member in index:
                row[index[member]] += coef
            else:
                value -= coef * visible[member]
        if row.any():
            rows.append(row)
            rhs.append(value)
    bounds = {}
    for cell in unknown:
        if cells[cell] is not None:
            continue  # not hidden, just not in this attacker's view
        objective = np.zeros(len(unknown))
        objective[index[cell]] = 1
        low = linprog(objective, A_eq=np.array(rows), b_eq=rhs, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=np.array(rows), b_eq=rhs, bounds=(0, None), method="highs")
        upper = -high.fun if high.status == 0 else float("inf")
        bounds[cell] = (round(low.fun, 6), round(upper, 6))
    return bounds


def assert_nothing_recovered(published: Published, truth: dict, shown: set | None = None):
    for cell, (low, high) in attack(published, shown).items():
        assert low <= truth[cell] <= high, (cell, low, high, truth[cell])
        if 0 < truth[cell] < published.k:
            assert high - low >= 1, f"{cell} = {truth[cell]} recovered: [{low}, {high}]"


def leaves(dims, rng, low=0, high=20):
    coords = [[v for v in d.values if d.is_leaf(v)] for d in dims]
    import itertools

    return {c: rng.choice([0, 1, 2, 3, rng.randint(low, high)]) for c in itertools.product(*coords)}


def test_cube_sums_every_level():
    counts: dict[Coord, int] = {
        ("west", "2024-Q1"): 3,
        ("west", "2024-Q3"): 4,
        ("almaty", "2025-Q2"): 7,
    }
    cells = cube(counts, [REGIONS, PERIODS])
    assert cells[("west", "2024")] == 7
    assert cells[("west", ALL)] == 7
    assert cells[(ALL, "2024-Q1")] == 3
    assert cells[(ALL, ALL)] == 14
    assert cells[("astana", "2025")] == 0


def test_cube_refuses_what_it_does_not_know():
    with pytest.raises(ValueError, match="not a leaf"):
        cube({("west", "2024"): 1}, [REGIONS, PERIODS])  # a total is not a leaf
    with pytest.raises(ValueError, match="not a leaf"):
        cube({("mars", "2024-Q1"): 1}, [REGIONS, PERIODS])
    with pytest.raises(ValueError, match="negative"):
        cube({("west", "2024-Q1"): -1}, [REGIONS, PERIODS])


def test_small_counts_are_hidden_and_zero_and_large_are_shown():
    counts: dict[Coord, int] = {
        ("west", "2024-Q1"): 2,
        ("west", "2024-Q2"): 30,
        ("west", "2024-Q3"): 40,
        ("almaty", "2024-Q1"): 25,
        ("almaty", "2024-Q2"): 33,
    }
    published = publish(counts, [REGIONS, PERIODS], k=5)
    assert published.get("west", "2024-Q1") is None
    assert published.get("astana", "2024-Q1") == 0
    assert published.get(ALL, ALL) == 130
    assert published.get("almaty", "2024-Q2") == 33 or published.get("almaty", "2024-Q2") is None


def test_the_attack_works_on_primary_suppression_alone():
    """The control: hiding only the small cells while showing totals gives them away."""
    counts: dict[Coord, int] = {
        ("west", "2024-Q1"): 2,
        ("west", "2024-Q2"): 30,
        ("almaty", "2024-Q1"): 25,
    }
    truth = cube(counts, [REGIONS, PERIODS])
    naive = Published(
        (REGIONS, PERIODS), 5, {c: (None if 0 < v < 5 else v) for c, v in truth.items()}
    )
    assert attack(naive)[("west", "2024-Q1")] == (2, 2)


@pytest.mark.parametrize("seed", range(12))
def test_no_hidden_count_is_recovered_from_totals(seed):
    rng = random.Random(seed)
    counts = leaves([REGIONS, PERIODS], rng)
    published = publish(counts, [REGIONS, PERIODS], k=5)
    truth = cube(counts, [REGIONS, PERIODS])
    assert any(v is None for v in published.cells.values()) or all(
        v == 0 or v >= 5 for v in truth.values()
    )
    assert_nothing_recovered(published, truth)


@pytest.mark.parametrize("seed", range(6))
def test_three_dimensions_hold_too(seed):
    rng = random.Random(100 + seed)
    dims = [REGIONS, BEARERS, PERIODS]
    counts = leaves(dims, rng)
    published = publish(counts, dims, k=5)
    assert_nothing_recovered(published, cube(counts, dims))


def test_differencing_two_overlapping_queries_recovers_nothing():
    """Query 1: West by quarter, 2024 and its total. Query 2: every region in 2024 and
    Q1-Q3 for West. Both are selections of one published cube; together they tell no more
    than the cube does."""
    counts: dict[Coord, int] = {
        ("west", "2024-Q1"): 9,
        ("west", "2024-Q2"): 11,
        ("west", "2024-Q3"): 8,
        ("west", "2024-Q4"): 3,
        ("almaty", "2024-Q1"): 12,
        ("almaty", "2024-Q4"): 14,
        ("astana", "2024-Q2"): 6,
        ("atyrau", "2024-Q3"): 7,
    }
    dims = [REGIONS, PERIODS]
    published = publish(counts, dims, k=5)
    truth = cube(counts, dims)
    assert published.get("west", "2024-Q4") is None
    query_1 = {("west", p) for p in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2024")}
    query_2 = {(r, "2024") for r in REGIONS.values} | {
        ("west", p) for p in ("2024-Q1", "2024-Q2", "2024-Q3")
    }
    seen = {c for c in query_1 | query_2 if published.cells[c] is not None}
    # "The year minus Q1-Q3" cannot be done: not all four figures are shown.
    assert (
        not {("west", "2024"), ("west", "2024-Q1"), ("west", "2024-Q2"), ("west", "2024-Q3")}
        <= seen
    )
    assert_nothing_recovered(published, truth, shown=seen)
    assert_nothing_recovered(published, truth)


def test_differencing_works_against_sums_made_after_suppression():
    """The control for the design choice: if a query summed cells itself (West, Q1-Q3 as
    one figure) the difference from the year would reveal Q4."""
    counts: dict[Coord, int] = {
        ("west", "2024-Q1"): 9,
        ("west", "2024-Q2"): 11,
        ("west", "2024-Q3"): 8,
        ("west", "2024-Q4"): 3,
        ("almaty", "2024-Q1"): 40,
    }
    truth = cube(counts, [REGIONS, PERIODS])
    year = truth[("west", "2024")]
    first_three = sum(truth[("west", q)] for q in ("2024-Q1", "2024-Q2", "2024-Q3"))
    assert year - first_three == 3  # what suppression of cube cells prevents


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(
        st.tuples(
            st.sampled_from(["west", "almaty", "astana", "atyrau"]),
            st.sampled_from(["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]),
        ),
        st.integers(0, 12),
        max_size=24,
    ),
    st.integers(2, 6),
)
def test_property_no_hidden_small_count_is_pinned(counts, k):
    published = publish(counts, [REGIONS, PERIODS], k=k)
    truth = cube(counts, [REGIONS, PERIODS])
    for cell, value in published.cells.items():
        assert value is None or value == truth[cell]
        if 0 < truth[cell] < k:
            assert value is None
    assert_nothing_recovered(published, truth)


def test_k_below_two_hides_nothing():
    published = publish({("west", "2024-Q1"): 1}, [REGIONS, PERIODS], k=1)
    assert published.get("west", "2024-Q1") == 1


def test_dimensions_are_checked():
    with pytest.raises(ValueError, match="unknown parent"):
        Dimension("period", {"2024-Q1": "2024"})
