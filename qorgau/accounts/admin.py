from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from qorgau.accounts.models import Membership, Organisation, User

admin.site.register(User, UserAdmin)
admin.site.register(Membership)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Discreet mode is switched on the organisation settings page, where the change is
        # recorded (qorgau.accounts.services.set_discreet); set here only at creation.
        if obj is not None:
            return ("discreet",)
        return ()
