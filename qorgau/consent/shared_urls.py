from django.urls import path

from qorgau.consent import views

app_name = "shared"

urlpatterns = [
    path("shared/", views.shared_list, name="list"),
    path("shared/<int:pk>/", views.shared_detail, name="detail"),
    path("transfers/", views.transfer_list, name="transfers"),
    path("transfers/<int:pk>/accept/", views.transfer_answer, {"answer": "accept"},
         name="transfer_accept"),
    path("transfers/<int:pk>/decline/", views.transfer_answer, {"answer": "decline"},
         name="transfer_decline"),
]
