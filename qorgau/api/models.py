"""Personal access tokens for the API, and the user's trail of their creation and use.

A token is shown once; only its lookup prefix and the SHA-256 of its secret are stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qorgau.fields import EncryptedTextField


class Scope(models.TextChoices):
    READ = "read", _("Read case data")
    WRITE = "write", _("Record on cases")
    EVIDENCE = "evidence", _("Upload and download evidence")
    INSIGHTS = "insights", _("Read accountability figures")
    LOCK = "lock", _("Lock the instance (administrators and the lock group)")


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)  # SHA-256 hex of the whole token
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class ApiAuditEntry(models.Model):
    """The user's own trail: tokens created and revoked, and every request made with one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    token = models.ForeignKey(ApiToken, on_delete=models.SET_NULL, null=True,
                              related_name="audit")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20)  # token.create, token.revoke, token.use
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=300, blank=True)
    status = models.PositiveSmallIntegerField(null=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class IdempotentRequest(models.Model):
    """The first answer to an API write sent with an `Idempotency-Key` header, replayed to
    a retry with the same key (same token, method and path) until it expires (24 hours).
    The answer may hold case data: its body is encrypted like the records it shows."""

    owner = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the request's body
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key", "method", "path"],
                                               name="api_idempotent_request_once")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.method} {self.path} {self.key}"
