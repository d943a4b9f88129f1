"""Retention periods, the clock of each closed case, and legal holds.

Nothing here writes on its own: qorgau.retention.services does, each write with its ledger
entry. Erasing a case removes its clock and holds with everything else.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Organisation
from qorgau.cases.models import Case
from qorgau.fields import EncryptedTextField


class RetentionPolicy(models.Model):
    """An organisation's own retention period (else QORGAU_RETENTION_MONTHS)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE,
                                        related_name="retention_policy")
    months = models.PositiveIntegerField(
        _("retention period in months"),
        validators=[MinValueValidator(1), MaxValueValidator(1200)])
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organisation}: {self.months} months"


class RetentionClock(models.Model):
    """A closed case's retention period: kept until `retain_until`, then due for erasure."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="retention_clock")
    closed_on = models.DateField(_("closed on"))
    months = models.PositiveIntegerField(_("retention period in months"))
    retain_until = models.DateField(_("kept until"), db_index=True)


class LegalHold(models.Model):
    """While a hold is in force (not lifted) the case cannot be erased."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="legal_holds")
    # The reason may name a court case or a person: encrypted.
    reason = EncryptedTextField(_("reason for the hold"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    set_at = models.DateTimeField()
    lift_reason = EncryptedTextField(_("reason for lifting the hold"), blank=True, default="")
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, related_name="+")
    lifted_at = models.DateTimeField(null=True)
    salt = EncryptedTextField(editable=False)

    class Meta:
        ordering = ["-set_at", "-pk"]
        constraints = [models.UniqueConstraint(
            fields=["case"], condition=models.Q(lifted_at__isnull=True),
            name="one_hold_in_force_per_case")]
