from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qorgau.api"
    label = "api"
    verbose_name = "API"
