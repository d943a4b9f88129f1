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
            "prosecuted_after_unenforced_protection"} <= set(found)
    assert found["lengthy_detention"].params == {"months": 15, "threshold": 12}
    breached = found["prosecuted_after_unenforced_protection"]
    assert breached.params["count"] == 2  # both unanswered breach reports
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
    data["note_right_to_present_evidence"] = "The judge refused the psychologist's report."
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    assert "Evidence of the abuse history excluded" in page
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
    services.update_proceeding(proceeding, lawyer,
                               events=[*proceeding.events.all(), *hearings])
    found = {f.id: f for f in services.picture(proceeding, date(2025, 10, 1)).flags}
    assert found["repeated_adjournments"].params == {"count": 3, "threshold": 3}
    assert found["substitutions"].params["count"] == 2  # the dismissed jury and the judge
    page = client.get(reverse("cases:event_detail", args=[demo.reference,
                                                          hearings.last().number]))
    assert "Prosecution witness absent" in page.content.decode()
