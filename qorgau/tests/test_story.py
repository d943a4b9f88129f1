"""Guided entry: the caseworker's questions write the linked events the rules read, and a
breach told the obvious way gives the police's duty, breached."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qorgau.cases.models import Case, Event, EventLink
from qorgau.cases.verification import verify_case
from qorgau.duties.models import Obligation


@pytest.fixture
def case(db, alice) -> Case:
    from qorgau.cases import services

    return services.create_case(alice.memberships.first().organisation, alice,
                                region="KZ-27", profile="kz")


def post(client, case, **data):
    base = {"what": "beat", "when": "", "told": "nobody", "answer": "unknown"}
    return client.post(reverse("cases:story", args=[case.reference]), {**base, **data})


def test_a_story_of_beatings_report_and_order_then_the_breach(client, case, alice):
    client.force_login(alice)
    first = post(client, case, what="beat", when="c. 2015–2024", repeated="on",
                 told="police", told_when="12.03.2024", told_how="written",
                 answer="order", answer_when="13.03.2024")
    assert first.status_code == 302 and first["Location"] == reverse(
        "cases:story", args=[case.reference])
    beating, report, order = Event.objects.filter(case=case).order_by("number")
    assert (beating.kind, beating.when_start, beating.when_end, beating.qualifier,
            beating.recurrence) == ("physical_assault", "2015", "2024", "approximate",
                                    "repeated")
    assert (report.kind, report.when_start, report.attributes) == (
        "police_report", "2024-03-12", {"mode": "written"})
    assert (order.kind, order.when_start) == ("order_issued", "2024-03-13")
    assert EventLink.objects.filter(source=report, target=beating, kind="reports").exists()
    assert EventLink.objects.filter(source=order, target=report, kind="responds_to").exists()
    second = post(client, case, what="breach", when="02.04.2024", told="police",
                  told_how="oral", answer="nothing")
    assert second.status_code == 302
    breach, breach_report, silence = Event.objects.filter(case=case).order_by("number")[3:]
    assert breach.kind == "order_breached"
    assert EventLink.objects.filter(source=breach, target=order, kind="breach_of").exists()
    assert silence.kind == "authority_no_response"
    # The police's duty on the reported breach: breached, on the recorded silence.
    duties = Obligation.objects.filter(case=case, trigger__in=[breach, breach_report],
                                       duty_bearer="police", status="breached")
    assert duties.exists()
    assert verify_case(case.pk, case.reference).problem is None


def test_bad_story_input_is_refused_in_plain_words_and_nothing_is_written(client, case, alice):
    client.force_login(alice)
    missing_date = post(client, case, when="")
    assert missing_date.status_code == 200
    bad_date = post(client, case, when="31.02.2024")
    assert bad_date.status_code == 200 and "26.02.2024" in bad_date.content.decode()
    nobody = post(client, case, when="2024", told="nobody", answer="order")
    assert "Say whom she told" in nobody.content.decode()
    misfit = post(client, case, when="2024", told="prosecutor", answer="warning")
    assert "does not fit" in misfit.content.decode()
    assert not Event.objects.filter(case=case).exists()


def test_a_new_case_opens_on_the_story_page_with_the_organisations_region(client, alice):
    organisation = alice.memberships.first().organisation
    organisation.region = "KZ-27"
    organisation.save()
    client.force_login(alice)
    page = client.get(reverse("cases:new")).content.decode()
    assert 'value="KZ-27" selected' in page
    made = client.post(reverse("cases:new"), {"organisation": organisation.pk,
                                              "region": "KZ-27", "profile": "kz"})
    case = Case.objects.latest("pk")
    assert made["Location"] == reverse("cases:story", args=[case.reference])
