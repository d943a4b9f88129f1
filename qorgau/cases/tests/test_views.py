"""The case pages: what they show, what they write (through services), and to whom."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from qorgau.cases import services
from qorgau.cases.models import Case, Event, EventLink, EventParty, LedgerEntry, Party
from qorgau.conftest import make_event


def _event_post(**overrides):
    data = {
        "kind": "physical_assault", "when_start": "2024-01-05", "when_end": "",
        "qualifier": "none", "recurrence": "once", "source": "survivor",
        "reliability": "probable", "institution": "", "institution_unit": "", "place": "",
        "narrative": "He hit her in the kitchen.",
    }
    data.update(overrides)
    return data


# --- my cases ----------------------------------------------------------------------------


@pytest.fixture
def second_case(org, alice):
    other = services.create_case(org, alice, region="kz-almaty")
    services.add_party(other, alice, role="survivor", relationship="self",
                       full_name="Aigul Otherova")
    services.set_status(other, alice, "closed")
    return other


def test_list_shows_my_cases_with_survivor_and_counts(client, alice, case, survivor,
                                                      second_case):
    make_event(case, alice, start="2023")
    make_event(case, alice, start="2024-02-26")
    client.force_login(alice)
    response = client.get(reverse("cases:list"))
    html = response.content.decode()
    assert case.reference in html and second_case.reference in html
    assert "Zhanar Testbayeva" in html and "Aigul Otherova" in html
    assert "West Kazakhstan Region" in html
    assert "26 Feb 2024" in html


def test_list_filters_by_status_and_region(client, alice, case, second_case):
    client.force_login(alice)
    html = client.get(reverse("cases:list"), {"status": "closed"}).content.decode()
    assert second_case.reference in html and case.reference not in html
    html = client.get(reverse("cases:list"), {"region": "kz-west"}).content.decode()
    assert case.reference in html and second_case.reference not in html


def test_list_hides_cases_of_others(client, dave, case):
    client.force_login(dave)
    assert case.reference not in client.get(reverse("cases:list")).content.decode()


def test_search_by_reference_and_exact_name(client, alice, case, survivor, second_case):
    client.force_login(alice)
    url = reverse("cases:list")
    html = client.post(url, {"q": case.reference.lower()}).content.decode()
    assert case.reference in html and second_case.reference not in html
    html = client.post(url, {"q": "  zhanar   TESTBAYEVA "}).content.decode()
    assert case.reference in html and second_case.reference not in html
    html = client.post(url, {"q": "Zhanar"}).content.decode()
    assert case.reference not in html and second_case.reference not in html
    assert "No case matches" in html


def test_list_filter_with_htmx_returns_only_the_results(client, alice, case):
    client.force_login(alice)
    response = client.get(reverse("cases:list"), {"status": "open"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert case.reference in html
    assert "<html" not in html and "<h1" not in html
    assert "HX-Request" in response["Vary"]


# --- new case ----------------------------------------------------------------------------


def test_new_case_creates_case_survivor_and_ledger(client, alice, org):
    client.force_login(alice)
    response = client.post(reverse("cases:new"), {
        "organisation": org.pk, "region": "kz-west", "profile": "kz",
        "survivor_name": "Saule  Newcase",
    })
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:story", args=[case.reference])  # what happened?
    survivor = case.parties.get()
    assert (survivor.role, survivor.relationship, survivor.full_name) == (
        "survivor", "self", "Saule Newcase")
    actions = list(case.ledger.values_list("action", flat=True))
    assert actions == ["case.create", "assignment.set", "party.create"]


def test_new_case_rejects_bad_region_and_writes_nothing(client, alice, org):
    client.force_login(alice)
    response = client.post(reverse("cases:new"), {
        "organisation": org.pk, "region": "mars", "profile": "kz", "survivor_name": "X",
    })
    assert response.status_code == 200
    assert not Case.objects.exists() and not LedgerEntry.objects.exists()


def test_new_case_is_one_transaction(client, alice, org, monkeypatch):
    def broken(*args, **kwargs):
        raise services.ValidationError({"full_name": "broken"})

    monkeypatch.setattr(services, "add_party", broken)
    client.force_login(alice)
    response = client.post(reverse("cases:new"), {
        "organisation": org.pk, "region": "kz-west", "profile": "kz", "survivor_name": "X",
    })
    assert response.status_code == 200
    assert not Case.objects.exists() and not LedgerEntry.objects.exists()


def test_monitor_cannot_open_cases(client, erin):
    client.force_login(erin)
    response = client.get(reverse("cases:new"))
    assert "not a member of an organisation that opens cases" in response.content.decode()


# --- events ------------------------------------------------------------------------------


def test_bad_date_shows_the_error_keeps_input_and_writes_nothing(client, alice, case):
    client.force_login(alice)
    events, entries = Event.objects.count(), LedgerEntry.objects.count()
    response = client.post(reverse("cases:event_new", args=[case.reference]),
                           _event_post(when_start="2024-02-30", narrative="Kept text"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in html
    assert "day must be between 01 and 29 for that month" in html
    assert 'value="2024-02-30"' in html and "Kept text" in html
    assert (Event.objects.count(), LedgerEntry.objects.count()) == (events, entries)


def test_end_before_start_is_refused(client, alice, case):
    client.force_login(alice)
    response = client.post(reverse("cases:event_new", args=[case.reference]),
                           _event_post(when_start="2024", when_end="2003"))
    assert "the end is earlier than the start" in response.content.decode()
    assert not Event.objects.exists()


def test_add_event_with_parties_link_and_attributes(client, alice, case, survivor, respondent):
    order = make_event(case, alice, kind="order_issued", start="2024-01")
    client.force_login(alice)
    fields = {f"party_{survivor.pk}": "victim", f"party_{respondent.pk}": "perpetrator",
              "link_kind_0": "breach_of", "link_target_0": str(order.pk),
              "order_number": "12/345"}
    url = reverse("cases:event_new", args=[case.reference])
    # "How reported" is a detail of a police report: given for a breach, it is refused in
    # plain words (never silently dropped), and nothing is written.
    misplaced = client.post(url, _event_post(kind="order_breached", when_start="2024-01-20",
                                             qualifier="approximate", mode="written",
                                             **fields))
    assert misplaced.status_code == 200 and "does not belong" in misplaced.content.decode()
    assert Event.objects.count() == 1
    response = client.post(url, _event_post(kind="order_breached", when_start="2024-01-20",
                                            qualifier="approximate", **fields))
    assert response.status_code == 302
    event = Event.objects.get(number=2)
    assert event.kind == "order_breached" and event.qualifier == "approximate"
    assert set(EventParty.objects.filter(event=event).values_list("party_id", "role")) == {
        (survivor.pk, "victim"), (respondent.pk, "perpetrator")}
    assert list(EventLink.objects.filter(source=event).values_list("target_id", "kind")) == [
        (order.pk, "breach_of")]
    assert event.attributes == {"order_number": "12/345"}
    assert case.ledger.filter(action="event.create", subject=f"event:{event.pk}").exists()

    html = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "c. 20 Jan 2024" in html
    assert "breach of" in html and f"#{order.number}" in html
    assert "Marat Testbayev" in html and "Perpetrator" in html


def test_link_without_target_is_an_error(client, alice, case):
    client.force_login(alice)
    response = client.post(reverse("cases:event_new", args=[case.reference]),
                           _event_post(link_kind_0="breach_of"))
    assert "Choose the earlier event." in response.content.decode()
    assert not Event.objects.exists()


def test_timeline_is_chronological_and_honest_about_dates(client, alice, case):
    make_event(case, alice, kind="order_issued", start="2024-01-15")
    make_event(case, alice, kind="strangulation", start="2003",
               span=services.parse_span("2003", "2024", "approximate", "repeated"))
    make_event(case, alice, kind="expulsion", start="")
    client.force_login(alice)
    html = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    first = html.index("c. 2003 – 2024, repeatedly")
    assert first < html.index("15 Jan 2024") < html.index("date unknown")
    assert "ev--severe" in html and "ev--abuse" in html and "ev--response" in html


def test_correction_supersedes_and_keeps_the_original(client, alice, case, survivor):
    original = make_event(case, alice, start="2022", narrative="Boiling water",
                          parties=[(survivor, "victim")])
    client.force_login(alice)
    url = reverse("cases:event_correct", args=[case.reference, original.number])
    form_html = client.get(url).content.decode()
    assert 'value="2022"' in form_html and "Boiling water" in form_html

    data = _event_post(kind="burn_scald", when_start="2022-07", narrative="Boiling water",
                       **{f"party_{survivor.pk}": "victim"})
    response = client.post(url, data)
    assert "Say why" in response.content.decode() or "required" in response.content.decode()
    assert Event.objects.count() == 1

    response = client.post(url, {**data, "correction_reason": "Date found in medical record"})
    assert response.status_code == 302
    original.refresh_from_db()
    correction = Event.objects.get(supersedes=original)
    assert correction.kind == "burn_scald" and correction.when_start == "2022-07"
    assert correction.correction_reason == "Date found in medical record"
    assert list(correction.event_parties.values_list("party_id", "role")) == [
        (survivor.pk, "victim")]
    assert original.kind == "physical_assault" and original.narrative == "Boiling water"

    detail = reverse("cases:detail", args=[case.reference])
    html = client.get(detail).content.decode()
    assert f'id="e{original.number}"' not in html and f'id="e{correction.number}"' in html
    history = client.get(detail, {"history": "1"}).content.decode()
    assert f'id="e{original.number}"' in history and "ev--superseded" in history
    assert "Date found in medical record" in history

    again = client.get(url)
    assert again.status_code == 409
    assert "already been corrected" in again.content.decode()
    assert client.post(url, {**data, "correction_reason": "again"}).status_code == 409
    assert Event.objects.count() == 2


def _shown(html):
    return [int(n) for n in re.findall(r'<li id="e(\d+)"', html)]


def test_long_timeline_comes_in_pages_newest_first(client, alice, case):
    """60 events, one a year: the newest 25 first, links to earlier pages that work without
    script, ?event=N opens the page that shows #N, and htmx swaps only the timeline."""
    from qorgau.cases.views import TIMELINE_PER_PAGE

    for year in range(1960, 2020):
        make_event(case, alice, start=f"{year}-03-01")
    detail = reverse("cases:detail", args=[case.reference])
    client.force_login(alice)
    html = client.get(detail).content.decode()
    assert _shown(html) == list(range(36, 61))
    assert "Events 36–60 of 60, in date order" in html
    assert 'href="?page=2#timeline-title"' in html and 'rel="prev"' in html
    assert "Later events" not in html

    html = client.get(detail + "?page=3").content.decode()
    assert _shown(html) == list(range(1, 11))
    assert "Events 1–10 of 60" in html and "Earlier events" not in html
    assert client.get(detail + "?page=99").content.decode().count('<li id="e') == 10
    assert _shown(client.get(detail + "?page=x").content.decode()) == list(range(36, 61))

    # A link to event #3 (the recorded-event redirect, the event page's way back) finds it.
    html = client.get(detail + "?event=3").content.decode()
    assert 3 in _shown(html) and len(_shown(html)) == 10
    back = client.get(reverse("cases:event_detail", args=[case.reference, 3])).content.decode()
    assert f'href="{detail}?event=3#e3"' in back
    # An event the viewer cannot reach opens the newest page.
    assert _shown(client.get(detail + "?event=999").content.decode())[-1] == 60

    # A back-dated event lands where its date puts it, and the redirect follows it there.
    response = client.post(reverse("cases:event_new", args=[case.reference]),
                           _event_post(when_start="1961-06-01"))
    assert response["Location"] == f"{detail}?event=61#e61"
    assert 61 in _shown(client.get(response["Location"]).content.decode())

    # In place (htmx): the timeline's page alone, the panels not drawn again.
    part = client.get(detail + "?page=2", HTTP_HX_REQUEST="true",
                      HTTP_HX_TARGET="timeline").content.decode()
    assert "<h1" not in part and "duties-panel" not in part
    assert len(_shown(part)) == TIMELINE_PER_PAGE

    # The corrected versions' view keeps its filter across pages.
    html = client.get(detail + "?history=1").content.decode()
    assert 'href="?history=1&amp;page=2#timeline-title"' in html


def test_timeline_rows_link_to_their_events(client, alice, case):
    """Each row's number, its links both ways and its correction lead to the event pages."""
    first = make_event(case, alice, start="2020-01-01")
    second = make_event(case, alice, kind="police_report", start="2020-01-02",
                        links=[(first, "responds_to")])
    fixed = services.correct_event(first, alice, services.event_input_from(first), "Date")

    def url(event):
        return reverse("cases:event_detail", args=[case.reference, event.number])

    client.force_login(alice)
    html = client.get(reverse("cases:detail", args=[case.reference]) + "?history=1")
    html = html.content.decode()
    for event in (first, second, fixed):
        assert f'<a class="ev__num" href="{url(event)}">#{event.number}</a>' in html
    assert f'<a href="{url(fixed)}">Go to the correction</a>' in html
    assert f'<a href="{url(first)}">Corrects #{first.number}.</a>' in html
    assert f'<a href="{url(first)}">#{first.number}</a></li>' in html  # second's link
    assert f'<a href="{url(second)}">#{second.number}</a> links here' in html


def test_restricted_events_only_for_caseworker_and_lawyer(client, alice, bob, carol, case):
    make_event(case, alice, kind="self_harm", start="2023", narrative="Restricted narrative")
    make_event(case, alice, kind="police_report", start="2023-06")
    url = reverse("cases:detail", args=[case.reference])
    for person in (alice, bob):
        client.force_login(person)
        html = client.get(url).content.decode()
        assert "Restricted narrative" in html and "Self-harm" in html
    client.force_login(carol)
    html = client.get(url).content.decode()
    assert "Restricted narrative" not in html and "Self-harm" not in html
    assert "Report to police" in html
    assert client.get(reverse("cases:event_detail", args=[case.reference, 1])
                      ).status_code == 404
    list_html = client.get(reverse("cases:list")).content.decode()
    assert re.search(r'data-label="Events">\s*1\s*<', list_html)


def test_supervisor_cannot_record_restricted_kinds(client, carol, case):
    client.force_login(carol)
    response = client.post(reverse("cases:event_new", args=[case.reference]),
                           _event_post(kind="self_harm"))
    assert response.status_code == 200
    assert not Event.objects.exists()


def test_viewing_pages_appends_read_entries(client, alice, case, survivor):
    event = make_event(case, alice)
    client.force_login(alice)
    client.get(reverse("cases:detail", args=[case.reference]))
    entry = case.ledger.order_by("-seq").first()
    assert (entry.action, entry.actor, entry.detail) == ("case.view", alice, {"page": "case"})
    client.get(reverse("cases:event_detail", args=[case.reference, event.number]))
    assert case.ledger.order_by("-seq").first().detail == {"page": f"event:{event.number}"}
    client.get(reverse("cases:parties", args=[case.reference]))
    assert case.ledger.order_by("-seq").first().detail == {"page": "parties"}


def test_status_change_goes_through_the_ledger(client, alice, case):
    client.force_login(alice)
    response = client.post(reverse("cases:status", args=[case.reference]),
                           {"status": "closed", "reason": "her_wish"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"
    # Closing also starts the retention clock (qorgau.retention), in the same transaction.
    newest = list(case.ledger.order_by("-seq")[:2])
    assert [e.action for e in newest] == ["retention.start", "case.status"]
    assert newest[1].detail == {"reason": "her_wish"}  # a key, never free text
    ledger = client.get(reverse("cases:ledger", args=[case.reference])).content.decode()
    assert "She asked us to stop" in ledger
    response = client.post(reverse("cases:status", args=[case.reference]), {"status": "open"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "open"
    assert case.ledger.filter(action="case.status").order_by("-seq")[0].detail == {}


def test_closing_asks_for_confirmation_and_says_what_stops(client, alice, case):
    make_event(case, alice, kind="police_report", start="2024-01-05", institution="police")
    client.force_login(alice)
    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    confirm = reverse("cases:status", args=[case.reference])
    assert f'href="{confirm}"' in page  # a link to the confirmation, not a one-tap form
    before = case.ledger.exclude(action="case.view").count()
    response = client.get(confirm)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Why is the case closed?" in html
    assert re.search(r"\d+ dut(y|ies) of the authorities (is|are) overdue", html)
    assert "leave Needs action" in html
    assert reverse("duties:case", args=[case.reference]) in html
    case.refresh_from_db()
    assert case.status == "open"
    assert case.ledger.exclude(action="case.view").count() == before


@pytest.mark.parametrize("data", [{"status": "closed"}, {"status": "closed", "reason": ""},
                                  {"status": "closed", "reason": "because"}, {}])
def test_closing_without_a_reason_says_so_in_plain_words(client, alice, case, data):
    client.force_login(alice)
    before = case.ledger.count()
    response = client.post(reverse("cases:status", args=[case.reference]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose why the case is closed." in html and 'role="alert"' in html
    case.refresh_from_db()
    assert case.status == "open"
    assert case.ledger.count() == before


def test_the_service_refuses_an_unknown_closing_reason(alice, case):
    with pytest.raises(ValidationError):
        services.set_status(case, alice, "closed", "she is fine")
    with pytest.raises(ValidationError):
        services.set_status(case, alice, "open", "work_done")
    case.refresh_from_db()
    assert case.status == "open"


def test_read_only_member_sees_but_cannot_write(client, alice, bob, case):
    services.assign(case, bob, alice, access="read")
    client.force_login(bob)
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200
    assert client.post(reverse("cases:status", args=[case.reference]),
                       {"status": "closed", "reason": "her_wish"}).status_code == 403
    assert client.get(reverse("cases:status", args=[case.reference])).status_code == 403
    assert client.get(reverse("cases:event_new", args=[case.reference])).status_code == 403
    case.refresh_from_db()
    assert case.status == "open"


# --- parties -----------------------------------------------------------------------------


def test_add_and_edit_party(client, alice, case):
    client.force_login(alice)
    url = reverse("cases:parties", args=[case.reference])
    response = client.post(url, {"role": "respondent", "full_name": "Marat Testbayev",
                                 "relationship": "ex_spouse", "co_resident": "true",
                                 "institution": "", "phone": "+7 700 000 0000"})
    assert response.status_code == 302
    party = Party.objects.get()
    assert (party.role, party.co_resident, party.phone) == ("respondent", True,
                                                             "+7 700 000 0000")
    edit = reverse("cases:party_edit", args=[case.reference, party.pk])
    assert "+7 700 000 0000" in client.get(edit).content.decode()
    response = client.post(edit, {"role": "respondent", "full_name": "Marat Testbayev",
                                  "relationship": "ex_spouse", "co_resident": "false"})
    assert response.status_code == 302
    party.refresh_from_db()
    assert party.co_resident is False and party.phone == ""
    assert list(case.ledger.filter(subject=f"party:{party.pk}").values_list(
        "action", flat=True)) == ["party.create", "party.update"]


def test_party_without_name_is_refused(client, alice, case):
    client.force_login(alice)
    response = client.post(reverse("cases:parties", args=[case.reference]),
                           {"role": "witness", "full_name": "   ", "co_resident": "unknown"})
    assert response.status_code == 200
    assert not Party.objects.exists()


def test_party_of_another_case_is_404(client, alice, org, case):
    other = services.create_case(org, alice, region="kz-west")
    stranger = services.add_party(other, alice, role="witness", full_name="Other Person")
    client.force_login(alice)
    url = reverse("cases:party_edit", args=[case.reference, stranger.pk])
    assert client.get(url).status_code == 404


# --- ledger, language, structure ---------------------------------------------------------


def test_ledger_lists_entries(client, alice, case):
    client.force_login(alice)
    html = client.get(reverse("cases:ledger", args=[case.reference])).content.decode()
    assert "case.create" in html and "assignment.set" in html
    first = case.ledger.get(seq=1)
    assert first.hash[:12] in html


def test_language_switch(client, alice, case):
    client.force_login(alice)
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/cases/"})
    assert response.status_code == 302
    html = client.get(reverse("cases:list")).content.decode()
    assert '<html lang="ru">' in html
    client.post(reverse("set_language"), {"language": "kk", "next": "/cases/"})
    assert '<html lang="kk">' in client.get(reverse("cases:list")).content.decode()
    for name in ("English", "Русский", "Қазақша"):
        assert name in html


def test_the_chosen_language_is_kept_on_the_account(client, alice, case):
    from django.test import Client

    client.force_login(alice)
    client.post(reverse("set_language"), {"language": "kk", "next": "/cases/"})
    alice.refresh_from_db()
    assert alice.language == "kk"
    # Another browser (or this one after a quick exit cleared its cookies) logs in.
    other = Client()
    other.force_login(alice)
    response = other.get(reverse("cases:list"))
    assert '<html lang="kk">' in response.content.decode()
    assert response.cookies["django_language"].value == "kk"
    # A choice made in this browser wins over the account's, and becomes the account's.
    other.post(reverse("set_language"), {"language": "ru", "next": "/cases/"})
    assert '<html lang="ru">' in other.get(reverse("cases:list")).content.decode()
    alice.refresh_from_db()
    assert alice.language == "ru"
    # Someone who is not logged in changes only their own browser.
    anonymous = Client()
    anonymous.post(reverse("set_language"), {"language": "en", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "ru"


def test_login_page_uses_the_site_layout(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "qorgau.css" in html and "htmx.min.js" in html
    assert html.count("<h1") == 1


def test_every_page_has_one_h1_and_no_inline_script(client, alice, case, survivor):
    event = make_event(case, alice, parties=[(survivor, "victim")])
    client.force_login(alice)
    urls = [
        reverse("cases:list"), reverse("cases:new"),
        reverse("cases:detail", args=[case.reference]),
        reverse("cases:detail", args=[case.reference]) + "?history=1",
        reverse("cases:event_new", args=[case.reference]),
        reverse("cases:event_detail", args=[case.reference, event.number]),
        reverse("cases:event_correct", args=[case.reference, event.number]),
        reverse("cases:parties", args=[case.reference]),
        reverse("cases:party_edit", args=[case.reference, survivor.pk]),
        reverse("cases:ledger", args=[case.reference]),
        reverse("cases:detail", args=["NOPE-NOPE"]),
        reverse("account_logout"),
    ]
    for url in urls:
        response = client.get(url)
        html = response.content.decode()
        assert len(re.findall(r"<h1[\s>]", html)) == 1, url
        assert '<meta name="viewport"' in html and "<main" in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), f"inline script on {url}"
        assert not re.search(r"\son[a-z]+=", html), f"inline handler on {url}"
        assert " style=" not in html, f"inline style on {url}"
        # No external resource; the quick exit's destination is a link away, not a load.
        loaded = re.sub(r'data-target="[^"]*"', "", html)
        assert "http://" not in loaded.replace("http://www.w3.org", ""), url
        assert "https://" not in loaded, url
