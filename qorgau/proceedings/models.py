"""Legal proceedings on a case, hearing observations and the fairness grade."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.cases.models import Case, Event
from qorgau.fields import EncryptedTextField


class Proceeding(models.Model):
    class Kind(models.TextChoices):
        AGAINST_RESPONDENT = "criminal_respondent", _("Criminal, against the respondent")
        AGAINST_SURVIVOR = "criminal_survivor", _("Criminal, against the survivor")
        ADMINISTRATIVE = "administrative", _("Administrative")
        DIVORCE = "civil_divorce", _("Civil: divorce")
        CUSTODY = "civil_custody", _("Civil: custody")
        PROPERTY = "civil_property", _("Civil: property")

    class Status(models.TextChoices):
        INVESTIGATION = "investigation", _("Investigation")
        TRIAL = "trial", _("Trial")
        APPEAL = "appeal", _("Appeal")
        CLOSED = "closed", _("Closed")

    class Role(models.TextChoices):
        ACCUSED = "accused", _("Accused")
        VICTIM = "victim", _("Victim")
        COUNSEL = "counsel", _("Counsel")
        PROSECUTOR = "prosecutor", _("Prosecutor")
        JUDGE = "judge", _("Judge")
        JURY = "jury", _("Jury")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="proceedings")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    court = models.CharField(_("court"), max_length=200)
    case_number = models.CharField(_("court case number"), max_length=100, blank=True)
    # [{"text": ..., "article": ...}]
    charges = models.JSONField(default=list, blank=True)
    # [[party id, role], ...]
    participants = models.JSONField(default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.INVESTIGATION)
    events = models.ManyToManyField(Event, related_name="proceedings", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.court}"

    @property
    def against_survivor(self) -> bool:
        return self.kind == self.Kind.AGAINST_SURVIVOR


class HearingRecord(models.Model):
    """What a monitor or lawyer observed at one hearing, indicator by indicator."""

    proceeding = models.ForeignKey(Proceeding, on_delete=models.PROTECT,
                                   related_name="hearings")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    # {indicator: {"value": observed|not_observed|not_applicable, "note": str}}, encrypted
    indicators_json = EncryptedTextField()
    abuse_evidence_excluded = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    salt = EncryptedTextField(editable=False)

    class Meta:
        ordering = ["pk"]

    @property
    def indicators(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.indicators_json or "{}")
        return data


class FairnessGrade(models.Model):
    """A trial monitor's overall grade; the newest one counts, earlier ones are kept."""

    proceeding = models.ForeignKey(Proceeding, on_delete=models.PROTECT, related_name="grades")
    grade = models.CharField(_("grade"), max_length=1)
    rationale = EncryptedTextField(_("rationale"))
    affected_outcome = models.BooleanField(_("violations affected the outcome"), default=False)
    significant_harm = models.BooleanField(_("caused significant harm"), default=False)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    graded_at = models.DateTimeField(auto_now_add=True)
    salt = EncryptedTextField(editable=False)

    class Meta:
        ordering = ["-graded_at", "-pk"]
