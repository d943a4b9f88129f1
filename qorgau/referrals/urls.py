from django.urls import path

from qorgau.referrals import views

app_name = "referrals"

urlpatterns = [
    path("services/", views.directory, name="directory"),
    path("services/<int:provider>/places/", views.places, name="places"),
    path("settings/organisation/<slug:slug>/directory/<int:provider>/", views.profile,
         name="profile"),
    path("services/referrals/", views.incoming, name="incoming"),
    path("services/referrals/<int:referral>/answer/", views.answer, name="answer"),
    path("cases/<str:ref>/referrals/", views.case_referrals, name="case"),
    path("cases/<str:ref>/referrals/<int:referral>/move/", views.move, name="move"),
    path("cases/<str:ref>/referrals/<int:referral>/letter/", views.letter, name="letter"),
    path("cases/<str:ref>/referrals/<int:referral>/follow-up/", views.follow_up,
         name="follow_up"),
]
