from django.urls import path

from qorgau.operations import views

app_name = "custody"
urlpatterns = [
    path("unlock/", views.unlock, name="unlock"),
    path("lock/", views.lock, name="lock"),
    path("lock/<str:token>/", views.lock_token, name="lock_token"),
]
