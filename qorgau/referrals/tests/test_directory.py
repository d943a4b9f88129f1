"""The service directory: CSV import (all or nothing, errors by row and column), the demo
directory, and places available with the time and author of their last update."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from qorgau.referrals import services
from qorgau.referrals.models import Provider

HEADER = ("name,kind,region,city,services,languages,accepts_children,boys_max_age,"
          "accessible,address,phone,email,intake_hours,capacity,places_available\n")
GOOD = ("Test Shelter,shelter,kz-west,Uralsk,shelter;psychological,kk;ru,yes,12,no,"
        "1 Street,+7 700,a@b.example,24 hours,10,2\n")


def test_import_creates_then_updates(db):
    result = services.import_providers(HEADER + GOOD)
    assert (result.created, result.updated) == (1, 0)
    shelter = Provider.objects.get(name="Test Shelter")
    assert shelter.services == ["psychological", "shelter"]
    assert shelter.languages == ["kk", "ru"]
    assert shelter.accepts_children and not shelter.accessible
    assert (shelter.boys_max_age, shelter.capacity, shelter.places_available) == (12, 10, 2)
    assert shelter.places_updated_at is not None and shelter.places_updated_by is None
    result = services.import_providers(HEADER + GOOD.replace(",10,2", ",10,5"))
    assert (result.created, result.updated) == (0, 1)
    assert Provider.objects.get(name="Test Shelter").places_available == 5


def test_import_errors_name_row_and_column_and_write_nothing(db):
    bad = (HEADER + GOOD
           + "Second,castle,kz-mars,,shelter;flying,kk;fr,maybe,old,no,,,,,3,9\n"
           + "Test Shelter,shelter,kz-west,,,,no,,no,,,,,,\n")
    with pytest.raises(ValidationError) as caught:
        services.import_providers(bad)
    messages = caught.value.messages
    assert "Row 3, column “kind”: “castle” is not a kind of provider" in messages[0]
    text = "\n".join(messages)
    for expected in ("Row 3, column “region”", "Row 3, column “services”: unknown "
                     "services: flying", "Row 3, column “languages”: unknown languages: fr",
                     "Row 3, column “accepts_children”: write yes or no, not “maybe”",
                     "Row 3, column “boys_max_age”: write a whole number",
                     "Row 3, column “places_available”: more places available (9) than "
                     "places in all (3)",
                     "Row 4, column “services”: this column may not be empty",
                     "Row 4, column “name”: the same provider as row 2"):
        assert expected in text, expected
    assert not Provider.objects.exists()  # the good row was not written either


def test_import_refuses_unknown_and_missing_columns(db):
    with pytest.raises(ValidationError, match="no column region"):
        services.import_providers("name,kind,services\nA,shelter,shelter\n")
    with pytest.raises(ValidationError, match="Unknown columns: colour"):
        services.import_providers(HEADER.strip() + ",colour\n" + GOOD.strip() + ",red\n")


def test_command_imports_or_reports(db, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + GOOD, encoding="utf-8")
    out = io.StringIO()
    call_command("import-providers", str(good), stdout=out)
    assert "1 created" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + GOOD.replace("shelter,kz-west", "castle,kz-west"),
                   encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing imported.\nRow 2, column “kind”"):
        call_command("import-providers", str(bad))


def test_demo_directory_is_fictional_west_kazakhstan_and_loaded_once(db):
    made = services.load_demo_directory()
    assert made >= 6
    assert services.load_demo_directory() == 0
    providers = list(Provider.objects.all())
    assert all("(fictional)" in p.name for p in providers)
    assert {p.region for p in providers} <= {"KZ-27", "nationwide"}  # kz-west in the file
    kinds = {p.kind for p in providers}
    assert {"crisis_centre", "shelter", "family_support", "legal_aid", "psychological",
            "medical", "hotline"} <= kinds
    assert Provider.objects.filter(city="Uralsk", kind="crisis_centre").exists()


def test_places_update_records_who_and_when(db, alice, erin):
    services.load_demo_directory()
    shelter = Provider.objects.get(kind="shelter")
    updated = services.update_places(shelter, alice, 3)
    assert updated.places_available == 3 and updated.places_updated_by == alice
    with pytest.raises(ValidationError, match="between 0 and the places in all"):
        services.update_places(shelter, alice, (shelter.capacity or 0) + 1)
    with pytest.raises(ValidationError, match="Only case workers"):
        services.update_places(shelter, erin, 1)  # a monitor
