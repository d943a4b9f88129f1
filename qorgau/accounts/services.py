"""Account mutations: organisations, users and memberships."""

from __future__ import annotations

import logging

from allauth.mfa.models import Authenticator
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from qorgau.accounts import allauth_bridge, orgledger
from qorgau.accounts.models import Membership, Organisation, Role, User

log = logging.getLogger(__name__)


@transaction.atomic
def create_user(email: str, password: str | None, display_name: str = "") -> User:
    user = User(username=email.lower(), email=email.lower(), display_name=display_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def add_member(user: User, organisation: Organisation, role: Role | str,
               by: User | None = None, change: str = "add") -> Membership:
    """Her membership with this role, on the organisation's ledger."""
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": Role(role)}
    )
    orgledger.record_membership(membership, by, change)
    return membership


def email_proven(sender: type, user: User, **kwargs: object) -> None:
    """allauth's password_reset signal: she chose her password from the link mailed to her
    (an invitation, or a reset), so the address is hers. Without this an invited colleague
    could not enrol the authenticator app (allauth refuses it on an unverified address)."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email__iexact=user.email,
        defaults={"email": user.email, "verified": True, "primary": True})


def role_in(user: User, organisation_id: int) -> str | None:
    membership = (
        Membership.objects.filter(user=user, organisation_id=organisation_id)
        .values_list("role", flat=True)
        .first()
    )
    return membership


@transaction.atomic
def enrol_totp(user: User, secret: str) -> None:
    """Give `user` an authenticator app with this base32 secret, and recovery codes.

    For accounts set up outside the browser (demo, tests, scripted onboarding); people
    normally enrol themselves at first login.
    """
    Authenticator.objects.filter(user=user).delete()
    allauth_bridge.activate_totp(user, secret)


def has_mfa(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class NotAllowed(Exception):
    """The person may not change this organisation's settings."""


@transaction.atomic
def set_discreet(organisation: Organisation, discreet: bool, by: User) -> bool:
    """Switch the organisation's discreet mode; only its administrators may. The change is
    recorded (the organisation's ledger, and a log line). True when something changed."""
    if role_in(by, organisation.pk) != Role.ADMIN:
        raise NotAllowed(_("Only the organisation's administrators can change its settings."))
    current = (Organisation.objects.select_for_update().filter(pk=organisation.pk)
               .values_list("discreet", flat=True).get())
    organisation.discreet = discreet
    if current == discreet:
        return False
    Organisation.objects.filter(pk=organisation.pk).update(discreet=discreet)
    orgledger.record_setting(organisation, by, "discreet", current, discreet)
    log.info("organisation %s: discreet mode %s by user %s", organisation.pk,
             "on" if discreet else "off", by.pk)
    return True


@transaction.atomic
def set_shares_aggregates(organisation: Organisation, shares: bool, by: User) -> bool:
    """Whether monitors of the coalition see this organisation's suppressed sums."""
    _check_admin(organisation, by)
    current = (Organisation.objects.select_for_update().filter(pk=organisation.pk)
               .values_list("shares_aggregates", flat=True).get())
    organisation.shares_aggregates = shares
    if current == shares:
        return False
    Organisation.objects.filter(pk=organisation.pk).update(shares_aggregates=shares)
    orgledger.record_setting(organisation, by, "shares_aggregates", current, shares)
    log.info("organisation %s: shares aggregates %s by user %s", organisation.pk, shares,
             by.pk)
    return True


# --- the organisation's people (issue 27): invite, role, deactivate -------------------------

# Receivers end what a deactivated person could still use (the API app revokes her tokens).
member_deactivated = Signal()  # sender=User, user=..., by=...


def _check_admin(organisation: Organisation, by: User) -> None:
    if role_in(by, organisation.pk) != Role.ADMIN:
        raise NotAllowed(_("Only the organisation's administrators can change its people "
                           "and settings."))


@transaction.atomic
def invite(organisation: Organisation, by: User, email: str, role: str) -> User:
    """A colleague by e-mail: an account with no password and her membership. The page then
    sends her the password link (allauth's reset: single use, expires with
    PASSWORD_RESET_TIMEOUT); she enrols the second factor at her first login."""
    _check_admin(organisation, by)
    if role not in Role.values:
        raise NotAllowed(_("Choose a role from the list."))
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = create_user(email, None)
    elif Membership.objects.filter(user=user, organisation=organisation).exists():
        raise NotAllowed(_("This person is already a member of the organisation."))
    add_member(user, organisation, role, by=by, change="invite")
    log.info("organisation %s: user %s invited as %s by user %s", organisation.pk, user.pk,
             role, by.pk)
    return user


@transaction.atomic
def set_role(organisation: Organisation, by: User, user: User, role: str) -> bool:
    _check_admin(organisation, by)
    if role not in Role.values:
        raise NotAllowed(_("Choose a role from the list."))
    membership = Membership.objects.select_for_update().filter(
        user=user, organisation=organisation).first()
    if membership is None:
        raise NotAllowed(_("This person is not a member of the organisation."))
    if membership.role == role:
        return False
    if membership.role == Role.ADMIN and not Membership.objects.filter(
            organisation=organisation, role=Role.ADMIN, user__is_active=True).exclude(
            user=user).exists():
        raise NotAllowed(_("The organisation needs another administrator first."))
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    orgledger.record_membership(membership, by, "role")
    log.info("organisation %s: user %s role %s -> %s by user %s", organisation.pk, user.pk,
             old, role, by.pk)
    return True


@transaction.atomic
def deactivate(organisation: Organisation, by: User, user: User) -> None:
    """She can no longer log in: the account is switched off, every session ends, and the
    receivers of `member_deactivated` revoke the rest (API tokens). Her cases stay, waiting
    for someone on the team page."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    _check_admin(organisation, by)
    if user.pk == by.pk:
        raise NotAllowed(_("You cannot switch off your own account."))
    if not Membership.objects.filter(user=user, organisation=organisation).exists():
        raise NotAllowed(_("This person is not a member of the organisation."))
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
    member_deactivated.send(sender=User, user=user, by=by)
    # The account is off in every organisation she belongs to: each one's ledger says so.
    for membership in Membership.objects.filter(user=user).select_related("user"):
        orgledger.record_membership(membership, by, "deactivate")
    log.info("organisation %s: user %s switched off by user %s", organisation.pk, user.pk,
             by.pk)
