"""The one way a view reaches a case: membership, or 404."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest

from qorgau.accounts.models import CASE_ROLES, request_memberships
from qorgau.cases import policy
from qorgau.cases.models import Case, CaseAssignment


def get_case_for_user(request: HttpRequest, ref: str, write: bool = False,
                      related: Sequence[str] = ()) -> Case:
    """The case `ref` if the user is assigned to it with a case role; else 404.

    An erased case is 404 to everyone. The returned case carries `access` ("write"/"read"),
    `viewer_role` and `sees_restricted`. A read-only assignee asking to write gets 403: the
    case is already visible to them, so refusing does not reveal it. `related`: more
    one-to-one relations to load with the case (the page shows them).
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404
    roles = {org: role for org, (role, _discreet) in request_memberships(request).items()
             if role in CASE_ROLES}
    case = (
        Case.objects.filter(reference=ref, assignments__user=user, organisation_id__in=roles)
        .exclude(status=Case.Status.ERASED)
        .select_related("organisation", *related)
        .annotate(assigned=F("assignments__access"))
        .first()
    )
    if case is None:
        raise Http404
    access = case.assigned  # type: ignore[attr-defined]
    role = roles[case.organisation_id]
    case.access = access  # type: ignore[attr-defined]
    case.viewer_role = role  # type: ignore[attr-defined]
    case.sees_restricted = policy.role_sees_restricted(role)  # type: ignore[attr-defined]
    if write and access != CaseAssignment.Access.WRITE:
        raise PermissionDenied
    return case
