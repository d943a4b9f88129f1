from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from qorgau.accounts.views import choose_language, quick_exit
from qorgau.api.api import api, unknown_route
from qorgau.operations.duress import duress_code

# The admin logs in through the same pages (password, then the second factor).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="duties:today", permanent=False)),
    path("quick-exit/", quick_exit, name="quick_exit"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", choose_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("cases/", include("qorgau.cases.urls")),
    path("", include("qorgau.duties.urls")),
    path("", include("qorgau.risk.urls")),
    path("", include("qorgau.evidence.urls")),
    path("", include("qorgau.bundles.urls")),
    path("", include("qorgau.proceedings.urls")),
    path("", include("qorgau.insights.urls")),
    path("", include("qorgau.consent.urls")),
    path("", include("qorgau.consent.shared_urls")),
    path("", include("qorgau.retention.urls")),
    path("", include("qorgau.referrals.urls")),
    path("", include("qorgau.intake.urls")),
    path("", include("qorgau.operations.urls")),  # trustee custody only (404 otherwise)
    path("api/v1/", api.urls),
    re_path(r"^api/", unknown_route),  # JSON, as every API answer, not the HTML 404 page
    path("settings/api-tokens/", include("qorgau.api.urls")),
    path("settings/duress-code/", duress_code, name="duress_code"),
    path("settings/organisation/", include("qorgau.accounts.urls")),
]
