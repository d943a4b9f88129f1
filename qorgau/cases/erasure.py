"""Removing every record of a case, app by app, inside the erasing transaction.

Each app that keeps records of a case registers an eraser in its AppConfig.ready. An eraser
deletes that app's rows of the case and returns how many of each kind it removed; files it
must remove are removed after the transaction commits (`transaction.on_commit`), so a failed
erasure leaves every file in place. Erasers run newest app first (the reverse of
registration, which follows INSTALLED_APPS), because a later app may point at an earlier
app's rows; the cases app's own rows (assignments, parties, events and their links) go last.

The ledger and the Case row itself stay: the row as a tombstone, the ledger as the record of
what happened. `qorgau.retention.services.erase_case` is the only caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import ForeignObjectRel, Model, QuerySet

from qorgau.cases.models import (
    Case,
    CaseAssignment,
    Event,
    EventLink,
    EventParty,
    LedgerEntry,
    Party,
)

# case -> {model label: rows removed}
Eraser = Callable[[Case], Mapping[str, int]]
ERASERS: list[Eraser] = []


class ErasureIncomplete(RuntimeError):
    """Rows of the case remain that no eraser removed: a bug, and the erasure is undone."""


def register(eraser: Eraser) -> None:
    """Let `erase_records` remove another app's records of a case."""
    if eraser not in ERASERS:
        ERASERS.append(eraser)


def delete(*querysets: QuerySet[Any]) -> dict[str, int]:
    """Delete in this order; rows removed per model label (cascades included)."""
    counts: dict[str, int] = {}
    for queryset in querysets:
        for label, n in queryset.delete()[1].items():
            if n:
                counts[label] = counts.get(label, 0) + n
    return counts


def _erase_core(case: Case) -> dict[str, int]:
    events = Event.objects.filter(case=case)
    events.exclude(supersedes=None).update(supersedes=None)  # corrections point at originals
    return delete(
        EventLink.objects.filter(source__case=case),
        EventLink.objects.filter(target__case=case),
        EventParty.objects.filter(event__case=case),
        events,
        Party.objects.filter(case=case),
        CaseAssignment.objects.filter(case=case),
    )


def remaining(case: Case) -> list[str]:
    """Tables that still hold rows of the case (other than the ledger)."""
    left = []
    relations = [f for f in Case._meta.get_fields(include_hidden=True)
                 if isinstance(f, ForeignObjectRel)]  # related_name="+" ones included
    for relation in relations:
        model = relation.related_model
        if model is LedgerEntry or not (isinstance(model, type) and issubclass(model, Model)):
            continue
        if model._default_manager.filter(**{relation.field.name: case}).exists():
            left.append(model._meta.label)
    return sorted(left)


def erase_records(case: Case) -> dict[str, int]:
    """Delete every record of the case except its row and its ledger; counts by kind."""
    assert transaction.get_connection().in_atomic_block, "erasure needs a transaction"
    counts: dict[str, int] = {}
    for eraser in reversed(ERASERS):
        for kind, n in eraser(case).items():
            counts[kind] = counts.get(kind, 0) + n
    for kind, n in _erase_core(case).items():
        counts[kind] = counts.get(kind, 0) + n
    left = remaining(case)
    if left:
        raise ErasureIncomplete(f"no eraser removed the case's rows in {', '.join(left)}")
    return counts
