"""Account mutations: organisations, users and memberships."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction

from qorgau.accounts.models import Membership, Organisation, Role, User


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
