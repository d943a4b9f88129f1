"""The panic lock through the API (issue 29): the same service as the page /lock/
(custody.press_lock): an administrator's token locks at once; a member of the lock group
asks, and the instance locks when a second member asks within ten minutes. Only under
trustee custody (404 otherwise); the token needs the "lock" scope."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from qorgau.api.auth import needs
from qorgau.api.errors import ApiError
from qorgau.api.idempotency import unkeyed
from qorgau.operations import custody

router = Router(tags=["lock"])


class LockOut(Schema):
    locked: bool = Field(description="true: the instance is locked now; false: a member of "
                                     "the lock group asked, and a second member must too.")
    lock: int | None = Field(description="The new lock generation (null while waiting).")
    detail: str


@router.post("/lock", response={200: LockOut, 202: LockOut}, auth=needs("lock"),
             summary="Lock the instance at once (panic lock)",
             description=(
                 "Ends every session and API token (this one too) and makes every process "
                 "drop its keys; the instance decrypts nothing until enough trustees enter "
                 "their shares. An administrator's call locks (200); a member of the lock "
                 "group's call is recorded, and the call of a second member within ten "
                 "minutes locks (202, then 200). Anyone else: 403. Only under trustee "
                 "custody (else 404). Not replayed with an Idempotency-Key: calling again "
                 "after a lock is refused (the token is revoked)."))
@unkeyed
def lock(request: HttpRequest) -> Status:
    if not custody.trustee_custody():
        raise Http404
    try:
        generation = custody.press_lock(request.user, "API")
    except PermissionError:
        raise ApiError(403, "not_allowed", _(
            "Only an administrator or a member of the lock group can lock the "
            "instance.")) from None
    if generation is None:
        return Status(202, {"locked": False, "lock": None, "detail": _(
            "Your request to lock is recorded. The instance locks when another member of "
            "the lock group asks within ten minutes.")})
    return Status(200, {"locked": True, "lock": generation, "detail": _(
        "The instance is locked: every session and token is ended and the keys are "
        "dropped.")})
