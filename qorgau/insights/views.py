"""The accountability dashboard: charts, tables, CSV/XLSX and a report PDF."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from qorgau.accounts.models import INSIGHT_ROLES, Membership, User
from qorgau.cases import policy, regions
from qorgau.cases import services as case_services
from qorgau.cases.access import get_case_for_user
from qorgau.cases.regions import PROFILES
from qorgau.insights import charts, metrics, picture, publication
from qorgau.insights.case_picture import marks as case_picture_marks
from qorgau.insights.models import MetricCount
from qorgau.insights.suppression import ALL, Published
from qorgau.replica import replica_reads

FONTS = Path(settings.BASE_DIR) / "static" / "fonts"


class AuthedRequest(HttpRequest):
    user: User


@dataclass(frozen=True)
class Filters:
    year: int
    country: str  # ISO 3166-1 alpha-2: every figure is one country's
    region: str  # ALL (the country's total) or a region of that country
    profile: str
    bearer: str  # ALL or a duty bearer


def _scope(request: AuthedRequest) -> tuple[publication.Scope, Membership]:
    membership = (Membership.objects.filter(user=request.user, role__in=INSIGHT_ROLES)
                  .select_related("organisation").order_by("organisation_id").first())
    scope = membership and publication.scope_for(membership.organisation, membership.role)
    if not scope or membership is None:
        raise Http404
    return scope, membership


def _years(scope: publication.Scope) -> list[int]:
    """The years with figures, newest first; the year the dashboard opens on first of all
    (see default_year)."""
    cells = (MetricCount.objects.filter(organisation_id__in=scope.organisation_ids, count__gt=0)
             .values_list("period", "metric").distinct())
    metrics_by_year: dict[int, set[str]] = {}
    for period, metric in cells:
        metrics_by_year.setdefault(int(period[:4]), set()).add(metric)
    years = sorted(metrics_by_year, reverse=True)
    if not years:
        return [timezone.localdate().year]
    first = default_year(metrics_by_year)
    return [first, *(y for y in years if y != first)]


def default_year(metrics_by_year: dict[int, set[str]]) -> int:
    """The latest year with data: the newest in which at least half of the metrics that
    have any figures have some. A year just begun (a pending duty, one intake) would
    otherwise open the dashboard on a wall of zeros."""
    shown = set().union(*metrics_by_year.values())
    for year in sorted(metrics_by_year, reverse=True):
        if 2 * len(metrics_by_year[year]) >= len(shown):
            return year
    return max(metrics_by_year)


def _filters(request: HttpRequest, years: list[int],
             scope: publication.Scope) -> tuple[Filters, list[str]]:
    """The filters asked for (anything unknown falls back), and the countries the chosen
    profile and year have figures for. Without a year asked for: years[0], the latest
    with data."""
    def pick(name: str, allowed: Any, default: str) -> str:
        value = request.GET.get(name, default)
        return value if value in allowed else default

    year = int(pick("year", [str(y) for y in years], str(years[0])))
    profile = pick("profile", list(PROFILES), "kz")
    countries = publication.countries(scope, profile, year) or [
        regions.profile_country(profile) or "KZ"]
    country = pick("country", countries, countries[0])
    region = regions.canonical(request.GET.get("region", ALL))
    if region != ALL and regions.country_of(region) != country:
        region = ALL
    return Filters(year, country, region, profile,
                   pick("bearer", [ALL, *metrics.BEARERS], ALL)), countries


def label(key: str) -> str:
    return _(metrics.KEY_LABELS.get(key, key))


@dataclass
class Card:
    metric: metrics.Metric
    columns: list[str]
    rows: list[tuple[str, list[int | None]]]  # (label, values per column); total last
    chart: charts.Chart
    note: str
    summary: str = ""


def _card(cube: Published, metric: metrics.Metric, f: Filters) -> Card:
    quarters = [f"{f.year}-{q}" for q in publication.QUARTERS]
    columns = [q[-2:] for q in quarters] + [str(f.year)]
    key_dim = cube.dims[2]
    root = f.bearer if metric.id == "obligations_by_bearer" and f.bearer != ALL else ALL
    keys = key_dim.children(root)
    if keys == ["all"]:
        keys = []
    rows = [(label(k.rsplit(".", 1)[-1]),
             [cube.get(f.region, p, k) for p in [*quarters, ALL]]) for k in keys]
    totals = [cube.get(f.region, p, root) for p in [*quarters, ALL]]
    if metric.id == "breaches_by_rule":
        rows = [r for r in rows if any(v for v in r[1])]  # the rules that were breached
    rows.append((_("Total"), totals))
    series = [(name, values[:4]) for name, values in rows[:-1]] or [(_("Total"), totals[:4])]
    chart = charts.stacked(columns[:4], totals[:4], series, _("hidden (small numbers)"))
    summary = ""
    if metric.id == "response_days":
        histogram = {k: cube.get(f.region, ALL, k) for k in metrics.DAY_BUCKETS}
        if any(v is None for v in histogram.values()) or totals[-1] is None:
            summary = _("Median and 90th percentile: hidden (small numbers).")
        elif totals[-1]:
            known = {k: v or 0 for k, v in histogram.items()}
            summary = _("Median: %(median)s days; 90th percentile: %(p90)s days.") % {
                "median": metrics.percentile(known, 0.5), "p90": metrics.percentile(known, 0.9)}
    return Card(metric, columns, rows, chart, _(metric.note) if metric.note else "", summary)


def _cards(scope: publication.Scope, f: Filters) -> list[Card]:
    return [_card(publication.cube(scope, m.id, f.profile, f.year, f.country), m, f)
            for m in metrics.METRICS.values()]


@login_required
@replica_reads
def dashboard(request: AuthedRequest) -> HttpResponse:
    scope, membership = _scope(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    years = _years(scope)
    f, countries = _filters(request, years, scope)
    language = get_language() or "en"
    cards = _cards(scope, f)
    return render(request, "insights/dashboard.html", {
        "cards": cards, "filters": f, "years": sorted(years, reverse=True),
        "scope": scope, "preparing": publication.preparing(scope, f.profile, f.year, f.country),
        "organisation": membership.organisation, "k": publication.threshold(),
        "countries": [(c, regions.country_label(c, language)) for c in countries],
        "regions": regions.regions_of(f.country, language), "profiles": PROFILES,
        "bearers": [(b, label(b)) for b in metrics.BEARERS],
        "query": request.GET.urlencode(),
    })


def _table_rows(cube: Published, metric: metrics.Metric, country: str) -> list[list[Any]]:
    """Every cell of the published cube (one country's), as rows (hidden cells empty,
    flagged); region "*" is the country's total."""
    rows = []
    for (region, period, key), value in sorted(cube.cells.items()):
        rows.append([metric.id, country, region, period, key,
                     "" if value is None else value, "hidden" if value is None else ""])
    return rows


HEADER = ["metric", "country", "region", "period", "key", "count", "suppressed"]


@login_required
@replica_reads
def download(request: AuthedRequest, metric_id: str, fmt: str) -> HttpResponse:
    scope, _membership = _scope(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    metric = metrics.METRICS.get(metric_id)
    if metric is None or fmt not in ("csv", "xlsx"):
        raise Http404
    f, _countries = _filters(request, _years(scope), scope)
    rows = _table_rows(publication.cube(scope, metric.id, f.profile, f.year, f.country),
                       metric, f.country)
    name = f"qorgau-{metric.id}-{f.profile}-{f.country.lower()}-{f.year}.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = metric.id[:31]
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
        data = io.BytesIO()
        book.save(data)
        response = HttpResponse(data.getvalue(), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@replica_reads
def report_pdf(request: AuthedRequest) -> HttpResponse:
    scope, membership = _scope(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    f, _countries = _filters(request, _years(scope), scope)
    language = request.GET.get("lang", "ru")
    if language not in ("ru", "kk", "en"):
        language = "ru"
    from weasyprint import HTML  # needs the system's Pango; imported only when used

    with override(language):
        html = render_to_string("insights/report_pdf.html", {
            "cards": _cards(scope, f), "filters": f, "scope": scope,
            "organisation": membership.organisation, "k": publication.threshold(),
            "region_label": " · ".join((
                regions.country_label(f.country, language),
                regions.label(f.region, language) if f.region != ALL else _("All regions"))),
            "profile_label": _(PROFILES[f.profile]), "language": language,
            "generated": timezone.localdate(),
            "font_regular": (FONTS / "DejaVuSerif.ttf").as_uri(),
            "font_bold": (FONTS / "DejaVuSerif-Bold.ttf").as_uri(),
        })
    pdf = HTML(string=html).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="qorgau-accountability-{f.year}-{f.country}-{f.region}.pdf"')
    return response


@login_required
def case_picture(request: AuthedRequest, ref: str) -> HttpResponse:
    """The case at a glance (SVG): a fragment for the case page, or a page to print."""
    case = get_case_for_user(request, ref)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    since = None
    if request.GET.get("since", "").isdigit():
        since = date(max(1900, min(int(request.GET["since"]), 2100)), 1, 1)
    marks = case_picture_marks(case, policy.sees_restricted(case))
    drawing = picture.draw(marks, timezone.localdate(), since)
    fragment = bool(getattr(request, "htmx", False))
    if not fragment:
        case_services.record_view(case, request.user, "picture")
    years = sorted({m.start.year for m in marks})
    return render(request, "insights/_picture.html" if fragment else "insights/picture.html", {
        "case": case, "picture": drawing, "since": since, "years": years,
        "lanes": [(lane, _(label)) for lane, label in picture.LANES],
    })
