"""An event as the timeline and its own page show it (the `event_row` tag): what a
caseworker recorded, escaped, in the reader's language; a discreet organisation's page names
roles neutrally; restricted and serious kinds tagged; corrections and links both ways."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qorgau.cases import services
from qorgau.cases.models import EventParty
from qorgau.conftest import make_event

HOSTILE = '<script>alert(1)</script> "quoted" & <b>bold</b>'


@pytest.fixture
def recorded(case, alice, survivor, respondent):
    first = make_event(case, alice, "strangulation", "2024-01-05",
                       narrative=f"He hit her.\n\nAgain: {HOSTILE}", place=HOSTILE,
                       institution="police", institution_unit="District 3",
                       parties=[(respondent, EventParty.Role.PERPETRATOR),
                                (survivor, EventParty.Role.VICTIM)])
    report = make_event(case, alice, "police_report", "2024-01-06",
                        links=[(first, "reports")])
    services.correct_event(report, alice, services.EventInput(
        kind="police_report", span=services.parse_span("2024-01-07"), source="survivor",
        reliability="probable", links=[(first, "reports")]), "the day was wrong")
    make_event(case, alice, "self_harm", "2024-01-08")
    return first


def _page(client, user, case, path="", language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(reverse("cases:detail", args=[case.reference]) + path)
    assert response.status_code == 200
    return response.content.decode()


def test_what_was_recorded_is_shown_escaped(client, case, alice, recorded):
    page = _page(client, alice, case)
    assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<p>He hit her.</p>" in page  # paragraphs kept
    assert '<p class="ev__place">Place: &lt;script&gt;' in page
    assert '<p class="ev__inst">Police, District 3</p>' in page
    assert "Marat Testbayev <span class=\"muted\">(Perpetrator)</span>" in page
    assert 'class="tag tag--severe">Serious</span>' in page
    assert 'class="tag tag--restricted">Restricted</span>' in page  # alice sees it
    # the correction, and the link both ways (the corrected report is hidden)
    assert "Corrects #2." in page and "Reason: the day was wrong" in page
    assert f'<a href="/cases/{case.reference}/events/1/">#1</a>' in page
    assert "links here (reports)" in page


def test_the_history_and_the_event_page_show_the_correction(client, case, alice, recorded):
    page = _page(client, alice, case, "?history=1")
    assert "Corrected: see #3." in page and "ev--superseded" in page
    single = client.get(reverse("cases:event_detail", args=[case.reference, 1]))
    assert single.status_code == 200 and "timeline--single" in single.content.decode()
    assert "&lt;script&gt;" in single.content.decode()


@pytest.mark.parametrize(("language", "words"), [
    ("ru", ["Серьёзное", "Исправляет #2.", "Место:", "Источник:", "ссылается сюда"]),
    ("kk", ["Дереккөз:"]),
])
def test_the_row_in_russian_and_kazakh(client, case, alice, recorded, language, words):
    page = _page(client, alice, case, language=language)
    for word in words:
        assert word in page, word
    assert "Source:" not in page and "Place:" not in page


def test_a_discreet_page_names_roles_neutrally(client, org, case, alice, recorded):
    org.discreet = True
    org.save(update_fields=["discreet"])
    page = _page(client, alice, case)
    assert "(Perpetrator)" not in page and "(Victim)" not in page
    assert "Marat Testbayev <span class=\"muted\">(Contact)</span>" in page


def test_a_reader_who_may_not_see_restricted_events_does_not(client, case, carol, recorded):
    page = _page(client, carol, case)  # a supervisor
    assert "tag--restricted" not in page and "#4" not in page
