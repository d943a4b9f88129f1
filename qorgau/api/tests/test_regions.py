"""Regions through the API: any country's ISO code under the profile's law, old codes as
their ISO code, filters by region and country, and insights cubes one country at a time."""

from __future__ import annotations

from qorgau.cases import services
from qorgau.cases.models import Case
from qorgau.insights.suppression import ALL
from qorgau.insights.tests.test_countries import world  # noqa: F401  (a fixture)


def test_open_cases_in_any_country_under_its_profile(api_as, alice):
    api = api_as(alice)
    response = api.post("cases", {"region": "AT-9", "profile": "intl"})
    assert response.status_code == 201
    assert (response.json()["region"], response.json()["country"]) == ("AT-9", "AT")
    refused = api.post("cases", {"region": "AT-9", "profile": "kz"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["field"] == "region" and "outside the law of the profile" in body["message"]
    assert api.post("cases", {"region": "kz-moon"}).status_code == 422
    assert Case.objects.count() == 1


def test_old_codes_read_and_filter_as_iso(api_as, alice, org, monkeypatch):
    monkeypatch.setattr(services, "check_region", lambda region, profile: region)
    old = services.create_case(org, alice, region="kz-west")
    monkeypatch.undo()
    new = services.create_case(org, alice, region="KZ-27")
    abroad = services.create_case(org, alice, region="KG-GB", profile="kg")
    api = api_as(alice)
    assert api.get(f"cases/{old.reference}").json()["region"] == "KZ-27"
    for asked in ("KZ-27", "kz-west"):
        found = {c["reference"] for c in api.get("cases", {"region": asked}).json()["items"]}
        assert found == {old.reference, new.reference}
    found = {c["reference"] for c in api.get("cases", {"country": "KG"}).json()["items"]}
    assert found == {abroad.reference}


def test_insights_cube_carries_its_country(api_as, carol, world):  # noqa: F811
    api = api_as(carol, ["insights"])
    body = api.get("insights/metrics/orders_issued",
                   {"year": 2024, "profile": "intl", "country": "KG"}).json()
    assert body["country"] == "KG" and body["countries"] == ["AT", "KG", "KZ"]
    assert {c["country"] for c in body["cells"]} == {"KG"}
    total = [c for c in body["cells"] if (c["region"], c["period"], c["key"]) == (ALL,) * 3]
    assert total[0]["count"] == 4
    default = api.get("insights/metrics/orders_issued", {"year": 2024, "profile": "kz"}).json()
    assert default["country"] == "KZ"
    assert api.get("insights/metrics/orders_issued",
                   {"year": 2024, "profile": "intl", "country": "XX"}).status_code == 404
