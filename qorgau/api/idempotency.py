"""`Idempotency-Key` on API writes: a client that did not get an answer (a timeout, a
connection aborted) sends the same request again with the same key and gets the first
answer instead of a second write.

The key is kept per token, method and path for 24 hours with the request body's SHA-256
and the answer (status and JSON body). The write and the stored answer are committed in one
transaction, so a process killed in between leaves neither; a retry that arrives while the
first is still running waits for it (the key's unique row) and then gets its answer. The
same key with another body is a 422. Answers that say "try again" (401, 403, 429, 5xx)
are not kept, and what they wrote is rolled back. Session (browser) calls are not keyed,
nor is the panic lock (`unkeyed`).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from qorgau.api import tokens
from qorgau.api.errors import error_body, too_large_body
from qorgau.api.models import IdempotentRequest

HEADER = "Idempotency-Key"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEPT_FOR = timedelta(hours=24)
NOT_KEPT = frozenset({401, 403, 429})


def _json(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(json.dumps(error_body(code, message, "Idempotency-Key")),
                        status=status, content_type="application/json; charset=utf-8")


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256(request.META.get("QUERY_STRING", "").encode() + b"\0")
    if request.content_type == "multipart/form-data":
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values]).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(json.dumps([name, upload.name, upload.size]).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _replay(found: IdempotentRequest, fingerprint: str) -> HttpResponse:
    if found.fingerprint != fingerprint:
        return _json(422, "idempotency_key_reused", _(
            "This Idempotency-Key was used for another request; use a new key."))
    response = HttpResponse(found.body, status=found.status, content_type=found.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def unkeyed(view: Callable[..., Any]) -> Callable[..., Any]:
    """An operation whose answer is never kept for replay: the panic lock (it drops the
    keys that would encrypt the kept answer, and a retry after it is refused anyway: its
    token is revoked)."""
    view.idempotency_unkeyed = True  # type: ignore[attr-defined]
    return view


def idempotent(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    operation = getattr(inspect.unwrap(run), "__self__", None)
    if getattr(getattr(operation, "view_func", None), "idempotency_unkeyed", False):
        return run

    @wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method not in WRITES:
            return run(request, *args, **kwargs)
        if not 0 < len(key) <= 255 or not key.isprintable() or not key.isascii():
            return _json(400, "bad_idempotency_key", _(
                "An Idempotency-Key is 1 to 255 printable ASCII characters."))
        header = request.headers.get("Authorization", "")
        token = (tokens.find_token(header[7:].strip())
                 if header[:7].lower() == "bearer " else None)
        if token is None or len(request.path) > 300:
            return run(request, *args, **kwargs)  # the operation's own answer (401, ...)
        try:
            fingerprint = _fingerprint(request)
        except RequestDataTooBig:
            return HttpResponse(json.dumps(too_large_body()), status=413,
                                content_type="application/json; charset=utf-8")
        now = timezone.now()
        IdempotentRequest.objects.filter(expires_at__lt=now).delete()
        mine = IdempotentRequest.objects.filter(owner=token, key=key, method=request.method,
                                                path=request.path)
        found = mine.first()
        if found is not None:
            return _replay(found, fingerprint)
        with transaction.atomic():
            # Taken first: a retry running at the same time waits here for this one.
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(
                        owner=token, key=key, method=request.method, path=request.path,
                        fingerprint=fingerprint, status=0, content_type="",
                        created_at=now, expires_at=now + KEPT_FOR)
            except IntegrityError:
                record = None
            if record is None:
                found = mine.first()
                if found is not None:
                    return _replay(found, fingerprint)
                return run(request, *args, **kwargs)
            response = run(request, *args, **kwargs)
            status = response.status_code
            if status >= 500 or status in NOT_KEPT:
                transaction.set_rollback(True)
                return response
            media = response.get("Content-Type", "")
            if response.streaming or not media.startswith("application/json"):
                record.delete()  # a download is read again, not replayed
                return response
            record.status, record.content_type = status, media
            record.body = response.content.decode()
            record.save(update_fields=["status", "content_type", "body"])
            return response

    return wrapped
