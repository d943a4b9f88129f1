"""`qorgau assess` stores nothing; `qorgau corpus-recall` counts flagged, other and missed
failures, and fails below its floor or on a flag the record contradicts."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from qorgau.accounts.models import Organisation, User
from qorgau.cases.models import Case, Event, LedgerEntry
from qorgau.duties import recall
from qorgau.duties.models import Obligation

pytestmark = pytest.mark.django_db(transaction=True)
CORPUS = Path(__file__).resolve().parents[3] / "corpus"


def case_file(expected: dict, **case: str) -> dict:
    """A monitoring case: a report to the police, refused the same day, and a judgment."""
    return {
        "format": "qorgau.case-file", "version": 2,
        "case": {"profile": "intl", "region": "BG", "mode": "monitoring", **case},
        "parties": [{"key": "p1", "role": "survivor", "relationship": "self",
                     "full_name": "A. B."}],
        "events": [
            {"number": 1, "kind": "physical_assault", "when": {"start": "2010-03-01"},
             "source": "document", "reliability": "confirmed", "narrative": "He beat her."},
            {"number": 2, "kind": "police_report", "when": {"start": "2010-03-02"},
             "source": "document", "reliability": "confirmed", "narrative": "She reported it.",
             "institution": "police", "attributes": {"mode": "oral"},
             "links": [{"target": 1, "kind": "reports"}]},
            {"number": 3, "kind": "police_refusal", "when": {"start": "2010-03-02"},
             "source": "document", "reliability": "confirmed", "narrative": "Sent away.",
             "institution": "police", "links": [{"target": 2, "kind": "responds_to"}]},
        ],
        "corpus": {"title": "test", "state": "BG", "control": False, "expected": expected},
    }


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (Organisation.objects.count(), User.objects.count(), Case.objects.count(),
            Event.objects.count(), LedgerEntry.objects.count(), Obligation.objects.count())


def test_assess_prints_duties_and_stores_nothing(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case_file({"failures": []})))
    before = counts()
    result = json.loads(run("assess", str(path), "--json"))[str(path)]
    assert counts() == before  # nothing stored, nothing on any ledger
    duty = next(d for d in result["duties"] if d["rule"] == "intl.report-action")
    assert (duty["status"], duty["bearer"], duty["trigger"], duty["grounds"]) == (
        "breached", "police", 2, "on_record")
    # the risk assessment nobody recorded is "no record", not "breached": a monitoring case
    risk = next(d for d in result["duties"] if d["rule"] == "intl.risk-assessment")
    assert risk["status"] == "no_record"
    text = run("assess", str(path))
    assert "intl.report-action" in text and "on a recorded refusal" in text


def test_assess_refuses_a_bad_file_in_plain_words(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("assess", str(path))


def test_corpus_recall_counts_and_fails_on_a_contradicted_flag(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(case_file({
        "failures": [{"id": "F1", "event": 2, "bearer": "police"},
                     {"id": "F2", "event": 2, "bearer": "court"},
                     {"id": "F3", "event": None, "bearer": "social_services"}],
        "proper": []})))
    report = json.loads(run("corpus-recall", str(folder), "--json"))
    assert (report["failures"], report["flagged"], report["missed"]) == (3, 1, 1)
    assert report["elsewhere"] == 1  # the court's failure: only the police flagged there
    with pytest.raises(CommandError, match="below the floor"):
        run("corpus-recall", str(folder), "--min-recall", "0.5")
    (folder / "a.json").write_text(json.dumps(case_file({
        "failures": [{"id": "F1", "event": 2, "bearer": "police"}],
        "proper": [{"event": 2, "bearer": "police", "note": "They acted."}]})))
    with pytest.raises(CommandError, match="contradicted"):
        run("corpus-recall", str(folder))


def trial_file(expected: dict) -> dict:
    """The survivor arrested in 2019 and held: a trial over a year of pre-trial detention."""
    document = case_file(expected)
    document["events"].append(
        {"number": 4, "kind": "arrest", "when": {"start": "2019-01-10"}, "source": "document",
         "reliability": "confirmed", "narrative": "She is arrested.", "institution": "police",
         "attributes": {"subject": "survivor"}})
    document["proceedings"] = [{"kind": "criminal_survivor", "court": "District court",
                                "events": [4], "status": "trial"}]
    return document


def test_corpus_recall_measures_trials(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(trial_file({
        "failures": [{"id": "F1", "event": 2, "bearer": "police"}],
        "trials": [{"id": "T1", "proceeding": 0, "flag": "lengthy_detention"},
                   {"id": "T2", "proceeding": 0, "flag": "survivor_prosecuted"},
                   {"id": "T3", "proceeding": 0, "flag": "indicator_not_observed",
                    "indicator": "public_hearing"}]})))
    report = json.loads(run("corpus-recall", str(folder), "--json"))
    # Detention and her earlier report (refused by the police) are flagged; no hearing was
    # observed, so the closed hearing is not.
    assert report["trials"]["documented"] == 3 and report["trials"]["flagged"] == 2
    with pytest.raises(CommandError, match="trial failure"):
        run("corpus-recall", str(folder), "--min-recall", "0.5")
    (folder / "a.json").write_text(json.dumps(trial_file({
        "failures": [], "trials_proper": [{"proceeding": 0, "flag": "*",
                                            "note": "Tried fairly and promptly."}]})))
    with pytest.raises(CommandError, match="contradicted"):
        run("corpus-recall", str(folder))


def test_the_corpus_trials_the_issue_asks_for():
    """At least three trials of the survivor, three of the abuser and a control."""
    survivor = abuser = controls = 0
    for path in CORPUS.glob("*.json"):
        document = json.loads(path.read_text())
        expected = document["corpus"]["expected"]
        kinds = [p["kind"] for p in document.get("proceedings") or ()]
        documented = {t["proceeding"] for t in expected.get("trials") or ()}
        survivor += sum(1 for i in documented if kinds[i] == "criminal_survivor")
        abuser += sum(1 for i in documented if kinds[i] in ("criminal_respondent",
                                                            "administrative"))
        controls += sum(1 for t in expected.get("trials_proper") or () if t["flag"] == "*")
    assert survivor >= 3 and abuser >= 3 and controls >= 1


def test_judge_reads_or_events_and_failures_of_the_whole_case():
    flags = [recall.Flag("r", "prosecutor", 9), recall.Flag("gap", "legislature", 4, "", True)]
    judged = recall.judge("x", {"failures": [
        {"event": 7, "or_events": [9], "bearer": "prosecutor"},
        {"event": None, "bearer": "prosecutor"},
        {"event": None, "bearer": "legislature"},
        {"event": None, "bearer": "court"}]}, flags, {})
    assert [outcome for _f, outcome, _x in judged.failures] == [
        recall.FLAGGED, recall.FLAGGED, recall.FLAGGED, recall.MISSED]


def test_the_development_corpus_is_there():
    files = sorted(CORPUS.glob("*.json"))
    assert len(files) >= 22
    failures = sum(len(json.loads(f.read_text())["corpus"]["expected"]["failures"])
                   for f in files)
    assert failures >= 90


def test_facts_only_leaves_out_the_bodys_findings(tmp_path):
    """A refusal to open a case is a decision that stands; only the body's finding makes it
    a breach. Without the finding (--facts-only), the failure is missed."""
    document = case_file({"failures": [{"id": "F1", "event": 4, "bearer": "prosecutor"}]})
    document["events"] += [
        {"number": 4, "kind": "case_refused", "when": {"start": "2010-04-01"},
         "source": "document", "reliability": "confirmed", "narrative": "No case opened.",
         "institution": "prosecutor", "attributes": {"reason": "private_matter"},
         "links": [{"target": 2, "kind": "responds_to"}]},
        {"number": 5, "kind": "international_judgment", "when": {"start": "2015-01-01"},
         "source": "document", "reliability": "confirmed", "narrative": "A violation.",
         "institution": "other", "attributes": {"body": "ecthr", "violation": True},
         "links": [{"target": 4, "kind": "finding_on"}]},
    ]
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(document))
    assert json.loads(run("corpus-recall", str(folder), "--json"))["flagged"] == 1
    alone = json.loads(run("corpus-recall", str(folder), "--json", "--facts-only"))
    assert alone["flagged"] == 0


def test_an_unmigrated_database_gets_a_plain_answer(tmp_path):
    """A new clone that runs corpus-recall before `migrate` (a database never set up): a
    plain message and exit 1, no traceback."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QORGAU_ENV": "test", "QORGAU_DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/new.sqlite3"}
    done = subprocess.run([sys.executable, "manage.py", "corpus-recall", str(CORPUS)],
                          cwd=CORPUS.parent, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 1
    assert "run `python manage.py migrate`" in done.stderr
    assert "Traceback" not in done.stderr
