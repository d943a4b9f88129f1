"""Evidence, court bundles, case files and insights through the API (schema-checked)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from django.test import override_settings

from qorgau.cases.models import Case, LedgerEntry
from qorgau.conftest import make_event
from qorgau.evidence.models import Exhibit

NOTE = b"She wrote it down the same evening.\n"


def test_upload_list_and_download_an_exhibit(api_as, case, alice):
    make_event(case, alice, start="2024-01-05")
    api = api_as(alice)
    made = api.client.post(f"/api/v1/cases/{case.reference}/exhibits",
                           {"file": _file(NOTE), "title": "Diary", "event": "1"},
                           headers=api.headers)
    from qorgau.api.tests.contract import check

    check("POST", f"/api/v1/cases/{case.reference}/exhibits", made)
    assert made.status_code == 201, made.content
    exhibit = made.json()
    assert exhibit["sha256"] == hashlib.sha256(NOTE).hexdigest() and exhibit["event"] == 1
    assert [e["number"] for e in api.get(f"cases/{case.reference}/exhibits").json()] == [1]
    assert api.get(f"cases/{case.reference}/exhibits/1").json()["title"] == "Diary"
    original = api.post(f"cases/{case.reference}/exhibits/1/original",
                        {"why": "For the hearing"})
    assert original.status_code == 200
    assert b"".join(original.streaming_content) == NOTE
    assert original["X-Content-SHA256"] == exhibit["sha256"]
    actions = list(LedgerEntry.objects.filter(case=case, subject__startswith="exhibit:")
                   .values_list("action", flat=True))
    assert actions == ["exhibit.create", "exhibit.view", "exhibit.download"]
    # The same bytes again are refused, and nothing is added.
    again = api.client.post(f"/api/v1/cases/{case.reference}/exhibits", {"file": _file(NOTE)},
                            headers=api.headers)
    check("POST", f"/api/v1/cases/{case.reference}/exhibits", again)
    assert again.status_code == 422 and again.json()["field"] == "file"
    assert Exhibit.objects.filter(case=case).count() == 1


def _file(data: bytes, name: str = "note.txt") -> io.BytesIO:
    fh = io.BytesIO(data)
    fh.name = name
    return fh


@override_settings(QORGAU_EVIDENCE_MAX_BYTES=64)
def test_an_upload_past_the_limit_is_stopped(api_as, case, alice):
    api = api_as(alice)
    response = api.client.post(f"/api/v1/cases/{case.reference}/exhibits",
                               {"file": _file(b"x" * 5000)}, headers=api.headers)
    from qorgau.api.tests.contract import check

    check("POST", f"/api/v1/cases/{case.reference}/exhibits", response)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert not Exhibit.objects.exists()


def test_evidence_needs_its_scope_and_the_case(api_as, case, alice, frank):
    assert api_as(alice, ["read"]).post(f"cases/{case.reference}/exhibits/1/original",
                                        {"why": "x"}).json()["code"] == "scope_missing"
    assert api_as(frank).get(f"cases/{case.reference}/exhibits").status_code == 404


def test_bundle_under_consent_with_status_and_download(api_as, case, alice, survivor,
                                                       consent_to):
    api = api_as(alice)
    make_event(case, alice, kind="police_report", start="2024-01-05")
    refused = api.post(f"cases/{case.reference}/bundles", {"language": "en", "grant": 999})
    assert refused.status_code == 403 and refused.json()["code"] == "consent_required"
    grant = consent_to(case, alice, "court")
    made = api.post(f"cases/{case.reference}/bundles", {"language": "en", "grant": grant.pk})
    assert made.status_code == 202
    bundle = made.json()
    status = api.get(f"cases/{case.reference}/bundles/{bundle['id']}").json()
    assert status["status"] == "done" and status["grant"] == grant.pk  # tests build at once
    assert [b["id"] for b in api.get(f"cases/{case.reference}/bundles").json()] == [
        bundle["id"]]
    zipped = api.post(f"cases/{case.reference}/bundles/{bundle['id']}/download")
    assert zipped.status_code == 200 and zipped["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))).namelist()
    assert "manifest.json" in names


def test_case_file_export_and_import(api_as, case, alice, survivor, consent_to):
    make_event(case, alice, start="2024-01-05", narrative="Kitchen.")
    api = api_as(alice)
    assert api.get(f"cases/{case.reference}/casefile").json()["code"] == "refused"
    consent_to(case, alice, "transfer")
    document = api.get(f"cases/{case.reference}/casefile").json()
    assert document["events"][0]["narrative"] == "Kitchen."
    assert LedgerEntry.objects.filter(case=case, action="case.export").count() == 1
    made = api.post("casefile", {"document": document})
    assert made.status_code == 201
    copy = Case.objects.get(reference=made.json()["reference"])
    assert copy.events.get().narrative == "Kitchen." and copy.pk != case.pk
    broken = json.loads(json.dumps(document))
    broken["events"][0]["kind"] = "picnic"
    bad = api.post("casefile", {"document": broken})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith(
        "document.events")
    assert Case.objects.count() == 2


def test_insights_suppressed_for_monitors_and_closed_to_caseworkers(api_as, case, alice,
                                                                     carol, erin):
    make_event(case, alice, kind="police_report", start="2024-01-05")
    monitor = api_as(erin).get("insights/metrics/orders_issued", {"year": 2024})
    assert monitor.status_code == 200
    body = monitor.json()
    assert body["suppressed"] is True and body["k"] >= 2
    assert all(c["count"] is None or c["count"] == 0 or c["count"] >= body["k"]
               for c in body["cells"])
    exact = api_as(carol).get("insights/metrics/orders_issued", {"year": 2024}).json()
    assert exact["suppressed"] is False
    assert api_as(alice).get("insights/metrics/orders_issued").status_code == 404
    assert api_as(erin).get("insights/metrics/nothing").status_code == 404
    assert "orders_issued" in api_as(erin).get("insights/metrics").json()


def test_a_broken_multipart_body_is_bad_input(api_as, case, alice):
    api = api_as(alice)
    response = api.post(f"cases/{case.reference}/exhibits", "--x\r\nnothing",
                        content_type="multipart/form-data")
    assert response.status_code == 400 and response.json()["code"] == "malformed_multipart"
