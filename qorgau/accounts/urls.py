from django.urls import path

from qorgau.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.organisation_home, name="organisation_home"),
    path("<slug:slug>/", views.organisation_settings, name="organisation"),
]
