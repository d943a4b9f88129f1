"""The obligations of many new cases at once, for a batch of imported case files
(qorgau.cases.bulk_import): what `services.on_events_changed` derives for each case, from
the events the batch holds in memory, written in one statement (COPY on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from qorgau.accounts.models import User
from qorgau.cases import bulk_import, signals
from qorgau.duties import bulk, engine, profiles, services


def derive_new_cases(cases: Sequence[bulk_import.NewCase], by: User,
                     chain: bulk_import.Chain) -> None:
    """As `services.refresh_case` on a case with no obligations stored yet: a full
    derivation (which a derivation for the kinds just added ends equal to)."""
    today = timezone.localdate()
    directory = str(services.profiles_dir())
    rows: list[tuple[Any, ...]] = []
    for new in cases:
        case = new.case
        facts = services.facts_from(
            [(e.pk, e.number, e.kind, e.when_start, e.when_end, e.qualifier, e.recurrence,
              e.attributes, e.institution, e.supersedes_id) for e in new.events], new.links)
        law = profiles.cached(case.profile, directory)
        derived = engine.derive(law, facts.facts, today,
                                services.case_context(case.region, case.mode, facts.facts))
        rows += [(case.pk, *content) for content in
                 {bulk._content(o, case.organisation_id, law, facts.event_ids)
                  for o in derived}]
    bulk._insert(rows)


bulk_import.register(signals.events_changed, services.on_events_changed, derive_new_cases)
