"""Statistics never mix countries: every cube is one country's regions, its total is that
country's, and cases opened with the old kz-* codes count under their ISO region."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from qorgau.cases import regions, services
from qorgau.conftest import make_event
from qorgau.insights import publication
from qorgau.insights.suppression import ALL

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, alice, monkeypatch):
    """Under the international profile: 3 orders in West Kazakhstan (one case opened with
    the old code), 2 in Vienna, 4 in Bishkek; under kz: 1 in Almaty (2024-Q1)."""
    with time_machine.travel("2024-12-31 12:00 +05:00", tick=False):
        monkeypatch.setattr(services, "check_region", lambda region, profile: region)
        old = services.create_case(org, alice, region="kz-west", profile="intl")
        monkeypatch.undo()
        make_event(old, alice, kind="order_issued", start="2024-02-01")
        for region, n in (("KZ-27", 2), ("AT-9", 2), ("KG-GB", 4)):
            for _ in range(n):
                case = services.create_case(org, alice, region=region, profile="intl")
                make_event(case, alice, kind="order_issued", start="2024-02-01")
        case = services.create_case(org, alice, region="KZ-75", profile="kz")
        make_event(case, alice, kind="order_issued", start="2024-02-01")


def test_each_cube_is_one_country(org, world):
    scope = publication.Scope((org.pk,), False)
    assert publication.countries(scope, "intl", 2024) == ["AT", "KG", "KZ"]
    assert publication.countries(scope, "kz", 2024) == ["KZ"]
    kz = publication.cube(scope, "orders_issued", "intl", 2024, "KZ")
    assert kz.get("KZ-27", ALL, ALL) == 3  # kz-west and KZ-27 are one region
    assert kz.get(ALL, ALL, ALL) == 3  # Kazakhstan's total: nothing of Austria's
    assert {r for r, _p, _k in kz.cells} == {ALL, *(c for c, _ in regions.regions_of("KZ"))}
    at = publication.cube(scope, "orders_issued", "intl", 2024, "AT")
    assert at.get("AT-9", ALL, ALL) == 2 and at.get(ALL, ALL, ALL) == 2
    kg = publication.cube(scope, "orders_issued", "intl", 2024, "KG")
    assert kg.get(ALL, ALL, ALL) == 4
    # The kz profile's cube is Kazakhstan's by default.
    assert publication.cube(scope, "orders_issued", "kz", 2024).get(ALL, ALL, ALL) == 1


def test_dashboard_and_downloads_name_the_country(client, carol, world):
    client.force_login(carol)
    html = client.get(reverse("insights:dashboard"),
                      {"year": "2024", "profile": "intl", "country": "AT"}).content.decode()
    assert 'value="AT" selected' in html and 'value="AT-9"' in html
    assert 'value="KZ-27"' not in html  # the region select is the country's
    response = client.get(reverse("insights:download", args=["orders_issued", "csv"]),
                          {"year": "2024", "profile": "intl", "country": "AT"})
    assert "-at-2024.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["country"] for r in rows} == {"AT"}
    total = [r for r in rows if (r["region"], r["period"], r["key"]) == (ALL, ALL, ALL)]
    assert total[0]["count"] == "2"
    # A region of another country than the one asked for is not mixed in: all regions.
    rows = list(csv.DictReader(io.StringIO(client.get(
        reverse("insights:download", args=["orders_issued", "csv"]),
        {"year": "2024", "profile": "intl", "country": "KG", "region": "kz-west"},
    ).content.decode())))
    assert {r["country"] for r in rows} == {"KG"}
