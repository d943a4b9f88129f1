"""Counts kept on write: what each case contributes, and their running sums."""

from __future__ import annotations

from django.db import models

from qorgau.accounts.models import Organisation
from qorgau.cases.models import Case


class CaseFact(models.Model):
    """One case's contribution to one count (replaced whenever the case changes)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=40)
    key = models.CharField(max_length=80)
    period = models.CharField(max_length=7)  # "2024-Q3"
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "metric", "key", "period"],
                                               name="one_fact_per_case_and_cell")]


class MetricCount(models.Model):
    """The sum of the cases' facts for one organisation, region and profile: what the
    dashboard reads (a few thousand rows, whatever the number of cases)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=40)
    profile = models.CharField(max_length=20)
    metric = models.CharField(max_length=40)
    key = models.CharField(max_length=80)
    period = models.CharField(max_length=7)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["organisation", "metric", "period", "region", "profile", "key"],
            name="one_count_per_cell")]


class Release(models.Model):
    """What the suppressed tables of one audience, profile, year and country have hidden so
    far: every later release hides these cells again (with whatever else it needs), so two
    releases — before and after a case changes — cannot be differenced
    (suppression.release, keep=)."""

    key = models.CharField(max_length=200, unique=True)
    hidden = models.JSONField(default=list)  # [[table, region, period, key], ...]
    updated_at = models.DateTimeField(auto_now=True)
    # The release as published (computed by the background worker, publication.cube):
    # {table: [[region, period, key, count or null], ...]}, and the digest of the counts
    # it was computed from (a new release is due when they change).
    published = models.JSONField(null=True)
    counts = models.CharField(max_length=64, blank=True, default="")
