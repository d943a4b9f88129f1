from django.urls import path

from qorgau.intake import views

app_name = "intake"
urlpatterns = [
    # Every URL takes `ref` and reaches its case through get_case_for_user.
    path("cases/<str:ref>/narratives/", views.narratives, name="narratives"),
    path("cases/<str:ref>/narratives/<int:pk>/", views.narrative, name="narrative"),
    path("cases/<str:ref>/narratives/<int:pk>/review/", views.review, name="review"),
]
