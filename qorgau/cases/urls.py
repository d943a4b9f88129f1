from django.urls import path

from qorgau.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    # Every URL below takes `ref` and reaches its case through get_case_for_user
    # (tests/test_access_urls.py enumerates them).
    path("<str:ref>/", views.case_detail, name="detail"),
    path("<str:ref>/status/", views.case_status, name="status"),
    path("<str:ref>/events/new/", views.event_new, name="event_new"),
    path("<str:ref>/story/", views.story_new, name="story"),
    path("<str:ref>/events/<int:number>/", views.event_detail, name="event_detail"),
    path("<str:ref>/events/<int:number>/correct/", views.event_correct, name="event_correct"),
    path("<str:ref>/parties/", views.party_list, name="parties"),
    path("<str:ref>/parties/<int:pk>/edit/", views.party_edit, name="party_edit"),
    path("<str:ref>/ledger/", views.case_ledger, name="ledger"),
    path("<str:ref>/people/", views.case_people, name="people"),
]
