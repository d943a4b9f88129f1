"""Legal proceedings on a case, hearing observations and the fairness grade."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
        AGAINST_OFFICIAL = "criminal_official", _(
            "Criminal, against an official (negligence, abuse of office)")
        DISCIPLINARY = "disciplinary", _("Disciplinary, against an official")

    class Status(models.TextChoices):
        INVESTIGATION = "investigation", _("Investigation")
        TRIAL = "trial", _("Trial")
        APPEAL = "appeal", _("Appeal")
        CLOSED = "closed", _("Closed")

    class Role(models.TextChoices):
        ACCUSED = "accused", _("Accused")
        VICTIM = "victim", _("Victim")
        COUNSEL = "counsel", _("Counsel")
        PROSECUTOR = "prosecutor", pgettext_lazy("court participant", "Prosecutor")
        JUDGE = "judge", pgettext_lazy("court participant", "Judge")
        JURY = "jury", _("Jury")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("No outcome yet")
        CONVICTED = "convicted", _("Convicted")
        ACQUITTED = "acquitted", _("Acquitted")
        DISCONTINUED = "discontinued", _("Discontinued")

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
    judge = models.CharField(_("judge"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices,
                               default=Outcome.PENDING)
    # The sentence of a conviction: a penalty id of taxonomy.PENALTIES, and its term in words.
    sentence_penalty = models.CharField(_("sentence"), max_length=20, blank=True)
    sentence_term = models.CharField(_("term or amount"), max_length=200, blank=True)
    # For a prosecution of the survivor: the act charged was against the respondent.
    act_against_respondent = models.BooleanField(
        _("the act charged was against the respondent"), default=True)
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

    @property
    def accused_subject(self) -> str:
        """Whom the proceeding's arrests and measures concern (taxonomy.SUBJECTS)."""
        subjects: dict[str, str] = {
            self.Kind.AGAINST_SURVIVOR: "survivor", self.Kind.AGAINST_RESPONDENT: "respondent",
            self.Kind.ADMINISTRATIVE: "respondent", self.Kind.AGAINST_OFFICIAL: "official",
            self.Kind.DISCIPLINARY: "official"}
        return subjects.get(self.kind, "")


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
