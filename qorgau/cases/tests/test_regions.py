"""Regions of every country (ISO 3166-2), the old kz-* codes, and a case's region under its
profile's law: the pure module, the service, the forms, the ledger of old cases."""

from __future__ import annotations

import io
from pathlib import Path

import pycountry
import pytest
import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from qorgau.cases import regions, services
from qorgau.cases.forms import NewCaseForm
from qorgau.cases.models import Case
from qorgau.cases.verification import verify_case

# --- the pure module -----------------------------------------------------------------------


def test_codes_old_and_new():
    assert regions.canonical("kz-west") == "KZ-27"
    assert regions.canonical("KZ-ZAP") == "KZ-27"  # ISO 3166-2:KZ before 2023
    assert regions.canonical(" at-9 ") == "AT-9"
    assert regions.canonical("kz-moon") == "kz-moon"
    for code in ("KZ-27", "kz-west", "AT-9", "RU-MOW", "GB-ENG", "KG-GB", "VA", "KZ", "BG"):
        assert regions.is_region(code), code  # a country's own code: region not known
    for code in ("kz-moon", "", "GB-KEN", "XX-1", "XX", "nationwide"):
        assert not regions.is_region(code), code
    assert not regions.is_region(None)  # type: ignore[arg-type]
    assert regions.aliases("KZ-27") == regions.aliases("kz-west") == ["KZ-27", "kz-west"]
    assert regions.aliases("AT-9") == ["AT-9"]


def test_country_of():
    assert regions.country_of("kz-west") == "KZ"
    assert regions.country_of("KZ-75") == "KZ"
    assert regions.country_of("GB-WLS") == "GB"
    assert regions.country_of("VA") == "VA"  # not subdivided: its own region
    assert regions.country_of("kz-moon") == ""


def test_only_first_level_subdivisions():
    assert "GB-KEN" not in dict(regions.regions_of("GB"))  # a county of England
    assert [c for c, _ in regions.regions_of("GB")] == [
        "GB-ENG", "GB-NIR", "GB-SCT", "GB-WLS", "GB"]  # the last: region not known
    assert regions.label("GB", "en") == "United Kingdom (region not known)"
    assert regions.label("BG", "ru") == "Болгария (регион не известен)"
    assert len(regions.regions_of("RU")) == 84
    assert regions.regions_of("VA") == [("VA", "Holy See (Vatican City State)")]
    assert regions.regions_of("XX") == []


def test_kazakhstan_is_ours_and_matches_iso():
    """Our 20 regions (with the 2022 ones) are exactly ISO's first level for KZ, and every
    old code maps onto one of them."""
    iso = {s.code for s in pycountry.subdivisions.get(country_code="KZ") if not s.parent_code}
    assert set(regions.KZ_NAMES) == iso
    assert set(regions.LEGACY_KZ.values()) == iso and len(regions.LEGACY_KZ) == 20
    assert {"KZ-10", "KZ-33", "KZ-62"} <= iso  # Abai, Jetisu, Ulytau (2022)
    assert [c for c, _ in regions.regions_of("KZ")][:2] == ["KZ-10", "KZ-11"]


def test_the_first_level_read_from_the_data_file_is_pycountrys():
    """regions reads pycountry's data file itself (to keep its 5,000 subdivisions out of
    every worker): the same first level as pycountry's own objects give, country by country."""
    expected: dict[str, dict[str, str]] = {}
    for sub in pycountry.subdivisions:
        if not sub.parent_code and sub.country_code != "KZ":
            expected.setdefault(sub.country_code, {})[sub.code] = sub.name
    read = {country: codes for country, codes in regions._top_level().items()
            if codes and country != "KZ"}
    assert read == expected
    assert len(read) > 190 and read["GB"]["GB-ENG"] == "England"


def test_labels_in_three_languages():
    assert regions.label("kz-west", "en") == "West Kazakhstan Region"
    assert regions.label("KZ-27", "ru") == "Западно-Казахстанская область"
    assert regions.label("KZ-27", "kk") == "Батыс Қазақстан облысы"
    assert regions.label("KZ-71", "ru-ru") == "г. Астана"
    assert regions.label("RU-MOW", "ru") == "Москва"  # pycountry's Russian catalogue
    assert regions.label("RU-MOW", "en") == "Moskva"  # ISO's name
    assert regions.label("AT-9", "kk") == "Wien"  # no Kazakh catalogue: ISO's name
    assert regions.label("kz-moon", "en") == "kz-moon"
    assert regions.country_label("KZ", "kk") == "Қазақстан"
    assert regions.country_label("AT", "ru") == "Австрия"


def test_profiles_and_their_regions():
    assert regions.fits_profile("kz-west", "KZ") and regions.fits_profile("KZ-75", "KZ")
    assert not regions.fits_profile("KG-GB", "KZ")
    assert regions.fits_profile("KG-GB", "KG")
    assert regions.fits_profile("GB-ENG", "GB-ENG") and regions.fits_profile("GB-WLS", "GB-ENG")
    assert not regions.fits_profile("GB-SCT", "GB-ENG")  # Scots law
    for code in ("AT-9", "KZ-27", "kz-west", "VA"):
        assert regions.fits_profile(code, "international")
    assert not regions.fits_profile("kz-moon", "international")
    assert regions.fits("AT-9", "intl") and not regions.fits("AT-9", "kz")
    assert not regions.fits("KZ-27", "nope")


def test_profile_jurisdictions_follow_the_yaml_files():
    for profile, jurisdiction in regions.PROFILE_JURISDICTIONS.items():
        path = Path(settings.BASE_DIR) / "profiles" / f"{profile}.yaml"
        assert yaml.safe_load(path.read_text())["jurisdiction"] == jurisdiction
    assert set(regions.PROFILE_JURISDICTIONS) == set(regions.PROFILES)


def test_grouped_for_a_select():
    groups = regions.grouped(["KG", "KZ", "kz", "XX"], "en")
    assert [name for name, _ in groups] == ["Kyrgyzstan", "Kazakhstan"]
    everything = regions.grouped(["KZ"], "en", others=True)
    assert everything[0][0] == "Kazakhstan" and len(everything) == len(regions.countries())
    assert all(regions.is_region(code) for code in regions.all_codes())


# --- the service -----------------------------------------------------------------------


@pytest.mark.django_db
def test_new_cases_store_the_iso_code(org, alice):
    assert services.create_case(org, alice, region="kz-west").region == "KZ-27"
    assert services.create_case(org, alice, region="KZ-75").region == "KZ-75"
    abroad = services.create_case(org, alice, region="at-9", profile="intl")
    assert (abroad.region, abroad.country) == ("AT-9", "AT")
    assert services.create_case(org, alice, region="GB-WLS", profile="gb-eng").country == "GB"
    assert services.create_case(org, alice, region="KG-GB", profile="kg").region == "KG-GB"


@pytest.mark.django_db
@pytest.mark.parametrize(("region", "profile"), [
    ("KG-GB", "kz"), ("AT-9", "kz"), ("kz-west", "kg"), ("GB-SCT", "gb-eng"), ("KZ-27", "gb-eng"),
])
def test_a_region_outside_the_profiles_law_is_refused(org, alice, region, profile):
    with pytest.raises(ValidationError) as caught:
        services.create_case(org, alice, region=region, profile=profile)
    message = caught.value.message_dict["region"][0]
    assert "is outside the law of the profile" in message
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_the_refusal_is_in_her_language(org, alice):
    with translation.override("ru"), pytest.raises(ValidationError) as caught:
        services.create_case(org, alice, region="kz-west", profile="kg")
    assert "Западно-Казахстанская область (Казахстан)" in caught.value.message_dict["region"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("region", ["kz-moon", "", "XX", 27])
def test_not_a_region(org, alice, region):
    with pytest.raises(ValidationError) as caught:
        services.create_case(org, alice, region=region, profile="intl")
    assert caught.value.message_dict["region"] == ["Choose a region from the list."]


# --- cases written before regions were ISO codes ----------------------------------------


@pytest.fixture
def old_case(org, alice, monkeypatch):
    """A case opened the old way: "kz-west" stored as given and digested into the ledger."""
    monkeypatch.setattr(services, "check_region", lambda region, profile: region)
    case = services.create_case(org, alice, region="kz-west")
    monkeypatch.undo()
    assert Case.objects.get(pk=case.pk).region == "kz-west"
    return case


@pytest.mark.django_db
def test_old_codes_are_kept_and_the_ledger_still_verifies(old_case):
    assert verify_case(old_case.pk, old_case.reference).problem is None
    out = io.StringIO()
    call_command("verify", stdout=out)  # raises on a broken chain
    assert old_case.get_region_display() == "West Kazakhstan Region"
    assert old_case.country == "KZ"


@pytest.mark.django_db
def test_why_no_migration_rewrites_them(old_case):
    """Rewriting the stored code would break the case's ledger: the digest holds kz-west."""
    Case.objects.filter(pk=old_case.pk).update(region="KZ-27")
    assert verify_case(old_case.pk, old_case.reference).problem is not None


@pytest.mark.django_db
def test_old_and_new_codes_are_one_region_in_the_case_list(old_case, org, alice, client):
    new = services.create_case(org, alice, region="KZ-27")
    other = services.create_case(org, alice, region="KZ-75")
    client.force_login(alice)
    for asked in ("KZ-27", "kz-west"):
        html = client.get(reverse("cases:list"), {"region": asked}).content.decode()
        assert old_case.reference in html and new.reference in html, asked
        assert other.reference not in html
    assert "West Kazakhstan Region" in html


# --- the new case form -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_region_select_is_grouped_by_country_profile_first(alice):
    with translation.override("en"):
        form = NewCaseForm(user=alice)
        groups = [name for name, _ in form.fields["region"].choices[1:]]
        assert groups[:5] == ["Kazakhstan", "Kyrgyzstan", "Russian Federation", "Uzbekistan",
                              "United Kingdom"]
        bound = NewCaseForm({"profile": "kg", "region": ""}, user=alice)
        assert [n for n, _ in bound.fields["region"].choices[1:]][0] == "Kyrgyzstan"
        abroad = NewCaseForm(user=alice, country="AT")
        assert "Austria" in [n for n, _ in abroad.fields["region"].choices[1:]]


@pytest.mark.django_db
def test_the_form_takes_any_region_and_the_service_checks_the_profile(org, alice, client):
    client.force_login(alice)
    page = client.get(reverse("cases:new"), {"country": "AT"}).content.decode()
    assert 'value="AT-9"' in page and 'value="KZ-27"' in page
    response = client.post(reverse("cases:new"), {
        "organisation": org.pk, "region": "AT-9", "profile": "kz", "survivor_name": ""})
    assert response.status_code == 200
    assert "is outside the law of the profile" in response.content.decode()
    assert not Case.objects.exists()
    response = client.post(reverse("cases:new"), {
        "organisation": org.pk, "region": "AT-9", "profile": "intl", "survivor_name": ""})
    assert response.status_code == 302
    assert Case.objects.get().region == "AT-9"
