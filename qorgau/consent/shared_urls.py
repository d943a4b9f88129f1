from django.urls import path

from qorgau.consent import views

app_name = "shared"

urlpatterns = [
    path("shared/", views.shared_list, name="list"),
    path("shared/<int:pk>/", views.shared_detail, name="detail"),
]
