from django.urls import path

from qorgau.risk import views

app_name = "risk"
urlpatterns = [
    # Every URL takes `ref` and reaches its case through get_case_for_user.
    path("cases/<str:ref>/risk/", views.case_risk, name="case"),
    path("cases/<str:ref>/risk/new/<str:instrument_id>/", views.assess, name="assess"),
    path("cases/<str:ref>/risk/<int:pk>/", views.assessment_detail, name="assessment"),
    path("cases/<str:ref>/safety-plan/", views.safety_plan, name="plan"),
    path("cases/<str:ref>/safety-plan/print/", views.safety_plan_print, name="plan_print"),
]
