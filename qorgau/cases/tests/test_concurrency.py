"""Concurrent writers to one case never fork its chain (PostgreSQL row lock).

SQLite serialises writers with BEGIN IMMEDIATE; this runs where real concurrency exists.
"""

import os
import threading

import pytest
from django.db import connection, connections

from qorgau.cases.models import LedgerEntry
from qorgau.cases.verification import verify_all
from qorgau.conftest import make_event

# Decided before any fixture writes: a transactional test on SQLite could not flush the
# append-only ledger afterwards.
pytestmark = [
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="SQLite runs one writer at a time by construction"),
    pytest.mark.django_db(transaction=True),
]


def test_parallel_writers_keep_one_chain(case, alice, bob):
    assert connection.vendor == "postgresql"
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def writer(user):
        try:
            barrier.wait()
            for _ in range(15):
                make_event(case, user)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(u,)) for u in (alice, bob, alice)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = list(LedgerEntry.objects.filter(case=case).order_by("seq")
                .values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert case.events.count() == 45
    assert sorted(case.events.values_list("number", flat=True)) == list(range(1, 46))
    assert all(r.problem is None for r in verify_all())
