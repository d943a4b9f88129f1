"""Cubes of counts as they may be shown: exact inside an organisation, suppressed when they
leave it (monitors, coalitions, anything exported for them)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum

from qorgau.accounts.models import INSIGHT_ROLES, Organisation
from qorgau.cases import regions
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


def regions_dimension(country: str) -> Dimension:
    """One country's regions: a cube never spans countries, so "all regions" is one
    country's total and no figure adds up cases under different states' law and data."""
    return Dimension.flat("region", [code for code, _name in regions.regions_of(country)])


def countries(scope: Scope, profile: str, year: int) -> list[str]:
    """The countries a profile's cube can be asked for: the profile's own (kz: KZ), and
    those of the regions counted under it that year (intl: any), profile's first."""
    stored = (MetricCount.objects
              .filter(organisation_id__in=scope.organisation_ids, profile=profile,
                      period__gte=f"{year}-Q1", period__lte=f"{year}-Q4")
              .values_list("region", flat=True).distinct())
    found = sorted({regions.country_of(r) for r in stored} - {""})
    own = regions.profile_country(profile)
    return [own, *(c for c in found if c != own)] if own else found


def default_country(scope: Scope, profile: str, year: int) -> str:
    found = countries(scope, profile, year)
    return found[0] if found else (regions.profile_country(profile) or "KZ")


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


def cube(scope: Scope, metric_id: str, profile: str, year: int,
         country: str = "") -> Published:
    """The published cube of one country's regions (by default the profile's country, for
    intl the first counted). Suppressed cubes are kept in the shared cache for
    QORGAU_INSIGHTS_CACHE_SECONDS (the audit is the costly part; quarterly figures a few
    minutes old are fine, and fewer recomputations leave less to difference over time)."""
    country = country.upper() or default_country(scope, profile, year)
    if not scope.suppressed:
        return _build(scope, metric_id, profile, year, country)
    ids = hashlib.sha256(",".join(map(str, scope.organisation_ids)).encode()).hexdigest()[:16]
    key = f"insights:cube:{ids}:{metric_id}:{profile}:{year}:{country}:{threshold()}"
    cached = cache.get(key)
    if cached is None:
        cached = _build(scope, metric_id, profile, year, country)
        cache.set(key, cached, getattr(settings, "QORGAU_INSIGHTS_CACHE_SECONDS", 600))
    return cached


def _build(scope: Scope, metric_id: str, profile: str, year: int, country: str) -> Published:
    metric = metrics.METRICS[metric_id]
    dims = [regions_dimension(country), periods_dimension(year),
            keys_dimension(metric, profile)]
    known = [set(d.parent) for d in dims]
    leaves: dict[Coord, int] = {}
    rows = (MetricCount.objects
            .filter(organisation_id__in=scope.organisation_ids, metric=metric_id,
                    profile=profile, period__gte=f"{year}-Q1", period__lte=f"{year}-Q4")
            .values_list("region", "period", "key").annotate(total=Sum("count")))
    for stored, period, key, total in rows:
        # Cases opened before ISO codes count under theirs (kz-west is KZ-27); regions of
        # another country are not in this cube's dimension, so they are left out below.
        coord = (regions.canonical(stored), period, key)
        if total and all(v in k for v, k in zip(coord, known, strict=True)):
            leaves[coord] = leaves.get(coord, 0) + int(total)
    return publish(leaves, dims, threshold() if scope.suppressed else 0)
