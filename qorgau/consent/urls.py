from django.urls import path

from qorgau.consent import views

app_name = "consent"

urlpatterns = [
    path("cases/<str:ref>/consent/", views.case_consent, name="case"),
    path("cases/<str:ref>/consent/<int:grant>/revoke/", views.revoke, name="revoke"),
    path("cases/<str:ref>/consent/<int:grant>/share/", views.share, name="share"),
    path("cases/<str:ref>/consent/shares/<int:share>/withdraw/", views.withdraw,
         name="withdraw"),
    path("cases/<str:ref>/consent/<int:grant>/transfer/", views.transfer, name="transfer"),
    path("cases/<str:ref>/consent/<int:grant>/transfer/cancel/", views.transfer_cancel,
         name="transfer_cancel"),
]
