from django.urls import path

from qorgau.bundles import views

app_name = "bundles"
urlpatterns = [
    # Every URL takes `ref` and reaches its case through get_case_for_user.
    path("cases/<str:ref>/bundles/", views.bundle_list, name="list"),
    path("cases/<str:ref>/bundles/<int:pk>/", views.bundle_detail, name="detail"),
    path("cases/<str:ref>/bundles/<int:pk>/download/", views.bundle_download,
         name="download"),
]
