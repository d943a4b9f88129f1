from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from qorgau.accounts.models import Membership, Organisation, OrganisationEntry, User

admin.site.register(User, UserAdmin)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    """Read-only: people join, change role and leave on the organisation's settings page,
    where each change goes on the organisation's ledger (qorgau.accounts.services)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrganisationEntry)
class OrganisationEntryAdmin(MembershipAdmin):  # the ledger: read-only as well
    list_display = ("organisation", "seq", "at", "action", "subject", "actor")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Settings change on the organisation settings page, where each change goes on the
        # organisation's ledger; here they are set only at creation (which opens the ledger).
        if obj is not None:
            return ("name", "slug", "region", "discreet", "shares_aggregates")
        return ()
