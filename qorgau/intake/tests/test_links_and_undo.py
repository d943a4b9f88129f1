"""Accepted proposals name the case's parties and link to each other as the event form links
them; a rejection can be reconsidered, an acceptance only undone by correcting its event
(issue 31)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from qorgau.cases import services as case_services
from qorgau.cases.models import Event, EventLink, EventParty, LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.intake import services
from qorgau.intake.models import Proposal
from qorgau.intake.tests.test_review import add, by_kind, evidence_dir  # noqa: F401

STORY = ("On 3 March 2024 her husband beat her and choked her in front of their son. "
         "The next day she reported it to the police, who refused to open a case.")


def test_the_husband_is_the_perpetrator_and_the_report_reports_the_incident(
        case, alice, survivor, respondent) -> None:
    child = case_services.add_party(case, alice, role="child", relationship="child",
                                    full_name="Aidar")
    narrative = add(case, alice, STORY)
    found = by_kind(narrative)
    assert found["strangulation"].data["actors"] == ["partner", "child"]
    done = services.review(narrative, alice, [
        services.Decision(found["strangulation"].pk, True),
        services.Decision(found["police_report"].pk, True),
        services.Decision(found["case_refused"].pk, True),
    ])
    choking, report, refusal = done.accepted
    roles = {(ep.party_id, ep.role) for ep in EventParty.objects.filter(event=choking)}
    # "her husband" is the case's respondent (her former spouse now), she and the son named
    # are the victims.
    assert roles == {(respondent.pk, "perpetrator"), (survivor.pk, "victim"),
                     (child.pk, "victim")}
    # Reports and answers name no one; they are linked instead.
    assert not EventParty.objects.filter(event__in=[report, refusal]).exists()
    links = {(link.source_id, link.target_id, link.kind) for link in EventLink.objects.filter(
        source__case=case)}
    assert links == {(report.pk, choking.pk, "reports"), (refusal.pk, report.pk, "responds_to")}
    assert verify_case(case.pk, case.reference).problem is None


def test_no_party_is_guessed_when_two_could_be_meant(case, alice, survivor, respondent) -> None:
    case_services.add_party(case, alice, role="respondent", relationship="partner",
                            full_name="Another")
    narrative = add(case, alice, STORY)
    choking = by_kind(narrative)["strangulation"]
    (event,) = services.review(narrative, alice, [services.Decision(choking.pk, True)]).accepted
    # Two of her partners harmed her: "her husband" is not guessed; she is still the victim.
    assert {(ep.party_id, ep.role) for ep in EventParty.objects.filter(event=event)} == {
        (survivor.pk, "victim")}


def test_the_reviewer_chooses_parties_and_links(case, alice, survivor, respondent) -> None:
    earlier = case_services.record_event(case, alice, case_services.EventInput(
        kind="physical_assault", span=case_services.parse_span("2024-02-01"),
        source="survivor", reliability="probable"))
    narrative = add(case, alice, STORY)
    found = by_kind(narrative)
    report = services.review(narrative, alice, [services.Decision(
        found["police_report"].pk, True, parties=[(survivor.pk, "involved")],
        links=[(earlier.number, "reports")])]).accepted[0]
    assert [(ep.party_id, ep.role) for ep in EventParty.objects.filter(event=report)] == [
        (survivor.pk, "involved")]
    assert [(link.target_id, link.kind) for link in report.links_out.all()] == [
        (earlier.pk, "reports")]
    # A party or an event of another case, or none at all: named, nothing written.
    entries = LedgerEntry.objects.filter(case=case).count()
    with pytest.raises(ValidationError, match="party was not found"):
        services.review(narrative, alice, [services.Decision(
            found["strangulation"].pk, True, parties=[(respondent.pk + 999, "perpetrator")])])
    with pytest.raises(ValidationError, match="Event 99 was not found"):
        services.review(narrative, alice, [services.Decision(
            found["strangulation"].pk, True, links=[(99, "related_to")])])
    assert LedgerEntry.objects.filter(case=case).count() == entries


def test_a_report_accepted_later_links_to_the_incident_accepted_before(case, alice) -> None:
    narrative = add(case, alice, STORY)
    found = by_kind(narrative)
    (choking,) = services.review(narrative, alice,
                                 [services.Decision(found["strangulation"].pk, True)]).accepted
    # The incident was corrected meanwhile: the report is about its newest version.
    corrected = case_services.correct_event(
        choking, alice, case_services.event_input_from(choking), "Checked the date.")
    (report,) = services.review(narrative, alice,
                                [services.Decision(found["police_report"].pk, True)]).accepted
    assert [(link.target_id, link.kind) for link in report.links_out.all()] == [
        (corrected.pk, "reports")]


def test_a_rejection_is_reconsidered_and_an_acceptance_is_corrected(case, alice) -> None:
    narrative = add(case, alice, STORY)
    found = by_kind(narrative)
    services.review(narrative, alice, [services.Decision(found["police_report"].pk, False),
                                       services.Decision(found["strangulation"].pk, True)])
    with pytest.raises(ValidationError, match="has not been decided"):
        services.reconsider(narrative, alice, found["case_refused"].pk)
    services.reconsider(narrative, alice, found["police_report"].pk)
    report = Proposal.objects.get(pk=found["police_report"].pk)
    assert (report.status, report.decided_by, report.decided_at) == ("pending", None, None)
    last = LedgerEntry.objects.filter(case=case).order_by("-seq").first()
    assert last is not None and last.action == "narrative.review"
    # Decided anew, it is accepted this time.
    (event,) = services.review(narrative, alice, [services.Decision(report.pk, True)]).accepted
    assert event.kind == "police_report"
    # An accepted proposal is an event: undone only by correcting the event.
    with pytest.raises(ValidationError, match="correct that event"):
        services.reconsider(narrative, alice, report.pk)
    data = case_services.event_input_from(event)
    data.kind = "complaint_official"
    correction = case_services.correct_event(event, alice, data, "It was a complaint.")
    with pytest.raises(ValidationError, match=f"event {correction.number} on the timeline"):
        services.reconsider(narrative, alice, report.pk)
    assert Event.objects.filter(case=case).current().filter(kind="police_report").count() == 0
    assert verify_case(case.pk, case.reference).problem is None


def test_the_pages_show_the_people_and_reconsider_a_rejection(client, case, alice, survivor,
                                                              respondent) -> None:
    client.force_login(alice)
    narrative = add(case, alice, STORY)
    found = by_kind(narrative)
    url = reverse("intake:narrative", args=[case.reference, narrative.pk])
    page = client.get(url).content.decode()
    assert "Zhanar Testbayeva (Victim), Marat Testbayev (Perpetrator)" in page
    action = reverse("intake:review", args=[case.reference, narrative.pk])
    choking = found["strangulation"].pk
    # The box unticked: the event names no one.
    client.post(action, {"accept": choking, f"parties-shown-{choking}": "1"})
    assert not EventParty.objects.filter(event__kind="strangulation").exists()
    report = found["police_report"].pk
    client.post(action, {"accept": report, f"parties-shown-{report}": "1",
                         f"keep-parties-{report}": "1"})
    assert Event.objects.get(case=case, kind="police_report").links_out.get().kind == "reports"
    refusal = found["case_refused"].pk
    client.post(action, {"reject": refusal})
    page = client.get(url).content.decode()
    assert f'name="reconsider" value="{refusal}"' in page
    assert reverse("cases:event_correct", args=[case.reference, 1]) in page
    response = client.post(action, {"reconsider": refusal}, follow=True)
    index = found["case_refused"].index
    assert f"Proposal {index} is to be reviewed again.".encode() in response.content
    assert Proposal.objects.get(pk=refusal).status == "pending"
    response = client.post(action, {"reconsider": report}, follow=True)
    assert b"correct that event" in response.content


def test_decisions_are_taken_in_the_texts_order(case, alice) -> None:
    narrative = add(case, alice, STORY)
    found = by_kind(narrative)
    # The refusal given first still finds the report it answers.
    refusal, report = services.review(narrative, alice, [
        services.Decision(found["case_refused"].pk, True),
        services.Decision(found["police_report"].pk, True)]).accepted[::-1]
    assert report.number < refusal.number
    assert [(link.target_id, link.kind) for link in refusal.links_out.all()] == [
        (report.pk, "responds_to")]
