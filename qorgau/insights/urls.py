from django.urls import path

from qorgau.insights import views

app_name = "insights"
urlpatterns = [
    path("insights/", views.dashboard, name="dashboard"),
    path("insights/report.pdf", views.report_pdf, name="report"),
    path("insights/<str:metric_id>.<str:fmt>", views.download, name="download"),
    path("cases/<str:ref>/picture/", views.case_picture, name="case_picture"),
]
