"""A narrative added to a case and the events proposed from it, awaiting a person's review.

The source (pasted text or an uploaded file) is an exhibit of the case (encrypted, hashed,
stored once: qorgau.evidence); the text the proposals cite is kept here, encrypted. A
proposal reaches the timeline only when a person accepts it: then it names the event that
was recorded (qorgau.intake.services).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.cases.models import Case, Event
from qorgau.evidence.models import Exhibit
from qorgau.fields import EncryptedTextField


class Narrative(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be read")
        EXTRACTING = "extracting", _("Being read")
        READY = "ready", _("Ready for review")
        FAILED = "failed", _("Failed")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="narratives")
    exhibit = models.ForeignKey(Exhibit, on_delete=models.PROTECT, related_name="narratives")
    text = EncryptedTextField()  # what the proposals cite (offsets are into this text)
    text_sha256 = models.CharField(max_length=64)  # of the text, UTF-8
    lang = models.CharField(max_length=2)
    source = models.CharField(max_length=20)  # taxonomy.SOURCES: what the text is
    reliability = models.CharField(max_length=20)  # taxonomy.RELIABILITY, of its events
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    salt = EncryptedTextField(editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"narrative {self.pk} of case {self.case_id} ({self.status})"


class Proposal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("To review")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    narrative = models.ForeignKey(Narrative, on_delete=models.CASCADE,
                                  related_name="proposals")
    index = models.PositiveIntegerField()  # in text order, from 1
    # The extractor's proposal (kind, when, institution, sentence and its offsets, cues):
    # the sentence is the survivor's words, so encrypted.
    data_json = EncryptedTextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    event = models.OneToOneField(Event, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="narrative_proposal")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["narrative", "index"],
                                               name="proposal_index_per_narrative")]

    def __str__(self) -> str:
        return f"proposal {self.index} of narrative {self.narrative_id}"

    @property
    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.data_json or "{}")
        return value
