"""Account mutations: organisations, users and memberships."""

from __future__ import annotations

import logging

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import Membership, Organisation, OrganisationChange, Role, User

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
def add_member(user: User, organisation: Organisation, role: Role | str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, organisation=organisation, defaults={"role": Role(role)}
    )
    return membership


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
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)


def has_mfa(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class NotAllowed(Exception):
    """The person may not change this organisation's settings."""


@transaction.atomic
def set_discreet(organisation: Organisation, discreet: bool, by: User) -> bool:
    """Switch the organisation's discreet mode; only its administrators may. The change is
    recorded (OrganisationChange, and a log line). True when something changed."""
    if role_in(by, organisation.pk) != Role.ADMIN:
        raise NotAllowed(_("Only the organisation's administrators can change its settings."))
    current = (Organisation.objects.select_for_update().filter(pk=organisation.pk)
               .values_list("discreet", flat=True).get())
    organisation.discreet = discreet
    if current == discreet:
        return False
    Organisation.objects.filter(pk=organisation.pk).update(discreet=discreet)
    OrganisationChange.objects.create(organisation=organisation, actor=by, setting="discreet",
                                      old=current, new=discreet)
    log.info("organisation %s: discreet mode %s by user %s", organisation.pk,
             "on" if discreet else "off", by.pk)
    return True
