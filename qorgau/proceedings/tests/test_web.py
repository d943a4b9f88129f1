"""The reference case's prosecution, hearing observations, grade and the report PDF."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from django.urls import reverse

from qorgau.accounts.models import User
from qorgau.cases.models import Case
from qorgau.cases.verification import verify_case
from qorgau.conftest import make_event
from qorgau.demo import reference_case
from qorgau.demo.loader import email_for, load_demo
from qorgau.duties.models import Obligation
from qorgau.proceedings import flags, services
from qorgau.proceedings.models import Proceeding


@pytest.fixture
def demo(db: None) -> Case:
    load_demo()
    return Case.objects.get(reference=reference_case.REFERENCE)


@pytest.fixture
def lawyer(demo: Case) -> User:
    return User.objects.get(email=email_for("lawyer"))


def test_reference_prosecution_clock_and_flags(demo):
    proceeding = Proceeding.objects.get(case=demo)
    assert proceeding.against_survivor
    at_new_jury = services.picture(proceeding, date(2025, 6, 23))
    clock = at_new_jury.clock
    assert clock is not None and clock.running and clock.start == date(2024, 2, 26)
    assert clock.months == 15 and clock.days > 15 * 30  # over 15 months at the new jury
    found = {f.id: f for f in at_new_jury.flags}
    assert {"lengthy_detention", "retrial_after_mistrial", "substitutions",
            "survivor_prosecuted"} <= set(found)
    assert found["lengthy_detention"].params == {"months": 15, "threshold": 12}
    grounds = {g.id: g.events for g in at_new_jury.grounds}
    # The police's breached duties on her reports, her psychological assessment, her own
    # requests for protection; Kazakhstan's law offered protection orders then: no gap.
    assert set(grounds) == {"authority_failures", "documented_abuse",
                            "requests_for_protection"}
    assert found["survivor_prosecuted"].params["grounds"] == list(grounds)
    psych = demo.events.get(kind="psych_assessment").number
    assert psych in grounds["documented_abuse"]
    # A year earlier the detention was not yet "lengthy" under the profile's threshold.
    early = {f.id for f in services.picture(proceeding, date(2025, 2, 25)).flags}
    assert "lengthy_detention" not in early
    # Detention review owed by the court, breached: nothing on file since the order.
    review = Obligation.objects.get(case=demo, family="kz.detention-review")
    assert review.duty_bearer == "court" and review.status == "breached"


def test_case_page_shows_the_detention_clock(client, demo, lawyer):
    client.force_login(lawyer)
    html = client.get(reverse("cases:detail", args=[demo.reference])).content.decode()
    panel = html[html.index('class="proceedings-panel"'):]
    assert "In pre-trial detention since 26 Feb 2024" in panel
    assert "Lengthy pre-trial detention" in panel


def test_thresholds_come_from_the_profile(demo):
    limits, sources = services.thresholds(demo)
    assert limits == flags.Thresholds(lengthy_detention_months=12, repeated_adjournments=3)
    assert sources["lengthy_detention_months"]["source"] == "odihr-digest"
    assert sources["lengthy_detention_months"]["confirmed"] is False


def test_defence_checklist_links_what_the_case_holds(demo):
    proceeding = Proceeding.objects.get(case=demo)
    rows = {row["key"]: row for row in services.defence_checklist(proceeding)}
    assert rows["psychological"]["held"] and rows["psychological"]["exhibits"]
    assert rows["police_contacts"]["held"] and len(rows["police_contacts"]["events"]) == 3
    assert rows["orders_and_breaches"]["held"]
    assert not rows["medical"]["held"] and not rows["release_application"]["held"]


def test_proceeding_page_hearing_and_grade(client, demo, lawyer):
    proceeding = Proceeding.objects.get(case=demo)
    hearing = make_event(demo, lawyer, kind="hearing", start="2025-07-10")
    client.force_login(lawyer)
    url = reverse("proceedings:detail", args=[demo.reference, proceeding.pk])
    page = client.get(url).content.decode()
    assert "In pre-trial detention since 26 Feb 2024" in page
    assert "Mistrial followed by a retrial" in page and "Defence checklist" in page
    data = {"hearing": str(hearing.number), "abuse_evidence_excluded": "on"}
    for key in flags.INDICATORS:
        data[f"ind_{key}"] = "not_observed" if key == "right_to_present_evidence" else "observed"
        data[f"note_{key}"] = ""
    # A "not observed" without a note of what happened is refused, and nothing is saved.
    refused = client.post(url, data)
    assert refused.status_code == 200 and not proceeding.hearings.exists()
    assert "Say what you saw" in refused.content.decode()
    data["note_right_to_present_evidence"] = "The judge refused the psychologist's report."
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    assert "Evidence of the abuse history excluded" in page
    assert "Not observed at the hearing of 10.07.2025" in page
    assert "The judge refused the psychologist&#x27;s report." in page
    bad = client.post(url, {"grade": "G", "rationale": ""})
    assert bad.status_code == 200 and not proceeding.grades.exists()
    assert client.post(url, {"grade": "E", "rationale": "Detention never reviewed; abuse "
                             "evidence excluded.", "affected_outcome": "on"}
                       ).status_code == 302
    assert proceeding.grades.get().grade == "E"
    assert verify_case(demo.pk, demo.reference).problem is None


def test_fairness_report_pdf_in_three_languages(client, demo, lawyer, tmp_path):
    proceeding = Proceeding.objects.get(case=demo)
    services.grade(proceeding, lawyer, "E", "Пересмотр стражи не проводился.", True, True)
    hearing = make_event(demo, lawyer, kind="hearing", start="2025-07-10")
    services.record_hearing(proceeding, lawyer, hearing, {
        "public_hearing": {"value": "not_observed", "note": "Зал закрыли для прессы."}})
    client.force_login(lawyer)
    url = reverse("proceedings:report", args=[demo.reference, proceeding.pk])
    expected = {"ru": "Отчёт о мониторинге судебного процесса",
                "kk": "Сот процесінің мониторингі туралы есеп",
                "en": "Trial-monitoring report"}
    for language, title in expected.items():
        response = client.get(url, {"lang": language})
        assert response["Content-Type"] == "application/pdf"
        path = tmp_path / f"report-{language}.pdf"
        path.write_bytes(response.content)
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert title in text, (language, text[:300])
        assert demo.reference in text
        assert "Пересмотр стражи не проводился." in text  # the rationale, as written
        flat = " ".join(text.split())
        assert {"ru": "суд должен учесть", "kk": "сот ескеруі тиіс",
                "en": "the court must weigh"}[language] in flat
        # The closed hearing: the indicator's flag, with the observer's note.
        assert {"ru": "Не соблюдено в судебном заседании 10.07.2025",
                "kk": "10.07.2025 сот отырысында сақталмады",
                "en": "Not observed at the hearing of 10.07.2025"}[language] in flat
        assert "Зал закрыли для прессы." in flat


def test_adjournments_recorded_through_the_event_form_raise_the_flag(client, demo, lawyer):
    proceeding = Proceeding.objects.get(case=demo)
    client.force_login(lawyer)
    url = reverse("cases:event_new", args=[demo.reference])
    for day in ("2025-07-01", "2025-08-01", "2025-09-01"):
        response = client.post(url, {
            "kind": "hearing", "when_start": day, "qualifier": "none", "recurrence": "once",
            "source": "official_record", "reliability": "confirmed", "institution": "court",
            "adjourned": "on", "adjournment_cause": "Prosecution witness absent",
            "substitution": "judge" if day == "2025-09-01" else ""})
        assert response.status_code == 302
    hearings = demo.events.filter(kind="hearing").order_by("number")
    assert [h.attributes.get("adjourned") for h in hearings] == [True, True, True]
    # Recorded on the timeline only: the case's one prosecution takes them as its own.
    assert not proceeding.events.filter(kind="hearing").exists()
    found = {f.id: f for f in services.picture(proceeding, date(2025, 10, 1)).flags}
    assert found["repeated_adjournments"].params == {"count": 3, "threshold": 3}
    assert found["substitutions"].params["count"] == 2  # the dismissed jury and the judge
    page = client.get(reverse("cases:event_detail", args=[demo.reference,
                                                          hearings.last().number]))
    assert "Prosecution witness absent" in page.content.decode()


def hearing_post(number: int, **answers: tuple[str, str]) -> dict[str, str]:
    data = {"hearing": str(number)}
    for key, (value, note) in answers.items():
        data[f"ind_{key}"], data[f"note_{key}"] = value, note
    return data


def test_closed_hearing_and_stereotyping_observed_raise_flags(client, demo, lawyer):
    proceeding = Proceeding.objects.get(case=demo)
    hearing = make_event(demo, lawyer, kind="hearing", start="2025-09-03")
    client.force_login(lawyer)
    url = reverse("proceedings:detail", args=[demo.reference, proceeding.pk])
    # Only what the monitor saw: two indicators, the rest not recorded.
    assert client.post(url, hearing_post(
        hearing.number, public_hearing=("not_observed", "Press and public sent out."),
        non_discrimination=("not_observed", "Prosecutor: she would have left him."))
    ).status_code == 302
    found = {f.id: f for f in services.picture(proceeding).flags}
    closed = found["indicator_not_observed"]
    assert closed.params == {"date": "03.09.2025", "indicator": "public_hearing"}
    assert closed.events == (hearing.number,) and closed.note == "Press and public sent out."
    assert found["stereotyping"].note == "Prosecutor: she would have left him."
    ru = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Press and public sent out." in ru
    assert verify_case(demo.pk, demo.reference).problem is None


def test_steps_and_changes_from_the_proceeding_page(client, demo, lawyer):
    """A caseworker records the verdict and sentence on the proceeding's page: the detention
    clock stops at the conviction; a reclassification is its own event; all in the ledger."""
    proceeding = Proceeding.objects.get(case=demo)
    client.force_login(lawyer)
    url = reverse("proceedings:detail", args=[demo.reference, proceeding.pk])
    wrong = client.post(url, {"step": "verdict", "when": "12.13.2025", "outcome": "convicted"})
    assert wrong.status_code == 200 and "verdict" not in {
        e.kind for e in demo.events.all()}
    misplaced = client.post(url, {"step": "release", "when": "2025-10-01",
                                  "penalty": "custodial"})
    assert misplaced.status_code == 200
    assert "does not belong" in misplaced.content.decode()
    assert client.post(url, {"step": "verdict", "when": "2025-10-01",
                             "outcome": "convicted", "court_level": "first_instance",
                             "stereotyping": "she provoked him"}).status_code == 302
    assert client.post(url, {"step": "sentence", "when": "2025-10-15",
                             "penalty": "custodial", "amount": "10 years"}).status_code == 302
    verdict = demo.events.get(kind="verdict")
    assert verdict.attributes == {"outcome": "convicted", "court_level": "first_instance",
                                  "stereotyping": "she provoked him", "subject": "survivor"}
    assert proceeding.events.filter(pk=verdict.pk).exists()
    picture = services.picture(proceeding, date(2027, 1, 1))
    assert picture.clock.ended_by == verdict.number and picture.clock.months == 19
    assert [p.state for p in picture.periods] == ["pretrial", "sentence"]
    assert "stereotyping" in {f.id for f in picture.flags}
    change = {"change": "1", "status": "appeal", "court": proceeding.court,
              "case_number": "", "judge": "Judge A. (fictional)",
              "charges": "Preparation of murder | art. 24, 99\nIllegal purchase of a weapon",
              "reclassified_on": "2025-09-20", "outcome": "convicted",
              "sentence_penalty": "custodial", "sentence_term": "10 years",
              "act_against_respondent": "on"}
    assert client.post(url, change).status_code == 302
    proceeding.refresh_from_db()
    assert proceeding.judge == "Judge A. (fictional)" and proceeding.outcome == "convicted"
    assert [c["article"] for c in proceeding.charges] == ["art. 24, 99", ""]
    reclassified = demo.events.get(kind="reclassification")
    assert "Illegal purchase of a weapon" in reclassified.attributes["to_offence"]
    assert proceeding.events.filter(pk=reclassified.pk).exists()
    # A sentence without a conviction is refused in plain words.
    bad = client.post(url, {**change, "outcome": "acquitted", "reclassified_on": ""})
    assert bad.status_code == 200 and "A sentence follows a conviction" in (
        bad.content.decode())
    page = client.get(url).content.decode()
    assert "Custody after conviction" in page and "Judge A. (fictional)" in page
    assert verify_case(demo.pk, demo.reference).problem is None


def test_survivor_prosecuted_needs_a_ground(demo, lawyer):
    """A prosecution of the survivor on a case with nothing on file: no flag."""
    from qorgau.cases import services as case_services

    case = case_services.create_case(demo.organisation, lawyer, profile="kz", region="KZ-27")
    arrest = make_event(case, lawyer, kind="arrest", start="2024-02-26")
    bare = services.open_proceeding(case, lawyer, kind="criminal_survivor", court="Court",
                                    events=[arrest])
    assert services.picture(bare, date(2024, 3, 1)).grounds == []
    assert "survivor_prosecuted" not in {f.id for f in services.picture(
        bare, date(2024, 3, 1)).flags}
    # Her earlier report to the police is a ground; an act not against him is not this flag.
    make_event(case, lawyer, kind="police_report", start="2023-06-01")
    grounds = {g.id for g in services.picture(bare, date(2024, 3, 1)).grounds}
    assert "requests_for_protection" in grounds and "documented_abuse" not in grounds
    services.update_proceeding(bare, lawyer, act_against_respondent=False)
    assert services.picture(bare, date(2024, 3, 1)).grounds == []


def test_steps_recorded_on_the_timeline_count_for_the_one_proceeding_they_can_belong_to(
        demo, lawyer):
    """A verdict entered with the ordinary event form stops the survivor's detention clock just
    as one recorded from the proceeding's page: the same fact, the same result."""
    proceeding = Proceeding.objects.get(case=demo)
    make_event(demo, lawyer, kind="verdict", start="2025-10-01",
               attributes={"outcome": "convicted", "subject": "survivor"})
    clock = services.picture(proceeding, date(2027, 1, 1)).clock
    assert clock is not None and not clock.running and clock.ended_kind == "verdict"
    # About the respondent: not hers. With a second prosecution of her, nobody can tell.
    make_event(demo, lawyer, kind="arrest", start="2025-11-01",
               attributes={"subject": "respondent"})
    assert [e.kind for e in services.unclaimed(proceeding)] == ["verdict"]
    services.open_proceeding(demo, lawyer, kind="criminal_survivor", court="Another court")
    assert services.unclaimed(proceeding) == []


def test_a_corrected_step_counts_as_corrected(demo, lawyer):
    from qorgau.cases import services as case_services

    proceeding = Proceeding.objects.get(case=demo)
    verdict = services.record_step(proceeding, lawyer, case_services.EventInput(
        kind="verdict", span=case_services.parse_span("2025-10-01"), source="document",
        reliability="confirmed", attributes={"outcome": "convicted"}))
    fixed = case_services.event_input_from(verdict)
    fixed.span = case_services.parse_span("2025-08-01")
    case_services.correct_event(verdict, lawyer, fixed, "wrong date")
    clock = services.picture(proceeding, date(2027, 1, 1)).clock
    assert clock is not None and clock.end == date(2025, 8, 1)
