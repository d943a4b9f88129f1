from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from qorgau.accounts.models import Membership, Organisation, User

admin.site.register(User, UserAdmin)
admin.site.register(Organisation)
admin.site.register(Membership)
