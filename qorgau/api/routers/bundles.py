"""Court bundles: built in the background under the survivor's consent, with status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from qorgau.api.auth import needs
from qorgau.api.errors import ApiError
from qorgau.api.routers.common import case_for, recent_login, viewed
from qorgau.api.schemas import Id, In, one_of
from qorgau.bundles import services
from qorgau.bundles.models import Bundle
from qorgau.cases import policy
from qorgau.cases.models import Case

router = Router(tags=["bundles"])
READ, EVIDENCE = needs("read"), needs("evidence")


class BundleOut(Schema):
    id: int
    status: str = Field(description="queued, building, done or failed.")
    progress: int
    message: str
    language: str
    grant: int | None
    sha256: str
    size: int
    requested_at: datetime
    finished_at: datetime | None


class BundleIn(In):
    language: str = Field(max_length=5, description="ru, kk or en.",
                          json_schema_extra=one_of(services.LANGUAGES))
    grant: Id = Field(description="The survivor's consent to a court bundle it is made under.")


def bundle_out(bundle: Bundle) -> dict[str, Any]:
    return {"id": bundle.pk, "status": bundle.status, "progress": bundle.progress,
            "message": bundle.message, "language": bundle.language, "grant": bundle.grant_id,
            "sha256": bundle.sha256, "size": bundle.size, "requested_at": bundle.requested_at,
            "finished_at": bundle.finished_at}


def _bundle(case: Case, pk: int) -> Bundle:
    bundle = Bundle.objects.filter(case=case, pk=pk).first()
    if bundle is None:
        raise ApiError(404, "not_found", _("Not found."))
    return bundle


@router.get("/cases/{ref}/bundles", response=list[BundleOut], auth=READ,
            summary="A case's court bundles")
def list_bundles(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    case = case_for(request, ref)
    viewed(case, request, "bundles")
    return [bundle_out(b) for b in Bundle.objects.filter(case=case)]


@router.post("/cases/{ref}/bundles", response={202: BundleOut}, auth=EVIDENCE,
             summary="Ask for a court bundle (built in the background; poll its status)")
def request_bundle(request: HttpRequest, ref: str, payload: BundleIn) -> Status:
    case = case_for(request, ref, write=True)
    recent_login(request)
    bundle = services.request_bundle(
        case, request.user, payload.language,  # type: ignore[arg-type]
        policy.sees_restricted(case), grant_id=payload.grant)
    return Status(202, bundle_out(bundle))


@router.get("/cases/{ref}/bundles/{bundle_id}", response=BundleOut, auth=READ,
            summary="A bundle's status")
def get_bundle(request: HttpRequest, ref: str, bundle_id: Id) -> dict[str, Any]:
    return bundle_out(_bundle(case_for(request, ref), bundle_id))


@router.post("/cases/{ref}/bundles/{bundle_id}/download", auth=EVIDENCE,
             summary="Download a finished bundle (ZIP, streamed)",
             openapi_extra={"responses": {"200": {
                 "description": "The bundle's ZIP.",
                 "content": {"application/zip": {
                     "schema": {"type": "string", "format": "binary"}}}}}})
def download_bundle(request: HttpRequest, ref: str, bundle_id: Id) -> FileResponse:
    case = case_for(request, ref)
    bundle = _bundle(case, bundle_id)
    if bundle.status != Bundle.Status.DONE:
        raise ApiError(409, "not_ready", _("The bundle is not ready yet."))
    recent_login(request)
    data = services.open_bundle(bundle, request.user)  # type: ignore[arg-type]
    response = FileResponse(data, as_attachment=True,
                            filename=f"{case.reference}-bundle-{bundle.pk}.zip",
                            content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response
