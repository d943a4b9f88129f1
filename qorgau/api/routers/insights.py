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
from qorgau.cases.regions import PROFILES
from qorgau.insights import metrics, publication

router = Router(tags=["insights"])
INSIGHTS = needs("insights")


class CubeQuery(Schema):
    year: int = Field(default_factory=lambda: timezone.localdate().year, ge=2000, le=2100)
    profile: str = Field("kz", max_length=20)


class Cell(Schema):
    region: str
    period: str
    key: str
    count: int | None = Field(description="null: hidden (suppressed).")


class CubeOut(Schema):
    metric: str
    profile: str
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
    cube = publication.cube(scope, metric_id, query.profile, query.year)
    return {"metric": metric_id, "profile": query.profile, "year": query.year,
            "suppressed": scope.suppressed, "k": cube.k,
            "cells": [{"region": r, "period": p, "key": k, "count": v}
                      for (r, p, k), v in sorted(cube.cells.items())]}
