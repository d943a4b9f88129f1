"""Exhibits: streamed upload (size-limited while it streams) and streamed download, each on
the case's ledger and the exhibit's custody log, as on the pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from pydantic import Field

from qorgau.api.auth import needs
from qorgau.api.errors import ApiError, error_body
from qorgau.api.routers.common import case_for, recent_login, viewed
from qorgau.api.schemas import Id, In
from qorgau.cases.models import Case, Event
from qorgau.evidence import services
from qorgau.evidence.models import Exhibit
from qorgau.evidence.uploads import LimitedUploadHandler

router = Router(tags=["evidence"])
READ, EVIDENCE = needs("read"), needs("evidence")


class ExhibitOut(Schema):
    number: int
    title: str
    description: str
    original_name: str
    sha256: str
    size: int
    media_type: str
    captured_at: str
    received_at: Any
    event: int | None
    derived_from: int | None
    derivation: str


class DownloadIn(In):
    why: str = Field(min_length=1, max_length=500,
                     description="Why the original is needed (on the custody log).")


def exhibit_out(exhibit: Exhibit) -> dict[str, Any]:
    return {
        "number": exhibit.number, "title": exhibit.title, "description": exhibit.description,
        "original_name": exhibit.original_name, "sha256": exhibit.blob.sha256,
        "size": exhibit.blob.size, "media_type": exhibit.blob.media_type,
        "captured_at": exhibit.captured_at, "received_at": exhibit.received_at,
        "event": exhibit.event.number if exhibit.event else None,
        "derived_from": exhibit.derived_from.number if exhibit.derived_from else None,
        "derivation": exhibit.derivation,
    }


def _exhibits(case: Case) -> Any:
    return Exhibit.objects.filter(case=case).select_related("blob", "event", "derived_from")


def _exhibit(case: Case, number: int) -> Exhibit:
    exhibit = _exhibits(case).filter(number=number).first()
    if exhibit is None:
        raise ApiError(404, "not_found", _("Not found."))
    return exhibit


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status,
                        content_type="application/json; charset=utf-8")


def limited_upload(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count the upload's bytes as they stream and stop past the limit (413)."""

    @wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        handler = LimitedUploadHandler(request)
        request.upload_handlers.insert(0, handler)  # type: ignore[union-attr]
        if request.content_type == "multipart/form-data":
            try:
                request.FILES  # noqa: B018 (read the body now, through the handler)
            except MultiPartParserError:
                return _json(400, error_body("malformed_multipart", _(
                    "The body is not valid multipart/form-data.")))
        if handler.exceeded:
            return _json(413, error_body("too_large", services.too_large_message(), "file"))
        return run(request, *args, **kwargs)

    return wrapped


@router.get("/cases/{ref}/exhibits", response=list[ExhibitOut], auth=READ,
            summary="A case's exhibits")
def list_exhibits(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    case = case_for(request, ref)
    viewed(case, request, "evidence")
    return [exhibit_out(e) for e in _exhibits(case).order_by("number")]


@router.post("/cases/{ref}/exhibits", response={201: ExhibitOut}, auth=EVIDENCE,
             summary="Upload an exhibit (multipart/form-data)")
@decorate_view(limited_upload)
def upload_exhibit(request: HttpRequest, ref: str, file: File[UploadedFile],
                   title: Form[str] = "", description: Form[str] = "",
                   captured_at: Form[str] = "", event: Form[Id | None] = None) -> Status:
    case = case_for(request, ref, write=True)
    linked = None
    if event is not None:
        linked = (Event.objects.filter(case=case, number=event)
                  .visible_to_role(getattr(case, "viewer_role", None)).first())
        if linked is None:
            raise ApiError(422, "invalid", _("A linked event is not in this case."), "event")
    upload = services.Upload(
        file.file, file.name or "upload", file.content_type or "",  # type: ignore[arg-type]
        title=title[:300], description=description, captured_at=captured_at, event=linked)
    exhibit = services.ingest(case, request.user, upload)  # type: ignore[arg-type]
    return Status(201, exhibit_out(_exhibit(case, exhibit.number)))


@router.get("/cases/{ref}/exhibits/{number}", response=ExhibitOut, auth=READ,
            summary="One exhibit's record")
def get_exhibit(request: HttpRequest, ref: str, number: Id) -> dict[str, Any]:
    case = case_for(request, ref)
    exhibit = _exhibit(case, number)
    services.record_custody(exhibit, request.user, "exhibit.view",  # type: ignore[arg-type]
                            "api", exhibit.blob.sha256)
    return exhibit_out(exhibit)


@router.post("/cases/{ref}/exhibits/{number}/original", auth=EVIDENCE,
             summary="Download the original bytes (streamed; the reason goes on the custody "
                     "log)",
             openapi_extra={"responses": {"200": {
                 "description": "The original, byte for byte.",
                 "content": {"application/octet-stream": {
                     "schema": {"type": "string", "format": "binary"}}}}}})
def download_original(request: HttpRequest, ref: str, number: Id,
                      payload: DownloadIn) -> StreamingHttpResponse:
    case = case_for(request, ref)
    exhibit = _exhibit(case, number)
    recent_login(request)
    try:
        original, sha256 = services.open_original(exhibit)
    except services.IntegrityFailure:
        raise ApiError(409, "integrity_failure", _(
            "The stored file no longer matches its recorded hash. It was not released; tell "
            "your administrator.")) from None
    services.record_custody(exhibit, request.user, "exhibit.download",  # type: ignore[arg-type]
                            payload.why, sha256)
    response = StreamingHttpResponse(services.chunks(original),
                                     content_type="application/octet-stream")
    response["Content-Length"] = str(exhibit.blob.size)
    response["Content-Disposition"] = (
        f'attachment; filename="{case.reference}-exhibit-{exhibit.number}"')
    response["X-Content-SHA256"] = sha256
    response["Cache-Control"] = "no-store"
    return response


