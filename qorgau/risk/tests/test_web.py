"""Risk assessment and safety plan, through the pages, on the reference case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from qorgau.accounts.models import Organisation, User
from qorgau.cases.models import Case, Event
from qorgau.cases.verification import verify_case
from qorgau.conftest import make_event
from qorgau.demo import reference_case
from qorgau.demo.loader import email_for, load_demo
from qorgau.duties.models import Obligation
from qorgau.risk import services
from qorgau.risk.models import Assessment, LicensedText, SafetyPlan

# reference-case.md: the factors the highest level rests on, with the kinds behind them.
REFERENCE_FACTORS = {
    "strangulation": {"strangulation"},
    "threat_to_kill": {"threat_to_kill"},
    "threat_children": {"threat_children"},
    "serious_injury": {"burn_scald"},
    "separation": {"separation", "expulsion"},
    "escalation": {"physical_assault", "strangulation", "threat_to_kill",
                   "psychological_abuse", "coercive_control"},
    "coercive_control": {"coercive_control"},
}


@pytest.fixture
def demo(db: None) -> Case:
    load_demo()
    return Case.objects.get(reference=reference_case.REFERENCE)


@pytest.fixture
def caseworker(demo: Case) -> User:
    return User.objects.get(email=email_for("caseworker"))


def test_reference_case_scores_high_with_its_factors(demo):
    assessment = Assessment.objects.get(case=demo)
    assert (assessment.instrument, assessment.level) == ("qorgau-open", "high")
    inst = services.instrument("qorgau-open")
    assert assessment.level == inst.levels[-1].id  # the top level
    kinds = dict(Event.objects.filter(case=demo).values_list("number", "kind"))
    for item_id, expected_kinds in REFERENCE_FACTORS.items():
        answer = assessment.answers[item_id]
        assert answer["answer"] == "yes" and answer["suggestion"] == "confirmed", item_id
        assert answer["events"], item_id
        assert {kinds[n] for n in answer["events"]} <= expected_kinds, item_id
    assert assessment.answers["her_fear"]["answer"] == "unknown"


def test_case_page_shows_risk_panel_and_missing_plan(client, demo, caseworker):
    client.force_login(caseworker)
    html = client.get(reverse("cases:detail", args=[demo.reference])).content.decode()
    panel = html[html.index('class="risk-panel"'):html.index('class="duties-panel"')]
    assert "High" in panel
    assert "Strangulation" in panel or "strangled" in panel.lower()
    assert panel.count("/events/") >= 7  # factors point at their events
    assert "Missing" in panel and "a safety plan is due by" in panel
    plan_duty = Obligation.objects.get(case=demo, family="intl.safety-plan")
    assert plan_duty.status == "pending" and plan_duty.satisfied_by is None


def test_history_chart_renders_with_two_assessments(client, demo, caseworker):
    services.record_assessment(demo, caseworker, "qorgau-open", {
        item: services.AnswerInput("yes", "confirmed")
        for item in services.suggestions(demo, services.instrument("qorgau-open"), True)},
        sees_restricted=True)
    client.force_login(caseworker)
    html = client.get(reverse("cases:detail", args=[demo.reference])).content.decode()
    assert html.count('class="risk-chart__dot') == 2 and "<polyline" in html
    page = client.get(reverse("risk:case", args=[demo.reference])).content.decode()
    assert "<svg" in page and page.count("<tr>") >= 3


def test_writing_the_plan_meets_the_obligation(client, demo, caseworker):
    client.force_login(caseworker)
    url = reverse("risk:plan", args=[demo.reference])
    empty = client.post(url, {"language": "kk", "respondent_knows": "no"})
    assert "Write at least one part of the plan." in empty.content.decode()
    assert not SafetyPlan.objects.filter(case=demo).exists()
    today = timezone.localdate()
    data = {"language": "kk", "respondent_knows": "no",
            "code_word": "Апамның бәліші", "safe_contacts": "Сіңлісі, +7 700 000 00 00",
            "escape_steps": "Құжаттар көршіде.",
            "review_code_word": (today + timedelta(days=30)).isoformat()}
    bad = client.post(url, {**data, "review_escape_steps": (today - timedelta(days=1))
                            .isoformat()})
    assert "cannot be in the past" in bad.content.decode()
    assert not SafetyPlan.objects.filter(case=demo).exists()
    response = client.post(url, data)
    assert response.status_code == 302
    plan = SafetyPlan.objects.get(case=demo)
    assert plan.code_word == "Апамның бәліші" and plan.respondent_knows == "no"
    duty = Obligation.objects.get(case=demo, family="intl.safety-plan")
    assert duty.status == "met" and duty.satisfied_by.kind == "safety_plan"
    html = client.get(reverse("cases:detail", args=[demo.reference])).content.decode()
    assert "Missing" not in html and "Next review" in html
    printed = client.get(reverse("risk:plan_print", args=[demo.reference])).content.decode()
    assert 'lang="kk"' in printed and "Апамның бәліші" in printed
    assert "Қауіпсіздік жоспары" in printed  # the title in her language
    assert verify_case(demo.pk, demo.reference).problem is None


def test_suggestions_must_be_confirmed_or_rejected(client, demo, caseworker):
    client.force_login(caseworker)
    url = reverse("risk:assess", args=[demo.reference, "qorgau-open"])
    page = client.get(url).content.decode()
    assert "Suggested by the timeline:" in page and "Not a validated instrument" not in page
    before = Assessment.objects.count()
    response = client.post(url, {"item_firearm_access": "no"})
    assert response.status_code == 200
    assert Assessment.objects.count() == before  # nothing scored unconfirmed
    hints = services.suggestions(demo, services.instrument("qorgau-open"), True)
    data = {f"item_{item}": "rejected_no" for item in hints}
    data.update({"judgement": "elevated", "reason": "Worried after the last call."})
    response = client.post(url, data)
    assert response.status_code == 302
    latest = Assessment.objects.filter(case=demo).first()
    assert (latest.computed_level, latest.level) == ("standard", "elevated")
    assert all(latest.answers[i]["suggestion"] == "rejected" for i in hints)


def test_judgement_never_lowers(demo, caseworker):
    hints = services.suggestions(demo, services.instrument("qorgau-open"), True)
    answers = {i: services.AnswerInput("yes", "confirmed") for i in hints}
    with pytest.raises(Exception, match="never lower"):
        services.record_assessment(demo, caseworker, "qorgau-open", answers,
                                   judgement="standard", reason="Seems calmer")


def test_new_incident_after_an_assessment_makes_a_new_one_due(demo, caseworker):
    today = timezone.localdate()
    event = make_event(demo, caseworker, kind="order_breached", start=today.isoformat())
    # Same day as the demo's assessment: not strictly after it, so not yet due.
    assert not Obligation.objects.filter(case=demo, trigger=event,
                                         family="intl.risk-reassessment").exists()
    tomorrow = today + timedelta(days=1)
    later = make_event(demo, caseworker, kind="strangulation", start=tomorrow.isoformat())
    due = Obligation.objects.get(case=demo, trigger=later, family="intl.risk-reassessment")
    assert due.status == "pending" and due.duty_bearer == "organisation"


def test_licensed_text_is_loaded_for_one_organisation(demo, caseworker, tmp_path):
    client_file = tmp_path / "dash.yaml"
    client_file.write_text("q1:\n  en: Licensed question one\n  ru: Лицензионный вопрос\n",
                           "utf-8")
    with pytest.raises(CommandError, match="not an item of dash"):
        bad = tmp_path / "bad.yaml"
        bad.write_text("q99:\n  en: Nope\n", "utf-8")
        call_command("load-instrument-text", "dash", str(bad), org="demo")
    call_command("load-instrument-text", "dash", str(client_file), org="demo")
    texts = services.item_texts(demo.organisation, services.instrument("dash"), "en")
    assert texts["q1"] == "Licensed question one"
    assert "text not included" in texts["q2"].lower() or texts["q2"] != texts["q1"]
    other = Organisation.objects.create(name="Other", slug="other-org")
    assert services.item_texts(other, services.instrument("dash"), "en")["q1"] != (
        "Licensed question one")
    assert LicensedText.objects.count() == 1
    with pytest.raises(CommandError, match="already ships its text"):
        call_command("load-instrument-text", "qorgau-open", str(client_file), org="demo")


def test_tampering_with_a_safety_plan_is_detected(demo, caseworker):
    plan = services.save_safety_plan(demo, caseworker, {"code_word": "Blue"}, {})
    SafetyPlan.objects.filter(pk=plan.pk).update(code_word="Red")
    problem = verify_case(demo.pk, demo.reference).problem
    assert problem is not None and f"safety_plan:{plan.pk}" in problem.reason
