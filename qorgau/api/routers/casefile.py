"""Portable case files: export under the survivor's consent to a transfer, and import."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from qorgau.accounts.models import CASE_ROLES, Membership, Organisation
from qorgau.api.auth import needs
from qorgau.api.errors import ApiError, error_body
from qorgau.api.routers.cases import case_out
from qorgau.api.routers.common import case_for, recent_login
from qorgau.api.schemas import CaseOut, Id, In
from qorgau.cases import bulk_import, casefile

router = Router(tags=["case files"])
READ, WRITE = needs("read"), needs("write")


class ExportQuery(Schema):
    grant: Id | None = Field(None, description="The consent to a transfer it is made under "
                             "(default: the valid one that covers it).")


# The smallest case file there is: a case in a region, no one and nothing on it yet.
MINIMAL_CASE_FILE: dict[str, Any] = {
    "format": "qorgau.case-file", "version": 1, "case": {"region": "KZ-27"},
    "parties": [], "events": []}


class ImportIn(In):
    organisation: str | None = Field(None, max_length=50)
    document: dict[str, Any] = Field(
        description="A case file (docs/case-file.md, docs/case-file.schema.json).",
        json_schema_extra={"examples": [MINIMAL_CASE_FILE]})


@router.get("/cases/{ref}/casefile", response=dict[str, Any], auth=READ,
            summary="Export the case file (needs the survivor's consent to a transfer)")
def export_casefile(request: HttpRequest, ref: str,
                    query: Query[ExportQuery]) -> dict[str, Any]:
    case = case_for(request, ref)
    recent_login(request)
    try:
        return casefile.export_case(case.reference, request.user,  # type: ignore[arg-type]
                                    query.grant)
    except casefile.Refused as exc:
        raise ApiError(403, "refused", str(exc)) from exc


@router.post("/casefile", response={201: CaseOut}, auth=WRITE,
             summary="Import a case file as a new case")
def import_casefile(request: HttpRequest, payload: ImportIn) -> Status:
    memberships = Membership.objects.filter(user=request.user,  # type: ignore[misc]
                                            role__in=CASE_ROLES)
    organisations = Organisation.objects.filter(memberships__in=memberships)
    if payload.organisation:
        organisations = organisations.filter(slug=payload.organisation)
    found = list(organisations[:2])
    if len(found) != 1:
        raise ApiError(422, "invalid", _("Name the organisation the case belongs to."),
                       "organisation")
    try:  # the batch import's service, for a batch of one
        outcome = bulk_import.import_files([("document", payload.document)], found[0],
                                           request.user).files[0]  # type: ignore[arg-type]
        if outcome.error is not None:
            raise outcome.error
        assert outcome.case is not None
        case = outcome.case
    except casefile.AlreadyImported as exc:
        raise ApiError(409, "already_imported", str(exc), "document") from exc
    except casefile.Refused as exc:
        raise ApiError(422, "invalid", str(exc), "organisation") from exc
    except casefile.CaseFileError as exc:
        problems = [error_body("invalid", p.message,
                               "document" + p.path.removeprefix("$")) for p in exc.problems]
        raise ApiError(422, "invalid", problems[0]["message"] if problems else str(exc),
                       problems[0]["field"] if problems else "document",
                       errors=problems) from exc
    return Status(201, case_out(case, "write"))
