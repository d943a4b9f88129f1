"""Cubes of counts as they may be shown: exact inside an organisation, suppressed when they
leave it (monitors, coalitions, anything exported for them)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum

from qorgau.accounts.models import INSIGHT_ROLES, Organisation
from qorgau.cases.regions import KZ_REGIONS
from qorgau.duties.services import profiles
from qorgau.insights import metrics
from qorgau.insights.models import MetricCount
from qorgau.insights.suppression import ALL, Coord, Dimension, Published, publish

QUARTERS = ("Q1", "Q2", "Q3", "Q4")


def threshold() -> int:
    return int(getattr(settings, "QORGAU_SUPPRESSION_K", 5))


@dataclass(frozen=True)
class Scope:
    """Whose cases are counted, and whether the figures leave the organisation."""

    organisation_ids: tuple[int, ...]
    suppressed: bool


def scope_for(organisation: Organisation, role: str) -> Scope | None:
    """Monitors see the suppressed sums of every organisation that shares its aggregates
    (and their own); supervisors and administrators see their own organisation exactly."""
    if role == "monitor":
        ids = set(Organisation.objects.filter(shares_aggregates=True)
                  .values_list("pk", flat=True))
        ids.add(organisation.pk)
        return Scope(tuple(sorted(ids)), True)
    if role in INSIGHT_ROLES:  # supervisor, admin
        return Scope((organisation.pk,), False)
    return None


def regions_dimension() -> Dimension:
    return Dimension.flat("region", list(KZ_REGIONS))


def periods_dimension(year: int) -> Dimension:
    """One year: its quarters under it. A cube never spans years, so no figure is shared
    between the cubes of two years (nothing to difference)."""
    return Dimension("period", {f"{year}-{q}": ALL for q in QUARTERS})


def keys_dimension(metric: metrics.Metric, profile: str) -> Dimension:
    if metric.id == "obligations_by_bearer":
        parents = {b: ALL for b in metrics.BEARERS}
        parents.update({f"{b}.{s}": b for b in metrics.BEARERS for s in metrics.STATUSES})
        return Dimension("key", parents)
    if metric.id == "breaches_by_rule":
        rules = [r.id for r in profiles.cached(profile, str(settings.QORGAU_PROFILES_DIR)).rules]
        return Dimension.flat("key", rules)
    return Dimension.flat("key", list(metric.keys))


def cube(scope: Scope, metric_id: str, profile: str, year: int) -> Published:
    """The published cube. Suppressed cubes are kept in the shared cache for
    QORGAU_INSIGHTS_CACHE_SECONDS (the audit is the costly part; quarterly figures a few
    minutes old are fine, and fewer recomputations leave less to difference over time)."""
    if not scope.suppressed:
        return _build(scope, metric_id, profile, year)
    ids = hashlib.sha256(",".join(map(str, scope.organisation_ids)).encode()).hexdigest()[:16]
    key = f"insights:cube:{ids}:{metric_id}:{profile}:{year}:{threshold()}"
    cached = cache.get(key)
    if cached is None:
        cached = _build(scope, metric_id, profile, year)
        cache.set(key, cached, getattr(settings, "QORGAU_INSIGHTS_CACHE_SECONDS", 600))
    return cached


def _build(scope: Scope, metric_id: str, profile: str, year: int) -> Published:
    metric = metrics.METRICS[metric_id]
    dims = [regions_dimension(), periods_dimension(year), keys_dimension(metric, profile)]
    known = [set(d.parent) for d in dims]
    leaves: dict[Coord, int] = {}
    rows = (MetricCount.objects
            .filter(organisation_id__in=scope.organisation_ids, metric=metric_id,
                    profile=profile, period__gte=f"{year}-Q1", period__lte=f"{year}-Q4")
            .values_list("region", "period", "key").annotate(total=Sum("count")))
    for region, period, key, total in rows:
        coord = (region, period, key)
        if total and all(v in k for v, k in zip(coord, known, strict=True)):
            leaves[coord] = leaves.get(coord, 0) + int(total)
    return publish(leaves, dims, threshold() if scope.suppressed else 0)
