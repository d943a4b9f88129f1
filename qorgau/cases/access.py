"""The one way a view reaches a case: membership, or 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from qorgau.accounts.models import CASE_ROLES, RESTRICTED_VIEW_ROLES
from qorgau.cases.models import Case, CaseAssignment


def get_case_for_user(request: HttpRequest, ref: str, write: bool = False) -> Case:
    """The case `ref` if the user is assigned to it with a case role; else 404.

    An erased case is 404 to everyone. The returned case carries `access` ("write"/"read"),
    `viewer_role` and `sees_restricted`. A read-only assignee asking to write gets 403: the
    case is already visible to them, so refusing does not reveal it.
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404
    row = (
        CaseAssignment.objects.filter(
            user=user,
            case__reference=ref,
            case__organisation__memberships__user=user,
            case__organisation__memberships__role__in=CASE_ROLES,
        )
        .exclude(case__status=Case.Status.ERASED)
        .select_related("case", "case__organisation")
        .values_list("access", "case__organisation__memberships__role", "case_id")
        .first()
    )
    if row is None:
        raise Http404
    access, role, case_id = row
    case = Case.objects.select_related("organisation").get(pk=case_id)
    case.access = access  # type: ignore[attr-defined]
    case.viewer_role = role  # type: ignore[attr-defined]
    case.sees_restricted = role in RESTRICTED_VIEW_ROLES  # type: ignore[attr-defined]
    if write and access != CaseAssignment.Access.WRITE:
        raise PermissionDenied
    return case
