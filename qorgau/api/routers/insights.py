"""Accountability figures as the dashboard shows them: a monitor gets suppressed sums,
supervisors and administrators their organisation's exact figures; others 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from qorgau.accounts.models import INSIGHT_ROLES, Membership
from qorgau.api.auth import needs
from qorgau.api.schemas import one_of
from qorgau.cases import regions
from qorgau.cases.regions import PROFILES
from qorgau.insights import metrics, publication

router = Router(tags=["insights"])
INSIGHTS = needs("insights")


class CubeQuery(Schema):
    year: int = Field(default_factory=lambda: timezone.localdate().year, ge=2000, le=2100)
    profile: str = Field("kz", max_length=20, json_schema_extra=one_of(PROFILES))
    country: str | None = Field(None, min_length=2, max_length=2, description=(
        "ISO 3166-1 alpha-2: whose regions. Default: the profile's country (intl: the "
        "first counted). A cube never adds up two countries."))


class Cell(Schema):
    country: str
    region: str = Field(description="An ISO 3166-2 region, or * for the country's total.")
    period: str
    key: str
    count: int | None = Field(description="null: hidden (suppressed).")


class CubeOut(Schema):
    metric: str
    profile: str
    country: str
    countries: list[str] = Field(description="The countries this profile and year have "
                                             "figures for (ask for each in turn).")
    year: int
    suppressed: bool
    k: int = Field(description="Counts below k are hidden, with any that would reveal them.")
    cells: list[Cell]


@router.get("/insights/metrics", response=list[str], auth=INSIGHTS,
            summary="The metrics that can be published")
def list_metrics(request: HttpRequest) -> list[str]:
    _scope(request)
    return list(metrics.METRICS)


def _scope(request: HttpRequest) -> publication.Scope:
    membership = (Membership.objects.filter(user=request.user,  # type: ignore[misc]
                                            role__in=INSIGHT_ROLES)
                  .select_related("organisation").order_by("organisation_id").first())
    scope = membership and publication.scope_for(membership.organisation, membership.role)
    if not scope:
        raise Http404
    return scope


@router.get("/insights/metrics/{metric_id}", response=CubeOut, auth=INSIGHTS,
            summary="One metric's cube: region x quarter x breakdown")
def get_cube(request: HttpRequest, metric_id: str, query: Query[CubeQuery]) -> dict[str, Any]:
    scope = _scope(request)
    if metric_id not in metrics.METRICS or query.profile not in PROFILES:
        raise Http404
    countries = publication.countries(scope, query.profile, query.year)
    country = (query.country or "").upper() or publication.default_country(
        scope, query.profile, query.year)
    if not regions.regions_of(country):
        raise Http404
    cube = publication.cube(scope, metric_id, query.profile, query.year, country)
    return {"metric": metric_id, "profile": query.profile, "country": country,
            "countries": countries, "year": query.year,
            "suppressed": scope.suppressed, "k": cube.k,
            "cells": [{"country": country, "region": r, "period": p, "key": k, "count": v}
                      for (r, p, k), v in sorted(cube.cells.items())]}
