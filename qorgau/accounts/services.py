"""Account mutations: organisations, users and memberships."""

from __future__ import annotations

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
