"""The retention clocks of many new closed cases at once, for a batch of imported case
files (qorgau.cases.bulk_import): what `services.on_status_changed` starts for each, written
in one statement, with its ledger entry on the batch's chain."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from qorgau.accounts.models import User
from qorgau.cases import bulk_import, signals
from qorgau.cases.models import Case
from qorgau.retention import policy, services
from qorgau.retention.models import RetentionClock


def start_clocks(cases: Sequence[bulk_import.NewCase], by: User,
                 chain: bulk_import.Chain) -> None:
    closed_on = timezone.localdate()
    months: dict[int, int] = {}
    clocks = []
    for new in cases:
        case = new.case
        assert case.status == Case.Status.CLOSED  # a new case is only ever closed
        if case.organisation_id not in months:
            months[case.organisation_id] = services.period_months(case.organisation)
        period = months[case.organisation_id]
        clocks.append(RetentionClock(case=case, closed_on=closed_on, months=period,
                                     retain_until=policy.retain_until(closed_on, period)))
    RetentionClock.objects.bulk_create(clocks)
    for new, clock in zip(cases, clocks, strict=True):
        chain.append(new.case, by, "retention.start", services.clock_subject(clock),
                     services.clock_record(clock))


bulk_import.register(signals.status_changed, services.on_status_changed, start_clocks)
