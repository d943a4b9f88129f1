"""From a narrative to confirmed events (issue 31): the service, the pages, hostile input."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from pypdf import PdfWriter

from qorgau.cases import taxonomy
from qorgau.cases.models import Event, LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.conftest import run_db_worker
from qorgau.duties.models import Obligation
from qorgau.evidence import storage
from qorgau.evidence.models import Exhibit
from qorgau.intake import services
from qorgau.intake.models import Narrative, Proposal

STORY = ("On 26 February 2024 he strangled her and threatened to kill her with a knife. "
         "The next day she reported it to the police, who refused to register the complaint.")


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()
    storage.evidence_storage.cache_clear()
    yield tmp_path
    storage.evidence_storage.cache_clear()


def add(case, by, text: str = STORY, **extra) -> Narrative:
    return services.add_narrative(case, by, services.read_source(text=text), **extra)


def by_kind(narrative: Narrative) -> dict[str, Proposal]:
    return {p.data["kind"]: p for p in narrative.proposals.all()}


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    for paragraph in text.split("\n\n"):
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_with_text(*lines: str) -> bytes:
    """A one-page PDF whose text layer holds the lines (Helvetica, Latin-1)."""
    stream = b"BT /F1 10 Tf 40 800 Td 12 TL " + b" ".join(
        b"(" + line.encode("latin-1") + b") Tj T*" for line in lines) + b" ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
               b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- the service -----------------------------------------------------------------------------

def test_a_pasted_narrative_is_stored_encrypted_and_proposes_without_recording(
        case, alice, evidence_dir) -> None:
    events_before = Event.objects.filter(case=case).count()
    narrative = add(case, alice)
    assert narrative.status == Narrative.Status.READY and narrative.progress == 100
    assert narrative.lang == "en"
    assert list(by_kind(narrative)) == ["strangulation", "threat_to_kill", "weapon",
                                        "police_report", "police_refusal"]
    # Nothing on the timeline before a person confirms.
    assert Event.objects.filter(case=case).count() == events_before
    exhibit = narrative.exhibit
    assert exhibit.case == case and exhibit.blob.media_type == "text/plain"
    stored = (evidence_dir / "evidence" / exhibit.blob.object_name).read_bytes()
    assert b"strangled" not in stored  # encrypted at rest
    with connection.cursor() as cursor:  # the sentences are encrypted at rest too
        cursor.execute("SELECT data_json FROM intake_proposal")
        assert all("strangled" not in row[0] for row in cursor.fetchall())
        cursor.execute("SELECT text FROM intake_narrative")
        assert "strangled" not in cursor.fetchone()[0]
    actions = list(LedgerEntry.objects.filter(case=case).values_list("action", flat=True))
    assert actions[-3:] == ["exhibit.create", "narrative.create", "narrative.extract"]
    assert verify_case(case.pk, case.reference).problem is None


def test_accept_edit_and_reject_record_events_marked_and_update_duties(
        case, alice) -> None:
    narrative = add(case, alice)
    found = by_kind(narrative)
    entries = LedgerEntry.objects.filter(case=case).count()
    done = services.review(narrative, alice, [
        services.Decision(found["strangulation"].pk, True),
        services.Decision(found["police_report"].pk, True),
        # edited: the refusal came two days later, not the next day
        services.Decision(found["police_refusal"].pk, True, when_start="28.02.2024",
                          when_end="", institution="police"),
        services.Decision(found["weapon"].pk, False),
    ])
    assert [e.kind for e in done.accepted] == ["strangulation", "police_report",
                                               "police_refusal"]
    assert done.rejected == 1
    refusal = Event.objects.get(case=case, kind="police_refusal")
    assert refusal.when_start == "2024-02-28" and refusal.institution == "police"
    report = Event.objects.get(case=case, kind="police_report")
    assert report.when_start == "2024-02-27"
    assert report.source == "survivor" and report.reliability == "unverified"
    assert "From the narrative (exhibit 1), confirmed by Alice" in report.narrative
    assert "reported it to the police" in report.narrative
    # One ledger entry per event, and one for the narrative's decisions.
    new = list(LedgerEntry.objects.filter(case=case).order_by("seq")
               .values_list("action", flat=True))[entries:]
    assert new.count("event.create") == 3 and new[-1] == "narrative.review"
    statuses = {p.data["kind"]: (p.status, p.event_id, p.decided_by_id)
                for p in narrative.proposals.all()}
    assert statuses["weapon"] == ("rejected", None, alice.pk)
    assert statuses["threat_to_kill"] == ("pending", None, None)
    assert statuses["police_report"] == ("accepted", report.pk, alice.pk)
    # Duties follow as for any event: the police's duties on her report are derived.
    assert Obligation.objects.filter(case=case, trigger=report).exists()
    assert verify_case(case.pk, case.reference).problem is None


def test_a_bad_decision_writes_nothing_and_names_the_proposal(case, alice) -> None:
    narrative = add(case, alice)
    found = by_kind(narrative)
    entries = LedgerEntry.objects.filter(case=case).count()
    with pytest.raises(ValidationError) as caught:
        services.review(narrative, alice, [
            services.Decision(found["strangulation"].pk, True),
            services.Decision(found["police_report"].pk, True, when_start="31.02.2024"),
        ])
    assert "Proposal 4" in " ".join(caught.value.messages)
    assert LedgerEntry.objects.filter(case=case).count() == entries
    assert not Event.objects.filter(case=case, kind="strangulation").exists()
    assert set(narrative.proposals.values_list("status", flat=True)) == {"pending"}
    # A proposal decided once cannot be decided again.
    services.review(narrative, alice, [services.Decision(found["weapon"].pk, False)])
    with pytest.raises(ValidationError, match="already been decided"):
        services.review(narrative, alice, [services.Decision(found["weapon"].pk, True)])


def test_a_tampered_decision_is_found_by_verify(case, alice) -> None:
    narrative = add(case, alice)
    found = by_kind(narrative)
    services.review(narrative, alice, [services.Decision(found["weapon"].pk, False)])
    assert verify_case(case.pk, case.reference).problem is None
    Proposal.objects.filter(pk=found["weapon"].pk).update(status="pending")
    assert verify_case(case.pk, case.reference).problem is not None


def test_the_same_file_twice_reuses_its_exhibit(case, alice) -> None:
    data = docx_bytes(STORY)
    first = services.add_narrative(case, alice, services.read_source(
        file=io.BytesIO(data), name="statement.docx"))
    second = services.add_narrative(case, alice, services.read_source(
        file=io.BytesIO(data), name="statement.docx"))
    assert first.exhibit == second.exhibit
    assert Exhibit.objects.filter(case=case).count() == 1
    assert "strangulation" in by_kind(second)


def test_erasure_removes_narratives_and_proposals(case, alice) -> None:
    from django.db import transaction

    from qorgau.cases import erasure

    narrative = add(case, alice)
    found = by_kind(narrative)
    services.review(narrative, alice, [services.Decision(found["weapon"].pk, True)])
    with transaction.atomic():
        counts = erasure.erase_records(case)
    assert counts["intake.Narrative"] == 1 and counts["intake.Proposal"] == 5
    assert not Narrative.objects.exists()


def test_an_abandoned_extraction_says_so(case, alice) -> None:
    narrative = add(case, alice)
    Narrative.objects.filter(pk=narrative.pk).update(status="extracting")
    services.extraction_abandoned([narrative.pk], {}, requeued=False)
    narrative.refresh_from_db()
    assert narrative.status == "failed" and "stopped" in narrative.message


# --- reading the source: formats and hostile input -------------------------------------------

def test_docx_and_pdf_with_a_text_layer_are_read() -> None:
    source = services.read_source(file=io.BytesIO(docx_bytes(STORY)), name="s.docx")
    assert "strangled her" in source.text and source.lang == "en"
    pdf = pdf_with_text("On 26 February 2024 he strangled her.",
                        "The next day she reported it to the police.")
    source = services.read_source(file=io.BytesIO(pdf), name="s.pdf")
    assert "he strangled her" in source.text and source.lang == "en"
    assert source.content_type == "application/pdf" and source.data == pdf


@pytest.mark.parametrize(("data", "name", "says"), [
    (b"\x00\x01\x02\x03binary\xff\xfe" * 100, "notes.txt", "not text"),
    (bytes(range(256)) * 40, "blob.bin", "not text"),
    (blank_pdf(), "scan.pdf", "no text layer"),
    (b"this is not a word document at all", "statement.docx", "not one"),
    (b"PK\x03\x04 broken zip pretending", "statement.docx", "cannot be read as one"),
    ("Это текст в кодировке 1251.".encode("cp1251"), "old.txt", "UTF-8"),
    ("Dies ist ein Text auf Deutsch, über Gewalt in der Familie, ohne Datum.".encode(),
     "de.txt", "not in Russian, Kazakh or English"),
    ("这是中文文本，关于家庭暴力。".encode(), "zh.txt", "not in Russian, Kazakh or English"),
    ("Чоловік бив її щодня, і вона звернулася до поліції ще в 2019 році.".encode(),
     "uk.txt", "not in Russian, Kazakh or English"),
    ("Күйөөсү аны көп жолу сабаган, ал милицияга кайрылган.".encode(), "ky.txt",
     "not in Russian, Kazakh or English"),
    (b"", "empty.txt", "empty"),
])
def test_hostile_files_are_refused_in_plain_words(data, name, says) -> None:
    with pytest.raises(ValidationError) as caught:
        services.read_source(file=io.BytesIO(data), name=name)
    assert says in " ".join(caught.value.messages)


def test_a_zip_named_docx_that_is_not_a_docx() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValidationError, match="cannot be read as one"):
        services.read_source(file=io.BytesIO(out.getvalue()), name="statement.docx")


def test_a_huge_paste_and_a_huge_file_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        services.read_source(text="She was beaten. " * 7000)
    assert "the limit is 100\u00a0000" in caught.value.messages[0]
    with pytest.raises(ValidationError, match="larger than the limit"):
        services.read_source(file=io.BytesIO(b"a" * (services.MAX_BYTES + 1)), name="a.txt")
    with pytest.raises(ValidationError, match="not both"):
        services.read_source(text=STORY, file=io.BytesIO(b"x"), name="a.txt")


# --- the pages -------------------------------------------------------------------------------

def test_pages_are_404_to_non_members_and_403_to_read_only_writers(
        client, case, alice, frank, erin) -> None:
    narrative = add(case, alice)
    urls = [reverse("intake:narratives", args=[case.reference]),
            reverse("intake:narrative", args=[case.reference, narrative.pk])]
    client.force_login(frank)
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(urls[0], {"text": STORY, "source": "survivor",
                                 "reliability": "unverified"}).status_code == 404
    assert client.post(reverse("intake:review", args=[case.reference, narrative.pk]),
                       {"bulk": "accept"}).status_code == 404


def test_read_only_members_see_the_review_but_cannot_decide(client, case, alice,
                                                          dave) -> None:
    from qorgau.cases import services as case_services

    narrative = add(case, alice)
    found = by_kind(narrative)
    services.review(narrative, alice, [services.Decision(found["police_report"].pk, True,
                                                         kind="police_refusal")])
    case_services.assign(case, dave, alice, access="read")
    client.force_login(dave)
    page = client.get(reverse("intake:narrative", args=[case.reference, narrative.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="accept"' not in content and 'name="pick"' not in content
    # an accepted proposal shows the event it became, with the kind as confirmed
    assert "<strong>Police refused to register or act</strong> · Accepted by Alice" in content
    action = reverse("intake:review", args=[case.reference, narrative.pk])
    assert client.post(action, {"accept": found["weapon"].pk}).status_code == 403
    assert client.post(reverse("intake:narratives", args=[case.reference]),
                       {"text": STORY}).status_code == 403
    assert Proposal.objects.get(pk=found["weapon"].pk).status == "pending"


def test_paste_review_through_the_pages(client, case, alice) -> None:
    client.force_login(alice)
    url = reverse("intake:narratives", args=[case.reference])
    page = client.get(url)
    assert page.status_code == 200 and b"Add from a narrative" in page.content
    response = client.post(url, {"text": STORY, "source": "survivor",
                                 "reliability": "probable"})
    narrative = Narrative.objects.get(case=case)
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:narrative",
                                           args=[case.reference, narrative.pk])
    review = client.get(response["Location"])
    assert review.status_code == 200
    assert b"<mark>On 26 February 2024 he strangled her" in review.content
    found = by_kind(narrative)
    assert not Event.objects.filter(case=case).exists()
    action = reverse("intake:review", args=[case.reference, narrative.pk])
    edited = found["police_refusal"].pk
    response = client.post(action, {
        "bulk": "accept", "pick": [found["strangulation"].pk, edited],
        f"kind-{edited}": "police_refusal", f"start-{edited}": "01.03.2024",
        f"end-{edited}": "", f"institution-{edited}": "police"}, follow=True)
    assert b"2 events recorded on the timeline." in response.content
    assert Event.objects.get(case=case, kind="police_refusal").when_start == "2024-03-01"
    assert Event.objects.get(case=case, kind="strangulation").reliability == "probable"
    response = client.post(action, {"reject": found["weapon"].pk}, follow=True)
    assert b"1 proposal rejected." in response.content
    assert Proposal.objects.get(pk=found["weapon"].pk).status == "rejected"
    # An htmx poll of a narrative that is read asks the page to reload into the review.
    poll = client.get(reverse("intake:narrative", args=[case.reference, narrative.pk]),
                      HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"


def test_the_page_shows_plain_errors_and_stores_nothing(client, case, alice) -> None:
    client.force_login(alice)
    url = reverse("intake:narratives", args=[case.reference])
    base = {"source": "survivor", "reliability": "unverified"}
    attempts: list[tuple[dict[str, Any], bytes]] = [
        ({"file": SimpleUploadedFile("scan.pdf", blank_pdf(), "application/pdf")},
         b"no text layer"),
        ({"file": SimpleUploadedFile("x.docx", b"\x00\x01garbage", "application/octet-stream")},
         b"not one"),
        ({"text": "Der Mann hat seine Frau geschlagen und bedroht."},
         b"not in Russian, Kazakh or English"),
        ({"text": "x" * (services.MAX_CHARS + 1)}, "the limit is 100\u00a0000".encode()),
        ({}, b"There is no text to read."),
    ]
    for data, says in attempts:
        response = client.post(url, {**base, **data})
        assert response.status_code == 200, says
        assert says in response.content, says
    assert not Narrative.objects.exists() and not Exhibit.objects.exists()


def test_a_paste_past_the_request_limit_is_a_plain_error(client, case, alice,
                                                         settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client.force_login(alice)
    response = client.post(reverse("intake:narratives", args=[case.reference]),
                           {"text": "a" * 20_000, "source": "survivor",
                            "reliability": "unverified"})
    assert response.status_code == 200
    assert "limit of 100\u00a0000 characters".encode() in response.content
    assert not Narrative.objects.exists()


def test_restricted_proposals_are_hidden_from_roles_that_do_not_see_them(
        case, alice, carol) -> None:
    narrative = add(case, alice)
    found = by_kind(narrative)
    restricted = sorted(taxonomy.RESTRICTED)[0]
    hidden = found["weapon"]
    hidden.data_json = json.dumps({**hidden.data, "kind": restricted})
    hidden.save()
    assert hidden not in services.visible(narrative, sees_restricted=False)
    assert hidden in services.visible(narrative, sees_restricted=True)
    with pytest.raises(ValidationError, match="not found"):
        services.review(narrative, carol, [services.Decision(hidden.pk, True)],
                        sees_restricted=False)
    with pytest.raises(ValidationError, match="Choose a kind"):
        services.review(narrative, carol, [services.Decision(found["strangulation"].pk, True,
                                                             kind=restricted)],
                        sees_restricted=False)


# --- the background worker -------------------------------------------------------------------

def test_progress_is_reported_while_a_long_text_is_read(case, alice, settings,
                                                        monkeypatch) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    narrative = add(case, alice, text=" ".join([STORY] * 300))
    assert narrative.status == Narrative.Status.QUEUED and narrative.progress == 0
    assert not narrative.proposals.exists()
    seen: list[int] = []
    original = services._set

    def recording(target, **fields):
        if "progress" in fields:
            seen.append(fields["progress"])
        original(target, **fields)

    monkeypatch.setattr(services, "_set", recording)
    assert services.extract_narrative.call(narrative.pk) == Narrative.Status.READY
    assert seen[0] == 1 and seen[-1] == 100 and seen == sorted(seen)
    assert any(1 < value < 100 for value in seen)
    assert narrative.proposals.count() == 1500


def test_a_queued_narrative_is_read_by_the_worker_process(committed_db, client, case, alice,
                                                          settings, tmp_path) -> None:
    """Queued by the page, read by a separate `db_worker` process, shown with progress."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(alice)
    response = client.post(reverse("intake:narratives", args=[case.reference]),
                           {"text": STORY, "source": "survivor", "reliability": "unverified"})
    narrative = Narrative.objects.get(case=case)
    assert narrative.status == Narrative.Status.QUEUED
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in page and "<progress" in page
    assert "No background worker is running" in page
    assert "Proposed events" not in page
    worker = run_db_worker(settings, tmp_path / "worker")
    assert worker.returncode == 0, worker.stderr[-2000:]
    narrative.refresh_from_db()
    assert narrative.status == Narrative.Status.READY and narrative.progress == 100
    assert narrative.proposals.count() == 5
    poll = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"
    assert "Proposed events" in client.get(response["Location"]).content.decode()
    assert verify_case(case.pk, case.reference).problem is None


def test_a_pasted_web_page_with_scripts_is_refused_on_the_text(case, alice) -> None:
    source = services.read_source(text="<html><body onload=\"steal()\">He hit her on "
                                       "3 May 2021 and she went to the police.</body></html>")
    with pytest.raises(ValidationError) as caught:
        services.add_narrative(case, alice, source)
    assert "text" in caught.value.message_dict
    assert not Narrative.objects.exists() and not Exhibit.objects.exists()


def test_a_long_review_is_paged(client, case, alice) -> None:
    narrative = add(case, alice, text=" ".join([STORY] * 12))  # 60 proposals
    client.force_login(alice)
    url = reverse("intake:narrative", args=[case.reference, narrative.pk])
    first = client.get(url).content.decode()
    assert first.count('class="proposal proposal--pending"') == 50
    assert "Proposals 1–50 of 60" in first and "?page=2#review" in first
    second = client.get(f"{url}?page=2").content.decode()
    assert second.count('class="proposal proposal--pending"') == 10
    assert '<ol class="proposals" start="51">' in second
    last = narrative.proposals.get(index=60)
    response = client.post(reverse("intake:review", args=[case.reference, narrative.pk]),
                           {"reject": last.pk, "page": "2"})
    assert response["Location"] == f"{url}?page=2#review"


def test_reading_a_narrative_erased_meanwhile_does_nothing(case, alice, settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    narrative = add(case, alice)
    pk = narrative.pk
    Narrative.objects.filter(pk=pk).delete()
    assert services.extract_narrative.call(pk) == "gone"
    assert not Proposal.objects.exists()
