"""Court bundles: built in the background, stored encrypted, downloaded with custody."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.cases.models import Case
from qorgau.consent.models import ConsentGrant


class Bundle(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        BUILDING = "building", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="bundles")
    language = models.CharField(max_length=5)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(default=0)
    object_name = models.CharField(max_length=200, blank=True)
    include_restricted = models.BooleanField(default=False)
    # The survivor's consent to a court bundle that it is made (and handed out) under.
    grant = models.ForeignKey(ConsentGrant, on_delete=models.PROTECT, null=True,
                              related_name="bundles")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"bundle {self.pk} of case {self.case_id} ({self.status})"
