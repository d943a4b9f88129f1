"""Cubes of counts as they may be shown: exact inside an organisation, suppressed when they
leave it (monitors, coalitions, anything exported for them)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django_tasks import task

from qorgau.accounts.models import INSIGHT_ROLES, Organisation
from qorgau.cases import regions
from qorgau.duties.services import profiles
from qorgau.insights import metrics
from qorgau.insights.models import MetricCount, Release
from qorgau.insights.suppression import ALL, Cell, Coord, Dimension, Published, release
from qorgau.insights.suppression import cube as every_cell

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
logger = logging.getLogger(__name__)


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


def rules(profile: str) -> list[metrics.RuleInfo]:
    return [metrics.RuleInfo(r.id, None if r.bearer_from_institution else r.duty_bearer,
                             r.measures)
            for r in profiles.cached(profile, str(settings.QORGAU_PROFILES_DIR)).rules]


def keys_dimension(metric: metrics.Metric, profile: str) -> Dimension:
    return metrics.key_dimension(metric, rules(profile))


def group_of(metric_id: str) -> tuple[str, ...]:
    """The tables published (and audited) together with this one."""
    return metrics.JOINT if metric_id in metrics.JOINT else (metric_id,)


def cube(scope: Scope, metric_id: str, profile: str, year: int,
         country: str = "") -> Published:
    """The published cube of one country's regions (by default the profile's country, for
    intl the first counted). A suppressed cube is one table of a release: the tables that
    count the same duties (metrics.JOINT) are suppressed together, and a release hides
    again whatever the last one for the same audience hid (Release).

    The audit of a release can take minutes at a national scale, so it never runs in a
    request: a release is computed by the background worker (`publish_release`) whenever
    the counts it covers changed, and stored; the request reads the newest stored one (the
    previous one while a new one is computed, or every cell hidden before the first one),
    kept in the shared cache for QORGAU_INSIGHTS_CACHE_SECONDS."""
    metrics.METRICS[metric_id]  # an unknown metric is a KeyError, as before
    country = country.upper() or default_country(scope, profile, year)
    if not scope.suppressed:  # exact: nothing hidden, so each table on its own
        alone = (metric_id,)
        return release(_leaves(scope, alone, profile, year, country), _tables(
            alone, profile, year, country), [], 0)[metric_id]
    group = group_of(metric_id)
    key = release_key(scope, group, profile, year, country)
    cached = cache.get(key)
    if cached is None:
        cached = _published(scope, group, profile, year, country, key)
        if cached is None:  # before the first release: nothing is shown (not cached)
            return pending(group, profile, year, country)[metric_id]
        cache.set(key, cached, getattr(settings, "QORGAU_INSIGHTS_CACHE_SECONDS", 600))
    return cached[metric_id]


def _published(scope: Scope, group: tuple[str, ...], profile: str, year: int, country: str,
               key: str) -> dict[str, Published] | None:
    """The stored release; when the counts changed since, a new one is queued (once) and,
    with the immediate backend of development and tests, is the one returned."""
    counts = fingerprint(_leaves(scope, group, profile, year, country))
    stored = Release.objects.filter(key=key).values_list("published", "counts").first()
    if (stored is None or stored[1] != counts) and cache.add(f"{key}:queued:{counts}", 1,
                                                             timeout=3600):
        publish_release.enqueue(list(scope.organisation_ids), list(group), profile, year,
                                country)
        stored = Release.objects.filter(key=key).values_list("published", "counts").first()
    if stored is None or stored[0] is None:
        return None
    return _load(stored[0], group, profile, year, country)


def pending(group: tuple[str, ...], profile: str, year: int,
            country: str) -> dict[str, Published]:
    """Every cell hidden: what a monitor sees before the first release is computed."""
    return {m: Published(tuple(dims), threshold(), dict.fromkeys(every_cell({}, dims)))
            for m, dims in _tables(group, profile, year, country).items()}


def preparing(scope: Scope, profile: str, year: int, country: str = "") -> bool:
    """A monitor's first release of these tables is still being computed."""
    if not scope.suppressed:
        return False
    country = country.upper() or default_country(scope, profile, year)
    key = release_key(scope, metrics.JOINT, profile, year, country)
    return not Release.objects.filter(key=key, published__isnull=False).exists()


@task()
def publish_release(organisation_ids: list[int], group: list[str], profile: str, year: int,
                    country: str) -> None:
    """Compute and store one release (the background worker; see `cube`)."""
    scope, joint = Scope(tuple(organisation_ids), True), tuple(group)
    key = release_key(scope, joint, profile, year, country)
    leaves = _leaves(scope, joint, profile, year, country)
    published = _release(scope, joint, profile, year, country, key, leaves)
    Release.objects.filter(key=key).update(published=_dump(published),
                                           counts=fingerprint(leaves))


def fingerprint(leaves: dict[str, dict[Coord, int]]) -> str:
    rows = sorted((m, *c, n) for m, cells in leaves.items() for c, n in cells.items())
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def _dump(published: dict[str, Published]) -> dict[str, object]:
    return {m: [[*c, v] for c, v in p.cells.items()] for m, p in published.items()}


def _load(data: dict[str, list[list[object]]], group: tuple[str, ...], profile: str,
          year: int, country: str) -> dict[str, Published]:
    tables = _tables(group, profile, year, country)
    return {m: Published(tuple(tables[m]), threshold(),
                         {(str(r[0]), str(r[1]), str(r[2])): (None if r[3] is None
                                                              else int(str(r[3])))
                          for r in data[m]})
            for m in group}


def release_key(scope: Scope, group: tuple[str, ...], profile: str, year: int,
                country: str) -> str:
    ids = hashlib.sha256(",".join(map(str, scope.organisation_ids)).encode()).hexdigest()[:16]
    name = "joint" if len(group) > 1 else group[0]
    return f"insights:release:{ids}:{name}:{profile}:{year}:{country}:{threshold()}"


def _tables(group: tuple[str, ...], profile: str, year: int,
            country: str) -> dict[str, list[Dimension]]:
    profile_rules = rules(profile)
    regions_dim, periods_dim = regions_dimension(country), periods_dimension(year)
    return {m: [regions_dim, periods_dim, metrics.key_dimension(metrics.METRICS[m],
                                                                profile_rules)]
            for m in group}


def _leaves(scope: Scope, group: tuple[str, ...], profile: str, year: int,
            country: str) -> dict[str, dict[Coord, int]]:
    tables = _tables(group, profile, year, country)
    leaves: dict[str, dict[Coord, int]] = {m: {} for m in group}
    rows = (MetricCount.objects
            .filter(organisation_id__in=scope.organisation_ids, metric__in=group,
                    profile=profile, period__gte=f"{year}-Q1", period__lte=f"{year}-Q4")
            .values_list("metric", "region", "period", "key").annotate(total=Sum("count")))
    for metric_id, stored, period, cell_key, total in rows:
        # Cases opened before ISO codes count under theirs (kz-west is KZ-27); regions of
        # another country are not in this cube's dimension, so they are left out below.
        coord = (regions.canonical(stored), period, cell_key)
        known = [set(d.parent) for d in tables[metric_id]]
        if total and all(v in k for v, k in zip(coord, known, strict=True)):
            leaves[metric_id][coord] = leaves[metric_id].get(coord, 0) + int(total)
    return leaves


def _release(scope: Scope, group: tuple[str, ...], profile: str, year: int, country: str,
             key: str | None, leaves: dict[str, dict[Coord, int]]) -> dict[str, Published]:
    profile_rules = rules(profile)
    regions_dim, periods_dim = regions_dimension(country), periods_dimension(year)
    tables = _tables(group, profile, year, country)
    if key is None:  # exact figures, inside the organisation
        return release(leaves, tables, [], 0)
    relations = (metrics.relations(profile_rules, regions_dim.values, periods_dim.values)
                 if len(group) > 1 else [])
    with transaction.atomic():
        memory, _created = Release.objects.select_for_update().get_or_create(key=key)
        kept: set[Cell] = {(t, (r, p, k)) for t, r, p, k in memory.hidden}
        try:
            published = release(leaves, tables, relations, threshold(), keep=kept)
        except RuntimeError:  # the audit could not protect a count: show none of them
            logger.exception("insights release %s: every cell hidden", key)
            published = {m: Published(tuple(dims), threshold(),
                                      dict.fromkeys(every_cell({}, dims)))
                         for m, dims in tables.items()}
        hidden = sorted({(t, *c) for t, table in published.items()
                         for c, v in table.cells.items() if v is None} | {
                             (t, *c) for t, c in kept})
        if hidden != sorted(tuple(h) for h in memory.hidden):
            memory.hidden = [list(h) for h in hidden]
            memory.save(update_fields=["hidden", "updated_at"])
    return published
