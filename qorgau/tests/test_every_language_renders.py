"""Every chart renders in every language: Django writes numbers with a decimal comma in
Russian and Kazakh, and an SVG coordinate such as y1="25,0" breaks the drawing. Every page
with a chart is rendered in en, ru and kk, with data that gives fractional coordinates, and
no SVG attribute (nor any data- attribute) may carry a decimal comma; CSV numbers use none
either."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from qorgau.cases import services
from qorgau.conftest import make_event
from qorgau.risk import services as risk_services

LANGUAGES = ("en", "ru", "kk")
DECIMAL_COMMA = re.compile(r"\d,\d")
FRACTION = re.compile(r"\d\.\d")
NUMBER = r"-?\d+(?:\.\d+)?"
POINT = re.compile(rf"{NUMBER},{NUMBER}")  # an x,y pair of a polyline's points


def _localised(name: str, value: str) -> bool:
    """Whether the attribute's value holds a number written with a decimal comma."""
    if name == "points":
        return not all(POINT.fullmatch(pair) for pair in value.split())
    return bool(DECIMAL_COMMA.search(value))


class Attributes(HTMLParser):
    """The attributes of every element inside an <svg>, and every data- attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.svg: list[tuple[str, str, str]] = []  # (element, attribute, value)
        self.data: list[tuple[str, str, str]] = []
        self.charts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.depth += 1
            self.charts += 1
        for name, value in attrs:
            if self.depth:
                self.svg.append((tag, name, value or ""))
            if name.startswith("data-"):
                self.data.append((tag, name, value or ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self.depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self.depth:
            self.depth -= 1


def _attributes(html: str) -> Attributes:
    parser = Attributes()
    parser.feed(html)
    return parser


@pytest.fixture
def charted(case, alice, carol, survivor, org):
    """A case with dated events, an order and two risk assessments (the case picture and
    the risk chart), and counts for the accountability dashboard (bar charts), all drawn
    at fractional coordinates."""
    org.shares_aggregates = True
    org.save()
    with time_machine.travel("2024-10-01 10:00 +05:00", tick=False):
        risk_services.record_assessment(case, alice, "qorgau-open", {})
    with time_machine.travel("2024-10-20 17:30 +05:00", tick=False):
        risk_services.record_assessment(case, alice, "qorgau-open", {})
    with time_machine.travel("2024-11-13 10:00 +05:00", tick=False):
        make_event(case, alice, kind="physical_assault", start="2021-03-17")
        make_event(case, alice, kind="threat_to_kill", start="2023-07-05")
        make_event(case, alice, kind="police_report", start="2023-07-06",
                   institution="police", parties=[(survivor, "victim")])
        make_event(case, alice, kind="order_issued", start="2024-02-01", institution="police")
        for region, n in (("KZ-27", 6), ("KZ-75", 3)):
            for _ in range(n):
                other = services.create_case(org, alice, region=region)
                make_event(other, alice, kind="order_issued", start="2024-05-01")
    return case


def _chart_pages(case) -> dict[str, tuple[str, dict[str, str], dict[str, str]]]:
    ref = case.reference
    return {
        "case page": (reverse("cases:detail", args=[ref]), {}, {}),
        "case picture": (reverse("insights:case_picture", args=[ref]), {}, {}),
        "case picture (in the case page)": (
            reverse("insights:case_picture", args=[ref]), {}, {"HTTP_HX_REQUEST": "true"}),
        "risk": (reverse("risk:case", args=[ref]), {}, {}),
        "accountability": (reverse("insights:dashboard"), {"year": "2024"}, {}),
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_chart_carries_a_decimal_comma(client, carol, charted, language):
    client.force_login(carol)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    charts = 0
    for name, (url, params, headers) in _chart_pages(charted).items():
        response = client.get(url, params, **headers)
        assert response.status_code == 200, name
        html = response.content.decode()
        if not headers:
            assert f'lang="{language}"' in html, name
        found = _attributes(html)
        charts += found.charts
        commas = [a for a in found.svg + found.data if _localised(a[1], a[2])]
        assert commas == [], f"{name} in {language}: {commas[:5]}"
        if name != "case page":  # its picture comes by htmx, and its risk chart has no
            assert found.charts, f"{name}: no chart drawn"  # fractional values on a phone
    assert charts >= 5
    # The data really gives fractional coordinates (else the check above proves nothing).
    html = client.get(reverse("insights:dashboard"), {"year": "2024"}).content.decode()
    assert any(FRACTION.search(value) for _tag, _name, value in _attributes(html).svg)
    html = client.get(reverse("insights:case_picture", args=[charted.reference])
                      ).content.decode()
    assert any(FRACTION.search(value) for _tag, _name, value in _attributes(html).svg)


@pytest.mark.parametrize("language", ("ru", "kk"))
def test_csv_numbers_use_no_decimal_comma(client, carol, charted, language):
    client.force_login(carol)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("insights:download", args=["orders_issued", "csv"]),
                          {"year": "2024"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    counts = [row["count"] for row in rows if row["count"]]
    assert counts and all(re.fullmatch(r"\d+", count) for count in counts), counts
