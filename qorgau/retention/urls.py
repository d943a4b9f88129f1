from django.urls import path

from qorgau.retention import views

app_name = "retention"
urlpatterns = [
    # Takes `ref` and reaches its case through get_case_for_user.
    path("cases/<str:ref>/retention/", views.case_retention, name="case"),
    path("settings/organisation/<slug:slug>/retention/", views.organisation_policy,
         name="organisation"),
]
