from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    LAWYER = "lawyer", _("Lawyer")
    SUPERVISOR = "supervisor", _("Supervisor")
    MONITOR = "monitor", _("Monitor")
    ADMIN = "admin", _("Administrator")


# Roles that may open and work on cases (a monitor sees aggregates only).
CASE_ROLES = frozenset({Role.CASEWORKER, Role.LAWYER, Role.SUPERVISOR, Role.ADMIN})
# Roles that see the accountability figures (monitors suppressed, the others exact).
INSIGHT_ROLES = frozenset({Role.MONITOR, Role.SUPERVISOR, Role.ADMIN})
# Roles that see restricted events (self-harm) on cases they are assigned to.
RESTRICTED_VIEW_ROLES = frozenset({Role.CASEWORKER, Role.LAWYER})


class User(AbstractUser):
    """A person who logs in. Email is the login."""

    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    # The language the person last chose; pages follow it on any device, after a quick exit.
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    # A keyed digest of the person's duress code (qorgau.operations.duress), or empty.
    duress_digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    def __str__(self) -> str:
        return self.display_name or self.email or self.username


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    region = models.CharField(_("region"), max_length=40, blank=True)
    # Survivor-facing use: a neutral name, title and icon, nothing that names the service.
    discreet = models.BooleanField(_("discreet mode"), default=False)
    # A coalition: monitors see the suppressed sums of every organisation that shares.
    shares_aggregates = models.BooleanField(_("shares anonymised aggregates"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


def request_memberships(request: Any) -> dict[int, tuple[str, bool]]:
    """The signed-in user's memberships as organisation id -> (role, discreet), read once
    per request (case access and the page chrome both need them)."""
    cached = getattr(request, "_qorgau_memberships", None)
    if cached is None:
        user = getattr(request, "user", None)
        cached = {}
        if user is not None and user.is_authenticated:
            cached = {org: (role, discreet) for org, role, discreet in
                      Membership.objects.filter(user=user)
                      .values_list("organisation_id", "role", "organisation__discreet")}
        request._qorgau_memberships = cached
    return cached


class OrganisationEntry(models.Model):
    """One entry of an organisation's hash-chained ledger: every change of its people
    (memberships, roles, accounts switched off) and settings, written by
    qorgau.accounts.orgledger in the writing transaction and checked by `verify`.
    Database triggers reject UPDATE and DELETE on this table (see migrations)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="ledger")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=60)
    detail = models.JSONField(default=dict)
    payload_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("organisation ledger entry")
        verbose_name_plural = _("organisation ledger entries")
        constraints = [models.UniqueConstraint(fields=["organisation", "seq"],
                                               name="ledger_seq_per_organisation")]
        ordering = ["organisation", "seq"]

    def __str__(self) -> str:
        return f"{self.organisation_id}#{self.seq} {self.action} {self.subject}"
