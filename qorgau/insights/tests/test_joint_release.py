"""The tables of one release solved together: four tables count the same duties (and three
more count their outcomes and the cases), so an adversary who writes down the identities
between them and solves every published figure at once (linear programming: the least and
greatest value of each hidden cell) must still be left with at least k values for every
hidden count; and so must one who differences two releases, before and after one more case.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from qorgau.duties import profiles
from qorgau.insights import metrics
from qorgau.insights.suppression import (
    ALL,
    Dimension,
    Published,
    cube,
    equations,
    publish,
    release,
)

K = 5
REGIONS = Dimension.flat("region", ["KZ-27", "KZ-75", "KZ-71", "KZ-23"])
PERIODS = Dimension("period", {f"2024-Q{q}": ALL for q in range(1, 5)})
TODAY = date(2025, 3, 1)
RULES = [metrics.RuleInfo(r.id, None if r.bearer_from_institution else r.duty_bearer,
                          r.measures)
         for r in profiles.load("kz", Path(__file__).parents[3] / "profiles").rules]
TABLES = {m: (REGIONS, PERIODS, metrics.key_dimension(metrics.METRICS[m], RULES))
          for m in metrics.JOINT}
RELATIONS = metrics.relations(RULES, REGIONS.values, PERIODS.values)
# The attacker writes the identities at every total too (they add nothing, it checks that).
ATTACK_RELATIONS = metrics.relations(RULES, REGIONS.values, PERIODS.values, totals=True)


def random_case(rng: random.Random) -> tuple[str, metrics.CaseInput]:
    obligations = []
    for _ in range(rng.randint(1, 5)):
        rule = rng.choice(RULES)
        trigger = date(2024, 1, 1) + timedelta(days=rng.randint(0, 364))
        status = rng.choice(["met", "met", "breached", "pending"])
        late = status == "met" and rng.random() < 0.3
        satisfied = trigger + timedelta(days=rng.randint(0, 40)) if status == "met" else None
        obligations.append(metrics.ObligationFact(
            rule.id, rule.bearer or rng.choice(metrics.BEARERS), rule.measures, status, late,
            trigger, trigger + timedelta(days=3), satisfied))
    return rng.choice(REGIONS.values[1:]), metrics.CaseInput([], obligations, [], [])


def leaves(cases: list[tuple[str, metrics.CaseInput]]) -> dict[str, dict]:
    counts: dict[str, Counter] = {m: Counter() for m in metrics.JOINT}
    for region, case in cases:
        for (metric, key, period), n in metrics.case_facts(case, TODAY).items():
            # What publication.cube reads: leaves of the table's dimensions only (a
            # bearer outside obligations_by_bearer is not in it).
            if metric in counts and TABLES[metric][2].is_leaf(key):
                counts[metric][(region, period, key)] += n
    return {m: dict(c) for m, c in counts.items()}


def separately(counts: dict[str, dict]) -> dict[str, Published]:
    """How the tables were published before: each suppressed and audited on its own."""
    return {m: publish(counts[m], TABLES[m], K) for m in metrics.JOINT}


def truth_of(counts: dict[str, dict]) -> dict:
    return {(m, c): v for m in metrics.JOINT for c, v in cube(counts[m], TABLES[m]).items()}


def attack(releases: list[tuple[dict[str, Published], dict]],
           deltas: list[dict] | None = None) -> dict:
    """The adversary: every shown figure of every release, every total, every relation
    between the tables (with the constants they have in truth), counts not negative, and,
    across releases, what changed (`deltas`: the new case's own counts, known exactly).
    Returns the interval of each hidden cell of the first release."""
    variables: dict = {}
    truths = releases[-1][1]

    def term(n: int, cell) -> tuple:
        published = releases[n][0][cell[0]].cells[cell[1]]
        if published is not None:
            return (None, published)
        return (variables.setdefault((n, cell), len(variables)), 0)

    resolved = []
    for n, (_published, truth) in enumerate(releases):
        rows: list[tuple[list[tuple[int, tuple]], bool, int]] = []
        for m in metrics.JOINT:
            for total, parts in equations(TABLES[m]):
                rows.append(([(1, (m, total)), *[(-1, (m, p)) for p in parts]], True, 0))
        for relation in ATTACK_RELATIONS:
            constant = sum(c * truth[cell] for c, cell in relation.terms)
            rows.append((list(relation.terms), relation.exact,
                         constant if relation.exact else min(constant, 0)))
        resolved += [([(c, *term(n, cell)) for c, cell in terms], exact, constant)
                     for terms, exact, constant in rows]
    for n, delta in enumerate(deltas or []):  # release n+1 = release n + the new case
        for cell, change in delta.items():
            resolved.append(([(1, *term(n + 1, cell)), (-1, *term(n, cell))], True, change))
    eq: tuple[list, list, list, list] = ([], [], [], [])
    ub: tuple[list, list, list, list] = ([], [], [], [])
    for terms, exact, constant in resolved:
        data, cols, rws, rhs = eq if exact else ub
        sign = 1 if exact else -1
        value = constant
        for coef, index, shown in terms:
            if index is None:
                value -= coef * shown
            else:
                data.append(sign * coef)
                cols.append(index)
                rws.append(len(rhs))
        rhs.append(sign * value)
    a_eq = csr_matrix((eq[0], (eq[2], eq[1])), shape=(len(eq[3]), len(variables)))
    a_ub = csr_matrix((ub[0], (ub[2], ub[1])), shape=(len(ub[3]), len(variables)))
    bounds = (0, sum(truths.values()) + K)  # no count is larger: keeps programs bounded

    def solve(objective):
        result = linprog(objective, A_eq=a_eq, b_eq=eq[3], A_ub=a_ub, b_ub=ub[3],
                         bounds=bounds, method="highs")
        assert result.status == 0, result.message
        return result.x

    # Only counts from 1 to k-1 matter; each is pushed down and up, first all together
    # (a solution that already spreads a cell over k values settles it), then one by one.
    small = {cell: index for (n, cell), index in variables.items()
             if n == 0 and 0 < releases[0][1][cell] < K}
    found = {cell: [releases[0][1][cell]] * 2 for cell in small}

    def note(x):
        for cell, index in small.items():
            found[cell] = [min(found[cell][0], x[index]), max(found[cell][1], x[index])]

    for sign in (1, -1):
        objective = np.zeros(len(variables))
        objective[list(small.values())] = sign
        note(solve(objective))
    for cell, index in small.items():
        for sign in (1, -1):
            if found[cell][1] - found[cell][0] >= K - 1:
                break
            objective = np.zeros(len(variables))
            objective[index] = sign
            note(solve(objective))
    return {cell: (round(low, 6), round(high, 6)) for cell, (low, high) in found.items()}


def recovered(found: dict, truth: dict) -> list:
    """Hidden counts (from 1 to k-1) left with fewer than k possible values."""
    out = []
    for cell, (low, high) in found.items():
        assert low - 1e-6 <= truth[cell] <= high + 1e-6, (cell, low, high, truth[cell])
        if high - low < K - 1:
            out.append((cell, truth[cell], low, high))
    return out


CASES = [random_case(random.Random(seed)) for seed in range(40)]
BEFORE = leaves(CASES)
AFTER = leaves([*CASES, random_case(random.Random(1000))])


def change(before: dict, after: dict) -> dict:
    """The new case's own counts: what a monitor who knows of it can subtract."""
    old, new = truth_of(before), truth_of(after)
    return {cell: new[cell] - old[cell] for cell in new}


def hidden_cells(published: dict[str, Published]) -> set:
    return {(m, c) for m, p in published.items() for c, v in p.cells.items() if v is None}


def test_tables_suppressed_one_by_one_give_counts_away():
    """The control (and how it was): each table audited alone; solved together with the
    identities between them, hidden counts are narrowed below k values."""
    truth = truth_of(BEFORE)
    assert len(recovered(attack([(separately(BEFORE), truth)]), truth)) >= 5


def test_one_release_of_the_joint_tables_leaves_every_hidden_count_k_values():
    truth = truth_of(BEFORE)
    published = release(BEFORE, TABLES, RELATIONS, K)
    for m in metrics.JOINT:  # what is shown is true, and no small count is shown
        for coord, value in published[m].cells.items():
            assert value is None or value == truth[(m, coord)]
            assert value is None or not 0 < value < K
    assert recovered(attack([(published, truth)]), truth) == []


def test_two_releases_a_case_apart_cannot_be_differenced():
    """Before and after one more case, the attacker knowing that case's own counts exactly:
    published independently, cells hidden in one are shown in the other and the
    difference gives them away; a release that hides again what the last one hid leaves
    every hidden count of the first k values."""
    truth, delta = truth_of(BEFORE), change(BEFORE, AFTER)
    first = separately(BEFORE)
    naive = recovered(attack([(first, truth), (separately(AFTER), truth_of(AFTER))], [delta]),
                      truth)
    assert naive  # the control: the attack works

    first = release(BEFORE, TABLES, RELATIONS, K)
    second = release(AFTER, TABLES, RELATIONS, K, keep=hidden_cells(first))
    assert hidden_cells(first) <= hidden_cells(second)
    assert recovered(attack([(first, truth), (second, truth_of(AFTER))], [delta]),
                     truth) == []


def _store(org, counts: dict[str, dict]) -> None:
    from qorgau.insights.models import MetricCount

    MetricCount.objects.filter(organisation=org).delete()
    MetricCount.objects.bulk_create(
        MetricCount(organisation=org, region=region, profile="kz", metric=metric, key=key,
                    period=period, count=n)
        for metric, cells in counts.items() for (region, period, key), n in cells.items())


def test_what_monitors_read_is_one_release_that_remembers(db, org):
    """The dashboard, downloads and API read publication.cube: the joint tables come from
    one release, and after one more case (and the cache gone) the next release hides again
    everything the first hid."""
    from django.core.cache import cache

    from qorgau.insights import publication
    from qorgau.insights.models import Release

    monitor = publication.Scope((org.pk,), suppressed=True)
    _store(org, BEFORE)
    cache.clear()
    first = {m: publication.cube(monitor, m, "kz", 2024, "KZ") for m in metrics.JOINT}
    assert Release.objects.count() == 1
    truth = truth_of(BEFORE)
    shown = {(m, c): v for m, p in first.items() for c, v in p.cells.items()
             if v is not None and c[0] in REGIONS.values}
    assert shown and all(v == truth[cell] for cell, v in shown.items())

    _store(org, AFTER)
    cache.clear()
    second = {m: publication.cube(monitor, m, "kz", 2024, "KZ") for m in metrics.JOINT}
    assert hidden_cells(first) <= hidden_cells(second)
    exact = publication.cube(publication.Scope((org.pk,), False), "obligations_by_bearer",
                             "kz", 2024, "KZ")
    assert all(v is not None for v in exact.cells.values())  # inside: exact, no release
    assert Release.objects.count() == 1


def test_a_release_the_audit_cannot_protect_shows_nothing_and_no_error(db, org, monkeypatch):
    from django.core.cache import cache

    from qorgau.insights import publication

    def cannot(*args, **kwargs):
        raise RuntimeError("cannot protect")

    _store(org, BEFORE)
    cache.clear()
    monkeypatch.setattr(publication, "release", cannot)
    published = publication.cube(publication.Scope((org.pk,), True), "breach_response",
                                 "kz", 2024, "KZ")
    assert published.cells and all(v is None for v in published.cells.values())


def test_the_audit_runs_in_the_background_never_in_the_request(db, org, settings, client,
                                                              erin):
    """At a national scale a release's audit takes minutes: a monitor's request never runs
    it. Before the first release every count is hidden and the page says they are being
    prepared; the worker's task computes and stores the release, which requests then read;
    new counts queue a new release while the stored one is still shown."""
    from django.core.cache import cache
    from django.urls import reverse
    from django_tasks import default_task_backend

    from qorgau.insights import publication
    from qorgau.insights.models import Release

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    monitor = publication.Scope((org.pk,), suppressed=True)
    _store(org, BEFORE)
    cache.clear()
    first = publication.cube(monitor, "obligations_by_bearer", "kz", 2024, "KZ")
    assert all(v is None for v in first.cells.values())  # nothing computed in the request
    assert publication.preparing(monitor, "kz", 2024, "KZ")
    queued = default_task_backend.results
    assert [r.task.name for r in queued] == ["publish_release"]
    joint = queued[0].args
    client.force_login(erin)
    page = client.get(reverse("insights:dashboard"), {"year": 2024, "profile": "kz"})
    assert "being prepared" in page.content.decode()
    waiting = len(default_task_backend.results)  # the other tables' releases too, once each

    publication.publish_release.call(*joint)  # what the worker does
    cache.clear()
    shown = publication.cube(monitor, "obligations_by_bearer", "kz", 2024, "KZ")
    assert any(v is not None for v in shown.cells.values())
    assert not publication.preparing(monitor, "kz", 2024, "KZ")
    assert len(default_task_backend.results) == waiting  # same counts: nothing queued again

    _store(org, AFTER)
    cache.clear()
    again = publication.cube(monitor, "obligations_by_bearer", "kz", 2024, "KZ")
    assert again.cells == shown.cells  # the stored release, while the new one is computed
    assert len(default_task_backend.results) == waiting + 1
    assert Release.objects.filter(published__isnull=False).count() == 1
