"""The portable case file: export, validate, import all-or-nothing, round trip."""

from __future__ import annotations

import copy
import json
import os
import re
import stat
from io import StringIO
from pathlib import Path

import jsonschema
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from qorgau.cases import casefile, ledger, services, taxonomy
from qorgau.cases.models import Case, Event, LedgerEntry, Party
from qorgau.cases.verification import verify_all

DOCS = Path(casefile.SCHEMA_PATH).parent


def record(case, by, kind, start="", end="", qualifier="none", recurrence="once", **extra):
    data = services.EventInput(
        kind=kind, span=services.parse_span(start, end, qualifier, recurrence),
        source=extra.pop("source", "survivor"), reliability=extra.pop("reliability", "probable"),
    )
    for name, value in extra.items():
        setattr(data, name, value)
    return services.record_event(case, by, data)


@pytest.fixture
def rich(case, alice, consent_to):
    """A closed case with everything a case file carries (and consent to transfer it)."""
    consent_to(case, alice)
    survivor = services.add_party(
        case, alice, role="survivor", relationship="self", co_resident=False,
        full_name="Әйгерім Қасымқызы", other_names="Айгерим Касымовна; Aigerim Kassymova",
        birth_date="1987", address="г. Уральск, ул. Абая, 12, кв. 5", phone="+7 701 000 00 00",
        documents="ЖСН 870101400000", notes="Тек қазақша сөйлеседі.",
    )
    respondent = services.add_party(
        case, alice, role="respondent", relationship="ex_spouse", co_resident=True,
        full_name="Ерлан Сейітов",
    )
    child = services.add_party(case, alice, role="child", relationship="child",
                               full_name="Дана", birth_date="2012-05")
    officer = services.add_party(case, alice, role="official", relationship="none",
                                 institution="police", full_name="Участковый Петров")
    both = [(respondent, "perpetrator"), (survivor, "victim")]
    record(case, alice, "physical_assault", "2003", "2024", recurrence="repeated",
           parties=both, narrative="Жиырма жыл бойы ұрып-соқты.")
    strangled = record(case, alice, "strangulation", "2022-07-03T22:15", parties=both,
                       place="үйде", narrative="Душил, она потеряла сознание.")
    report = record(case, alice, "police_report", "2022-07-04", institution="police",
                    institution_unit="Уральск, ОП-2", attributes={"mode": "written"},
                    parties=[(survivor, "victim"), (officer, "actor")],
                    links=[(strangled, "related_to")], source="document",
                    reliability="confirmed")
    refusal = record(case, alice, "police_refusal", "2022-07", qualifier="approximate",
                     institution="police", links=[(report, "responds_to")],
                     parties=[(officer, "actor")])
    order = record(case, alice, "order_issued", "2023-03-01", institution="court",
                   source="official_record", reliability="confirmed",
                   attributes={"valid_days": 30, "order_type": "защитное предписание",
                               "order_number": "№ 12"})
    record(case, alice, "order_breached", "2023-04", qualifier="approximate",
           links=[(order, "breach_of")], parties=[(respondent, "perpetrator"),
                                                  (child, "witness")])
    corrected = services.event_input_from(refusal)
    corrected.span = services.parse_span("2022-07-10")
    corrected.narrative = "Отказ в регистрации заявления."
    services.correct_event(refusal, alice, corrected, "Дата по письму об отказе")
    record(case, alice, "self_harm", "2023-05", source="staff", reliability="confirmed",
           narrative="Restricted: taken to hospital.")
    record(case, alice, "separation")  # date unknown
    record(case, alice, "moving_house", "2024-02-01", qualifier="after")
    services.set_status(case, alice, "closed")
    return case


def counts():
    return {model.__name__: model.objects.count() for model in (Case, Party, Event, LedgerEntry)}


def export(reference, email="alice@tcc.test"):
    out = StringIO()
    call_command("export-case", reference, "--as", email, stdout=out)
    return out.getvalue()


def import_file(tmp_path, content, *extra, name="case.json"):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(casefile.dumps(content), encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import-case", str(path), "--org", "tcc", "--as", "alice@tcc.test", *extra,
                 stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failed_import(tmp_path, content):
    """Import that must fail and change nothing; returns the reported problems."""
    before = counts()
    err = StringIO()
    path = tmp_path / "bad.json"
    path.write_text(content if isinstance(content, str) else casefile.dumps(content),
                    encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import-case", str(path), "--org", "tcc", "--as", "alice@tcc.test",
                     stdout=StringIO(), stderr=err)
    assert counts() == before
    return err.getvalue()


def differences(a, b, path="$"):
    """JSON paths where two documents differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            found += differences(a.get(key), b.get(key), f"{path}.{key}")
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        found = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found += differences(x, y, f"{path}[{i}]")
        return found
    return [] if a == b else [path]


# --- export ---------------------------------------------------------------------------------


def test_export_contents(rich, alice):
    document = json.loads(export(rich.reference))
    jsonschema.validate(document, casefile.build_schema())
    assert document["format"] == "qorgau.case-file" and document["version"] == 2
    assert document["case"] == {"reference": rich.reference, "profile": "kz",
                                "region": "KZ-27", "status": "closed", "mode": "casework"}
    # The grant covers what an export needs, not proceedings, risk or the safety plan.
    assert document["withheld"] == ["proceedings", "risk", "safety_plan"]
    assert document["consents"][0]["purpose"] == "transfer"
    assert [p["key"] for p in document["parties"]] == ["p1", "p2", "p3", "p4"]
    assert document["parties"][0]["full_name"] == "Әйгерім Қасымқызы"
    assert document["parties"][0]["co_resident"] is False
    events = document["events"]
    assert [e["number"] for e in events] == list(range(1, 11))
    assert events[0]["when"] == {"start": "2003", "end": "2024", "qualifier": "none",
                                 "recurrence": "repeated"}
    assert list(events[4]["attributes"]) == ["order_number", "order_type", "valid_days"]
    assert events[2]["parties"] == [{"party": "p1", "role": "victim"},
                                    {"party": "p4", "role": "actor"}]
    assert events[2]["links"] == [{"target": 2, "kind": "related_to"}]
    assert events[6]["supersedes"] == 4
    assert events[6]["correction_reason"] == "Дата по письму об отказе"
    assert events[6]["links"] == [{"target": 3, "kind": "responds_to"}]
    assert events[7]["kind"] == "self_harm"
    assert events[8]["when"]["start"] == ""
    # Nothing internal leaks: no ids, salts, indexes, users or organisation.
    text = json.dumps(document)
    for secret in ("salt", "name_index", "recorded_by", "organisation", "ledger", "@tcc"):
        assert secret not in text
    for party in Party.objects.filter(case=rich):
        assert party.salt not in text and party.name_index not in text


def test_export_is_recorded_on_the_ledger(rich, alice):
    before = LedgerEntry.objects.filter(case=rich).count()
    document = json.loads(export(rich.reference))
    last = LedgerEntry.objects.filter(case=rich).order_by("-seq").first()
    assert LedgerEntry.objects.filter(case=rich).count() == before + 1
    assert (last.action, last.actor) == ("case.export", alice)
    grant = rich.consent_grants.get(purpose="transfer")
    assert last.detail == {"sha256": ledger.digest(document), "grant": grant.pk}
    assert all(report.problem is None for report in verify_all())


def test_export_needs_valid_consent_to_a_transfer(case, alice, consent_to):
    services.add_party(case, alice, role="survivor", full_name="Зере Нурланқызы")
    before = LedgerEntry.objects.filter(case=case).count()
    with pytest.raises(CommandError, match="no consent from the survivor"):
        export(case.reference)
    court = consent_to(case, alice, "court")
    with pytest.raises(CommandError, match="another purpose"):
        call_command("export-case", case.reference, "--as", "alice@tcc.test", "--grant",
                     str(court.pk), stdout=StringIO())
    narrow = consent_to(case, alice, categories=["timeline"])
    with pytest.raises(CommandError, match="does not cover: Identity.*Contact"):
        call_command("export-case", case.reference, "--as", "alice@tcc.test", "--grant",
                     str(narrow.pk), stdout=StringIO())
    assert LedgerEntry.objects.filter(case=case, action="case.export").count() == 0
    grant = consent_to(case, alice)
    out = StringIO()
    call_command("export-case", case.reference, "--as", "alice@tcc.test", "--grant",
                 str(grant.pk), stdout=out)
    assert "Зере Нурланқызы" in out.getvalue()
    entry = LedgerEntry.objects.get(case=case, action="case.export")
    assert entry.detail["grant"] == grant.pk
    assert LedgerEntry.objects.filter(case=case).count() == before + 4


def test_export_to_private_file(rich, tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old, world-readable")
    os.chmod(target, 0o644)
    err = StringIO()
    call_command("export-case", rich.reference, "--as", "alice@tcc.test", "--output",
                 str(target), stdout=StringIO(), stderr=err)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text(encoding="utf-8"))["case"]["reference"] == rich.reference
    assert "personal data" in err.getvalue()


@pytest.mark.parametrize("who", ["dave@tcc.test", "erin@tcc.test", "frank@other.test"])
def test_export_refuses_user_not_on_the_case(rich, dave, erin, frank, who):
    before = LedgerEntry.objects.count()
    with pytest.raises(CommandError, match="no case .* is assigned to"):
        export(rich.reference, who)
    assert LedgerEntry.objects.count() == before


def test_export_refuses_unknown_user_and_missing_as(rich):
    with pytest.raises(CommandError, match="no active user"):
        export(rich.reference, "nobody@tcc.test")
    with pytest.raises(CommandError, match="--as"):
        call_command("export-case", rich.reference, stdout=StringIO())


def test_export_refuses_a_role_that_cannot_see_restricted_events(rich, carol):
    with pytest.raises(CommandError, match="restricted events"):
        export(rich.reference, "carol@tcc.test")


def test_supervisor_exports_case_without_restricted_events(case, carol, alice, consent_to):
    record(case, alice, "physical_assault", "2024-01-05")
    consent_to(case, carol)
    assert json.loads(export(case.reference, "carol@tcc.test"))["events"][0]["number"] == 1


# --- round trip -----------------------------------------------------------------------------


def test_round_trip_is_identical_apart_from_reference_and_time(rich, alice, consent_to,
                                                              tmp_path):
    first = json.loads(export(rich.reference))
    out, _ = import_file(tmp_path, first)
    new_reference = re.search(r"Imported case (\S+):", out).group(1)
    consent_to(Case.objects.get(reference=new_reference), alice)
    assert new_reference != rich.reference
    second = json.loads(export(new_reference))
    # The importing organisation recorded her consent to export the case again: that grant
    # is the one thing the second file has more.
    assert len(second["consents"]) == len(first["consents"]) + 1
    second["consents"].pop()
    assert differences(first, second) == ["$.case.reference", "$.exported_at"] or (
        # both exports may fall in the same second
        differences(first, second) == ["$.case.reference"]
    )
    first.pop("exported_at"), second.pop("exported_at")
    first["case"].pop("reference"), second["case"].pop("reference")
    assert first == second


def test_round_trip_text_is_byte_identical_after_masking(rich, alice, consent_to, tmp_path):
    first = export(rich.reference)
    out, _ = import_file(tmp_path, first)
    new_reference = re.search(r"Imported case (\S+):", out).group(1)
    consent_to(Case.objects.get(reference=new_reference), alice)
    second = export(new_reference)

    def mask(text, reference, fresh_consents=0):
        document = json.loads(text)
        del document["consents"][len(document["consents"]) - fresh_consents:]
        text = casefile.dumps(document)
        text = re.sub(r'"exported_at": "[^"]*"', '"exported_at": ""', text)
        return text.replace(f'"reference": "{reference}"', '"reference": ""')

    assert first == casefile.dumps(json.loads(first))  # the masking does not reformat
    assert mask(first, rich.reference) == mask(second, new_reference, fresh_consents=1)


def test_imported_case_is_on_the_ledger_and_verifies(rich, alice, tmp_path):
    document = json.loads(export(rich.reference))
    imported = casefile.import_case(document, rich.organisation, alice, reference="IMPORT-1")
    assert imported.reference == "IMPORT-1"
    assert imported.status == "closed"
    assert list(Case.objects.visible_to(alice).filter(pk=imported.pk)) == [imported]
    entries = LedgerEntry.objects.filter(case=imported)
    written = {(e.action, e.subject) for e in entries}
    for party in Party.objects.filter(case=imported):
        assert ("party.create", f"party:{party.pk}") in written
    for event in Event.objects.filter(case=imported):
        action = "event.correct" if event.supersedes_id else "event.create"
        assert (action, f"event:{event.pk}") in written
    assert ("case.create", f"case:{imported.pk}") in written
    assert ("case.status", f"case:{imported.pk}") in written
    assert ("case.import", f"case:{imported.pk}") in written
    assert set(entries.values_list("actor", flat=True)) == {alice.pk}
    assert Event.objects.filter(case=imported).count() == 10
    assert Event.objects.get(case=imported, number=7).supersedes.number == 4
    assert [r.problem for r in verify_all()] == [None, None]


def test_import_with_taken_reference_is_refused(rich, tmp_path):
    document = json.loads(export(rich.reference))
    assert f"A case with the reference {rich.reference} already exists" in failed_import_ref(
        tmp_path, document, rich.reference)


def failed_import_ref(tmp_path, document, reference):
    before = counts()
    err = StringIO()
    path = tmp_path / "case.json"
    path.write_text(casefile.dumps(document), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import-case", str(path), "--org", "tcc", "--as", "alice@tcc.test",
                     "--reference", reference, stdout=StringIO(), stderr=err)
    assert counts() == before
    return err.getvalue()


def test_import_refuses_user_who_cannot_open_cases(rich, erin, frank, tmp_path):
    path = tmp_path / "case.json"
    path.write_text(export(rich.reference), encoding="utf-8")
    before = counts()
    for email in ("erin@tcc.test", "frank@other.test"):
        with pytest.raises(CommandError, match="cannot open cases in tcc"):
            call_command("import-case", str(path), "--org", "tcc", "--as", email,
                         stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="no organisation"):
        call_command("import-case", str(path), "--org", "nope", "--as", "alice@tcc.test",
                     stdout=StringIO(), stderr=StringIO())
    assert counts() == before


# --- schema and documentation ---------------------------------------------------------------


def test_schema_file_is_in_sync_with_the_code():
    on_disk = json.loads((DOCS / "case-file.schema.json").read_text(encoding="utf-8"))
    assert on_disk == casefile.build_schema(), (
        "docs/case-file.schema.json is stale: run "
        "`manage.py export-case --write-schema docs/case-file.schema.json`"
    )


def test_schema_enumerates_the_whole_taxonomy():
    defs = casefile.build_schema()["$defs"]
    event = defs["event"]["properties"]
    assert event["kind"]["enum"] == [k.id for k in taxonomy.KINDS]
    assert event["source"]["enum"] == list(taxonomy.SOURCES)
    assert event["reliability"]["enum"] == list(taxonomy.RELIABILITY)
    assert event["institution"]["enum"] == ["", *taxonomy.INSTITUTIONS]
    assert defs["link"]["properties"]["kind"]["enum"] == list(taxonomy.LINK_KINDS)
    jsonschema.Draft202012Validator.check_schema(casefile.build_schema())


def documented_example():
    text = (DOCS / "case-file.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, "docs/case-file.md should hold an example case file"
    return json.loads(blocks[0])


def test_documented_example_validates_and_imports(alice, org):
    example = documented_example()
    jsonschema.validate(example, casefile.build_schema())
    case = casefile.import_case(example, org, alice)
    assert case.parties.count() == len(example["parties"])
    assert case.events.count() == len(example["events"])


def test_documentation_mentions_every_field():
    text = (DOCS / "case-file.md").read_text(encoding="utf-8")
    schema = casefile.build_schema()
    names = set(schema["properties"]) | set(schema["properties"]["case"]["properties"])
    for definition in schema["$defs"].values():
        names |= set(definition.get("properties", {}))
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert not missing, f"docs/case-file.md does not describe {missing}"


# --- bad input: every problem named, nothing written -----------------------------------------


@pytest.fixture
def good(rich):
    return json.loads(export(rich.reference))


def test_invalid_json_names_line_and_column(good, tmp_path):
    text = casefile.dumps(good).replace('"version": 2,', '"version": 2', 1)
    err = failed_import(tmp_path, text)
    assert "not valid JSON: line 4, column 3" in err


def test_nan_and_non_utf8_are_refused(good, tmp_path):
    err = failed_import(tmp_path, '{"format": NaN}')
    assert "NaN is not allowed" in err
    path = tmp_path / "latin1.json"
    path.write_bytes('{"x": "é"}'.encode("latin-1"))
    with pytest.raises(CommandError):
        call_command("import-case", str(path), "--org", "tcc", "--as", "alice@tcc.test",
                     stdout=StringIO(), stderr=StringIO())


def test_schema_violations_are_all_reported_with_paths(good, tmp_path):
    good["events"][0]["kind"] = "beating"
    good["events"][2]["when"]["qualifier"] = "roughly"
    del good["parties"][1]["role"]
    good["parties"][2]["shoe_size"] = 38
    good["case"]["region"] = "kz-moon"
    good["version"] = 0
    err = failed_import(tmp_path, good)
    lines = err.strip().splitlines()
    assert '$.events[0].kind: "beating" is not one of the allowed values.' in lines
    assert '$.events[2].when.qualifier: "roughly" is not one of the allowed values.' in lines
    assert "$.parties[1]: required field missing: role." in lines
    assert "$.parties[2]: unknown field: shoe_size." in lines
    assert '$.case.region: "kz-moon" is not one of the allowed values.' in lines
    assert any(line.startswith("$.version: 0 is less than the minimum") for line in lines)


def test_a_later_version_is_refused(good, tmp_path):
    good["version"] = 3
    err = failed_import(tmp_path, good)
    assert "$.version: version 3 is not one this installation reads (1, 2)." in err


def test_wrong_type_is_reported(good, tmp_path):
    good["events"][1]["links"] = {"target": 1}
    good["parties"] = "everyone"
    err = failed_import(tmp_path, good)
    assert "$.events[1].links: must be of type array." in err
    assert "$.parties: must be of type array." in err


def test_dangling_party_key(good, tmp_path):
    good["events"][1]["parties"][0]["party"] = "p9"
    err = failed_import(tmp_path, good)
    assert '$.events[1].parties[0].party: no party has the key "p9".' in err


def test_duplicate_party_key_and_party_named_twice(good, tmp_path):
    good["parties"][1]["key"] = "p1"
    good["events"][0]["parties"] = [{"party": "p3", "role": "victim"},
                                    {"party": "p3", "role": "witness"}]
    err = failed_import(tmp_path, good)
    assert '$.parties[1].key: the key "p1" is used by another party.' in err
    assert '$.events[0].parties[1].party: the party "p3" is named twice.' in err


def test_link_to_a_later_event(good, tmp_path):
    good["events"][2]["links"] = [{"target": 6, "kind": "related_to"}]
    err = failed_import(tmp_path, good)
    assert "$.events[2].links[0].target: a link must point to an earlier event" in err


def test_bad_date(good, tmp_path):
    good["events"][3]["when"]["start"] = "2024-13"
    good["events"][0]["when"]["end"] = "2001-02-30"
    good["events"][4]["when"] = {"start": "2024", "end": "2023", "qualifier": "none",
                                 "recurrence": "once"}
    err = failed_import(tmp_path, good)
    assert "$.events[3].when.start: month must be between 01 and 12" in err
    assert "$.events[0].when.end: day must be between 01 and 28 for that month" in err
    assert "$.events[4].when: the end is earlier than the start" in err


def test_bad_corrections_and_numbering(good, tmp_path):
    good["events"][6]["correction_reason"] = " "
    good["events"][7]["supersedes"] = 9
    good["events"][9]["number"] = 5
    err = failed_import(tmp_path, good)
    assert "$.events[6].correction_reason: Say why the event is corrected." in err
    assert "$.events[7].supersedes: a correction must supersede an earlier event" in err
    assert "$.events[9].number: event numbers must increase through the file" in err


def test_second_correction_of_the_same_event(good, tmp_path):
    again = copy.deepcopy(good["events"][6])
    again["number"] = 11
    good["events"].append(again)
    err = failed_import(tmp_path, good)
    assert "$.events[10].supersedes: event 4 has already been corrected" in err


def test_failure_in_the_middle_leaves_nothing(good, tmp_path, monkeypatch):
    """A service refusing event 9 of 10 rolls back the case, parties, events and ledger."""
    real = services.CaseBatch.add_event
    calls = []

    def refusing(batch, data, **kwargs):
        calls.append(data.kind)
        if len(calls) == 9:
            raise ValidationError({"when_start": "refused by the service",
                                   "kind": "also refused"})
        return real(batch, data, **kwargs)

    monkeypatch.setattr(services.CaseBatch, "add_event", refusing)
    err = failed_import(tmp_path, good)
    assert len(calls) == 9  # the case was written, 4 parties and 8 events taken, then undone
    assert "$.events[8].when.start: refused by the service" in err
    assert "$.events[8].kind: also refused" in err


def test_service_error_on_a_party_names_its_path(good, alice, tmp_path, monkeypatch):
    real = services.CaseBatch.add_party

    def refusing(batch, **values):
        if values["full_name"] == "Дана":
            raise ValidationError({"full_name": "not a name"})
        return real(batch, **values)

    monkeypatch.setattr(services.CaseBatch, "add_party", refusing)
    err = failed_import(tmp_path, good)
    assert "$.parties[2].full_name: not a name" in err


def test_the_same_link_twice_is_a_problem_not_a_traceback(good, tmp_path):
    link = {"target": 1, "kind": "related_to"}
    good["events"][2]["links"] = [link, dict(link)]
    err = failed_import(tmp_path, good)
    assert "$.events[2].links: The same link is given twice (event 1, related_to)" in err
