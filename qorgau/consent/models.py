"""Consent grants from the survivor, and read-only shares of a case made under them.

Nothing here writes on its own: `qorgau.consent.services` does, with ledger entries.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Organisation
from qorgau.cases.models import Case
from qorgau.consent import rules
from qorgau.fields import EncryptedTextField


class ConsentGrant(models.Model):
    class Purpose(models.TextChoices):
        REFERRAL = "referral", _("Referral to another organisation")
        COURT = "court", _("Court bundle")
        TRANSFER = "transfer", _("Case-file transfer to another system or organisation")
        COMPLAINT = "complaint", _("Complaint to an authority (a letter to the prosecutor)")

    class Manner(models.TextChoices):
        WRITTEN = "written", _("In writing")
        ORAL = "oral", _("Orally")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consent_grants")
    # The recipient: an organisation that uses Qorgau, or one named in words (not both).
    recipient_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recipient_name = EncryptedTextField(_("recipient"), blank=True, default="")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    categories = models.JSONField(_("data categories"), default=list)
    manner = models.CharField(_("consent given"), max_length=10, choices=Manner.choices)
    note = EncryptedTextField(_("note"), blank=True, default="")
    given_on = models.DateField(_("given on"))
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    revocation_reason = EncryptedTextField(_("reason for revocation"), blank=True, default="")
    # The person who recorded the grant witnessed it being given.
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField()
    salt = EncryptedTextField(editable=False)
    # Given to another holder of the case and brought in with its case file: her record of
    # what she agreed to, never consent for this organisation's own uses.
    imported = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["case", "purpose"])]

    def __str__(self) -> str:
        return f"consent {self.pk} of case {self.case_id} ({self.purpose})"

    def facts(self) -> rules.Grant:
        return rules.Grant(self.pk, self.purpose, frozenset(self.categories), self.expires_at,
                           self.revoked_at, self.recipient_organisation_id)

    def state(self, now: datetime) -> str:
        return rules.state(self.facts(), now)

    def recipient(self) -> str:
        if self.recipient_organisation_id:
            return str(self.recipient_organisation)
        return self.recipient_name


class CaseShare(models.Model):
    """The case, read-only and only the granted categories, for a recipient organisation."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="shares")
    grant = models.ForeignKey(ConsentGrant, on_delete=models.PROTECT, related_name="shares")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="incoming_shares")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    created_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "withdrawn_at"])]

    def __str__(self) -> str:
        return f"share {self.pk} of case {self.case_id}"

    def is_open(self, now: datetime) -> bool:
        return self.withdrawn_at is None and self.grant.state(now) == rules.VALID


class CaseTransfer(models.Model):
    """The whole case offered to another organisation under the survivor's transfer
    consent: the receiver accepts (the case moves, its timeline and ledger continue) or
    declines; revoking the consent before that cancels it. Once accepted the row is the
    sender's tombstone: which organisation took the case, under which consent, when."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the receiving organisation")
        ACCEPTED = "accepted", _("accepted: the case moved")
        DECLINED = "declined", _("declined")
        CANCELLED = "cancelled", _("cancelled")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transfers")
    grant = models.ForeignKey(ConsentGrant, on_delete=models.PROTECT, related_name="transfers")
    sender = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    receiver = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                 related_name="incoming_transfers")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    offered_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # Why it was declined or cancelled: may name people, so encrypted.
    reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-offered_at", "-pk"]
        constraints = [models.UniqueConstraint(
            fields=["case"], condition=models.Q(status="pending"),
            name="one_pending_transfer_per_case")]

    def __str__(self) -> str:
        return f"transfer {self.pk} of case {self.case_id}: {self.status}"
