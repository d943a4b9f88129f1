"""What the retention commands share."""

from __future__ import annotations

from django.core.management.base import CommandError

from qorgau.accounts.models import Organisation


def organisation_option(slug: str | None) -> Organisation | None:
    """The organisation named by --organisation (None: all organisations)."""
    if not slug:
        return None
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no organisation with the short name {slug!r}")
    return found
