from django.urls import path

from qorgau.proceedings import views

app_name = "proceedings"
urlpatterns = [
    # Every URL takes `ref` and reaches its case through get_case_for_user.
    path("cases/<str:ref>/proceedings/", views.proceeding_list, name="list"),
    path("cases/<str:ref>/proceedings/<int:pk>/", views.proceeding_detail, name="detail"),
    path("cases/<str:ref>/proceedings/<int:pk>/report.pdf", views.report_pdf, name="report"),
]
