"""The dashboard opens on the latest year with data, not on a year just begun, and its
charts say which colour is which."""

from __future__ import annotations

import re

import time_machine
from django.urls import reverse

from qorgau.cases import services
from qorgau.conftest import make_event
from qorgau.insights.models import MetricCount
from qorgau.insights.views import default_year


def test_default_year_skips_a_year_with_almost_nothing():
    metrics = {"orders_issued", "breaches_reported", "obligations_by_bearer", "gbvims"}
    assert default_year({2024: metrics, 2025: {"risk_at_intake"}}) == 2024
    assert default_year({2024: metrics, 2025: metrics - {"gbvims"}}) == 2025
    assert default_year({2019: {"gbvims"}}) == 2019


def _selected_year(html: str) -> str:
    found = re.search(r'<option value="(\d{4})" selected>', html)
    assert found, "no year selected"
    return found.group(1)


def test_the_dashboard_opens_on_the_latest_year_with_data(client, carol, org, alice):
    with time_machine.travel("2025-02-10 12:00 +05:00", tick=False):
        for region in ("KZ-27", "KZ-27", "KZ-75"):
            case = services.create_case(org, alice, region=region)
            report = make_event(case, alice, kind="police_report", start="2024-03-01",
                                institution="police")
            order = make_event(case, alice, kind="order_issued", start="2024-03-05",
                               institution="police", links=[(report, "responds_to")])
            make_event(case, alice, kind="order_breached", start="2024-04-01",
                       links=[(order, "breach_of")])
        fresh = services.create_case(org, alice, region="KZ-27")  # 2025: one new case
        make_event(fresh, alice, kind="psychological_abuse", start="2025-01-20")
        client.force_login(carol)
        html = client.get(reverse("insights:dashboard")).content.decode()
    years = {(c.period[:4], c.metric) for c in MetricCount.objects.filter(count__gt=0)}
    assert {m for y, m in years if y == "2025"} and len(years) > 3, years
    assert _selected_year(html) == "2024"
    assert '<option value="2025">' in html  # the year begun can still be chosen
    with time_machine.travel("2025-02-10 12:00 +05:00", tick=False):
        html = client.get(reverse("insights:dashboard"), {"year": "2025"}).content.decode()
    assert _selected_year(html) == "2025"


def test_every_chart_with_bars_has_a_legend(client, carol, org, alice):
    with time_machine.travel("2024-12-31 12:00 +05:00", tick=False):
        for _ in range(3):
            case = services.create_case(org, alice, region="KZ-27")
            make_event(case, alice, kind="order_issued", start="2024-02-01")
        client.force_login(carol)
        html = client.get(reverse("insights:dashboard"), {"year": "2024"}).content.decode()
    sections = html.split('<section class="insight"')[1:]
    drawn = [s for s in sections if '<rect class="bar' in s]
    assert drawn
    for section in drawn:
        legend = re.search(r'<ul class="chart-legend"[^>]*>(.*?)</ul>', section, re.S)
        assert legend, section[:200]
        assert "chart-key--bar--" in legend.group(1)
