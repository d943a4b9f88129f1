"""The pages a caseworker uses cost a bounded number of queries whatever the case's length."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qorgau.cases import services
from qorgau.cases.models import Case
from qorgau.cases.views import TIMELINE_PER_PAGE
from qorgau.conftest import make_event

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import dataset  # noqa: E402

KINDS = ("physical_assault", "police_report", "order_issued", "order_breached", "self_harm",
         "medical_exam", "hearing")


def _grow(case, by, parties, total):
    """Add events up to `total`: with parties, links to earlier events, and corrections."""
    existing = list(case.events.order_by("number"))
    while len(existing) < total:
        n = len(existing)
        links = [(existing[n - 1], "related_to")] if n else []
        start = f"{2000 + n % 25}-0{1 + n % 9}"
        event = make_event(case, by, kind=KINDS[n % len(KINDS)], start=start,
                           narrative=f"Event {n}", parties=[(p, "involved") for p in parties],
                           links=links)
        existing.append(event)
        if n % 50 == 7:  # a correction now and then
            data = services.event_input_from(event)
            existing.append(services.correct_event(event, by, data, "Checked the record"))


def _log_in(client, user):
    """Logged in, past the first request (which writes the second factor's check into the
    session): the counts below are of a session in use, written at most once a minute."""
    client.force_login(user)
    client.get("/")


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def _shown(response) -> list[int]:
    """The numbers of the events a timeline page shows, in its order."""
    return [int(n) for n in re.findall(r'<li id="e(\d+)"', response.content.decode())]


def _walk(client, url, total):
    """Every page of the timeline, newest first: the query count of each, and the events
    from the earliest to the latest."""
    pages = -(-total // TIMELINE_PER_PAGE)
    counts, numbers = set(), []
    for page in range(pages, 0, -1):
        count, response = _count(client, f"{url}{'&' if '?' in url else '?'}page={page}")
        counts.add(count)
        numbers += _shown(response)
    return counts, numbers


def test_case_page_queries_do_not_grow_with_events(client, alice, carol, case, survivor,
                                                   respondent):
    """The fixture's case grown through the services (parties, links, corrections)."""
    _log_in(client, alice)
    detail = reverse("cases:detail", args=[case.reference])
    history = detail + "?history=1"
    _grow(case, alice, [survivor, respondent], 10)
    small, response = _count(client, detail)
    small_history, _ = _count(client, history)
    assert response.content.decode().count('class="ev ') >= 9

    _grow(case, alice, [survivor, respondent], 120)
    large, response = _count(client, detail)
    large_history, _ = _count(client, history)
    assert len(_shown(response)) == TIMELINE_PER_PAGE  # the newest page
    current = case.events.current()
    counts, numbers = _walk(client, detail, current.count())
    assert counts == {large}
    assert numbers == list(current.chronological().values_list("number", flat=True))
    counts, numbers = _walk(client, history, case.events.count())
    assert counts == {large_history}
    assert sorted(numbers) == sorted(case.events.values_list("number", flat=True))
    assert small == large, (small, large)
    assert small_history == large_history
    # session, user, memberships, the case (and its safety plan), parties, one page of
    # events (3: the events, their parties, their links), the case's light events (1: the
    # timeline's count and the duties' triggers), the read on the ledger (5: its status,
    # under PostgreSQL's row lock, refuses an erased case), risk (1), proceedings (1), the
    # obligations of the summary, duties and risk panels (1), the summary's settled
    # failures (1), the services panel (1); the session's new expiry (3 more) once a minute
    assert large <= 19
    # A link to one event opens the page that shows it, for one query more (where the event
    # falls in the timeline).
    earliest = current.chronological().first()
    at_event, response = _count(client, f"{detail}?event={earliest.number}")
    assert earliest.number in _shown(response)
    assert at_event == large + 1

    # A supervisor (restricted events hidden) pays the same.
    _log_in(client, carol)
    assert _count(client, detail)[0] == large


def test_case_page_queries_at_10_100_and_1000_events(client, db):
    """Generated cases (bench/dataset.py: orders, breaches, police answers, corrections),
    their obligations and counts derived by the commands."""
    shapes = {length: next(dataset.shapes(1, seed=length, length=length))
              for length in (10, 100, 1000)}
    dataset.load_shapes(shapes.values())
    dataset.refresh_derived()  # recompute-obligations, refresh-insights --all
    counts = {}
    for length, shape in shapes.items():
        case = Case.objects.get(reference=shape.reference)
        assert case.events.count() == length and case.obligations.exists()
        _log_in(client, case.created_by)
        detail = reverse("cases:detail", args=[case.reference])
        count, response = _count(client, detail)
        visible = case.events.current().visible_to_role("caseworker")
        assert _shown(response) == list(visible.chronological().values_list(
            "number", flat=True))[-TIMELINE_PER_PAGE:]
        pages, shown = _walk(client, detail, visible.count())
        assert pages == {count}
        assert len(shown) == len(set(shown)) == visible.count()
        first = visible.chronological().first().number
        at_event, response = _count(client, f"{detail}?event={first}")
        assert first in _shown(response)
        counts[length] = (count, _count(client, detail + "?history=1")[0], at_event)
    assert len(set(counts.values())) == 1, counts
    assert counts[1000][0] <= 19 and counts[1000][2] == counts[1000][0] + 1, counts


def test_case_list_queries_do_not_grow_with_cases(client, alice, org):
    _log_in(client, alice)

    def open_cases(n):
        for i in range(n):
            c = services.create_case(org, alice, region="kz-west")
            services.add_party(c, alice, role="survivor", relationship="self",
                               full_name=f"Person {i}")
            make_event(c, alice)

    open_cases(2)
    small, _ = _count(client, reverse("cases:list"))
    open_cases(20)
    large, response = _count(client, reverse("cases:list"))
    assert "Person 19" in response.content.decode()
    assert small == large, (small, large)
