"""What a reader may see of a case: the one place that decides it (issue 28).

Restricted events (self-harm and suicide attempts: `taxonomy.RESTRICTED`) are shown only
to the roles in `RESTRICTED_VIEW_ROLES` (the assigned caseworker and lawyer). Every page,
export, letter, bundle, share and API route asks here or through the QuerySet methods
built on it (`Event.objects.for_reader`, `.restricted()`, `Obligation.objects.for_reader`);
`qorgau/tests/test_reader_policy.py` fails when a module decides it by hand.
"""

from __future__ import annotations

from typing import Any

from qorgau.accounts.models import RESTRICTED_VIEW_ROLES
from qorgau.cases import taxonomy


def role_sees_restricted(role: str | None) -> bool:
    """Whether someone with this role in the case's organisation sees restricted events."""
    return role in RESTRICTED_VIEW_ROLES


def sees_restricted(case: Any) -> bool:
    """Whether the reader the case was fetched for (cases.access.get_case_for_user, the
    API's case_for) sees its restricted events; a case fetched otherwise: no."""
    return bool(getattr(case, "sees_restricted", False))


def is_restricted(kind: str | None) -> bool:
    return kind in taxonomy.RESTRICTED


def kind_visible(kind: str | None, sees: bool) -> bool:
    """Whether an event of this kind may be shown to a reader who does (not) see
    restricted events."""
    return sees or not is_restricted(kind)


def hidden_kinds(sees: bool) -> frozenset[str]:
    """The event kinds to leave out for such a reader."""
    return frozenset() if sees else taxonomy.RESTRICTED
