"""Exhibits: originals stored once, encrypted and content-addressed; derivatives name them."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.cases.models import Case, Event
from qorgau.fields import EncryptedTextField


class Blob(models.Model):
    """The encrypted bytes of one original, once per case (identical bytes share it)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="blobs")
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    media_type = models.CharField(max_length=100)
    object_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "sha256"],
                                               name="one_blob_per_content_per_case")]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} bytes)"


class Exhibit(models.Model):
    class Derivation(models.TextChoices):
        REDACTED = "redacted", _("Redacted copy")
        THUMBNAIL = "thumbnail", _("Thumbnail")
        TRANSCRIPT = "transcript", _("Transcript")
        TRANSLATION = "translation", _("Translation")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="exhibits")
    number = models.PositiveIntegerField()
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="exhibits")
    # File names, titles and metadata (GPS!) can identify people: encrypted.
    original_name = EncryptedTextField()
    title = EncryptedTextField(_("title"))
    description = EncryptedTextField(_("description"), blank=True, default="")
    claimed_type = models.CharField(max_length=100, blank=True)
    captured_at = models.CharField(_("captured (as claimed)"), max_length=16, blank=True)
    capture_source = models.CharField(max_length=10, blank=True)  # exif / pdf / user
    received_at = models.DateTimeField()
    metadata_json = EncryptedTextField(default="{}")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="exhibits")
    derived_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="derivatives")
    derivation = models.CharField(max_length=20, blank=True, choices=Derivation.choices)
    tool = models.CharField(max_length=200, blank=True)
    salt = EncryptedTextField(editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "number"],
                                               name="exhibit_number_per_case")]
        ordering = ["number"]

    def __str__(self) -> str:
        return f"exhibit {self.number}"

    @property
    def metadata(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.metadata_json or "{}")
        return data
