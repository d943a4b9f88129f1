from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig

if TYPE_CHECKING:
    from qorgau.cases.models import Case


class DutiesConfig(AppConfig):
    name = "qorgau.duties"
    label = "duties"

    def ready(self) -> None:
        from qorgau.cases import checks, erasure, listing, records, signals
        from qorgau.cases import services as case_services
        from qorgau.duties import services, today, verification

        # A broken profile is a start-up error, not a surprise on a case page.
        services.check_profiles()
        signals.events_changed.connect(services.on_events_changed,
                                       dispatch_uid="duties.refresh")
        records.register(services.letter_records)
        erasure.register(services.erase_case_records)
        records.register(today.decision_records)
        erasure.register(today.erase_case_records)
        listing.register(services.decorate_overdue)
        checks.register(verification.VERIFY_CHECK)  # verify --duties
        # Typed order types are stored as the ids of the case profile's order types.
        case_services.register_order_types(order_types)


def order_types(case: Case) -> tuple[Mapping[str, Any], ...]:
    """The order types of the case's profile (for qorgau.cases.services)."""
    from qorgau.duties.services import profile_for

    return profile_for(case).order_types
