"""Obligations derived from a case's events, and escalation letters.

Obligations are derived data: `qorgau.duties.services` rewrites a case's rows in the same
transaction as the events that change them, so cross-case lists (Needs action, reminders,
insights) are indexed queries that never load cases into Python.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Organisation
from qorgau.cases.models import Case, Event
from qorgau.duties import engine
from qorgau.fields import EncryptedTextField


class ObligationQuerySet(models.QuerySet["Obligation"]):
    def open(self) -> ObligationQuerySet:
        return self.filter(status__in=[engine.PENDING, engine.BREACHED])

    def for_reader(self, sees_restricted: bool) -> ObligationQuerySet:
        """The duties a reader may see: none arising from an event they may not see
        (qorgau.cases.policy)."""
        from qorgau.cases import policy

        hidden = policy.hidden_kinds(sees_restricted)
        return self.exclude(trigger__kind__in=hidden) if hidden else self


class Obligation(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="obligations")
    # Copied from the case so the organisation-wide lists are one index range.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="+")
    profile = models.CharField(max_length=20)
    rule_id = models.CharField(max_length=60)
    family = models.CharField(max_length=60)
    duty_bearer = models.CharField(max_length=40)
    trigger = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    satisfied_by = models.ForeignKey(Event, on_delete=models.CASCADE, null=True,
                                     related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=[
        (s, _(engine.STATUS_LABELS[s])) for s in engine.STATUSES])
    due_earliest = models.DateField(null=True)
    due_latest = models.DateField(null=True)
    late = models.BooleanField(default=False)
    confirmed = models.BooleanField()
    reason = models.CharField(max_length=30)
    # What a breach rests on: a recorded refusal or finding, or only the absence of a record.
    grounds = models.CharField(max_length=12, blank=True, default="")
    computed_at = models.DateTimeField()

    objects = ObligationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "rule_id", "trigger"],
                                    name="one_obligation_per_rule_and_trigger"),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "due_latest"],
                         name="obligation_queue"),
            models.Index(fields=["case", "due_latest"], name="obligation_case"),
            # what a write reads first (duties.services._rules_to_derive): the oldest
            # computation, and the pending duties fallen due since
            models.Index(fields=["case", "computed_at"], name="obligation_computed"),
            models.Index(fields=["case", "due_latest"], condition=models.Q(status="pending"),
                         name="obligation_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on event {self.trigger_id}: {self.status}"


class Letter(models.Model):
    """An escalation letter: a draft the caseworker edits, a lawyer or supervisor approves,
    then exported (under the survivor's consent) and sent."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="letters")
    template = models.CharField(max_length=60)
    language = models.CharField(_("language"), max_length=5)
    addressee = models.CharField(_("addressee"), max_length=40)
    title = EncryptedTextField(_("title"))
    body = EncryptedTextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    # The obligations it complains of: [[rule id, trigger event number], ...].
    covers = models.JSONField(default=list)
    salt = EncryptedTextField(editable=False)
    sent_event = models.OneToOneField(Event, on_delete=models.PROTECT, null=True,
                                      related_name="letter")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The formal blocks around the body (letters drafted before them have none): the office
    # written to (top right), who writes and for whom, the signature lines, the attachments.
    addressee_block = EncryptedTextField(_("addressed to"), blank=True, default="")
    applicant_block = EncryptedTextField(_("from"), blank=True, default="")
    signature_block = EncryptedTextField(_("signature"), blank=True, default="")
    attachments = EncryptedTextField(_("attachments"), blank=True, default="")
    # The exhibits the attachments list named when drafted (their numbers): her evidence,
    # which the consent for the letter must cover.
    exhibits = models.JSONField(default=list)
    # A lawyer's or supervisor's approval; any change to the text withdraws it.
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"letter {self.pk} ({self.template}, {self.language})"


class EscalationDecision(models.Model):
    """A decision not to escalate the authorities' failures on one triggering event, with its
    reason (Today: the failure leaves the list; it stays on the duties page)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    trigger = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(_("reason"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    salt = EncryptedTextField(editable=False)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["case", "trigger"], name="escalation_decision")]
