"""Creating, checking and revoking personal access tokens.

A token is `qg_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole token
(compared in constant time) proves it. The secret has 256 bits, so a fast hash is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.api.models import ApiAuditEntry, ApiToken, Scope

TOKEN_PREFIX = "qg_"  # noqa: S105 (a marker, not a secret)
MAX_DAYS = 365


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    token: ApiToken
    secret: str  # the whole token, shown once


@transaction.atomic
def create_token(user: User, name: str, scopes: list[str], days: int) -> Issued:
    name = " ".join((name or "").split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the token a name, e.g. where it is used.")]
    if not scopes or set(scopes) - set(Scope.values):
        errors["scopes"] = [_("Choose at least one scope from the list.")]
    if not 1 <= days <= MAX_DAYS:
        errors["days"] = [_("A token lasts from 1 to %(max)s days.") % {"max": MAX_DAYS}]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=prefix, digest=_digest(secret),
        scopes=[s for s in Scope.values if s in scopes],
        expires_at=timezone.now() + timedelta(days=days),
    )
    ApiAuditEntry.objects.create(user=user, token=token, action="token.create")
    return Issued(token, secret)


@transaction.atomic
def revoke_token(token: ApiToken, by: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        ApiAuditEntry.objects.create(user=by, token=token, action="token.revoke")


def find_token(presented: str) -> ApiToken | None:
    """The active token `presented` stands for, or None."""
    if not presented.startswith(TOKEN_PREFIX):
        return None
    prefix, _sep, rest = presented[len(TOKEN_PREFIX):].partition("_")
    if not prefix or not rest or len(prefix) > 16:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(presented)):
        return None
    if not token.active or not token.user.is_active:
        return None
    return token


def rate_limit() -> int:
    return int(getattr(settings, "QORGAU_API_RATE_PER_MINUTE", 120))


def over_limit(token: ApiToken) -> int:
    """Count this request in the token's fixed one-minute window (in the shared cache, as
    allauth counts logins). Returns 0 if allowed, else the seconds until the window ends."""
    now = int(timezone.now().timestamp())
    window = now // 60
    key = f"qorgau-api-rate:{token.pk}:{window}"
    if cache.add(key, 1, timeout=70):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=70)
            count = 1
    return 0 if count <= rate_limit() else 60 - now % 60


def record_use(token: ApiToken, method: str, path: str, status: int) -> None:
    ApiAuditEntry.objects.create(user_id=token.user_id, token=token, action="token.use",
                                 method=method[:10], path=path[:300], status=status)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())


def revoke_all_of(sender: object, user: User, by: User, **kwargs: object) -> None:
    """A deactivated person's tokens stop working at once (accounts.member_deactivated)."""
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        revoke_token(token, by)
