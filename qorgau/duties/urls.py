from django.urls import path

from qorgau.duties import views

app_name = "duties"
urlpatterns = [
    path("today/", views.today_page, name="today"),
    path("team/", views.team, name="team"),
    path("needs-action/", views.needs_action, name="needs_action"),
    # Every URL below takes `ref` and reaches its case through get_case_for_user.
    path("cases/<str:ref>/duties/", views.case_duties, name="case"),
    path("cases/<str:ref>/duties/decline/", views.decline_escalation, name="decline"),
    path("cases/<str:ref>/letters/new/", views.letter_new, name="letter_new"),
    path("cases/<str:ref>/letters/<int:pk>/", views.letter_detail, name="letter"),
    path("cases/<str:ref>/letters/<int:pk>/send/", views.letter_send, name="letter_send"),
    path("cases/<str:ref>/letters/<int:pk>/letter.<str:fmt>", views.letter_download,
         name="letter_download"),
]
