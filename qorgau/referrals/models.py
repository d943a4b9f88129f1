"""The service directory (providers) and referrals of a case to them.

Providers are public services, not people: their names and contacts are stored in clear.
What a referral says about her (reasons, notes) is encrypted. Nothing here writes on its
own: `qorgau.referrals.services` does, with ledger entries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Organisation
from qorgau.cases.models import Case, Event
from qorgau.consent.models import CaseShare, ConsentGrant
from qorgau.fields import EncryptedTextField
from qorgau.referrals import rules


class Provider(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=list(rules.PROVIDER_KINDS.items()))
    region = models.CharField(_("region"), max_length=40)
    city = models.CharField(_("city"), max_length=100, blank=True, default="")
    services = models.JSONField(_("services offered"), default=list)
    languages = models.JSONField(_("languages"), default=list)
    accepts_children = models.BooleanField(_("accepts women with children"), default=False)
    boys_max_age = models.PositiveSmallIntegerField(_("accepts boys up to age"), null=True,
                                                    blank=True)
    accessible = models.BooleanField(_("accessible for people with disabilities"),
                                     default=False)
    address = models.CharField(_("address"), max_length=300, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=100, blank=True, default="")
    email = models.CharField(_("email"), max_length=200, blank=True, default="")
    intake_hours = models.CharField(_("intake hours"), max_length=200, blank=True, default="")
    capacity = models.PositiveSmallIntegerField(_("places in all"), null=True, blank=True)
    places_available = models.PositiveSmallIntegerField(_("places available"), null=True,
                                                        blank=True)
    places_updated_at = models.DateTimeField(null=True, blank=True)
    places_updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                          null=True, blank=True, related_name="+")
    # The provider's own organisation, when it uses Qorgau: referrals to it are shared there.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="providers")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["region", "name"]

    def __str__(self) -> str:
        return self.name

    def facts(self) -> rules.Provider:
        return rules.Provider(self.pk, self.region, frozenset(self.services),
                              self.accepts_children, self.boys_max_age, self.accessible,
                              self.places_available, self.active)

    def service_labels(self) -> list[str]:
        return [str(_(rules.NEEDS[s])) for s in self.services if s in rules.NEEDS]


class Referral(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="referrals")
    need = models.CharField(_("need"), max_length=20, choices=list(rules.NEEDS.items()))
    grant = models.ForeignKey(ConsentGrant, on_delete=models.PROTECT, related_name="+")
    categories = models.JSONField(_("data shared"), default=list)
    share = models.ForeignKey(CaseShare, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    state = models.CharField(_("state"), max_length=20, choices=list(rules.STATES.items()),
                             default=rules.MADE)
    note = EncryptedTextField(_("note"), blank=True, default="")
    # Why it was declined or withdrawn (the latest step's reason, kept here for the panel).
    reason = EncryptedTextField(_("reason"), blank=True, default="")
    updated_at = models.DateTimeField()
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    created_at = models.DateTimeField()
    salt = EncryptedTextField(editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"referral {self.pk} of case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.state not in rules.TERMINAL


class ReferralStep(models.Model):
    """One move of a referral (made, accepted, declined ...): who, when, why."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="steps")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=list(rules.STATES.items()))
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(_("reason"), blank=True, default="")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")

    class Meta:
        ordering = ["at", "pk"]
