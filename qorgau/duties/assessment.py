"""`qorgau assess`: what Qorgau derives from a case file, with nothing stored.

The case is built through the same services as an import, inside a transaction that is rolled
back: no case, no ledger entry, no obligation survives. Monitors analysing public cases, and
the corpus recall, read the duties, proceedings flags and risk suggestions it returns.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from qorgau.accounts.models import Organisation, Role, User
from qorgau.accounts.services import add_member
from qorgau.cases import casefile
from qorgau.duties import engine, services
from qorgau.proceedings import services as proceedings
from qorgau.risk import services as risk

SCREEN = "qorgau-open"  # the open screen whose items the timeline can suggest


def unmigrated() -> bool:
    """True when the database lacks migrations (a new clone before `migrate` or `make run`)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


NOT_MIGRATED = ("The database is not set up yet: run `python manage.py migrate` (or `make run`) "
                "first, then this command again.")


class _RolledBack(Exception):
    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__("rolled back")
        self.result = result


def case_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The case file itself: a corpus file's `corpus` section set aside."""
    return {k: v for k, v in document.items() if k != "corpus"}


def assess(document: Mapping[str, Any], today: date | None = None) -> dict[str, Any]:
    """Build the case from `document` (raises casefile.CaseFileError) and return its duties,
    proceedings flags and risk suggestions; nothing is stored."""
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            raise _RolledBack(_assess(case_document(document), today))
    except _RolledBack as done:
        return done.result


def _assess(document: Mapping[str, Any], today: date) -> dict[str, Any]:
    token = secrets.token_hex(6)
    organisation = Organisation.objects.create(name="assessment", slug=f"assess-{token}")
    user = User.objects.create(username=f"assess-{token}", email=f"assess-{token}@invalid")
    add_member(user, organisation, Role.LAWYER)
    case = casefile.import_case(document, organisation, user)
    profile = services.profile_for(case)
    obligations, case_facts = services.derive(case, today)
    links: dict[int, set[int]] = {}
    for fact in case_facts.facts:
        for target in fact.links:
            links.setdefault(fact.number, set()).add(target)
            links.setdefault(target, set()).add(fact.number)
    duties = [{
        "rule": o.rule.id,
        "title": o.rule.title["en"],
        "status": o.status,
        "bearer": o.bearer or o.rule.duty_bearer,
        "trigger": o.trigger,
        "satisfied_by": o.satisfied_by,
        "due": o.due_latest.isoformat() if o.due_latest else None,
        "grounds": o.grounds,
        "standing": o.rule.standing,
        "confirmed": o.rule.confirmed,
        "explanation": o.explain(),
    } for o in obligations]
    flags = []
    for index, proceeding in enumerate(case.proceedings.order_by("pk")):
        picture = proceedings.picture(proceeding, today)
        flags.append({
            "index": index, "proceeding": proceeding.kind,
            "pretrial_months": picture.clock.months if picture.clock else None,
            "length_months": picture.length.months if picture.length else None,
            "grounds": [g.id for g in picture.grounds],
            "flags": [{"flag": f.id, "text": f.text(), "events": list(f.events),
                       "indicator": f.params.get("indicator", ""), "note": f.note}
                      for f in picture.flags]})
    inst = risk.instrument(SCREEN)
    suggested = risk.suggestions(case, inst, sees_restricted=True)
    return {
        "profile": profile.id,
        "mode": case.mode,
        "region": case.region,
        "events": len(case_facts.facts),
        "links": {k: sorted(v) for k, v in links.items()},
        "duties": duties,
        "breached": sum(1 for d in duties if d["status"] == engine.BREACHED),
        "proceedings": flags,
        "risk_suggestions": {item: [f.number for f in found]
                             for item, found in suggested.items()},
    }
