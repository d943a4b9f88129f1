"""Trustee custody at run time: the instance starts locked, trustees' shares unwrap the keys
into this process's memory, and a panic lock drops them. A no-op unless
QORGAU_KEY_CUSTODY=trustees (docs/security.md, "Keys held by trustees").

The lock is propagated through a small file in the data folder holding a lock generation:
every request reads it (a few bytes); a process whose keys were opened under an older
generation drops them at once.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from qorgau.keys import WRAPPED_KEYS_FILE
from qorgau.trustees import InstanceKeys, ShareBox, ShareError

__all__ = ["ShareError", "add_share", "keys_open", "lock", "locked", "trustee_custody"]

log = logging.getLogger(__name__)
API_PREFIX = "/api/v1/"
GENERATION_FILE = "lock_generation"

_guard = threading.Lock()
_box = ShareBox()
_opened_at: int | None = None  # the lock generation the keys in memory were opened under


def trustee_custody() -> bool:
    """True when the keys are wrapped (held by trustees, or by a hardware security module
    with trustees' shares for recovery): the instance can be locked and unlocked."""
    return getattr(settings, "QORGAU_KEY_CUSTODY", "server") in ("trustees", "pkcs11")


def hsm_custody() -> bool:
    return getattr(settings, "QORGAU_KEY_CUSTODY", "server") == "pkcs11"


def _generation_path() -> Path:
    return Path(settings.DATA_DIR) / GENERATION_FILE


def generation() -> int:
    try:
        return int(_generation_path().read_text().strip() or 0)
    except FileNotFoundError:
        return 0
    except ValueError:
        return -1  # damaged: never equal to what a process opened under, so locked


def keys_open() -> bool:
    return bool(settings.QORGAU_DATA_KEYS)


def locked() -> bool:
    """True when this process must decrypt nothing: trustee custody and no keys in memory,
    or a lock newer than the keys it holds (then the keys are dropped here and now)."""
    if not trustee_custody():
        return False
    if not keys_open():
        return not (_open_from_agent() or (hsm_custody() and _open_by_hsm()))
    if generation() != _opened_at:
        drop_keys()
        log.warning("instance locked elsewhere: keys dropped in process %s", os.getpid())
        return True
    return False


def _clear_caches() -> None:
    from qorgau import fields
    from qorgau.bundles import signing
    from qorgau.cases import checkpoints

    fields._ring.cache_clear()
    signing.private_key.cache_clear()
    signing.certificate.cache_clear()
    checkpoints._private_key.cache_clear()


WATCH_SECONDS = 1.0
exit_on_lock = False  # a command that runs with the keys (`unlock db_worker`) ends instead
_watcher: threading.Thread | None = None


def check_lock() -> bool:
    """Drop the keys if a newer lock is on disk (True when it did). The watcher calls it
    every second, so an idle process does not keep its keys until its next request."""
    if _opened_at is None or generation() == _opened_at:
        return False
    drop_keys()
    log.warning("instance locked elsewhere: keys dropped in process %s", os.getpid())
    if exit_on_lock:
        os._exit(75)  # the whole memory goes with the process
    return True


def _watch() -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        try:
            check_lock()
        except Exception:  # the watcher must outlive a damaged marker or a full disk
            log.exception("lock watcher")


def install(keys: InstanceKeys, opened_at: int | None = None) -> None:
    global _opened_at, _watcher
    with _guard:
        settings.QORGAU_DATA_KEYS = list(keys.data_keys)
        settings.QORGAU_EVIDENCE_KEYS = list(keys.evidence_keys)
        settings.QORGAU_SIGNING_KEY = keys.signing_key
        _opened_at = generation() if opened_at is None else opened_at
        _clear_caches()
        if _watcher is None:
            _watcher = threading.Thread(target=_watch, name="qorgau-lock-watcher", daemon=True)
            _watcher.start()


def drop_keys() -> None:
    global _opened_at
    with _guard:
        settings.QORGAU_DATA_KEYS = []
        settings.QORGAU_EVIDENCE_KEYS = []
        settings.QORGAU_SIGNING_KEY = ""
        _opened_at = None
        _box.clear()
        _clear_caches()


def _open_by_hsm() -> bool:
    """PKCS#11 custody: open the keys through the HSM (qorgau.operations.hsm), unless a
    panic lock since the last time a person entered the HSM's PIN forbids it."""
    from qorgau.operations import hsm

    keys = hsm.open_automatically()
    if keys is None:
        return False
    install(keys)
    log.warning("keys opened through the hardware security module (lock generation %s)",
                _opened_at)
    return True


def wrapped_document() -> str:
    return (Path(settings.DATA_DIR) / WRAPPED_KEYS_FILE).read_text()


# The key agent (qorgau.operations.keyagent): when one runs for this data folder, shares go
# to it and every process takes the keys from it; without one, each process holds its own.
serving_agent = False  # True in the agent itself


def _agent(message: dict[str, Any]) -> dict[str, Any] | None:
    from qorgau.operations import keyagent

    if serving_agent:
        return None
    try:
        return keyagent.request(settings.DATA_DIR, message)
    except keyagent.NotOurs:
        log.error("key agent: the address is held by another user's process; not used")
    except (OSError, ValueError):
        log.exception("key agent: no usable answer")
    return None


def _open_from_agent() -> bool:
    """Take the keys from the key agent, if one runs and holds them under the current lock
    generation (never keys opened before the latest lock)."""
    answer = _agent({"op": "keys"})
    if not answer or not answer.get("open"):
        return False
    opened_at = answer.get("generation")
    if opened_at != generation():
        return False
    install(InstanceKeys(list(answer["data_keys"]), list(answer["evidence_keys"]),
                         str(answer["signing_key"])), opened_at=opened_at)
    log.warning("keys taken from the key agent (lock generation %s) in process %s",
                opened_at, os.getpid())
    return True


def keys_for_agent_client() -> dict[str, Any]:
    """The key agent's answer to a process asking for the keys."""
    if locked():
        return {"open": False}
    return {"open": True, "generation": _opened_at,
            "data_keys": list(settings.QORGAU_DATA_KEYS),
            "evidence_keys": list(settings.QORGAU_EVIDENCE_KEYS),
            "signing_key": settings.QORGAU_SIGNING_KEY}


def add_share(share: str) -> int:
    """Take one trustee's share; return how many more are needed (0: the keys are open).
    Raises ShareError, in plain words, for a share that is not valid or does not fit.
    With a key agent running, the share goes to it, and the keys it opens reach every
    process."""
    answer = _agent({"op": "share", "share": share})
    if answer is not None and "remaining" in answer:
        remaining = int(answer["remaining"])
        if remaining == 0 and not _open_from_agent():
            raise ShareError("The key agent opened the keys but could not hand them over.",
                             "damaged")
        return remaining
    if answer is not None and answer.get("error") in ("invalid", "other_set", "mismatch",
                                                      "damaged"):
        raise ShareError(str(answer.get("message", "")), str(answer["error"]))
    with _guard:
        remaining = _box.add(share)
        if remaining:
            return remaining
        keys = _box.open(wrapped_document())
    install(keys)
    log.warning("keys opened by the trustees' shares (lock generation %s)", _opened_at)
    return 0


def shares_in() -> int:
    return len(_box.shares)


LOCKED_NOTE = "note.instance_locked"


def new_generation() -> int:
    """Write a new lock generation: every process drops the keys it holds (at its next
    request, or within a second through its watcher). Returns the generation."""
    path = _generation_path()
    with _guard:
        new = max(generation(), 0) + 1
        tmp = path.with_name(f".{GENERATION_FILE}.{os.getpid()}")
        tmp.write_text(f"{new}\n")
        os.replace(tmp, path)
    return new


def lock(reason: str, by: Any = None) -> int:
    """Panic lock: a new lock generation (every process drops its keys at its next request),
    every session and API token revoked, this process's keys dropped, and a note on every
    organisation's ledger. Returns the generation."""
    from django.contrib.sessions.models import Session
    from django.db import transaction

    from qorgau.accounts import orgledger
    from qorgau.accounts.models import Organisation
    from qorgau.api.models import ApiToken

    new = new_generation()
    drop_keys()
    _agent({"op": "check"})  # the key agent drops its keys now, not within a second
    Session.objects.all().delete()
    ApiToken.objects.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    with transaction.atomic():
        for org_id in Organisation.objects.order_by("pk").values_list("pk", flat=True):
            orgledger.append(org_id, by, LOCKED_NOTE, "instance",
                             detail={"lock": new, "how": reason})
    log.warning("instance locked (generation %s) in process %s: %s", new, os.getpid(), reason)
    return new


LOCK_REQUESTED = "note.lock_requested"
GROUP_WINDOW = timedelta(minutes=10)


def is_administrator(user: Any) -> bool:
    from qorgau.accounts.models import Membership, Role

    return bool(user.is_authenticated) and Membership.objects.filter(
        user_id=int(user.pk or 0), role=Role.ADMIN).exists()


def in_lock_group(user: Any) -> bool:
    """A member of the lock group (QORGAU_LOCK_GROUP: e-mail addresses): any two of them,
    each confirming within GROUP_WINDOW, lock the instance."""
    group = getattr(settings, "QORGAU_LOCK_GROUP", [])
    return bool(user.is_authenticated) and (user.email or "").strip().lower() in group


def may_lock(user: Any) -> bool:
    return is_administrator(user) or in_lock_group(user)


def pending_requests(user: Any = None) -> list[Any]:
    """The lock group's requests still waiting for a second member: within the window,
    after the latest lock, by a member still in the group (other than `user`); one per
    person, the earliest."""
    from django.db.models import Max

    from qorgau.accounts.models import OrganisationEntry

    since = timezone.now() - GROUP_WINDOW
    last_lock = OrganisationEntry.objects.filter(action=LOCKED_NOTE).aggregate(
        at=Max("at"))["at"]
    if last_lock is not None and last_lock > since:
        since = last_lock
    entries = (OrganisationEntry.objects.filter(action=LOCK_REQUESTED, at__gt=since)
               .select_related("actor").order_by("at", "pk"))
    if user is not None:
        entries = entries.exclude(actor_id=user.pk)
    first: dict[int, Any] = {}
    for entry in entries:
        if entry.actor_id is not None and in_lock_group(entry.actor):
            first.setdefault(entry.actor_id, entry)
    return list(first.values())


def press_lock(user: Any, via: str = "page") -> int | None:
    """Someone presses "lock" (via the page or the API): an administrator locks at once; a
    member of the lock group asks, and the instance locks when a second member has asked
    within the window (every request is on every organisation's ledger). Returns the new
    lock generation, or None while a second member is awaited. PermissionError for
    anyone else."""
    from django.db import transaction

    from qorgau.accounts import orgledger
    from qorgau.accounts.models import Organisation

    if is_administrator(user):
        return lock("administrator" if via == "page" else f"administrator ({via})", by=user)
    if not in_lock_group(user):
        raise PermissionError("only an administrator or a member of the lock group")
    with transaction.atomic():
        for org_id in Organisation.objects.order_by("pk").values_list("pk", flat=True):
            orgledger.append(org_id, user, LOCK_REQUESTED, "instance", detail={
                "via": via, "window_minutes": int(GROUP_WINDOW.total_seconds() // 60)})
    if pending_requests(user):
        return lock("lock group", by=user)
    log.warning("lock requested by a member of the lock group (user %s)", user.pk)
    return None


def locked_response(request: HttpRequest) -> HttpResponse:
    message = _("This service is locked. It opens again when enough trustees have entered "
                "their shares.")
    if request.path.startswith(API_PREFIX):
        # The API's error shape (code, message, field), and the first one's error/detail.
        return JsonResponse({"code": "locked", "message": message, "field": None,
                             "error": "locked", "detail": message}, status=503)
    return HttpResponse(render_to_string("custody/locked.html", {"message": message}),
                        status=503)


class LockedMiddleware:
    """While locked, everything but the trustees' pages answers the locked page (503)."""

    OPEN_WHILE_LOCKED = ("/unlock/", "/lock/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if locked() and not request.path.startswith(self.OPEN_WHILE_LOCKED):
            return locked_response(request)
        return self.get_response(request)
