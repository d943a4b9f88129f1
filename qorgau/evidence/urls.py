from django.urls import path

from qorgau.evidence import views

app_name = "evidence"
urlpatterns = [
    # Every URL takes `ref` and reaches its case through get_case_for_user.
    path("cases/<str:ref>/evidence/", views.evidence_list, name="list"),
    path("cases/<str:ref>/evidence/<int:number>/", views.exhibit_detail, name="exhibit"),
    path("cases/<str:ref>/evidence/<int:number>/download/", views.exhibit_download,
         name="download"),
]
