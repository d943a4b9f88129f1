"""A case file already imported into the organisation is refused, by its digest, with the
existing case's reference: through `import-case` and through POST /api/v1/casefile."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from qorgau.api import tokens
from qorgau.api.tests.contract import ApiClient
from qorgau.cases import casefile
from qorgau.cases.models import Case
from qorgau.conftest import make_event


@pytest.fixture
def document(case, alice, consent_to):
    make_event(case, alice, start="2024-01-05", narrative="Kitchen.")
    consent_to(case, alice, "transfer")
    return casefile.export_case(case.reference, alice)


def test_the_command_refuses_a_file_imported_before(document, alice, tmp_path):
    path = tmp_path / "case.json"
    path.write_text(casefile.dumps(document), encoding="utf-8")
    call_command("import-case", str(path), "--org", "tcc", "--as", alice.email,
                 stdout=StringIO())
    first = Case.objects.latest("pk")
    before = Case.objects.count()
    with pytest.raises(CommandError, match=f"already imported as case {first.reference}"):
        call_command("import-case", str(path), "--org", "tcc", "--as", alice.email,
                     stdout=StringIO())
    assert Case.objects.count() == before
    # A changed file is another file.
    changed = json.loads(json.dumps(document))
    changed["events"][0]["narrative"] = "Kitchen, at night."
    assert casefile.import_case(changed, first.organisation, alice).pk != first.pk


def test_the_api_refuses_a_file_imported_before(document, alice):
    api = ApiClient(tokens.create_token(alice, "t", ["read", "write"], 1).secret)
    made = api.post("casefile", {"document": document})
    assert made.status_code == 201
    again = api.post("casefile", {"document": document})
    assert again.status_code == 409
    assert again.json() == {
        "code": "already_imported", "field": "document",
        "message": f"This case file was already imported as case {made.json()['reference']}; "
                   "nothing was imported."}


def test_an_erased_import_no_longer_counts(document, alice, org):
    first = casefile.import_case(document, org, alice)
    Case.objects.filter(pk=first.pk).update(status=Case.Status.ERASED)
    assert casefile.already_imported(document, org) is None
