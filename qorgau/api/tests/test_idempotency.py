"""A retried API write with the same Idempotency-Key is stored once and answered as the
first time; the same key with another body is refused."""

from __future__ import annotations

from django.db import connection

from qorgau.api.models import IdempotentRequest
from qorgau.cases.models import Event, LedgerEntry

EVENT = {"kind": "physical_assault", "when": {"start": "2024-03-02"}, "source": "survivor",
         "reliability": "probable", "narrative": "He hit her in the kitchen."}


def test_the_same_post_twice_with_one_key_stores_one_event(api_as, case, alice):
    api = api_as(alice)
    url = f"cases/{case.reference}/events"
    key = {"Idempotency-Key": "f0b6c5e2-retry-1"}
    first = api.post(url, EVENT, headers=key)
    again = api.post(url, EVENT, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Event.objects.filter(case=case).count() == 1
    assert LedgerEntry.objects.filter(case=case, action="event.create").count() == 1
    # The stored answer holds case data: encrypted at rest, like the event itself.
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM api_idempotentrequest")
        assert "kitchen" not in cursor.fetchone()[0]
    # Another body with the same key is a mistake, not a retry.
    other = api.post(url, {**EVENT, "narrative": "Another day."}, headers=key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # A new key is a new write; no key is a write every time.
    assert api.post(url, EVENT, headers={"Idempotency-Key": "2"}).status_code == 201
    assert api.post(url, EVENT).status_code == 201
    assert Event.objects.filter(case=case).count() == 3


def test_keys_belong_to_one_token_and_failures_are_not_kept(api_as, case, alice, dave):
    url = f"cases/{case.reference}/events"
    key = {"Idempotency-Key": "same"}
    assert api_as(dave).post(url, EVENT, headers=key).status_code == 404  # not his case
    assert api_as(alice).post(url, EVENT, headers=key).status_code == 201
    assert api_as(alice, ["read"]).post(url, EVENT, headers=key).status_code == 403
    assert IdempotentRequest.objects.count() == 2  # dave's 404, alice's 201
    bad = api_as(alice).post(url, EVENT, headers={"Idempotency-Key": "x" * 300})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_idempotency_key"
