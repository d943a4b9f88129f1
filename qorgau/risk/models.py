"""Risk assessments, safety plans, and licensed instrument texts."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Organisation
from qorgau.cases.models import Case, Event
from qorgau.fields import EncryptedTextField


class Assessment(models.Model):
    """One completed assessment: never edited; a new one records a change."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    instrument = models.CharField(max_length=60)
    instrument_version = models.CharField(max_length=20)
    # {item: {"answer": yes|no|unknown, "source": asked|suggested,
    #         "suggestion": confirmed|rejected|None, "events": [numbers]}}, encrypted.
    answers_json = EncryptedTextField()
    score = models.IntegerField()
    computed_level = models.CharField(max_length=30)
    level = models.CharField(_("level"), max_length=30)
    judgement_reason = EncryptedTextField(blank=True, default="")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+")
    created_at = models.DateTimeField()
    event = models.OneToOneField(Event, on_delete=models.PROTECT, related_name="assessment")
    salt = EncryptedTextField(editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} {self.level} ({self.created_at:%Y-%m-%d})"

    @property
    def answers(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.answers_json or "{}")
        return data


SECTIONS = (
    "safe_contacts", "code_word", "contact", "escape_steps", "documents_ready", "children",
    "shelter_options",
)


class SafetyPlan(models.Model):
    """The survivor's current safety plan; every save is on the ledger and the timeline."""

    class Knows(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        UNKNOWN = "unknown", _("Not known")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="safety_plan")
    safe_contacts = EncryptedTextField(_("safe contacts"), blank=True, default="")
    code_word = EncryptedTextField(_("code word"), blank=True, default="")
    contact = EncryptedTextField(_("safe times and ways to contact her"), blank=True,
                                 default="")
    respondent_knows = models.CharField(_("does the respondent know of our contact?"),
                                        max_length=10, choices=Knows.choices,
                                        default=Knows.UNKNOWN)
    escape_steps = EncryptedTextField(_("escape steps"), blank=True, default="")
    documents_ready = EncryptedTextField(_("documents to keep ready"), blank=True, default="")
    children = EncryptedTextField(_("children's arrangements"), blank=True, default="")
    shelter_options = EncryptedTextField(_("shelter options"), blank=True, default="")
    # section -> review date (YYYY-MM-DD)
    reviews = models.JSONField(default=dict)
    language = models.CharField(_("her language"), max_length=5, default="ru")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField()
    salt = EncryptedTextField(editable=False)

    def __str__(self) -> str:
        return f"safety plan of case {self.case_id}"


class LicensedText(models.Model):
    """Item texts of a licensed instrument, loaded by an organisation that holds the licence."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    instrument = models.CharField(max_length=60)
    # {item id: {language: text}}
    texts = models.JSONField()
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", null=True)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "instrument"],
                                               name="one_text_per_org_instrument")]

    def __str__(self) -> str:
        return f"{self.instrument} text for organisation {self.organisation_id}"
