"""A database that cannot answer now: a held case lock, a connection that cannot be had.
The blocked request answers 503 with Retry-After and a plain message within the lock
timeout (JSON under the API); other pages answer as usual."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path, reverse

from qorgau.api import tokens
from qorgau.api.tests.contract import ApiClient
from qorgau.cases.models import Case
from qorgau.conftest import database_url

pytestmark = pytest.mark.skipif(
    "sqlite" in database_url(),
    reason="row locks, lock_timeout and psycopg's connection errors are PostgreSQL's; "
           "SQLite serialises writers behind its own 20 s busy timeout")

BUSY = "This case is being changed by someone else; try again in a moment."
EVENT = {"kind": "physical_assault", "when": {"start": "2024-03-02"}, "source": "survivor",
         "reliability": "probable", "narrative": "He hit her in the kitchen."}


@pytest.fixture
def held(committed_db: None, case: Case) -> Iterator[Case]:
    """Another session holds the case's row lock (as a long write of the case would), and
    this test's connection waits at most 0.3 s for a lock."""
    other = psycopg.connect(database_url())
    other.execute(f'SELECT id FROM "{Case._meta.db_table}" WHERE id = %s FOR UPDATE',
                  [case.pk])
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    case.other = other  # type: ignore[attr-defined]
    try:
        yield case
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def test_connections_carry_the_timeouts(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "5s"
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "30s"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_write_to_a_locked_case_is_told_to_try_again(held, alice):
    client = Client()
    client.force_login(alice)
    started = time.monotonic()
    response = client.post(reverse("cases:status", args=[held.reference]),
                           {"reason": "her_wish"})
    assert time.monotonic() - started < 3
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert BUSY in response.content.decode()
    assert Case.objects.get(pk=held.pk).status == Case.Status.OPEN
    # Other pages answer as usual meanwhile.
    assert client.get(reverse("cases:list")).status_code == 200
    assert client.get(reverse("duties:today")).status_code == 200


def test_an_api_write_to_a_locked_case_gets_the_json_error(held, alice):
    api = ApiClient(tokens.create_token(alice, "t", ["read", "write"], 1).secret)
    started = time.monotonic()
    response = api.post(f"cases/{held.reference}/events", EVENT)
    assert time.monotonic() - started < 3
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json() == {"code": "case_busy", "message": BUSY, "field": None}
    assert api.get("cases").status_code == 200
    held.other.rollback()  # the other writer finishes: the retry goes through
    assert api.post(f"cases/{held.reference}/events", EVENT).status_code == 201


def _no_connection(request: HttpRequest) -> HttpResponse:
    """Opens a connection to a database that does not exist: the real OperationalError a
    refused connection raises (as `too many clients` does), through Django's wrapper."""
    settings = {**connection.settings_dict, "NAME": "qorgau_no_such_database"}
    DatabaseWrapper(settings, "unreachable").ensure_connection()
    return HttpResponse("unreachable")


urlpatterns = [path("broken/", _no_connection), path("api/v1/broken", _no_connection)]


@override_settings(ROOT_URLCONF=__name__)
def test_no_connection_is_a_503_with_retry_after(db):
    page = Client().get("/broken/")
    assert page.status_code == 503 and page["Retry-After"] == "10"
    assert "The service is busy right now; try again in a moment." in page.content.decode()
    assert "Qorgau" not in page.content.decode()  # no name: discreet installations
    api = Client().get("/api/v1/broken")
    assert api.status_code == 503 and api["Retry-After"] == "10"
    assert json.loads(api.content)["code"] == "database_unavailable"
