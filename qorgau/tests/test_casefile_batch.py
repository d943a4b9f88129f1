"""A case file imported as one batch is the case the per-event services would have written:
the same records, the same ledger (actions, subjects, payload digests of the same records,
in the same order), the same obligations and counts; its export is the file again."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import casefile_import  # noqa: E402
import dataset  # noqa: E402

from qorgau.accounts.models import Organisation, User  # noqa: E402
from qorgau.cases import (  # noqa: E402
    bulk_import,
    casefile,
    ledger,
    records,
    services,
    signals,
)
from qorgau.cases.models import Case, Event, LedgerEntry, Party  # noqa: E402
from qorgau.cases.verification import verify_all  # noqa: E402
from qorgau.duties.models import Obligation  # noqa: E402
from qorgau.insights.models import CaseFact, MetricCount  # noqa: E402
from qorgau.retention.models import RetentionClock  # noqa: E402
from qorgau.tests import test_casefile_whole as with_sections  # noqa: E402


def import_one_by_one(document: dict[str, Any], organisation: Organisation, by: User) -> Case:
    """The importer as it was: one service call per party, per event, per correction."""
    spans = casefile.validate(document)
    with transaction.atomic():
        meta = document["case"]
        case = services.create_case(organisation, by, region=meta["region"],
                                    profile=meta.get("profile", "kz"))
        parties = {party["key"]: services.add_party(case, by, **casefile.party_values(party))
                   for party in document["parties"]}
        events: dict[int, Event] = {}
        for i, item in enumerate(document["events"]):
            data = casefile.event_input(item, spans[i], parties, events)
            if item.get("supersedes") is None:
                event = services.record_event(
                    case, by, data, correction_reason=item.get("correction_reason", ""))
            else:
                event = services.correct_event(events[item["supersedes"]], by, data,
                                               item["correction_reason"])
            events[item["number"]] = event
        if meta.get("status", "open") != case.status:
            services.set_status(case, by, meta["status"])
        services.record_import(case, by, ledger.digest(document))
    return case


def snapshot(case: Case) -> dict[str, Any]:
    """The case with its ids replaced by positions (parties) and numbers (events), salts
    left out; every party and event entry checked to digest the record now stored."""
    parties = {p.pk: i for i, p in enumerate(Party.objects.filter(case=case).order_by("pk"))}
    numbers = dict(Event.objects.filter(case=case).values_list("pk", "number"))
    stored = {records.subject(p): records.party_record(p)
              for p in Party.objects.filter(case=case)}
    stored.update({records.subject(e): records.event_record(
        e, [(ep.party_id, ep.role) for ep in e.event_parties.all()],
        [(link.target.number, link.kind) for link in e.links_out.all()],
        e.supersedes.number if e.supersedes is not None else None)
        for e in Event.objects.filter(case=case).select_related("supersedes")
        .prefetch_related("event_parties", "links_out__target")})

    def local(subject: str) -> tuple[str, Any]:
        kind, _sep, pk = subject.partition(":")
        return kind, {"party": parties, "event": numbers}.get(kind, {}).get(int(pk), kind)

    def plain(record: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in record.items() if k not in ("id", "case", "salt")}
        if "parties" in out:
            out["parties"] = sorted([parties[pk], role] for pk, role in out["parties"])
        return out

    entries = []
    for entry in LedgerEntry.objects.filter(case=case).order_by("seq"):
        record = stored.get(entry.subject)
        if record is not None:
            assert ledger.payload_digest(entry.detail, record) == entry.payload_digest
        entries.append((entry.action, local(entry.subject), entry.detail,
                        plain(record) if record else None))
    obligations = sorted(
        (o.rule_id, o.family, o.duty_bearer, o.profile, numbers[o.trigger_id],
         numbers.get(o.satisfied_by_id or 0), o.status, o.due_earliest, o.due_latest, o.late,
         o.confirmed, o.reason) for o in Obligation.objects.filter(case=case))
    facts = sorted(CaseFact.objects.filter(case=case).values_list(
        "metric", "key", "period", "count"))
    return {"case": (case.region, case.profile, case.status), "ledger": entries,
            "obligations": obligations, "facts": facts}


def running_sums() -> dict[tuple[Any, ...], int]:
    return {tuple(row[:-1]): row[-1] for row in MetricCount.objects.values_list(
        "organisation_id", "region", "profile", "metric", "key", "period", "count")}


def clock(case: Case | None) -> tuple[Any, ...] | None:
    """A closed case's retention clock (None while open)."""
    return (RetentionClock.objects.filter(case=case)
            .values_list("closed_on", "months", "retain_until").first())


def generated_files() -> list[dict[str, Any]]:
    """Dataset cases with corrections and links, one closed, and a correction of a
    correction linked to both versions."""
    shapes = [s for s in dataset.shapes(60, seed=3)
              if any(e.supersedes for e in s.events)][:3]
    shapes.append(next(s for s in dataset.shapes(60, seed=3) if s.closed))
    files = [casefile_import.case_file(shape) for shape in shapes]
    again = copy.deepcopy(files[0])
    events = again["events"]
    corrected = next(e for e in events if e["supersedes"])
    events.append({**copy.deepcopy(corrected), "number": len(events) + 1,
                   "supersedes": corrected["number"], "correction_reason": "Again.",
                   "links": [{"target": corrected["supersedes"], "kind": "related_to"},
                             {"target": corrected["number"], "kind": "related_to"}]})
    return [*files, again]


# The case with something in every section, and its export (test_casefile_whole).
provider, whole = with_sections.provider, with_sections.whole


@pytest.fixture
def importer(org: Organisation, alice: User) -> tuple[Organisation, User]:
    return org, alice


def test_batch_import_writes_what_the_per_event_services_write(importer):
    organisation, by = importer
    for document in generated_files():
        batch = casefile.import_case(copy.deepcopy(document), organisation, by)
        one_by_one = import_one_by_one(copy.deepcopy(document), organisation, by)
        assert snapshot(batch) == snapshot(one_by_one)
        assert Obligation.objects.filter(case=batch).exists()
    assert [report.problem for report in verify_all()] == [None] * 10


def test_export_of_a_batch_import_is_the_file_again(importer):
    organisation, by = importer
    for document in generated_files():
        case = casefile.import_case(copy.deepcopy(document), organisation, by)
        exported = casefile.build_document(case)
        for d in (exported, document):
            d.pop("exported_at"), d["case"].pop("reference")
        assert exported == document


def test_batch_keeps_numbers_and_ids_in_file_order(importer):
    organisation, by = importer
    document = generated_files()[-1]
    case = casefile.import_case(document, organisation, by)
    rows = list(Event.objects.filter(case=case).order_by("pk").values_list("number",
                                                                           flat=True))
    assert rows == list(range(1, len(document["events"]) + 1))


def test_a_batch_on_a_case_with_events_continues_its_numbers_and_chain(importer, case):
    _organisation, by = importer
    first = services.record_event(case, by, services.EventInput(
        kind="police_report", span=services.parse_span("2024-01-02"), source="survivor",
        reliability="probable"))
    with transaction.atomic():
        batch = services.CaseBatch(case, by)
        party = batch.add_party(role="witness", full_name="A Neighbour")
        data = services.event_input_from(first)
        data.parties = [(party, "witness")]
        correction = batch.add_event(data, supersedes=first, correction_reason="Witness.")
        with pytest.raises(ValidationError, match="already been corrected"):
            batch.add_event(data, supersedes=first, correction_reason="Twice.")
        later = batch.add_event(services.EventInput(
            kind="order_requested", span=services.parse_span("2024-01-05"),
            source="survivor", reliability="probable", links=[(correction, "related_to")]))
        batch.write()
    assert (first.number, correction.number, later.number) == (1, 2, 3)
    assert correction.supersedes_id == first.pk
    assert [r.problem for r in verify_all()] == [None]
    with transaction.atomic(), pytest.raises(ValidationError, match="already been corrected"):
        services.CaseBatch(case, by).add_event(data, supersedes=first,
                                               correction_reason="Again.")


# --- many files at once (bulk_import) --------------------------------------------------------


def refused_files(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Two files refused: one the schema and references catch, one only the services."""
    broken = copy.deepcopy(document)
    broken["events"][-1]["links"] = [{"target": 999, "kind": "related_to"}]
    broken["parties"].append({"key": "p1", "role": "witness", "full_name": "Twice"})
    services_only = copy.deepcopy(document)
    services_only["events"][0]["attributes"] = {"no_such_attribute": True}
    return [broken, services_only]


@pytest.mark.parametrize(("block_events", "chunk_files"), [(1, 2), (100_000, 1_000)])
def test_many_files_write_what_the_per_event_services_write(importer, block_events,
                                                            chunk_files, monkeypatch):
    """A batch (one block, or a block per file read two at a time) against the services
    one call at a time: the same records and ledger, obligations and counts; refused files
    reported with their problems and nothing of them written; a file given twice imported
    once."""
    monkeypatch.setattr(bulk_import, "CHUNK_FILES", chunk_files)
    organisation, by = importer
    documents = generated_files()
    bad = refused_files(documents[0])
    expected = {}
    for problem_of, document in zip(("broken", "services"), bad, strict=True):
        with pytest.raises(casefile.CaseFileError) as refused:
            casefile.import_case(copy.deepcopy(document), organisation, by)
        expected[problem_of] = [str(p) for p in refused.value.problems]
    files: list[tuple[str, Any]] = [(f"case-{i}.json", casefile.dumps(document))
                                    for i, document in enumerate(documents)]
    files.insert(1, ("broken.json", copy.deepcopy(bad[0])))
    files.insert(3, ("services.json", copy.deepcopy(bad[1])))
    files.append(("again.json", casefile.dumps(documents[0])))
    files.append(("not-json.json", b"{\"format\": "))
    before = Case.objects.count()
    sums = [running_sums()]
    result = bulk_import.import_files(files, organisation, by, block_events=block_events)
    sums.append(running_sums())
    names = [f.name for f in result.failed]
    assert names == ["broken.json", "services.json", "again.json", "not-json.json"]
    failed = {f.name: f for f in result.failed}
    assert failed["broken.json"].problems == expected["broken"]
    assert failed["services.json"].problems == expected["services"]
    assert "$.events[0].attributes" in failed["services.json"].problems[0]
    assert isinstance(failed["again.json"].error, casefile.AlreadyImported)
    assert result.imported[0].case is not None
    assert result.imported[0].case.reference in failed["again.json"].problems[0]
    assert "not valid JSON" in failed["not-json.json"].problems[0]
    assert Case.objects.count() == before + len(documents)
    for imported, document in zip(result.imported, documents, strict=True):
        assert imported.case is not None
        assert imported.events == len(document["events"])
        one_by_one = import_one_by_one(copy.deepcopy(document), organisation, by)
        assert snapshot(imported.case) == snapshot(one_by_one)
        assert clock(imported.case) == clock(one_by_one)
    sums.append(running_sums())
    # The running sums the dashboard reads moved as much by the batch as one by one.
    assert sums[1] != sums[0]
    assert {cell: sums[1].get(cell, 0) - sums[0].get(cell, 0) for cell in sums[2]} == {
        cell: sums[2][cell] - sums[1].get(cell, 0) for cell in sums[2]}
    assert any(clock(f.case) is not None for f in result.imported)
    assert [r.problem for r in verify_all()] == [None] * (2 * len(documents))
    # The same batch again: every file refused, as already imported; nothing written.
    again = bulk_import.import_files(files, organisation, by)
    assert not again.imported
    assert Case.objects.count() == before + 2 * len(documents)


def test_a_batch_is_refused_whole_for_someone_who_cannot_open_cases(importer, frank):
    organisation, _by = importer
    before = Case.objects.count()
    with pytest.raises(casefile.Refused, match="cannot open cases"):
        bulk_import.import_files([("a.json", generated_files()[0])], organisation, frank)
    assert Case.objects.count() == before


def test_a_file_with_sections_in_a_batch_is_the_per_file_import(importer, whole, alice):
    """A version 2 file carrying consents, proceedings, risk and referrals goes through
    import_case inside the batch: the same ledger as importing it alone."""
    organisation, by = importer
    document = with_sections.export(whole.reference)
    plain = generated_files()[0]
    result = bulk_import.import_files(
        [("whole.json", copy.deepcopy(document)), ("plain.json", copy.deepcopy(plain))],
        organisation, by)
    assert not result.failed
    batch_case = result.imported[0].case
    assert batch_case is not None
    actions = list(LedgerEntry.objects.filter(case=batch_case).order_by("seq")
                   .values_list("action", flat=True))
    assert "proceeding.create" in actions and actions[-1] == "case.import"
    # Alone (another organisation, as the file is now imported here).
    exported = casefile.build_document(batch_case)
    for d in (exported, document):
        d.pop("exported_at"), d["case"].pop("reference")
    assert exported["events"] == document["events"]
    assert [r.problem for r in verify_all()] == [None] * 3


def test_a_receiver_without_a_bulk_version_is_sent_each_case(importer):
    """A receiver of events_changed that no app gave a bulk version (here one that appends
    its own ledger entry) gets each case as the per-file import sends it, on the chain."""
    organisation, by = importer

    def note(sender: Any, case: Case, by: User, **kwargs: Any) -> None:
        services.append(case, by, "test.noted", records.subject(case),
                        detail={"kinds": sorted(kwargs["kinds"] or [])})

    documents = generated_files()[:2]
    signals.events_changed.connect(note, dispatch_uid="test.note")
    try:
        result = bulk_import.import_files(
            [(str(i), copy.deepcopy(d)) for i, d in enumerate(documents)], organisation, by)
        alone = [import_one_by_one(copy.deepcopy(d), organisation, by) for d in documents]
    finally:
        signals.events_changed.disconnect(dispatch_uid="test.note")
    for outcome, one_by_one in zip(result.files, alone, strict=True):
        assert outcome.case is not None
        batch = snapshot(outcome.case)
        assert "test.noted" in [entry[0] for entry in batch["ledger"]]
        # The per-event services note each event; the batch, as one write, notes once.
        assert batch["ledger"][-1][0] == "case.import"
        assert batch["obligations"] == snapshot(one_by_one)["obligations"]
    assert [r.problem for r in verify_all()] == [None] * 4


def test_jobs_share_the_files_between_processes(committed_db, org, alice):
    """--jobs: the files imported by several processes (on PostgreSQL; SQLite's one writer
    at a time imports them in one), each result in its file's place; a file given twice
    imported once."""
    organisation, by = org, alice
    documents = generated_files()
    files: list[tuple[str, Any]] = [(f"{i}.json", casefile.dumps(d))
                                    for i, d in enumerate(documents)]
    files.insert(2, ("twice.json", files[0][1]))
    files.append(("broken.json", refused_files(documents[0])[0]))
    result = bulk_import.import_files(files, organisation, by, jobs=2)
    assert [f.name for f in result.files] == [name for name, _text in files]
    assert [f.name for f in result.failed] == ["twice.json", "broken.json"]
    assert isinstance(result.failed[0].error, casefile.AlreadyImported)
    assert result.files[0].case is not None
    assert result.failed[0].error.reference == result.files[0].case.reference
    assert Case.objects.filter(organisation=organisation).count() == len(documents)
    assert [r.problem for r in verify_all()] == [None] * len(documents)


def test_the_command_imports_many_files_and_names_those_it_could_not(importer, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    organisation, by = importer
    documents = generated_files()[:2]
    bad = refused_files(documents[0])[1]
    for i, document in enumerate([*documents, bad]):
        (tmp_path / f"{i}.json").write_text(casefile.dumps(document), encoding="utf-8")
    with pytest.raises(casefile.CaseFileError) as alone:
        casefile.import_case(copy.deepcopy(bad), organisation, by)
    before = Case.objects.count()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 of 3 case files were not imported"):
        call_command("import-case", str(tmp_path), "--org", organisation.slug, "--as",
                     by.email, "--jobs", "2", stdout=out, stderr=err)
    assert Case.objects.count() == before + 2
    assert "Imported 2 of 3 case files" in out.getvalue()
    lines = err.getvalue().splitlines()
    assert lines[0] == f"{tmp_path / '2.json'}: nothing was imported:"
    assert lines[1:] == [f"  {problem}" for problem in alone.value.problems]
    # Again, the same files and one that is not there: the two imported are refused as
    # such, the missing one named; nothing is written.
    err = StringIO()
    with pytest.raises(CommandError, match="4 of 4 case files were not imported"):
        call_command("import-case", *(str(tmp_path / f"{i}.json") for i in range(3)),
                     str(tmp_path / "missing.json"), "--org", organisation.slug, "--as",
                     by.email, stdout=StringIO(), stderr=err)
    assert "already imported as case" in err.getvalue()
    assert (f"{tmp_path / 'missing.json'}: nothing was imported:\n"
            "  The file cannot be read: No such file or directory.") in err.getvalue()
    assert Case.objects.count() == before + 2


def test_a_value_with_choices_is_still_checked_after_valid_ones(case, alice):
    """CaseBatch remembers the values of fields with choices that passed; another value is
    checked as Model.full_clean checks it, with the same message."""
    valid = Party.Relationship.values[-1]
    for name in ("A", "B"):
        services.add_party(case, alice, role="witness", relationship=valid, full_name=name)
    with pytest.raises(ValidationError) as refused:
        services.add_party(case, alice, role="witness", relationship="nonsense",
                           full_name="C")
    party = Party(case=case, role="witness", relationship="nonsense", full_name="C", salt="s")
    with pytest.raises(ValidationError) as django:
        party.full_clean(exclude=["name_index", "salt", "case"], validate_unique=False,
                         validate_constraints=False)
    assert refused.value.message_dict == django.value.message_dict
    assert list(refused.value.message_dict) == ["relationship"]


def test_a_block_the_database_refuses_is_written_again_file_by_file(importer):
    """If writing a block fails (here the database refuses a statement for one case), the
    block is rolled back whole and its files written one by one: that file is named, the
    others imported, nothing of it left."""
    from django.db import connection

    organisation, by = importer
    documents = generated_files()[:3]
    doomed = copy.deepcopy(documents[1])
    doomed["version"], doomed["case"]["mode"] = 2, "monitoring"

    def refuse(sender: Any, case: Case, **kwargs: Any) -> None:
        if case.mode == "monitoring":
            with connection.cursor() as cursor:
                cursor.execute("SELECT no_such_column FROM cases_case")

    files = [("0.json", documents[0]), ("doomed.json", doomed), ("2.json", documents[2])]
    before = Case.objects.count()
    signals.events_changed.connect(refuse, dispatch_uid="test.refuse")
    try:
        result = bulk_import.import_files(copy.deepcopy(files), organisation, by)
    finally:
        signals.events_changed.disconnect(dispatch_uid="test.refuse")
    assert [f.name for f in result.failed] == ["doomed.json"]
    assert result.failed[0].problems[0].startswith("The case could not be written (")
    assert Case.objects.count() == before + 2
    assert not Case.objects.filter(mode="monitoring").exists()
    assert [r.problem for r in verify_all()] == [None, None]
