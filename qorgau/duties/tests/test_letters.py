"""Complaint letters end to end: the statement of facts, the formal layout, the review and
approval before a letter leaves, the survivor's consent, the counts on the duties page."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from qorgau.accounts.models import User
from qorgau.cases import taxonomy
from qorgau.cases.models import Case, Event, LedgerEntry
from qorgau.cases.templatetags.qorgau_cases import format_span
from qorgau.cases.verification import verify_case
from qorgau.consent import rules as consent_rules
from qorgau.consent import services as consent
from qorgau.demo import reference_case
from qorgau.demo.loader import ORG_NAME, email_for, load_demo
from qorgau.duties import letters, profiles, services
from qorgau.duties.documents import letter_docx, letter_pdf
from qorgau.duties.models import Letter

TEMPLATE = "police_inaction"


@pytest.fixture
def demo(db: None) -> Case:
    load_demo()
    return Case.objects.get(reference=reference_case.REFERENCE)


def _user(role: str) -> User:
    return User.objects.get(email=email_for(role))


@pytest.fixture
def caseworker(demo: Case) -> User:
    return _user("caseworker")


@pytest.fixture
def lawyer(demo: Case) -> User:
    return _user("lawyer")


def _consent(case: Case, by: User) -> consent.ConsentGrant:
    return consent.grant_consent(
        case, by, purpose="complaint", categories=consent_rules.CATEGORIES, manner="written",
        given_on=timezone.localdate(), expires_at=timezone.now() + timedelta(days=90),
        recipient_name="Prosecutor of West Kazakhstan Region")


def _pdf_text(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed"
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return " ".join(text.split())  # lines wrap where the layout wraps them


LAYOUT = {
    "ru": {"to": "Прокурору Западно-Казахстанской области", "from": "от " + ORG_NAME,
           "title": "Жалоба на бездействие полиции", "facts": "Обстоятельства дела",
           "date": "Дата:", "signature": "Подпись:", "attachments": "Приложение:",
           "caveat": "НЕ СВЕРЕНО"},
    "kk": {"to": "Батыс Қазақстан облысының прокурорына", "from": ORG_NAME + " атынан",
           "title": "Полицияның әрекетсіздігіне шағым", "facts": "Істің мән-жайлары",
           "date": "Күні:", "signature": "Қолы:", "attachments": "Қосымша:",
           "caveat": "САЛЫСТЫРЫЛМАҒАН"},
}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_letter_states_the_facts_in_the_formal_layout(demo, caseworker, tmp_path,
                                                          language):
    letter = services.draft_letter(demo, caseworker, TEMPLATE, language)
    text = _pdf_text(letter_pdf(letter), tmp_path)
    words = LAYOUT[language]
    # The formal blocks, in order: addressee, applicant on her behalf, date, title, the
    # statement of facts, the signature lines, the attachments.
    order = [words["to"], words["from"], reference_case.SURVIVOR, words["date"],
             words["title"], words["facts"], words["signature"], words["attachments"]]
    positions = [text.find(part) for part in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))
    # The facts with their dates, in the letter's language: her report to the police of
    # about June 2023 and the breaches of the order.
    report = Event.objects.get(case=demo, kind="police_report", when_start="2023-06")
    with translation.override(language):
        report_date = format_span(report.span)
        breach_label = str(translation.gettext(taxonomy.BY_ID["order_breached"].label))
        self_harm = str(translation.gettext(taxonomy.BY_ID["self_harm"].label))
    assert report_date[0].upper() + report_date[1:] in text
    assert breach_label in text
    # The exhibits linked to the facts, by their description.
    assert "Photograph of the burns" in text
    # Never a restricted event, never an internal event number, never a caveat.
    assert self_harm not in text
    assert "событие №" not in text and "event no" not in text
    assert not re.search(r"№\s*\d+\s*оқиға|оқиға\s*№", text)
    assert not re.search(r"#\s?\d", text)
    legal = set()  # "№" in the letter only in the bases it cites (Law No. 214-IV, GR No. 35)
    profile = services.profile_for(demo)
    for rule_id, _number in letter.covers:
        legal |= set(re.findall(r"№\s*(\d+)", profiles.text_in(profile.rule(rule_id).basis,
                                                                language)))
    assert set(re.findall(r"№\s*(\d+)", text)) <= legal
    assert words["caveat"] not in text
    for rule_id, _number in letter.covers:
        rule = profile.rule(rule_id)
        if not rule.confirmed:
            assert " ".join(profiles.text_in(rule.unconfirmed, language).split()) not in text


def test_docx_has_the_same_layout(demo, caseworker):
    import io

    import docx

    letter = services.draft_letter(demo, caseworker, TEMPLATE, "ru")
    document = docx.Document(io.BytesIO(letter_docx(letter)))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "Прокурору Западно-Казахстанской области"
    assert paragraphs[1].startswith("от " + ORG_NAME) and reference_case.SURVIVOR in paragraphs[1]
    assert paragraphs[2] == "Жалоба на бездействие полиции"
    assert any(p.startswith("Обстоятельства дела") for p in paragraphs)
    assert "Подпись:" in paragraphs[-2] and paragraphs[-1].startswith("Приложение:")


def test_the_office_follows_the_region_and_falls_back(demo, caseworker, tmp_path):
    Case.objects.filter(pk=demo.pk).update(region="KZ-75")
    demo.refresh_from_db()
    letter = services.draft_letter(demo, caseworker, TEMPLATE, "kk")
    assert letter.addressee_block == "Алматы қаласының прокурорына"
    data = letters.cached(str(services.profiles_dir()))
    assert data.office("kz", "prosecutor", "kz-west").line("ru") == (
        "Прокурору Западно-Казахстанской области")  # a legacy code, the same region
    assert data.office("kz", "prosecutor", "KZ").line("en").startswith(
        "To the Prosecutor General")  # region not known: the profile's default
    assert data.office("uz", "prosecutor", "UZ-TK").line("ru") == "Прокурору"  # fallback


def test_the_addressee_file_is_checked():
    good = {"to": {"en": "To X", "ru": "X", "kk": "X"},
            "office": {"en": "X", "ru": "X", "kk": "X"}}
    with pytest.raises(letters.AddresseeError, match="en, ru and kk"):
        letters.parse({"fallback": {"prosecutor": {**good, "to": {"en": "To X"}}}})
    with pytest.raises(letters.AddresseeError, match="ISO 3166-2"):
        letters.parse({"profiles": {"kz": {"prosecutor": {"regions": {"KZ-99": good}}}}})
    with pytest.raises(letters.AddresseeError, match="no duty bearer"):
        letters.parse({"profiles": {"kz": {"judge": {"default": good}}}},
                      {"kz": frozenset({"prosecutor"})})
    shipped = letters.load(services.profiles_dir(), {
        pid: frozenset(p.duty_bearers)
        for pid, p in profiles.load_all(services.profiles_dir()).items()})
    assert len([key for key in shipped.regional if key[0] == "kz"]) == 20  # every region


def test_download_needs_approval_and_her_consent(client, demo, caseworker, lawyer, tmp_path):
    # The demo's reference case has her consent to a court bundle, not to a complaint.
    assert consent.grants_allowing(demo, "court", consent_rules.BUNDLE_CATEGORIES)
    assert not consent.grants_allowing(demo, "complaint", consent_rules.COMPLAINT_CATEGORIES)
    letter = services.draft_letter(demo, caseworker, TEMPLATE, "ru")
    page_url = reverse("duties:letter", args=[demo.reference, letter.pk])
    pdf_url = reverse("duties:letter_download", args=[demo.reference, letter.pk, "pdf"])
    client.force_login(caseworker)
    page = client.get(page_url).content.decode()
    assert "Waiting for approval by a lawyer or a supervisor." in page
    assert "Approve the letter" not in page and pdf_url not in page
    # The reviewer's checklist, beside the draft: the unconfirmed bases with why.
    assert "Reviewer's checklist" in page and "Not confirmed against the primary text:" in page

    refused = client.get(pdf_url)
    assert refused.status_code == 200 and refused["Content-Type"].startswith("text/html")
    assert "waiting for approval" in refused.content.decode()

    client.force_login(lawyer)
    client.post(page_url, {"approve": "1"})
    letter.refresh_from_db()
    assert letter.approved_by == lawyer
    refused = client.get(pdf_url).content.decode()
    assert "There is no consent from the survivor for this" in refused
    assert reverse("consent:case", args=[demo.reference]) in refused
    assert not LedgerEntry.objects.filter(case=demo, action="letter.export").exists()

    grant = _consent(demo, lawyer)
    response = client.get(pdf_url)
    assert response["Content-Type"] == "application/pdf"
    assert "Жалоба на бездействие полиции" in _pdf_text(response.content, tmp_path)
    export = LedgerEntry.objects.get(case=demo, action="letter.export")
    assert export.detail["grant"] == grant.pk
    # The grant must cover the exhibits it lists: "evidence" too.
    assert services.letter_categories(letter) >= {"identity", "timeline", "duties", "evidence"}
    assert verify_case(demo.pk, demo.reference).problem is None


def test_a_caseworker_cannot_approve(client, demo, caseworker):
    letter = services.draft_letter(demo, caseworker, TEMPLATE, "kk")
    with pytest.raises(ValidationError, match="Only a lawyer or a supervisor"):
        services.approve_letter(letter, caseworker)
    client.force_login(caseworker)
    response = client.post(reverse("duties:letter", args=[demo.reference, letter.pk]),
                           {"approve": "1"}, follow=True)
    assert response.status_code == 200
    assert "Only a lawyer or a supervisor can approve a letter." in response.content.decode()
    letter.refresh_from_db()
    assert letter.approved_by is None
    with pytest.raises(ValidationError, match="waiting for approval"):
        services.send_letter(letter, caseworker, timezone.localdate())
    services.approve_letter(letter, _user("supervisor"))  # a supervisor may
    assert LedgerEntry.objects.filter(case=demo, action="letter.approve").count() == 1


def test_a_change_after_approval_needs_a_new_approval(client, demo, caseworker, lawyer):
    letter = services.draft_letter(demo, caseworker, TEMPLATE, "ru")
    _consent(demo, lawyer)
    services.approve_letter(letter, lawyer)
    url = reverse("duties:letter", args=[demo.reference, letter.pk])
    pdf_url = reverse("duties:letter_download", args=[demo.reference, letter.pk, "pdf"])
    client.force_login(caseworker)
    fields = {key: getattr(letter, key) for key in ("title", "body", *services.BLOCKS)}
    client.post(url, fields)  # nothing changed: the approval stands
    letter.refresh_from_db()
    assert letter.approved_by == lawyer
    assert client.get(pdf_url)["Content-Type"] == "application/pdf"

    response = client.post(url, {**fields, "body": letter.body + "\nДополнение."}, follow=True)
    assert "The approval was withdrawn" in response.content.decode()
    letter.refresh_from_db()
    assert letter.approved_by is None and "Дополнение." in letter.body
    assert client.get(pdf_url)["Content-Type"].startswith("text/html")
    client.post(reverse("duties:letter_send", args=[demo.reference, letter.pk]),
                {"sent_on": timezone.localdate().isoformat()})
    letter.refresh_from_db()
    assert letter.status == "draft"  # not sent: not approved

    services.approve_letter(letter, lawyer)
    client.post(reverse("duties:letter_send", args=[demo.reference, letter.pk]),
                {"sent_on": timezone.localdate().isoformat()})
    letter.refresh_from_db()
    assert letter.status == "sent"
    actions = list(LedgerEntry.objects.filter(case=demo, subject=f"letter:{letter.pk}")
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["letter.create", "letter.approve", "letter.export", "letter.update",
                       "letter.approve", "letter.send"]
    assert verify_case(demo.pk, demo.reference).problem is None
    Letter.objects.filter(pk=letter.pk).update(approved_by=None)  # tampering shows
    assert verify_case(demo.pk, demo.reference).problem is not None


def test_the_escalate_box_and_the_duties_page_agree(client, demo, caseworker):
    client.force_login(caseworker)
    page = client.get(reverse("duties:case", args=[demo.reference])).content.decode()
    breached = page.count('class="duty duty--breached"')
    covered = len(services.letter_obligations(services.escalations(demo)[TEMPLATE]))
    assert (breached, covered) == (18, 11)
    assert "Draft a complaint about 11 breached duties." in page
    assert "11 of the 18 breached duties go into this complaint; the other 7 do not:" in page
    assert "owed by Our organisation (no complaint route)" in page
    letter = services.draft_letter(demo, caseworker, TEMPLATE, "en")
    assert len(letter.covers) == covered
