"""Bad input answered as documented (issue 28, finding 6): an oversized JSON body is 413,
the same link twice in one event a plain-words 422; never a 5xx."""

from __future__ import annotations

import json

from qorgau.cases.models import Event
from qorgau.conftest import make_event

EVENT = {"kind": "physical_assault", "when": {"start": "2024-03-01"}, "source": "survivor",
         "reliability": "probable", "narrative": "He hit her in the kitchen."}


def test_a_json_body_over_the_limit_is_413(api_as, case, alice, settings):
    api = api_as(alice)
    url = f"cases/{case.reference}/events"
    body = json.dumps({**EVENT, "narrative": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    for headers in ({}, {"Idempotency-Key": "big-1"}):
        response = api.post(url, body, content_type="application/json", headers=headers)
        assert response.status_code == 413, response.content
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "too_large"
    assert not Event.objects.filter(case=case).exists()


def test_the_same_link_twice_is_refused_in_plain_words(api_as, case, alice):
    make_event(case, alice, start="2024-01-05")
    api = api_as(alice)
    link = {"event": 1, "kind": "related_to"}
    response = api.post(f"cases/{case.reference}/events", {**EVENT, "links": [link, link]})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "links"
    assert "twice" in response.json()["message"]
    assert Event.objects.filter(case=case).count() == 1
